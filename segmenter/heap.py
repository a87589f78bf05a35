"""Giving the memory a long document's work freed back to the system.

CPython's large allocations (numpy arrays, long strings) come from the C library's ``malloc``.
glibc serves them from its heap once it has seen one freed (its mmap threshold rises to the
size of the largest freed block, up to 32 MB), and keeps the pages of freed blocks in the
middle of the heap resident: after one long page, tens of MB of garbage stay in the RSS while
the next arrays are allocated above it. :func:`trim` (``malloc_trim(0)``) returns the free pages;
the signing step calls it between the stages of a batch that holds a long text
(:data:`LONG_TEXT`), never on ordinary batches (a trimmed page costs a page fault when reused).

Only glibc has ``malloc_trim``; elsewhere (musl, macOS, Windows) :func:`trim` does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

__all__ = ["LONG_TEXT", "trim"]

LONG_TEXT = 1 << 20
"""Characters of one text from which the work on its batch is followed by :func:`trim`."""


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else ctypes.CDLL(None)
    except OSError:  # pragma: no cover - no C library to load
        return None
    fn = getattr(libc, "malloc_trim", None)
    if fn is None:  # pragma: no cover - not glibc
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn  # type: ignore[no-any-return]


_TRIM = _malloc_trim()


def trim() -> bool:
    """Return the C heap's free pages to the system (glibc); whether it could be asked."""
    if _TRIM is None:  # pragma: no cover - not glibc
        return False
    _TRIM(0)
    return True
