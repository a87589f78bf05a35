"""Cleaning: identical to ftfy.fix_text with our config, idempotent, conservative, explained."""

from __future__ import annotations

import json
import os
from pathlib import Path

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.clean import clean_text, needs_repair
from segmenter.config import CleanConfig

from .conftest import FIXTURES, ROOT, need

DEFAULT = CleanConfig()
FTFY_DEFAULT = DEFAULT.to_ftfy()
CONFIGS = [
    DEFAULT,
    CleanConfig(uncurl_quotes=True, fix_character_width=True, fix_latin_ligatures=True),
    CleanConfig(unescape_html=False, normalization="NFKC"),
    CleanConfig(remove_control_chars=False, fix_line_breaks=False, normalization=None),
]


def reference(text: str, config: CleanConfig = DEFAULT) -> str:
    return ftfy.fix_text(text, config.to_ftfy())


# ---------------------------------------------------------------- fixtures and known cases


@pytest.mark.parametrize(
    ("name", "expected", "steps"),
    [
        ("mojibake.txt", "The café said “hello” to the crowd.", ("encode:sloppy-windows-1252",)),
        ("entities.txt", "Stocks rose 3% & bonds fell — analysts said it’s \"early days\".",
         ("unescape_html",)),
        ("control_crlf.txt", "Line one with a bell\nLine two\nline three\nend",
         ("fix_line_breaks", "remove_control_chars")),
    ],
)
def test_fixture_repairs(name: str, expected: str, steps: tuple[str, ...]) -> None:
    text = (FIXTURES / "clean" / name).read_text("utf-8")
    fixed, report = clean_text(text)
    assert fixed.startswith(expected)
    assert fixed == reference(text)
    for step in steps:
        assert step in report.steps
    assert report.changed


def test_bare_ampersand_is_kept() -> None:
    text = (FIXTURES / "clean" / "entities.txt").read_text("utf-8")
    assert "AT&T and Q&A stay as they are." in clean_text(text)[0]


def test_clean_text_is_unchanged_and_reports_nothing() -> None:
    text = (FIXTURES / "clean" / "clean_cjk.txt").read_text("utf-8")
    fixed, report = clean_text(text)
    assert fixed == text
    assert report.steps == ()
    assert not needs_repair(text)
    # the conservative default keeps what ftfy's own defaults would change
    assert ftfy.fix_text(text) != text


def test_seed_page_survives() -> None:
    text = (FIXTURES / "split" / "seed_dump.txt").read_text("utf-8")
    fixed, report = clean_text(text)
    assert fixed == text and "秦剛" in fixed and "’" in fixed and report.steps == ()


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("“curly”", {"uncurl_quotes": True}),
        ("台灣？（測試）", {"fix_character_width": True}),
        ("ﬂubberiﬁc", {"fix_latin_ligatures": True}),
    ],
)
def test_options_enable_the_damaging_fixes(text: str, option: dict[str, bool]) -> None:
    assert clean_text(text)[0] == text
    config = CleanConfig(**option)  # type: ignore[arg-type]
    fixed, report = clean_text(text, config)
    assert fixed != text and fixed == reference(text, config) and report.changed


def test_markup_keeps_entities_like_ftfy() -> None:
    text = "<p>a &amp; b</p>\nc &amp; d\n"
    assert clean_text(text)[0] == reference(text)
    assert "&amp;" in clean_text(text)[0]


def test_fast_path_off_gives_same_text() -> None:
    text = (FIXTURES / "clean" / "mojibake.txt").read_text("utf-8")
    assert clean_text(text, CleanConfig(fast_path=False))[0] == clean_text(text)[0]


# ---------------------------------------------------------------- ftfy's own test cases


def _ftfy_cases() -> list[dict[str, str]]:
    path = Path(os.environ.get("SEGMENTER_FTFY_CASES", ROOT / ".venv" / "ftfy-test-cases.json"))
    need(path.exists(), f"ftfy's test cases not found at {path} (make test fetches them)")
    return list(json.loads(path.read_text("utf-8")))


def test_ftfy_test_cases_match_fix_text_and_are_idempotent() -> None:
    cases = _ftfy_cases()
    assert len(cases) > 100
    for case in cases:
        original = case["original"]
        for config in CONFIGS:
            fixed, _ = clean_text(original, config)
            assert fixed == reference(original, config), case["label"]
        fixed = clean_text(original)[0]
        assert clean_text(fixed)[0] == fixed, case["label"]


# ---------------------------------------------------------------- properties

MOJIBAKE_PIECES = st.sampled_from(
    ["Ã©", "â€œ", "â€\x9d", "â€™", "Ã¨", "Ã\xa0", "Â£", "&amp;", "&#x2019;", "&lt;", "<b>",
     "\r\n", "\r", "\u2028", "\x07", "\x1b[31m", "\ufeff", "秦剛", "台灣？", "（測試）", "“", "”",
     "’", "…", "é", "e\u0301", "ﬁ", "Ａ", "\n", " ", "word", ".", "AT&T"]
)
TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(MOJIBAKE_PIECES, max_size=30).map("".join),
    st.lists(st.one_of(MOJIBAKE_PIECES, st.text(max_size=5)), max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.sampled_from(CONFIGS))
def test_output_equals_ftfy(text: str, config: CleanConfig) -> None:
    assert clean_text(text, config)[0] == reference(text, config)


LINE_BREAKS = ("\r", "\x85", "\u2028", "\u2029", "â€¨", "â€©", "Â\x85")


@settings(max_examples=300, deadline=None)
@given(TEXTS.filter(lambda t: not any(b in t for b in LINE_BREAKS)))
def test_cleaning_is_idempotent(text: str) -> None:
    once = clean_text(text)[0]
    twice, report = clean_text(once)
    assert twice == once
    assert report.steps == ()


@pytest.mark.xfail(strict=True, reason="ftfy decides mojibake per line: a CR-separated line "
                   "becomes two lines after the first pass, so a second pass can decide again")
def test_idempotence_across_carriage_returns() -> None:
    once = clean_text("\x80\r”Ã\x9f")[0]
    assert clean_text(once)[0] == once


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_gate_is_sound(text: str) -> None:
    """When the gate says no repair is needed, ftfy indeed changes nothing."""
    if not needs_repair(text):
        assert reference(text) == text


ASCII_TEXTS = st.lists(st.one_of(
    st.text(st.characters(max_codepoint=0x7F), max_size=8),
    st.sampled_from(["&amp;", "&", "&#39;", "AT&T", "\r\n", "\x1b[0m", "\x7f", "\t", "\x0c"]),
), max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(ASCII_TEXTS, st.sampled_from(CONFIGS))
def test_ascii_gate_is_the_general_gate(text: str, config: CleanConfig) -> None:
    """The byte-table test for ASCII text decides as the character-class search does."""
    from ftfy import chardata

    from segmenter.clean import _suspects

    general = _suspects(config).search(text) is not None or bool(
        config.unescape_html and "&" in text and chardata.HTML_ENTITY_RE.search(text))
    assert needs_repair(text, config) == general
    if not needs_repair(text, config):
        assert reference(text, config) == text
