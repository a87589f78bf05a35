"""Bounded memory per document: long records written as they are (pipeline._write_record)."""

from __future__ import annotations

import io
import json

import pytest

from segmenter.io import writers


def _written(record: bytes | memoryview, tail: bytes, keeper: bool) -> tuple[bytes, bytes]:
    from segmenter import pipeline

    stories, unique = io.BytesIO(), io.BytesIO()
    to_stories, to_unique = writers.BackgroundWriter(stories), writers.BackgroundWriter(unique)
    pipeline._write_record(to_stories, to_unique if keeper else None, record, tail)
    pipeline._write_record(to_stories, to_unique if keeper else None, record, tail)
    to_stories.close()
    to_unique.close()
    return stories.getvalue(), unique.getvalue()


@pytest.mark.parametrize("joined", [1, 3, 1 << 16])
@pytest.mark.parametrize("kind", [bytes, memoryview])
def test_a_record_gets_its_fields_as_one_object(monkeypatch, joined, kind):
    """A unit's record with its cluster fields in place of its closing brace, into stories
    and (a keeper) unique; a record over _JOINED bytes is given to the writer as it is."""
    from segmenter import pipeline

    monkeypatch.setattr(pipeline, "_JOINED", joined)
    record = json.dumps({"id": "a#1", "text": "ünïcode } and a long line " * 5},
                        ensure_ascii=False, separators=(",", ":"))
    fields = json.dumps({"cluster": "a#1", "keeper": True}, separators=(",", ":"))
    tail = f",{fields[1:]}\n".encode()
    for keeper in (True, False):
        stories, unique = _written(kind(record.encode()), tail, keeper)
        lines = stories.decode().split("\n")
        assert lines[2] == "" and lines[0] == lines[1]
        assert json.loads(lines[0]) == {**json.loads(record), **json.loads(fields)}
        assert lines[0] == record[:-1] + "," + fields[1:]
        assert unique == (stories if keeper else b"")


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


def test_a_batch_with_a_long_text_gives_its_freed_memory_back(monkeypatch):
    """Signing a batch that holds a long text trims the C heap between its steps; an ordinary
    batch never does, and trimming changes no value."""
    import numpy as np

    from segmenter import heap
    from segmenter import signing as signing_module
    from segmenter.blockindex import SampleConfig
    from segmenter.config import DedupConfig

    calls = []
    real = heap.trim
    monkeypatch.setattr(heap, "trim", lambda: calls.append(1) or real())
    signer = signing_module.BatchSigner(DedupConfig())
    texts = ["A short story about a port strike.\nIt ended.", "Long page line. " * 40]
    plain = signer.prepare(texts, blocks=SampleConfig())
    assert calls == []
    monkeypatch.setattr(heap, "LONG_TEXT", 100)
    trimmed = signer.prepare(texts, blocks=SampleConfig())
    assert len(calls) >= 2
    assert np.array_equal(plain.full, trimmed.full) and plain.digests == trimmed.digests
    assert plain.sets is not None and trimmed.sets is not None
    assert np.array_equal(plain.sets.hashes, trimmed.sets.hashes)


def test_trim_asks_glibc():
    import platform

    from segmenter import heap

    assert heap.trim() is (platform.libc_ver()[0] == "glibc")


def test_fingerprints_sampled_a_piece_at_a_time(monkeypatch):
    """Block fingerprints of a batch mixed in small pieces (as a long text's are) are those
    of one piece: the same fingerprints, units and lines."""
    import numpy as np

    from segmenter import blockindex
    from segmenter.fingerprint import shingle_batch

    texts = [f"Line {k} of a story about the harbour strike and its end.\n" * 30
             for k in range(4)] + ["", "two words"]
    batch = shingle_batch(texts, lines=True)
    whole = blockindex.sample_fingerprints(batch, 4)
    monkeypatch.setattr(blockindex, "_MIX_PIECE", 7)
    pieces = blockindex.sample_fingerprints(batch, 4)
    assert len(whole[0]) > 10
    for a, b in zip(whole, pieces, strict=True):
        assert np.array_equal(a, b)


def test_a_long_pages_stories_are_fresh_copies():
    """After a long page is split, its stories are equal copies made of new objects (ints
    included), so that none of the numbers made while its lines were read stays alive."""
    from segmenter.split import split
    from segmenter.stage import fresh_copies

    text = "\n".join(f"Paragraph {k} of a long page about the harbour strike, with a sentence."
                     + ("\nAdvertisement" if k % 7 == 3 else "") for k in range(60))
    stories = split(text)
    copies = fresh_copies(stories)
    assert copies == stories
    pairs = [(a, b) for a, b in zip(stories, copies, strict=True) if a.end > 256]
    assert pairs and all(a.end is not b.end and a is not b for a, b in pairs)
    held = [(a.boilerplate, b.boilerplate) for a, b in zip(stories, copies, strict=True)]
    lines = [(x, y) for a, b in held for x, y in zip(a, b, strict=True) if x.end > 256]
    assert lines and all(x.end is not y.end and x.label == y.label for x, y in lines)
    assert all(type(b.evidence) is type(a.evidence) for a, b in zip(stories, copies, strict=True))
