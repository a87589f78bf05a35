"""Early writeback (segmenter.io.writeback): a long output's pages are handed to the disk every
so many bytes as it is written; the bytes written are the same."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from segmenter.io import writeback
from segmenter.io.writeback import Writeback
from segmenter.io.writers import BackgroundWriter, compressed_binary_writer


def test_writeback_starts_every_so_many_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(writeback, "start_writeback", calls.append)
    wb = Writeback(7, every=100)
    for n in (60, 30, 9):  # 99 bytes: not yet
        wb.wrote(n)
    assert calls == []
    wb.wrote(1)  # 100
    wb.wrote(250)  # 250 more: once (the count starts again after each call)
    assert calls == [7, 7] and wb.started == 2
    none = Writeback(None, every=1)
    none.wrote(10)
    assert none.started == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_start_writeback_on_a_file_and_on_a_pipe(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    with open(path, "wb") as fh:
        fh.write(b"x" * 100_000)
        fh.flush()
        writeback.start_writeback(fh.fileno())  # starts the writes; the data stays as written
    assert path.read_bytes() == b"x" * 100_000
    r, w = os.pipe()
    try:
        writeback.start_writeback(w)  # not a file: nothing happens, nothing is raised
    finally:
        os.close(r)
        os.close(w)


def test_background_writer_hands_pages_over_as_it_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = writeback.start_writeback

    def counted(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(writeback, "start_writeback", counted)
    parts = [f"{i:05d}\n".encode() for i in range(5000)]  # 30,000 bytes
    path = tmp_path / "out.jsonl"
    with open(path, "wb") as raw:
        fd = raw.fileno()
        out = BackgroundWriter(raw, run=4096, writeback=Writeback(fd, every=10_000))
        for part in parts:
            out.write(part)
        out.close()
    assert path.read_bytes() == b"".join(parts)
    assert 2 <= len(calls) <= 3 and set(calls) == {fd}
    # a run's files get it too (the file's own descriptor, under any compression)
    with compressed_binary_writer(tmp_path / "run.jsonl.gz") as out:
        assert out._writeback.fd is not None and out._writeback.every == writeback.EVERY
