"""The records a `run` worker spools: each is the compact JSON of its fields, whichever of
json's escapers wrote it (plain-ASCII pages take the faster one)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.config import Config
from segmenter.engines.local import _spooled_records
from segmenter.engines.stagework import StageTask, close_spool
from segmenter.model import Document
from segmenter.records import dumps

# ASCII letters and punctuation, the characters the two escapers write differently (DEL,
# control characters, non-ASCII letters, a character outside the BMP), quotes and backslashes
_CHARS = st.sampled_from(list("abc XYZ.,:\"\\'\n\t") + ["\x7f", "\x01", "é", "秦", "“", "😀"])
_TEXT = st.lists(st.text(_CHARS, min_size=1, max_size=60), min_size=1, max_size=5).map(
    lambda parts: "\n".join(f"{p} the story goes on here." for p in parts))
_NAME = st.text(_CHARS, min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(docs=st.lists(st.tuples(_NAME, _TEXT, st.none() | _NAME), min_size=1, max_size=4,
                     unique_by=lambda d: d[0]))
def test_spooled_records_are_their_canonical_json(
    tmp_path_factory: object, docs: list[tuple[str, str, str | None]]
) -> None:
    folder = Path(tmp_path_factory.mktemp("spool"))  # type: ignore[attr-defined]
    task = StageTask(Config(), records=True, spool=str(folder))
    batch = task([Document(i, text, source) for i, text, source in docs])
    close_spool(str(folder))
    assert batch.records is not None
    records = [bytes(r) for r, _ in _spooled_records([batch.records])]
    assert len(records) == len(batch.units) > 0
    for record, unit in zip(records, batch.units, strict=True):
        fields = json.loads(record)
        assert fields["id"] == unit.id
        assert record == dumps(fields).encode("utf-8")  # the ensure_ascii=False spelling
