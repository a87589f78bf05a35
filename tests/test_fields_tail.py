"""records.assignment_tail writes the cluster fields as the JSON encoder would."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from segmenter.model import Assignment
from segmenter.records import assignment_fields, assignment_tail

texts = st.text(max_size=12)
assignments = st.builds(
    Assignment, texts, texts, st.none() | texts,
    st.none() | st.sampled_from(["exact", "near", "contained", "seen"]),
    st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 5),
    st.booleans(), st.just({}) | st.dictionaries(texts, st.integers(), max_size=2))


@given(assignments, st.booleans())
def test_the_tail_is_the_encoders(a: Assignment, explain: bool) -> None:
    fields = json.dumps(assignment_fields(a, explain), ensure_ascii=False,
                        separators=(",", ":"))
    assert assignment_tail(a, explain) == f",{fields[1:]}\n".encode()
