"""Writers: JSONL to stdout or a file replaced atomically, and a run's output folder replaced
as a whole. Nothing half-written is ever left under the name asked for."""

from __future__ import annotations

import contextlib
import errno
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ..errors import OutputError
from .files import suffixes
from .parse import RejectSink

__all__ = ["RUN_FILES", "atomic_output", "reject_sink", "staged_folder", "write_jsonl"]

RUN_FILES = frozenset({"stories.jsonl", "unique.jsonl", "report.json", "report.html"})
"""The files a run folder may hold (anything else there is refused, never overwritten)."""


def _dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(stream: IO[str], records: Iterable[Mapping[str, Any]]) -> int:
    """Write records one per line; returns how many."""
    n = 0
    for record in records:
        stream.write(_dumps(record))
        stream.write("\n")
        n += 1
    return n


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None) -> Iterator[IO[str]]:
    """A text stream for ``path``: stdout for None/``-``; otherwise a temporary file in the same
    folder, compressed by extension (``.gz``, ``.zst``), renamed to ``path`` only on success."""
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    if target.exists() and not target.is_file() and not target.is_dir():
        # a device or a pipe (/dev/null, a FIFO): write straight to it, never rename over it
        with open(target, "w", encoding="utf-8", newline="\n") as special:
            yield special
        return
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{target}: cannot create the output file: {exc.strerror}") from exc
    raw = os.fdopen(fd, "wb")
    _, compression = suffixes(str(target))
    binary: Any = raw
    try:
        if compression == ".gz":
            binary = gzip.GzipFile(filename=target.name, mode="wb", fileobj=raw, mtime=0)
        elif compression in (".zst", ".zstd"):
            import zstandard

            binary = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n", write_through=False)
        yield text
        text.flush()
        if binary is not raw:
            text.detach()
            binary.close()
        raw.flush()
        os.fsync(raw.fileno())
        raw.close()
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            raw.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            what = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
            raise OutputError(f"{target}: cannot write: {what}; nothing was written") from exc
        raise


@contextlib.contextmanager
def reject_sink(path: str | None) -> Iterator[RejectSink]:
    """A :class:`RejectSink` that writes skipped records to ``path`` (atomically), or only
    counts them when ``path`` is None."""
    if path is None:
        yield RejectSink()
        return
    with atomic_output(path) as stream:

        def write(record: Mapping[str, Any]) -> None:
            write_jsonl(stream, [record])

        yield RejectSink(write)


def _remove_stale_stages(parent: Path, name: str) -> None:
    """Remove staging folders left by runs that were killed (SIGKILL) - their process is gone."""
    if not parent.is_dir():
        return
    for stale in parent.glob(f".{name}.tmp-*-*"):
        pid = stale.name[len(f".{name}.tmp-"):].split("-", 1)[0]
        if not pid.isdigit() or not stale.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except PermissionError:  # alive, another user's
            pass


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A hidden sibling folder the run writes into; on success it replaces ``out`` by renames,
    so an interrupted or failed run leaves either the complete new outputs, the previous ones,
    or none, never a mix. ``out`` may be missing, empty, or a previous run's folder."""
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out}: exists and is not a folder")
        stray = sorted(p.name for p in out.iterdir() if p.name not in RUN_FILES)
        if stray:
            raise OutputError(
                f"{out}: folder holds files that are not segmenter outputs "
                f"({', '.join(stray[:5])}); choose an empty or new folder"
            )
    parent = out.parent if str(out.parent) else Path(".")
    _remove_stale_stages(parent, out.name)
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=parent))
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the output folder: {exc.strerror}") from exc
    try:
        yield stage
        for f in stage.iterdir():
            with open(f, "rb+") as fh:
                os.fsync(fh.fileno())
        backup = None
        if out.exists() and any(out.iterdir()):
            backup = parent / f".{out.name}.old-{os.getpid()}"
            os.rename(out, backup)
        os.replace(stage, out)  # an empty `out` is replaced too (rename(2))
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        what = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
        raise OutputError(f"{out}: cannot write the outputs: {what}; nothing was written") from exc
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
