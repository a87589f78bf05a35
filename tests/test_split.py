"""Unit tests of the story splitter: API, config validation, line features, boilerplate."""

from __future__ import annotations

import dataclasses
import importlib

import pytest

from segmenter.errors import ConfigError
from segmenter.split import SplitConfig, split
from segmenter.split.boilerplate import (
    boilerplate_label,
    dateline_prefix,
    kicker_of,
    read_more_tail,
)
from segmenter.split.features import ends_terminal, line_features

PARA = [
    "The city council of Brenna approved a new budget on Monday that raises spending on schools.",
    "Mayor Ilse Varga said the budget would add 40 teachers and repair two school buildings.",
    "Opposition members of the Brenna council said the schools budget relied on rosy forecasts.",
]
TEASER = (
    "Dock workers in the southern port went on strike on Friday over a new shift system. The union "
    "said about 900 members stopped work, and ships were left waiting offshore. Managers said the "
    "new system had been agreed with staff representatives last year, but the union says it was"
)


def test_empty_and_blank_give_no_stories() -> None:
    assert split("") == []
    assert split("   \n\t\n  ") == []


def test_single_article_is_one_story() -> None:
    text = "\n".join(PARA)
    (story,) = split(text)
    assert (story.start, story.end, story.kind, story.truncated) == (0, len(text), "article", False)
    assert story.index == 0 and story.score == 1.0


def test_teaser_after_article() -> None:
    text = "\n".join([*PARA, TEASER])
    stories = split(text)
    assert [s.kind for s in stories] == ["article", "teaser"]
    assert stories[1].truncated
    assert text[stories[1].start : stories[1].end] == TEASER
    assert "no_terminal_punct" in stories[1].reasons


def test_kicker_is_kept_inside_the_story() -> None:
    text = "\n".join([*PARA, "PORT STRIKE: " + TEASER])
    stories = split(text)
    assert stories[1].kicker == "PORT STRIKE"
    assert text[stories[1].start :].startswith("PORT STRIKE:")


def test_config_is_used() -> None:
    text = "\n".join([*PARA, TEASER])
    never = SplitConfig(boundary_threshold=5.0)
    assert len(split(text, never)) == 1
    assert len(split(text, SplitConfig())) == 2


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"boundary_threshold": 0.0}, "boundary_threshold"),
        ({"boundary_threshold": float("nan")}, "finite"),
        ({"teaser_min_chars": 0}, "teaser_min_chars"),
        ({"cohesion_low": 0.5, "cohesion_weak": 0.2}, "cohesion"),
        ({"w_kicker": "high"}, "w_kicker"),
        ({"headline_max_words": True}, "headline_max_words"),
    ],
)
def test_config_validation(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        SplitConfig(**changes)  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SplitConfig().boundary_threshold = 0.7  # type: ignore[misc]


def test_split_rejects_bytes() -> None:
    with pytest.raises(TypeError):
        split(b"abc")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "line, label",
    [
        ("Photo: AFP", "photo_credit"),
        ("Photograph: Jane Doe/Reuters", "photo_credit"),
        ("Image copyright Getty Images", "photo_credit"),
        ("Additional reporting by AFP", "reporting_credit"),
        ("(Reporting by Ann Lee; Editing by Tom Hart)", "reporting_credit"),
        ("Reuter", "reporting_credit"),
        ("By Ann Lee, Staff writer", "byline"),
        ("Staff writer", "reporting_credit"),
        ("Read more:", "read_more"),
        ("READ MORE: Council backs new budget", "read_more"),
        ("Related stories", "read_more"),
        ("Share this article", "share"),
        ("Share this with Email Facebook Twitter", "share"),
        ("ADVERTISEMENT", "other"),
        ("* * *", "other"),
        ("© 2024 Example Media. All rights reserved", "other"),
        ("WASHINGTON, June 2", "dateline_only"),
        ("By contrast, the budget rose.", None),
        ("The mayor said the plan would work.", None),
        ("Council backs new budget", None),
        ("Posted by Ann Lee, Product Manager", "byline"),
        ("Monday, October 22, 2012 | 12:30 PM", "dateline_only"),
        ("10:50 p.m.: Power cut to 40,000 homes", None),
        ("STAFF PHOTO BY KATHY ANDERSON", "photo_credit"),
        ("Jane Roe/Getty Images", "photo_credit"),
        ("照片：法新社", "photo_credit"),
        ("Share on Facebook Share on Twitter", "share"),
        ("Labels: budget, council", "other"),
        ("Thank you for signing up! Sign up for more newsletters here", "other"),
        ("With additional reporting by Tom Hart", "reporting_credit"),
        ("(Full story)", "read_more"),
        ("DOES SHE HAVE A PLAN FOR THAT?", None),
    ],
)
def test_boilerplate_labels(line: str, label: str | None) -> None:
    assert boilerplate_label(line, 120) == label


def test_kicker_and_dateline_and_tail() -> None:
    assert kicker_of("STEADFAST FRIEND: The bills", 6) == "STEADFAST FRIEND"
    assert kicker_of("Steadfast friend: the bills", 6) is None
    assert kicker_of("A: b", 6) is None
    assert dateline_prefix("TAIPEI, June 19 (Reuters) - The cabinet said")
    assert dateline_prefix("NEW YORK, March 9 - Growth will pick up")
    assert not dateline_prefix("The cabinet said on Monday - in a statement")
    assert read_more_tail("the union says it was Read more") == 22
    assert read_more_tail("there was nothing more") is None


@pytest.mark.parametrize(
    "text, terminal",
    [
        ("He said so.", True),
        ("“Benefit our two countries.”", True),
        ("He asked: « why? »", True),
        ("台灣是的。", True),
        ("「好」", False),
        ("「好。」", True),
        ("The videos are “aimed at", False),
        ("and the", False),
    ],
)
def test_terminal_punctuation(text: str, terminal: bool) -> None:
    assert ends_terminal(text) is terminal


def test_line_features_offsets_crlf() -> None:
    text = "First line here.\r\n\r\n  Second line.  \r\nThird"
    lines = line_features(text, SplitConfig())
    assert [ln.text for ln in lines] == ["First line here.", "Second line.", "Third"]
    assert [ln.index for ln in lines] == [0, 2, 3]
    assert text[lines[1].start : lines[1].line_end] == "  Second line.  "
    assert lines[0].line_end == text.index("\r")


def test_every_boundary_feature_has_a_weight() -> None:
    from segmenter.split.config import weight_field
    from segmenter.split.rules import FEATURES
    from segmenter.split.weights import WEIGHTS

    names = {f.name for f in dataclasses.fields(SplitConfig)}
    assert set(FEATURES) == set(WEIGHTS)
    assert all(weight_field(f) in names for f in FEATURES)
    cfg = SplitConfig()
    assert all(getattr(cfg, weight_field(f)) == WEIGHTS[f] for f in FEATURES)


def test_cjk_words_are_character_pairs() -> None:
    """CJK runs have no spaces: their bigrams are the words that cohesion compares."""
    text = "台北市政府宣布增設車站。\nO presidente disse que a economia está crescendo."
    cjk, latin = line_features(text, SplitConfig())
    assert {"台北", "北市", "車站"} <= cjk.vocab and "。" not in "".join(cjk.vocab)
    assert {"presidente", "economia", "está"} <= latin.vocab


def test_a_long_text_keeps_line_words_compactly_with_the_same_stories(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Above ``COMPACT_TEXT`` characters each line's words are a tuple of shared strings
    (memory); the stories, kinds, scores and reasons are those of the frozenset path."""
    import json

    features = importlib.import_module("segmenter.split.features")

    from .conftest import FIXTURES

    texts = [json.loads(line)["text"] for line in
             (FIXTURES / "split" / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    texts.append((FIXTURES / "split" / "seed_dump.txt").read_text(encoding="utf-8"))
    plain = [split(t) for t in texts]
    monkeypatch.setattr(features, "COMPACT_TEXT", 0)
    assert isinstance(line_features(texts[-1], SplitConfig())[0].vocab, tuple)
    assert [split(t) for t in texts] == plain


_PT_FUTEBOL = [
    "O Flamengo venceu o Palmeiras por dois gols a um no Maracanã neste domingo à noite.",
    "Gabriel marcou o primeiro gol aos dez minutos, depois de um cruzamento de Arrascaeta.",
    "O Palmeiras empatou no segundo tempo com um chute de fora da área de Raphael Veiga.",
    "Pedro garantiu a vitória do Flamengo nos acréscimos, de cabeça, após escanteio.",
    "Com o resultado, o Flamengo assume a liderança do campeonato brasileiro de futebol.",
    "O técnico do Palmeiras reclamou da arbitragem e do gramado na entrevista coletiva.",
]
_PT_CHUVA = [
    "Chuvas intensas deixaram bairros alagados em Recife e Olinda durante a madrugada.",
    "A Defesa Civil registrou deslizamentos de terra em encostas da zona norte da capital.",
    "Moradores foram levados para abrigos montados em escolas municipais da região.",
    "A previsão indica novas tempestades até quinta-feira em todo o litoral pernambucano.",
]


def test_a_page_without_language_cues_is_not_split_on_cohesion_alone() -> None:
    """A Portuguese page (no cues the splitter knows): two articles back to back with nothing
    between them but a change of words stay one story, while a cut-off teaser behind a kicker
    (structure) is still found. The same lines judged as English would be split."""
    from segmenter.split.features import has_language_cues
    from segmenter.split.rules import segment_lines

    page = "\n".join(_PT_FUTEBOL + _PT_CHUVA)
    assert not has_language_cues(page)
    assert len(segment_lines(line_features(page, SplitConfig()), SplitConfig())) == 2  # as English
    assert [s.kind for s in split(page)] == ["article"]
    teaser = ("ALERTA VERMELHO: Chuvas intensas deixaram bairros alagados em Recife e Olinda "
              "durante a madrugada desta segunda-feira, e a Defesa Civil registrou deslizamentos "
              "de terra em encostas da zona norte da capital pernambucana, onde")
    stories = split("\n".join([*_PT_FUTEBOL, teaser]))
    assert [(s.kind, s.kicker) for s in stories] == [
        ("article", None), ("teaser", "ALERTA VERMELHO")]


def test_line_features_the_same_split_at_once_or_line_by_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A text is split into lines at once (short) or one line at a time (long); an ASCII
    text's words are found in the page lower-cased once: the same lines, words and stories
    as each line's own ``_vocab``."""
    import json

    features = importlib.import_module("segmenter.split.features")

    from .conftest import FIXTURES

    texts = [json.loads(line)["text"] for line in
             (FIXTURES / "split" / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    texts += ["\r\n  Lead line here.\r\n\n" + "x" * 700 + " WORDS after the prefix\n", "\n\n"]
    # non-ASCII pages: ASCII lines are read in the page lower-cased once, unless a character
    # lower-cases to two ("İ") and the offsets would shift; a final sigma lower-cases by context
    texts += ["Café owners MEET today.\nPrices ROSE sharply on Monday.\nΟΔΟΣ Athens ΣΑΣ",
              "İstanbul FERRIES resume.\nPrices ROSE sharply on Monday evening"]
    cfg = SplitConfig()
    at_once = [line_features(t, cfg) for t in texts]
    for lines in at_once:
        for line in lines:
            words = features._vocab(line.text[:600]) if line.boilerplate is None else frozenset()
            assert line.vocab == words
    monkeypatch.setattr(features, "_SPLIT_AT", 0)
    assert [line_features(t, cfg) for t in texts] == at_once


@pytest.mark.parametrize("line", [
    "TAIPEI, June 19 (Reuters) - The cabinet met.", "WASHINGTON - Lawmakers voted.",
    "U.S. officials said on Monday.", "NEW YORK (AP) — Stocks fell.", "Taipei, June 19 - no.",
    "A - b", "ÉLYSÉE, Paris - x", "STEADFAST FRIEND: The dog waited.", "Read more »",
    "He said it would go on... Continue reading", "The BIG NEWS TODAY is here and more",
    "BREAKING NEWS UPDATE the market fell sharply as traders fled " + "x " * 60,
])
def test_the_cheap_tests_before_the_line_expressions_never_hide_a_match(line: str) -> None:
    """``line_features`` tests a line's first characters (dateline), its end ('Read more',
    terminal mark) and its colon (kicker) before calling the functions: same answers."""
    boilerplate = importlib.import_module("segmenter.split.boilerplate")
    features = importlib.import_module("segmenter.split.features")
    if boilerplate.dateline_prefix(line):
        assert "A" <= line[0] <= "Z" and line[1] in boilerplate.DATELINE_SECOND
    if boilerplate.read_more_tail(line) is not None:
        assert line.endswith(boilerplate.READ_MORE_ENDS)
    if boilerplate.kicker_of(line, 8) is not None:
        assert ":" in line
    (got,) = line_features(line, SplitConfig())
    assert got.terminal == (features.ends_terminal(line) and not got.ellipsis)
    assert got.dateline == boilerplate.dateline_prefix(line)
    assert got.caps_lead == (len(line) >= 150 and features._caps_lead(line))
