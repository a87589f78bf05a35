"""Writers: JSONL to stdout or a file replaced atomically, and a run's output folder replaced
as a whole. Nothing half-written is ever left under the name asked for.

Modes follow the umask, as for any file a program creates, and an existing target keeps its
mode. A file name that is a symlink is written through: its target is replaced, the link stays.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import gzip
import io
import os
import queue
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from ..errors import OutputError, OutputRefusedError
from ..records import dumps
from .files import suffixes
from .parse import RejectSink
from .writeback import Writeback

__all__ = ["COMPRESS", "RUN_FILES", "BackgroundWriter", "atomic_output",
           "compressed_binary_writer",
           "compressed_writer", "reject_sink",
           "run_file", "staged_folder", "write_jsonl"]

COMPRESS = {"gz": ".gz", "zst": ".zst"}
"""``--compress`` choices and the suffix each adds to a run's JSONL files."""

_RUN_JSONL = ("stories.jsonl", "unique.jsonl")
RUN_FILES = frozenset(
    {name + suffix for name in _RUN_JSONL for suffix in ("", *COMPRESS.values())}
    | {"report.json", "report.html"}
)
"""The files a run folder may hold (anything else there is refused, never overwritten)."""

_STAGE = ".segmenter-stage-"  # a staging folder made inside the output folder


def run_file(name: str, compress: str | None = None) -> str:
    """The name of a run folder's JSONL file (``stories.jsonl``) with ``--compress``'s suffix."""
    if compress is None:
        return name
    if compress not in COMPRESS:
        raise OutputError(f"unknown compression {compress!r}; use one of {', '.join(COMPRESS)}")
    return name + COMPRESS[compress]


def write_jsonl(stream: IO[str], records: Iterable[Mapping[str, Any]]) -> int:
    """Write records one per line; returns how many."""
    n = 0
    for record in records:
        stream.write(dumps(record))
        stream.write("\n")
        n += 1
    return n


def write_lines(stream: IO[str], lines: Iterable[str]) -> int:
    """Write records already encoded as JSON lines (without their newlines); returns how
    many."""
    n = 0
    for line in lines:
        stream.write(line)
        stream.write("\n")
        n += 1
    return n


def umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(existing: Path, default: int) -> int:
    """The mode a new file or folder gets: the existing one's, or ``default`` minus the umask."""
    try:
        return existing.stat().st_mode & 0o7777
    except OSError:
        return default & ~umask()


@contextlib.contextmanager
def _binary_writer(raw: IO[bytes], name: str) -> Iterator[IO[bytes]]:
    """A binary stream over ``raw``, gzip- or zstd-compressed by ``name``'s extension;
    compression is finished on a clean exit (``raw`` stays open)."""
    _, compression = suffixes(name)
    binary: Any = raw
    if compression == ".gz":
        binary = gzip.GzipFile(filename=os.path.basename(name), mode="wb", fileobj=raw, mtime=0)
    elif compression in (".zst", ".zstd"):
        import zstandard

        binary = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
    yield binary
    if binary is not raw:
        binary.close()
    raw.flush()


@contextlib.contextmanager
def _text_writer(raw: IO[bytes], name: str) -> Iterator[IO[str]]:
    """A UTF-8 text stream over ``raw``, gzip- or zstd-compressed by ``name``'s extension;
    compression is finished on a clean exit (``raw`` stays open)."""
    with _binary_writer(raw, name) as binary:
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n", write_through=False)
        yield text
        text.flush()
        text.detach()


@contextlib.contextmanager
def compressed_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text stream writing ``path`` (not atomically: for files inside a staging folder),
    compressed by its extension."""
    with open(path, "wb") as raw, _text_writer(raw, str(path)) as text:
        yield text


@contextlib.contextmanager
def compressed_binary_writer(path: str | os.PathLike[str]) -> Iterator[BackgroundWriter]:
    """:func:`compressed_writer` for bytes (UTF-8 written as it is), written (and compressed)
    by a thread of its own: see :class:`BackgroundWriter`."""
    with open(path, "wb") as raw, _binary_writer(raw, str(path)) as binary:
        writer = BackgroundWriter(binary, writeback=Writeback(raw.fileno()))
        try:
            yield writer
        except BaseException:
            writer.abandon()
            raise
        writer.close()


class BackgroundWriter:
    """Bytes written to ``target`` by a thread: what :meth:`write` is given is gathered into
    runs of about ``run`` bytes, which the thread joins and writes, so the copy into the page
    cache (or the compression) is done outside the GIL while the caller goes on. At most
    ``waiting`` runs wait for the thread; a write that fails there is raised by the next
    :meth:`write` or by :meth:`close`. The buffers given must not change afterwards.
    ``writeback``: the target's file, whose pages the thread sends to the disk as it goes
    (:mod:`.writeback`)."""

    def __init__(self, target: IO[bytes], run: int = 1 << 20, waiting: int = 4,
                 writeback: Writeback | None = None) -> None:
        self._target = target
        self._writeback = writeback if writeback is not None else Writeback(None)
        self._run = run
        self._parts: list[bytes | memoryview] = []
        self._size = 0
        self._queue: queue.Queue[list[bytes | memoryview] | None] = queue.Queue(waiting)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write_runs, daemon=True,
                                        name="segmenter-writer")
        self._thread.start()

    def write(self, data: bytes | memoryview) -> int:
        """Write ``data`` (in the thread, later); returns its size."""
        n = data.nbytes if type(data) is memoryview else len(data)
        if n >= self._run:  # a long record goes as it is (never copied into a run)
            self._hand_over()
            self._parts.append(data)
            self._hand_over()
            return n
        self._parts.append(data)
        self._size += n
        if self._size >= self._run:
            self._hand_over()
        return n

    def _hand_over(self) -> None:
        if self._error is not None:
            raise self._error
        if self._parts:
            self._queue.put(self._parts)
            self._parts, self._size = [], 0

    def _write_runs(self) -> None:
        while True:
            parts = self._queue.get()
            if parts is None:
                return
            if self._error is not None:
                continue  # (drained: the caller learns of the error)
            try:
                data = parts[0] if len(parts) == 1 else b"".join(parts)
                self._target.write(data)
                self._writeback.wrote(memoryview(data).nbytes)
            except BaseException as exc:  # raised again in the caller's thread
                self._error = exc

    def close(self) -> None:
        """Write what is left and wait for the thread; raise a write's error."""
        self._hand_over()
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abandon(self) -> None:
        """Stop the thread (what waits is not written)."""
        self._parts = []
        self._error = self._error or OutputError("abandoned")
        self._queue.put(None)
        self._thread.join()


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None) -> Iterator[IO[str]]:
    """A text stream for ``path``: stdout for None/``-``; otherwise a temporary file in the same
    folder, compressed by extension (``.gz``, ``.zst``), renamed to ``path`` only on success.
    A symlink is written through (its target is replaced); the mode follows the umask, or the
    replaced file's."""
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    if target.exists() and not target.is_file() and not target.is_dir():
        # a device or a pipe (/dev/null, a FIFO): write straight to it, never rename over it
        with open(target, "w", encoding="utf-8", newline="\n") as special:
            yield special
        return
    folder = target.parent if str(target.parent) else Path(".")
    mode = _mode_for(target, 0o666)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputRefusedError(f"{target}: cannot create the output file: {exc.strerror}") \
            from exc
    raw = os.fdopen(fd, "wb")
    try:
        with _text_writer(raw, target.name) as text:
            yield text
        os.fchmod(raw.fileno(), mode)
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


def _remove_stale_stages(folder: Path, prefix: str) -> None:
    """Remove staging folders left by runs that were killed (SIGKILL) - their process is gone.
    Their names are ``PREFIX<pid>-...``."""
    if not folder.is_dir():
        return
    for stale in folder.glob(f"{prefix}*-*"):
        pid = stale.name[len(prefix):].split("-", 1)[0]
        if not pid.isdigit() or not stale.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(stale, ignore_errors=True)
        except PermissionError:  # alive, another user's
            pass


def _is_own_report(path: Path) -> bool:
    """An HTML report segmenter wrote (``run --report OUTDIR/NAME.html`` of an earlier run)."""
    if path.suffix.lower() != ".html" or not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    # the generator tag, or the title reports had before they carried it
    return b'name="generator" content="segmenter' in head or b"<title>segmenter report" in head


def _check_folder(out: Path) -> None:
    """Refuse, before any work, an output place that is not a folder or holds other files."""
    if not out.exists():
        if out.is_symlink():
            raise OutputRefusedError(f"{out}: a symlink to a missing folder; create its target")
        return
    if not out.is_dir():
        raise OutputRefusedError(f"{out}: exists and is not a folder")
    stray = sorted(p.name for p in out.iterdir()
                   if p.name not in RUN_FILES and not p.name.startswith(_STAGE)
                   and not _is_own_report(p))
    if stray:
        raise OutputRefusedError(
            f"{out}: folder holds files that are not segmenter outputs "
            f"({', '.join(stray[:5])}); choose an empty or new folder"
        )


def _cannot_rename(out: Path) -> bool:
    """A folder that cannot be swapped by rename: a symlink (renaming would replace the link)
    or a mount point (a Docker or Kubernetes volume: EBUSY)."""
    return out.is_symlink() or (out.is_dir() and os.path.ismount(out))


def _make_stage(out: Path) -> tuple[Path, bool]:
    """The staging folder and whether it is inside ``out`` (swapped file by file) rather than a
    sibling (swapped by renaming the folder). Raises :class:`OutputRefusedError` when neither
    can be made, so a run fails before it reads anything."""
    parent = out.parent if str(out.parent) else Path(".")
    if not _cannot_rename(out):
        _remove_stale_stages(parent, f".{out.name}.tmp-")
        try:
            parent.mkdir(parents=True, exist_ok=True)
            return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-",
                                         dir=parent)), False
        except OSError as exc:
            if not out.is_dir():
                raise OutputRefusedError(
                    f"{out}: cannot create the output folder: {exc.strerror}") from exc
    _remove_stale_stages(out, _STAGE)
    try:
        return Path(tempfile.mkdtemp(prefix=f"{_STAGE}{os.getpid()}-", dir=out)), True
    except OSError as exc:
        raise OutputRefusedError(f"{out}: cannot write into the output folder: "
                                 f"{exc.strerror}") from exc


def _swap_files(stage: Path, out: Path) -> None:
    """Move each staged file over its namesake in ``out`` (one rename each; a copy then a
    rename when they are on different file systems; ``report.json`` last, so that it is new
    only when the data files are), then remove the earlier run's files this run did not
    write, and the stage."""
    written = set()
    for f in sorted(stage.iterdir(), key=lambda f: (f.name == "report.json", f.name)):
        try:
            os.replace(f, out / f.name)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            tmp = out / f"{_STAGE}{os.getpid()}-{f.name}"
            shutil.copy2(f, tmp)
            os.replace(tmp, out / f.name)
        written.add(f.name)
    for old in out.iterdir():
        if old.name in RUN_FILES and old.name not in written:
            old.unlink()
    shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """A hidden folder the run writes into; on success it replaces ``out``.

    The output place is checked first (a file, a folder holding other files, or a place where
    nothing can be written are refused before any input is read). The stage is a sibling of
    ``out`` renamed over it, so an interrupted or failed run leaves either the complete new
    outputs, the previous ones, or none, never a mix. When ``out`` cannot be renamed (a mount
    point, a symlink to a folder, a folder whose parent is read-only) the stage is made inside
    it and each file is renamed over its namesake. Modes follow the umask (or ``out``'s)."""
    out = Path(out)
    _check_folder(out)
    folder_mode = _mode_for(out, 0o777)
    stage: Path | None = None
    try:
        stage, inside = _make_stage(out)
        yield stage
        for f in stage.iterdir():
            with open(f, "rb+") as fh:
                os.fchmod(fh.fileno(), _mode_for(out / f.name, 0o666))
                os.fsync(fh.fileno())
        if inside:
            _swap_files(stage, out)
            return
        os.chmod(stage, folder_mode)
        backup = None
        if out.exists() and any(out.iterdir()):
            backup = out.parent / f".{out.name}.old-{os.getpid()}"
            try:
                os.rename(out, backup)
            except OSError as exc:  # a mount point ismount() did not see (a bind mount)
                if exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM):
                    raise
                _swap_files(stage, out)
                return
        os.replace(stage, out)  # an empty `out` is replaced too (rename(2))
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except OutputError:
        _remove_own_stages(out, stage)
        raise
    except OSError as exc:
        _remove_own_stages(out, stage)
        what = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
        raise OutputError(f"{out}: cannot write the outputs: {what}; nothing was written") from exc
    except BaseException:  # Ctrl-C, SIGTERM: even one that came while the stage was made
        _remove_own_stages(out, stage)
        raise


def _remove_own_stages(out: Path, stage: Path | None) -> None:
    """Remove this process's staging folder; when a signal interrupted its creation (``stage``
    is None), find it by the process id in its name."""
    if stage is not None:
        shutil.rmtree(stage, ignore_errors=True)
        return
    parent = out.parent if str(out.parent) else Path(".")
    pid = os.getpid()
    for found in [*parent.glob(f".{glob.escape(out.name)}.tmp-{pid}-*"),
                  *(out.glob(f"{_STAGE}{pid}-*") if out.is_dir() else [])]:
        shutil.rmtree(found, ignore_errors=True)
