"""JSON lines read in blocks (:class:`RawLines`, what a ``--jobs`` worker gets): the same lines,
numbers and offsets as the line reader, batched as documents are."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.config import Config, ReadConfig
from segmenter.engines.pool import BATCH_DOCS, batched, document_batches
from segmenter.engines.stagework import batch_documents
from segmenter.errors import InputError
from segmenter.io import RawLine, RawLines, ReadStats, read_documents, read_items
from segmenter.io.readers import _raw_lines


def line_reader(data: bytes, path: str = "f.jsonl") -> list[RawLine]:
    """The non-blank lines as the line-at-a-time reader made them (what RawLines replaced)."""
    out = []
    offset = 0
    for lineno, raw in enumerate(io.BytesIO(data), start=1):
        size = len(raw)
        if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        if raw.strip():
            out.append(RawLine(raw, path, lineno, offset))
        offset += size
    return out


_LINE = st.sampled_from([b"", b" ", b"\r", b'{"id": 1}', b"x" * 7, b"yy\r", b"\xef\xbb\xbfz"])
_DATA = st.lists(_LINE, max_size=40).map(b"\n".join) | st.binary(max_size=300)


@settings(max_examples=300, deadline=None)
@given(data=_DATA, bom=st.booleans(), lines=st.integers(1, 9), size=st.integers(1, 64))
def test_blocks_give_the_lines_of_the_line_reader(data: bytes, bom: bool, lines: int,
                                                  size: int) -> None:
    if bom:
        data = codecs.BOM_UTF8 + data
    chunks = list(_raw_lines(io.BytesIO(data), "f.jsonl", lines, size))
    assert b"".join(c.data for c in chunks) == data  # nothing lost, in order
    assert [line for c in chunks for line in c] == line_reader(data)
    at = 1
    for c in chunks:
        assert c.line == at and c.count == len(io.BytesIO(c.data).readlines()) <= lines
        assert c.data.endswith(b"\n") or c is chunks[-1]
        at += c.count
        # a chunk closes at `lines` lines or with the line that reaches `size` bytes
        short = c.data[: c.data.rfind(b"\n", 0, len(c.data) - 1) + 1]
        assert c.count == lines or len(short) < size or c is chunks[-1]


def test_a_long_line_is_one_chunk_of_its_own() -> None:
    data = b"a\n" + b"b" * 100 + b"\nc\n"
    chunks = list(_raw_lines(io.BytesIO(data), "f", 256, 10))
    assert [c.data for c in chunks] == [b"a\n" + b"b" * 100 + b"\n", b"c\n"]
    assert [(c.line, c.offset, c.count) for c in chunks] == [(1, 0, 2), (3, 103, 1)]


def test_read_items_gives_raw_lines_and_the_same_documents(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"".join(b'{"id": "d%d", "text": "t %d"}\n' % (i, i) for i in range(600))
                     + b"\n\n")
    items = list(read_items([str(path)]))
    assert all(isinstance(i, RawLines) for i in items)
    assert [i.count for i in items] == [256, 256, 90]
    stats = ReadStats()
    docs = list(batch_documents(items, Config(), stats))  # type: ignore[arg-type]
    assert docs == list(read_documents([str(path)]))
    assert (stats.records, stats.documents) == (600, 600)


def test_batches_hold_at_most_batch_docs_lines(tmp_path: Path) -> None:
    paths = []
    for n in (300, 3, 255, 1):
        paths.append(tmp_path / f"{n}.jsonl")
        paths[-1].write_bytes(b'{"id": "x", "text": "t"}\n' * n)
    batches = list(document_batches(read_items([str(p) for p in sorted(paths)])))
    counts = [sum(i.count for i in b) for b in batches]  # type: ignore[union-attr]
    assert max(counts) <= BATCH_DOCS and sum(counts) == 559
    # an item that would take a batch past max_items starts the next one
    assert list(batched([2, 2, 2], lambda n: 0, max_items=5, count=int)) == [[2, 2], [2]]
    assert list(batched("abc", len, max_items=2)) == [["a", "b"], ["c"]]


def test_a_bad_line_names_its_line_wherever_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"id": "a", "text": "x"}\n' * 300 + b"\n{not json\n")
    items = list(read_items([str(path)], ReadConfig(on_error="fail")))
    with pytest.raises(InputError) as info:
        list(batch_documents(items, Config(), ReadStats()))  # type: ignore[arg-type]
    assert info.value.line == 302 and str(path) in str(info.value)
