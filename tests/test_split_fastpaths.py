"""Fast paths of `segmenter split` give the bytes of the general paths."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.engines.stagework import dumps, plain_ascii

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
