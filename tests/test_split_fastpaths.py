"""Fast paths of `segmenter split` give the bytes of the general paths."""

from __future__ import annotations

import importlib
import re
import string
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.engines.stagework import dumps, plain_ascii

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
