"""Bounded memory per document: long records written a piece at a time (io.writers)."""

from __future__ import annotations

import io
import json

import pytest

from segmenter.io import writers


@pytest.mark.parametrize("piece", [1, 3, 1 << 20])
def test_write_extended_adds_the_fields_as_one_object(monkeypatch, piece):
    monkeypatch.setattr(writers, "_PIECE", piece)
    record = json.dumps({"id": "a#1", "text": "ünïcode and a long line " * 5},
                        ensure_ascii=False, separators=(",", ":"))
    fields = json.dumps({"cluster": "a#1", "keeper": True}, separators=(",", ":"))
    out = io.StringIO()
    writers.write_extended(out, record, fields)
    writers.write_extended(out, record, fields)
    lines = out.getvalue().split("\n")
    assert lines[2] == "" and lines[0] == lines[1]
    assert json.loads(lines[0]) == {**json.loads(record), **json.loads(fields)}
    assert lines[0] == record[:-1] + "," + fields[1:]
