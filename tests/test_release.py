"""Freeing a file read once (segmenter.io.release): whole pages before the end of what was read
are freed, never a byte not yet read; a run that frees its spool as it reads it back writes the
same files as one that does not."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main
from segmenter.engines import pool
from segmenter.io import release
from segmenter.io.release import Freer, ReadOnce


@pytest.fixture
def holes(tmp_path: Path) -> None:
    """Skips where files cannot have holes (not Linux, or a file system without them)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("holes are made on Linux only")
    with open(tmp_path / "probe", "wb") as fh:
        fh.write(b"x" * 8192)
        fh.flush()
        if not release.punch(fh.fileno(), 0, 4096):
            pytest.skip(f"the file system of {tmp_path} has no holes")


def test_pages_read_are_freed_and_the_rest_kept(tmp_path: Path, holes: None) -> None:
    path = tmp_path / "spool"
    data = bytes(range(256)) * 64  # 16384 bytes: four pages
    path.write_bytes(data)
    with open(path, "r+b", buffering=0) as fh:
        pages = ReadOnce(fh.fileno(), release.punch)
        pages.read(0, 5000)  # the first page is whole: freed; the second is not read to its end
        assert (pages.read_to, pages.freed, pages.on) == (5000, 4096, True)
        pages.read(5000, 4000)  # up to 9000: the second page too
        assert pages.freed == 8192
    got = path.read_bytes()
    assert len(got) == len(data)  # the size stays
    assert got[:8192] == bytes(8192)  # a hole reads as zeros
    assert got[8192:] == data[8192:]  # nothing not yet read was freed


def test_a_part_read_out_of_order_stops_the_freeing(tmp_path: Path, holes: None) -> None:
    path = tmp_path / "spool"
    path.write_bytes(b"y" * 20000)
    with open(path, "r+b", buffering=0) as fh:
        pages = ReadOnce(fh.fileno(), release.punch)
        pages.read(8192, 100)  # not where the last read ended: no more freeing
        pages.read(0, 20000)
        assert not pages.on and pages.freed == 0
    assert path.read_bytes() == b"y" * 20000


def test_where_nothing_can_be_freed_nothing_is_raised() -> None:
    r, w = os.pipe()
    try:
        assert release.punch(w, 0, 4096) is False  # a pipe has no pages to free
        assert release.punch(w, 0, 0) is False  # (nothing asked)
        with Freer() as freer:
            pages = ReadOnce(w, freer.free)
            pages.read(0, 10000)
        assert freer.failed == {w}  # left alone from then on; nothing raised
    finally:
        os.close(r)
        os.close(w)


def _noted_punches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Each range freed from now on: (the thread that freed it, offset, length)."""
    calls: list[tuple[str, int, int]] = []
    punch = release.punch

    def noted(fd: int, offset: int, length: int) -> bool:
        calls.append((threading.current_thread().name, offset, length))
        return punch(fd, offset, length)

    monkeypatch.setattr(release, "punch", noted)
    return calls


def test_the_freer_frees_in_its_thread_and_close_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holes: None
) -> None:
    path = tmp_path / "spool"
    path.write_bytes(b"z" * 40960)
    calls = _noted_punches(monkeypatch)
    with open(path, "r+b", buffering=0) as fh, Freer() as freer:
        pages = ReadOnce(fh.fileno(), freer.free)
        for offset in range(0, 20480, 4096):
            pages.read(offset, 4096)
    assert [thread for thread, _, _ in calls] == ["segmenter-free"] * 5 and not freer.failed
    assert path.read_bytes() == bytes(20480) + b"z" * 20480


def _run(corpus: Path, folder: Path) -> dict[str, bytes]:
    result = CliRunner().invoke(main, ["run", str(corpus), "-o", str(folder), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "report.json"}


def test_a_run_frees_its_spool_and_writes_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, holes: None
) -> None:
    from .test_jobs import _corpus

    corpus = _corpus(tmp_path / "corpus.jsonl")
    monkeypatch.setattr(pool, "BATCH_DOCS", 16)  # many batches, each read back on its own
    calls = _noted_punches(monkeypatch)
    with_holes = _run(corpus, tmp_path / "freed")
    freed = [(offset, length) for _, offset, length in calls]
    assert len(freed) > 5  # the spool was freed part by part, front to back
    assert all(a + n == b for (a, n), (b, _) in zip(freed, freed[1:], strict=False))
    monkeypatch.setattr(release, "punch", lambda fd, offset, length: False)
    assert _run(corpus, tmp_path / "kept") == with_holes
