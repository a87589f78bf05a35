"""A batch's content words found at once (``split.vocab``) give each line the keys of the words
``line_features`` finds line by line, and the same stories."""

from __future__ import annotations

import importlib
import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.split import SplitConfig, split
from segmenter.split.features import line_features
from segmenter.split.vocab import KEY_LETTERS, STOP_WORDS, page_words, word_key

from .conftest import FIXTURES

vocab = importlib.import_module("segmenter.split.vocab")


def _packed(word: str) -> int:
    """The definition of a short word's key: letter j (a=1 .. z=26) at bit 5 * j."""
    return sum((ord(ch) - 0x60) << (5 * j) for j, ch in enumerate(word))


@given(st.text(string.ascii_lowercase, min_size=1, max_size=20))
def test_word_key_packs_a_short_word_and_keeps_a_long_one(word: str) -> None:
    key = word_key(word)
    assert key == (_packed(word) if len(word) <= KEY_LETTERS else word)


@given(st.lists(st.text(string.ascii_lowercase, min_size=1, max_size=KEY_LETTERS), max_size=50,
                unique=True))
def test_no_two_words_share_a_key(words: list[str]) -> None:
    assert len({word_key(w) for w in words}) == len(words)


# Pages of words that are short, stop words, long (more than KEY_LETTERS letters), with
# capitals, digits and signs between and inside them, lines long and short, blank, with "\r".
_WORDS = st.sampled_from([
    "the", "market", "Market", "MARKETS", "that", "With", "wednesday", "WEDNESDAY", "abcd",
    "abc", "zzzzzzzzzzzz", "internationalisation", "Responsibilities", "ab1cdef", "o'neill",
    "well-known", "U.S.", "x_y", "naïve", "3.5", "a", "quickly", "zebra", "stocks", "said",
])
_GLUE = st.sampled_from([" ", " ", " ", ", ", ". ", " - ", "\t", "  ", "'", '"', ": ", "/"])
_LINE = st.lists(st.tuples(_WORDS, _GLUE), max_size=40).map(
    lambda parts: "".join(w + g for w, g in parts))
_LONG_LINE = st.lists(st.tuples(_WORDS, _GLUE), min_size=120, max_size=200).map(
    lambda parts: "".join(w + g for w, g in parts))
_PAGE = st.lists(st.one_of(_LINE, _LINE, _LINE, _LONG_LINE, st.just(""), _LINE.map(
    lambda s: "  " + s + "\r")), max_size=12).map("\n".join)


def _same_lines(text: str, words: object) -> None:
    cfg = SplitConfig()
    plain = line_features(text, cfg)
    keyed = line_features(text, cfg, words)  # type: ignore[arg-type]
    assert len(plain) == len(keyed)
    for a, b in zip(plain, keyed, strict=True):
        assert b.vocab == frozenset(map(word_key, a.vocab))
        assert (a.index, a.start, a.end, a.text, a.boilerplate) == (
            b.index, b.start, b.end, b.text, b.boilerplate)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PAGE, min_size=1, max_size=6))
def test_batch_words_are_the_keys_of_each_lines_words(pages: list[str]) -> None:
    found = page_words(pages)
    for text, words in zip(pages, found, strict=True):
        assert (words is None) == (not text.isascii())
        if words is not None:
            _same_lines(text, words)
            assert split(text, words=words) == split(text)


@settings(max_examples=50, deadline=None)
@given(st.lists(_PAGE, min_size=1, max_size=8))
def test_chunks_of_any_size_give_the_same_words(
    pages: list[str],
) -> None:
    whole = page_words(pages)
    previous = vocab._CHUNK
    try:
        vocab._CHUNK = 1  # (a hypothesis test cannot take monkeypatch) every page a chunk
        alone = page_words(pages)
    finally:
        vocab._CHUNK = previous
    for a, b in zip(whole, alone, strict=True):
        assert (a is None) == (b is None)
        if a is not None and b is not None:
            assert [a.keys[a.bounds[a.first + r]:a.bounds[a.first + r + 1]] for r in range(
                a.lines)] == [b.keys[b.bounds[b.first + r]:b.bounds[b.first + r + 1]]
                              for r in range(b.lines)]


def test_stop_words_are_left_out_and_long_words_are_themselves() -> None:
    (words,) = page_words(["With the Internationalisation, markets said MARKET\n\nabcd that"])
    assert words is not None
    first = words.keys[words.bounds[0]:words.bounds[1]]
    assert first == [word_key("internationalisation"), word_key("markets"),
                     word_key("market")]
    assert first[0] == "internationalisation"
    assert words.keys[words.bounds[2]:words.bounds[3]] == [word_key("abcd")]
    assert all(isinstance(word_key(w), int) for w in STOP_WORDS)


def test_pages_the_batch_leaves_to_line_features(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocab, "MAX_CHARS", 10)
    assert page_words(["Café owners meet", "short text", "a much longer text"]) == [
        None, page_words(["short text"])[0], None]


def test_words_of_another_page_are_refused() -> None:
    (words,) = page_words(["one line\ntwo lines"])
    with pytest.raises(ValueError, match="not this text's"):
        line_features("one line", SplitConfig(), words)


def test_the_fixture_pages_split_the_same_in_a_batch() -> None:
    texts = [json.loads(line)["text"] for line in
             (FIXTURES / "split" / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    texts.append((FIXTURES / "split" / "seed_dump.txt").read_text(encoding="utf-8"))
    found = page_words(texts)
    assert any(w is not None for w in found)
    for text, words in zip(texts, found, strict=True):
        assert split(text, words=words) == split(text)
        if words is not None:
            _same_lines(text, words)
