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


def test_a_long_document_is_collected_after_splitting(monkeypatch):
    import gc

    from segmenter import stage as stage_module
    from segmenter.config import Config
    from segmenter.model import Document

    calls = []
    monkeypatch.setattr(stage_module.gc, "collect", lambda *a: calls.append(a) or 0)
    monkeypatch.setattr(stage_module, "COLLECT_AFTER", 200)
    work = stage_module.DocumentStage(Config())
    work(Document("short", "A short page.\nWith two lines."))
    assert calls == []
    text = "\n".join(f"Paragraph {k} of a long page, with a sentence." for k in range(20))
    got = work(Document("long", text))
    assert len(calls) == 1 and got.units
    assert gc.isenabled()
