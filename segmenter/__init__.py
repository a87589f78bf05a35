"""segmenter: clean, split and deduplicate scraped news dumps.

Public API::

    from segmenter import clean, split, Deduplicator, run
"""

from __future__ import annotations

from typing import Any

# `clean` and `split` are both submodules and functions: import the functions eagerly so the
# package attribute is the function, whatever submodule is imported later.
from .clean import clean, clean_text  # noqa: E402
from .errors import ConfigError, InputError, OutputError, SegmenterError
from .model import (
    Assignment,
    Boilerplate,
    CleanReport,
    Cluster,
    Document,
    Match,
    Reject,
    Story,
    Unit,
)
from .split import split  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Assignment",
    "Unit",
    "Boilerplate",
    "CleanReport",
    "Cluster",
    "ConfigError",
    "Deduplicator",
    "Document",
    "InputError",
    "Match",
    "OutputError",
    "Reject",
    "SegmenterError",
    "Story",
    "clean",
    "clean_text",
    "read_documents",
    "run",
    "split",
    "__version__",
]

_LAZY = {
    "Deduplicator": ("dedup", "Deduplicator"),
    "run": ("pipeline", "run"),
    "read_documents": ("io", "read_documents"),
}


def __getattr__(name: str) -> Any:
    """Import stages on first use, so ``import segmenter`` stays fast."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
