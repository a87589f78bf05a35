"""The few C library calls Python's ``os`` module does not offer (Linux only), loaded once
through ctypes: :mod:`.writeback` and :mod:`.release` use them. Where a call does not exist
(not Linux, or a C library without it) :func:`function` gives None and its caller does
without."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["function"]

_loaded: dict[str, Any] = {}


def function(name: str, argtypes: list[Any], restype: Any) -> Any:
    """The C library's function ``name`` with these argument and result types, or None."""
    if name in _loaded:
        return _loaded[name]
    found = None
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            found = getattr(ctypes.CDLL(None, use_errno=True), name)
        except (OSError, AttributeError):  # pragma: no cover - a libc without it
            found = None
        else:
            found.argtypes = argtypes
            found.restype = restype
    _loaded[name] = found
    return found
