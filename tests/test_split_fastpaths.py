"""Fast paths of `segmenter split` give the bytes of the general paths."""

from __future__ import annotations

import importlib
import json
import re
import string
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.records import dumps, plain_ascii
from segmenter.split import SplitConfig, split
from segmenter.split.config import weight_field

features = importlib.import_module("segmenter.split.features")

ASCII = st.text(st.characters(max_codepoint=0x7F), max_size=40)
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), ASCII),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(ASCII, inner, max_size=4)),
    max_leaves=12,
)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(ASCII, VALUES, max_size=6))
def test_plain_records_encode_the_same(record: dict[str, object]) -> None:
    if all(plain_ascii(s) for s in _strings(record)):
        assert dumps(record, True) == dumps(record)


def test_what_is_not_plain() -> None:
    assert plain_ascii("a \\ \" \n\t\x00 ~")
    assert not plain_ascii("café") and not plain_ascii("a\x7f")
    assert dumps({"t": "a\x7f"}, True) != dumps({"t": "a\x7f"})  # why DEL is left out


# --------------------------------------------------------------- the continuation cue

_FIRST_WORD = re.compile(r"[\W\d_]{0,8}([^\W\d_][\w'’]{0,20})")


def _opens_with_continuation(text: str) -> bool:
    """The definition: the first word, lower-cased, is one of the continuation words."""
    m = _FIRST_WORD.match(text)
    return m is not None and m.group(1).lower() in features._CONTINUATIONS


def test_lowers_to_is_every_character_that_lowers_to_the_letter() -> None:
    for letter in string.ascii_lowercase:
        chars = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).lower() == letter}
        assert set(features._lowers_to(letter)[1:-1]) == chars


_PIECES = st.sampled_from([
    *sorted(features._CONTINUATIONS), "He", "THEY", "However,", "It's", "it’s", "Li\u212aewise",
    "ſhe", "ıt", "İt", "Σ", "Théy", "-", "  ", '"', "(", "12", "_", "—", "'", "x", "hey", "a",
    "heretofore", "Additionallyyyyyyyyyyyyyyy", ".", ",", "é",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=6).map("".join))
def test_continuation_match_is_the_first_word_test(text: str) -> None:
    assert (features._CONTINUATION.match(text) is not None) == _opens_with_continuation(text)


# --------------------------------------------------------------- the early stop of the score

rules = importlib.import_module("segmenter.split.rules")
_CASES = Path(__file__).resolve().parent.parent / "fixtures" / "split" / "cases.jsonl"
_TEXTS = [json.loads(raw)["text"] for raw in _CASES.read_text("utf-8").splitlines() if raw.strip()]
_LINES = sorted({line for text in _TEXTS for line in text.split("\n") if line.strip()})


def _checked_boundary_features(*args: Any) -> tuple[list[str], dict[str, Any]]:
    """``boundary_features`` that checks each early stop against the whole computation."""
    seg, lines, i, config, follow, scoring = args
    feats, ev = _ORIGINAL(seg, lines, i, config, follow, scoring)
    full, full_ev = _ORIGINAL(seg, lines, i, config, follow)
    # what is listed is what the whole computation lists, in its order, less some of the tail
    assert [f for f in full if f in feats] == feats and set(full) - set(feats) <= set(rules._TAIL)
    assert ev.items() <= full_ev.items()
    if (feats, ev) != (full, full_ev):  # stopped early: the whole score stays below the threshold
        assert scoring is not None
        assert sum(scoring.weights[f] for f in full) < scoring.threshold
        assert not ("teaser_run" in full and "short_cut" in full)
    return feats, ev


_ORIGINAL = rules.boundary_features
_WEIGHT = st.floats(-1.5, 1.5, allow_nan=False).map(lambda w: round(w, 3))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(_LINES), min_size=2, max_size=14).map("\n".join),
    st.dictionaries(st.sampled_from([*rules._TAIL, "long_story", "cohesive", "after_teaser"]),
                    _WEIGHT, max_size=8),
    st.floats(0.2, 2.0).map(lambda t: round(t, 3)),
)
def test_early_stop_only_where_no_story_can_start(
    text: str, weights: dict[str, float], threshold: float
) -> None:
    fields: dict[str, Any] = {weight_field(f): w for f, w in weights.items()}
    config = SplitConfig(boundary_threshold=threshold, **fields)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rules, "boundary_features", _checked_boundary_features)
        checked = split(text, config)
    assert checked == split(text, config)


def test_early_stop_changes_no_story_of_the_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = [split(t) for t in _TEXTS]
    monkeypatch.setattr(rules.Scoring, "stays_below", lambda *args: False)
    assert [split(t) for t in _TEXTS] == fast


@pytest.mark.parametrize("lede", [True, False])
def test_author_bio_is_listed_where_it_is_found(lede: bool) -> None:
    """Tested last, "author_bio" is still listed before the cohesion features, lede or not."""
    from segmenter.split.features import line_features

    opening = ["The council voted on Monday to close the old ferry terminal next spring."]
    if not lede:
        opening += ["Ferries will berth at the new quay, officials said in a statement."] * 2
    text = "\n".join([*opening, "Jane Doe is a reporter for the Example Times covering the port."])
    config = SplitConfig()
    lines = line_features(text, config)
    seg = rules.Segment([], 1.0, ["document_start"])
    for line in lines[:-1]:
        seg.add(line, config)
    feats, _ = rules.boundary_features(seg, lines, len(lines) - 1, config)
    assert "author_bio" in feats and ("lede_only" in feats) == lede
    after = feats[feats.index("author_bio") + 1:]
    assert not set(after) - {*rules._TAIL, "lede_only", "cut_cohesive", "cohesion_drop",
                             "cohesion_weak", "cohesive", "cohesion_shift"}


# --------------------------------------------------------------- boilerplate pre-tests

boilerplate = importlib.import_module("segmenter.split.boilerplate")
_CREDIT_PIECES = st.sampled_from([
    "Jane", "DOE", "Smith,", " ", "  ", "Staff Writer", "staff REPORTER", "Business reporter",
    "political editor", "Correspondent", "sports editor", "WRITER", "edItor", "ſtaff writer",
    "Photo", "photo", "photos", "image", "Images", "picture", ": ", ":", " credit", "AFP", ".",
    "Getty", "/", "The", "é", "x" * 30, "Reuters", ",", "Paris",
])


@settings(max_examples=600, deadline=None)
@given(st.lists(_CREDIT_PIECES, max_size=10).map("".join))
def test_pre_tests_decide_as_the_expressions(line: str) -> None:
    assert boilerplate._staff(line) == (boilerplate._STAFF.match(line) is not None)
    assert boilerplate._caption_credit(line) == (
        boilerplate._CAPTION_CREDIT.match(line) is not None)


_CHROME_PIECES = st.sampled_from([
    "Jane", "Photo", "PHOTOGRAPH", "image", "Picture", "gallery", "(", ")", "credit", "Credits",
    "license: ", "by ", " by", "courtesy of ", "enlarge ", "view ", "s", " ", ": ", "/",
    "contributed", "CONTRIBUTING", "to ", "this ", "the ", "report", "story", "Article",
    "newsletter", "NEWSLETTERS", "Sign up for our ", "ſ", "K", "é", "x" * 40, ".", "Staff",
])


@settings(max_examples=800, deadline=None)
@given(st.lists(_CHROME_PIECES, max_size=12).map("".join))
def test_chrome_pre_tests_never_hide_a_match(line: str) -> None:
    """``_more_label`` tries ``_PHOTO_MORE``, ``_CONTRIBUTED`` and ``_NEWSLETTER`` only on a
    line that says one of their words (an ASCII line, lower-cased): every match says it."""
    low = line.lower() if line.isascii() else None
    if boilerplate._PHOTO_MORE.match(line):
        assert boilerplate._says(low, boilerplate._PHOTO_WORDS)
    if boilerplate._CONTRIBUTED.match(line):
        assert boilerplate._says(low, ("contribut",))
    if boilerplate._NEWSLETTER.match(line):
        assert boilerplate._says(low, ("newsletter",))
    if boilerplate._SLASH_CREDIT.match(line):
        assert "/" in line


def test_chrome_lines_the_pre_tests_let_through() -> None:
    for line, label in [("Photo by Jane Doe", "photo_credit"), ("(Photos: AFP)", "photo_credit"),
                        ("Jane Doe contributed to this report.", "reporting_credit"),
                        ("The Times newsletter is free", "other"),
                        ("Jane Doe / Getty", "photo_credit")]:
        assert boilerplate.boilerplate_label(line, 120) == label, line


_DATES = st.tuples(
    st.sampled_from(["", "Posted ", "updated: ", "on ", "Last updated on ", "TAIPEI, ", "By "]),
    st.sampled_from(["", "Monday, ", "Tue. ", "K"]),
    st.sampled_from(["Oct 12", "12 October", "October ", "12/10/2012", "3 minutes ago", "10:30",
                     "10:30 p.m.", "١٢:٣٠", "Oct ١٢", "Oct", "", "x", "Oct. 1st", "2012-10-29"]),
    st.sampled_from(["", ", 2012", " 2012", ", ", "th"]),
    st.sampled_from(["", ", 10:30 PM EST", " at 4:24 PM", ".", ": Power cut", " é"]),
).map("".join)
@settings(max_examples=400, deadline=None)
@given(_DATES)
def test_dates_and_times_hold_a_digit(line: str) -> None:
    """``boilerplate_label`` tries ``_DATELINE_ONLY`` and ``_WHEN`` only on a line with a digit."""
    has_digit = boilerplate._DIGIT.search(line) is not None
    if boilerplate._DATELINE_ONLY.match(line) or boilerplate._WHEN.match(line):
        assert has_digit


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(". …»>›]eEgyYmorMORa x"), min_size=1, max_size=8))
def test_a_plain_full_stop_ends_no_ellipsis_nor_read_more(line: str) -> None:
    """``line_features`` skips both end tests for a line ending in "." after anything but a
    dot or a space."""
    if line[-1] == "." and line[-2:-1] not in ". ":
        assert not line.endswith(features._ELLIPSES)
        assert not line.endswith(boilerplate.READ_MORE_ENDS)


_WORD_PIECES = st.sampled_from([
    "word", "Prices", "ROSE", "the", "café", "naïve", "’s", "“quoted”", " — ", "–", "…", " ",
    "  ", ".", "ΟΔΟΣ", "Σ", "ς", "\u212aelvin", "İstanbul", "台北車站", "½", "²", "Ⅻ", "٣", "_",
    "x" * 300, "Bank", "\u00a0", "\t", "\n", "\r\n",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORD_PIECES, max_size=14).map("".join))
def test_words_found_in_place_are_each_lines_own(text: str) -> None:
    """A line's words found in the page lower-cased (ASCII lines, and lines whose non-ASCII
    characters are no word characters) are the words of the line's own ``_vocab``."""
    for line in features.line_features(text, SplitConfig()):
        if line.boilerplate is None:
            assert line.vocab == features._vocab(line.text[:600]), line.text


def _language_cues_by_the_sum(text: str, sample: int = 8000) -> bool:
    """The definition: the counts of all the common words together against the spaces."""
    head = text[:sample]
    spaces = head.count(" ")
    if spaces < 20 or not head.isascii() and features._CJK_RUN.search(head):
        return True
    head = head.lower()
    return sum(map(head.count, features._ENGLISH)) >= 0.05 * spaces


_ENGLISH_WORDS = st.lists(st.sampled_from(["the", "The", "and", "of", "to", "in", "is", "was",
                                          "for", "that", "la", "der", "台北", "é"]), max_size=12)


@settings(max_examples=400, deadline=None)
@given(_ENGLISH_WORDS, st.integers(0, 150), st.integers(0, 150))
def test_language_cues_stop_counting_once_found(words: list[str], before: int, after: int) -> None:
    """Enough common words among the others (or not): the same answer as the whole sum."""
    text = " ".join(["ferry"] * before + words + ["ferry"] * after)
    assert features.has_language_cues(text) == _language_cues_by_the_sum(text)
    assert features.has_language_cues(text, 60) == _language_cues_by_the_sum(text, 60)


def test_an_author_note_after_a_lede_is_still_tried_where_it_can_start_a_story() -> None:
    """After a lede the author's note is the only feature left to test: it is left out only
    where it could not lift the score to the threshold."""
    text = ("The council voted on Monday to close the old ferry terminal next spring.\n"
            "Jane Doe is a reporter for the Example Times covering the port.")
    lifted = SplitConfig(w_author_bio=2.0)
    stories = split(text, lifted)
    assert len(stories) == 2 and "author_bio" in stories[1].reasons
    assert len(split(text)) == 1  # (its fitted weight is negative)


# ``_CHROME_LEAD`` as it was written, one word after the other: the definition
_CHROME_LEAD_WORDS = re.compile(
    r"[\W\d_]|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|"
    r"credit|photo|image|picture|(?:by|posted|submitted|written|words|story|text|reported|filed|"
    r"author|updated|published|last|on|created|modified|main|top|cover|header|featured|license|"
    r"enlarge|view|gallery|cross|originally|this|h/t|hat|via|source|full|share|post|pin|email|"
    r"tumblr|flipboard|google|reddit|pinterest|kinja|digg|stumbleupon|pocket|tweet|sms|more|"
    r"learn|continue|read|watch|listen|see|click|trending|popular|related|labels|tags|tagged|"
    r"categories|category|topics|keywords|date|no|leave|add|permalink|trackback|contents|loading|"
    r"replay|play|fullscreen|newsletter|about|remove|reuse|found|current|duration|remaining|"
    r"loaded|progress|promoted|powered|sponsored|presented|like|follow|get|for|the)\b",
    re.IGNORECASE,
)
_LEADS = st.sampled_from([
    *boilerplate._LEAD_STARTS, *boilerplate._LEAD_WORDS, "h", "t", "/", "ed", "ing", "s", "x",
    "The", "POST", "Po", "ſ", "\u212a", "İ", "é", " ", "-", "1", "_", ":", "Reuters", "onl",
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_LEADS, min_size=1, max_size=4).map("".join))
def test_chrome_lead_as_a_trie_matches_as_the_word_list(line: str) -> None:
    assert (boilerplate._CHROME_LEAD.match(line) is None) == (
        _CHROME_LEAD_WORDS.match(line) is None)
