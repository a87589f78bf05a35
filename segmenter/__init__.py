"""segmenter: clean, split and deduplicate scraped news dumps.

Public API::

    from segmenter import clean, split, Deduplicator, run
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from .clean import clean, clean_text
    from .split import split

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
    "clean_text": ("clean", "clean_text"),
}


def __getattr__(name: str) -> Any:
    """Import stages on first use, so ``import segmenter`` stays fast (no ftfy, no splitter
    for a command that neither cleans nor splits)."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _function_of_module(name: str) -> property:
    """A package attribute that is the function ``name`` of submodule ``name``, imported on
    first use. Importing a submodule sets the package attribute to the module: the setter
    keeps the function's place instead."""

    def get(package: types.ModuleType) -> Any:
        import importlib

        return getattr(importlib.import_module(f".{name}", __name__), name)

    def keep(package: types.ModuleType, value: Any) -> None:
        pass

    return property(get, keep)


class _Package(types.ModuleType):
    """``segmenter.clean`` and ``segmenter.split`` are submodules and functions: the package
    attribute is always the function."""

    clean = _function_of_module("clean")
    split = _function_of_module("split")


sys.modules[__name__].__class__ = _Package
