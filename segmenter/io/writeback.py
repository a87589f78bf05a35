"""Early writeback: a long output file's pages are sent to the disk while it is being written,
not all at once when the kernel's dirty-page limits are reached or at the final ``fsync``.

Linux holds written pages in memory ("dirty") and writes them out later. Past a share of memory
(``vm.dirty_background_ratio``) it starts doing so, and past ``vm.dirty_ratio`` it makes the
writer wait for the disk. A run that writes gigabytes of output at its end met both: measured
here, 5 GB written from two threads took 5.5-5.9 s plus 0.6 s of ``fsync``, against 2.6-3.4 s
and no ``fsync`` wait when each file's pages were handed to the disk every 32 MiB. Databases do
the same (RocksDB's ``bytes_per_sync``). The data's safety is unchanged: the files are still
``fsync``-ed before they are published.

``sync_file_range(SYNC_FILE_RANGE_WRITE)`` only starts the writes: it does not wait for them and
leaves the pages in memory (a reader of the output finds them there). Where it does not exist
(not Linux) :func:`start_writeback` does nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from . import libc

__all__ = ["EVERY", "Writeback", "start_writeback"]

EVERY = 32 << 20
"""Bytes written between two calls of :func:`start_writeback` on a file."""

_SYNC_FILE_RANGE_WRITE = 2
_call: Callable[[int], None] | None = None


def _load() -> Callable[[int], None]:
    """The writeback call of this system (a no-op where there is none)."""
    import ctypes

    sync_file_range = libc.function(
        "sync_file_range", [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint],
        ctypes.c_int)
    if sync_file_range is None:
        return lambda fd: None

    def start(fd: int) -> None:
        # offset 0, length 0: the whole file (pages already being written are skipped); a
        # failure (a pipe, a file system without it) only means no early writeback
        sync_file_range(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)

    return start


def start_writeback(fd: int) -> None:
    """Start writing the dirty pages of the file open as ``fd`` to its disk; do not wait."""
    global _call
    if _call is None:
        _call = _load()
    _call(fd)


class Writeback:
    """Counts the bytes written to a file and starts its writeback every :data:`EVERY` of
    them. ``fd`` None: counts only (not a file, or early writeback not wanted)."""

    def __init__(self, fd: int | None, every: int = EVERY) -> None:
        self.fd = fd
        self.every = every
        self._pending = 0
        self.started = 0  # how many times writeback was started (for tests)

    def wrote(self, n: int) -> None:
        """``n`` more bytes were written."""
        if self.fd is None:
            return
        self._pending += n
        if self._pending >= self.every:
            self._pending = 0
            self.started += 1
            start_writeback(self.fd)
