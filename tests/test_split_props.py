"""Invariants of the story splitter (hypothesis) and its cost on huge inputs."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.model import Story
from segmenter.split import split

WORDS = [
    "the",
    "council",
    "said",
    "STRIKE:",
    "Photo:",
    "AFP",
    "By",
    "Read",
    "more",
    "Reuter",
    "“quoted.”",
    "台灣",
    "。",
    "…",
    "...",
    "TAIPEI,",
    "June",
    "19",
    "-",
    "A",
    "b.",
]


def check_tiling(text: str, stories: list[Story]) -> None:
    """Stories are in order, disjoint, start at line starts, end at line ends, cover all text."""
    if not text.strip():
        assert stories == []
        return
    assert stories
    covered = [False] * len(text)
    prev_end = 0
    for i, s in enumerate(stories):
        assert s.index == i
        assert prev_end <= s.start < s.end <= len(text)
        assert s.start == 0 or text[s.start - 1] == "\n"
        assert s.end == len(text) or text[s.end] in "\r\n"
        assert text[s.start : s.end].strip()
        assert s.kind in ("article", "teaser")
        assert 0.0 <= s.score <= 1.0 and s.reasons
        for b in s.boilerplate:
            assert s.start <= b.start < b.end <= s.end and b.label
        for k in range(s.start, s.end):
            covered[k] = True
        prev_end = s.end
    for k, ch in enumerate(text):
        assert covered[k] or ch.isspace(), (k, ch)


line_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join),
    st.text(alphabet="台灣是的。！？「」好測試", max_size=40),
)
page = st.lists(line_text, max_size=25).flatmap(
    lambda lines: st.sampled_from(["\n", "\r\n", "\n\n"]).map(lambda sep: sep.join(lines))
)


@settings(max_examples=300, deadline=None)
@given(page)
def test_stories_tile_any_page(text: str) -> None:
    check_tiling(text, split(text))


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_stories_tile_any_text(text: str) -> None:
    check_tiling(text, split(text))


def test_edge_texts() -> None:
    for text in [
        "",
        " ",
        "\n\n",
        "\r\n",
        "one line no newline",
        "a\r\nb\r\n",
        "\n\nx\n\n",
        "台灣是的。測試！",
        "x" * 5000,
        "STRIKE: " + "word " * 400,
    ]:
        check_tiling(text, split(text))


def test_split_is_deterministic() -> None:
    text = "\n".join(["A" * 300, "Photo: AFP", "KICKER: " + "word " * 80, "tail of it"])
    assert split(text) == split(text)


def _elapsed(text: str) -> float:
    t0 = time.perf_counter()
    split(text)
    return time.perf_counter() - t0


def test_huge_single_line_is_linear() -> None:
    unit = "Dock workers said the strike would go on. STRIKE: (((([[[ “no” …  "
    small = unit * 2_000
    big = unit * 20_000
    t_small = min(_elapsed(small) for _ in range(3))
    t_big = _elapsed(big)
    assert t_big < 50 * t_small + 0.5  # 10x the input may not cost much more than 10x the time
    (story,) = split(big)
    assert (story.start, story.end) == (0, len(big))


def test_many_lines_are_linear() -> None:
    lines = [
        "Photo: AFP",
        "The council said the plan would work.",
        "",
        "By Ann Lee",
        "STRIKE: dock workers walked out and the union said",
    ]
    small = "\n".join(lines * 400)
    big = "\n".join(lines * 4_000)
    t_small = min(_elapsed(small) for _ in range(3))
    t_big = _elapsed(big)
    assert t_big < 50 * t_small + 0.5


@pytest.mark.slow
def test_ten_megabyte_line_and_million_lines() -> None:
    line = "The council said the plan would work and the union said it was not sure "
    huge = line * (10_000_000 // len(line))
    t0 = time.perf_counter()
    (story,) = split(huge)
    assert (story.start, story.end) == (0, len(huge))
    assert time.perf_counter() - t0 < 10.0
    unit = ["Photo: AFP", "The council said the plan would work.", "By Ann Lee"]
    many = "\n".join(unit * 333_334)
    t0 = time.perf_counter()
    stories = split(many)
    assert stories and stories[-1].end == len(many)
    assert time.perf_counter() - t0 < 60.0
