"""Giving back the pages of a file read once, front to back, and deleted afterwards (a run's
spool): each part read is freed at once, in memory and on the disk.

Measured here: at the end of a 1M-document run, about 2.8 GB of spooled records are read back
while about 5.5 GB of output are written (a 200k run's spool is about 560 MB, its output 1.1
GB). Pages the system has not used lately are slow to hand out on this machine (a virtual
machine whose host takes freed memory back: writing 5 GB into fresh page cache cost 8-10 s of
system time, against 1 s for pages just freed). Freeing the spool's pages as they are read lets
the output's writes take those pages: in a simulation of that end phase (a 2.5 GB spool), the
writes took 2.1-3.7 s instead of 5.2-6.7 s. In two 1M runs the process that writes spent
20.1-20.2 s of system time instead of 25.7-26.8 (the wall time stayed the same: those writes are
made by threads on a core the workers no longer use), and deleting the spool afterwards had
nothing left to free. On any machine it also keeps the spool from being written to the disk for
nothing while the output is written.

``fallocate(FALLOC_FL_PUNCH_HOLE)`` frees a range of a file (its size stays; reading the range
gives zeros). Where it does not exist (not Linux, a file system without holes) nothing is freed
and nothing else changes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from . import libc

__all__ = ["Freer", "ReadOnce", "punch"]

_PUNCH_HOLE = 0x02  # FALLOC_FL_PUNCH_HOLE (with FALLOC_FL_KEEP_SIZE, which it needs)
_KEEP_SIZE = 0x01
_PAGE = 4096
_call: Callable[[int, int, int], bool] | None = None


def _load() -> Callable[[int, int, int], bool]:
    import ctypes

    fallocate = libc.function(
        "fallocate", [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64], ctypes.c_int)
    if fallocate is None:
        return lambda fd, offset, length: False

    def call(fd: int, offset: int, length: int) -> bool:
        return fallocate(fd, _PUNCH_HOLE | _KEEP_SIZE, offset, length) == 0

    return call


def punch(fd: int, offset: int, length: int) -> bool:
    """Free ``length`` bytes of the file open (for writing) as ``fd`` from ``offset``: True
    when they were freed, False when the system or the file system cannot."""
    global _call
    if _call is None:
        _call = _load()
    return length > 0 and _call(fd, offset, length)


class ReadOnce:
    """A file read front to back once: :meth:`read` says which bytes were read (and are held
    elsewhere now), and the whole pages before the end of them are given to ``free``
    (:meth:`Freer.free`, or :func:`punch` to free them here and now). Parts read out of order
    stop the freeing (nothing not yet read is ever freed)."""

    def __init__(self, fd: int, free: Callable[[int, int, int], object]) -> None:
        self.fd = fd
        self.free = free
        self.read_to = 0  # every byte before this was read
        self.freed = 0  # every byte before this was given to ``free`` (whole pages)
        self.on = True

    def read(self, offset: int, size: int) -> None:
        """The ``size`` bytes from ``offset`` were read."""
        if not self.on or size <= 0:
            return
        if offset != self.read_to:
            self.on = False
            return
        self.read_to = offset + size
        end = self.read_to - self.read_to % _PAGE
        if end > self.freed:
            self.free(self.fd, self.freed, end - self.freed)
            self.freed = end


class Freer:
    """Frees ranges of files (:func:`punch`) in a thread of its own, in the order given, so
    that the thread that reads does not wait: freeing a 1M-document run's spool took 3.9 s of
    wall time there, though 2.5 GB of pages already written to the disk are freed in 0.15 s
    (the rest is waiting, most likely for pages still being written). A file whose range could
    not be freed is left alone from then on. :meth:`close` waits for what was given; the files
    must stay open until then."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[int, int, int] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.failed: set[int] = set()  # the files left alone

    def free(self, fd: int, offset: int, length: int) -> None:
        """Free ``length`` bytes of ``fd`` from ``offset``, soon."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="segmenter-free",
                                            daemon=True)
            self._thread.start()
        self._queue.put((fd, offset, length))

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            fd, offset, length = job
            if fd not in self.failed and not punch(fd, offset, length):
                self.failed.add(fd)

    def close(self) -> None:
        """Wait until every range given was freed (or left)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Freer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
