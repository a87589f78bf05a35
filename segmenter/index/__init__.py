"""Candidate indexes over MinHash signatures: one small interface, several backends.

An index holds banded LSH tables. Each *table* (a short name such as ``"full"`` or ``"head"``)
is an independent LSH over signatures of ``num_perm`` uint32 values cut into ``bands`` bands of
``rows`` values (``hashvalues[i*rows:(i+1)*rows]``, as ``datasketch.MinHashLSH`` does with
``params=(bands, rows)``). Two signatures are candidates when they agree on every value of at
least one band of the same table. Keys are non-negative ints (the deduplicator's unit ordinals).

Backends (chosen by :func:`open_index`):

``None`` / ``"memory"``
    :class:`~segmenter.index.memory.MemoryIndex`, our own band tables in Python dicts keyed by a
    64-bit digest of each band (fast; about 100 bytes per band entry).
``"datasketch"`` / ``"memory+datasketch"``
    :class:`~segmenter.index.memory.DatasketchIndex`, one ``datasketch.MinHashLSH`` per table,
    fed :class:`datasketch.LeanMinHash` objects built from the same signatures (slower, bigger;
    kept for compatibility and as the reference).

SQLite (``sqlite:///path``) and Redis (``redis://...``) backends plug in here behind the same
interface (see :func:`open_index`).

Writing a backend: subclass :class:`Index` and implement :meth:`Index.insert` and
:meth:`Index.query`; :meth:`Index.query_insert` (the deduplicator's streaming primitive) has a
correct default built on them. Band digests for key-value stores come from :func:`band_digests`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError

__all__ = ["Index", "LSHParams", "band_digests", "open_index"]


@dataclass(frozen=True, slots=True)
class LSHParams:
    """Banding of the signatures: ``bands * rows <= num_perm``.

    ``max_bucket`` caps how many keys one band bucket keeps (the first ones inserted), so a
    template shared by thousands of units cannot make every query return thousands of candidates.
    """

    num_perm: int = 128
    bands: int = 16
    rows: int = 3
    max_bucket: int = 64
    seed: int = 1

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ConfigError(f"LSH bands and rows must be >= 1, got {self.bands}x{self.rows}")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"LSH bands*rows ({self.bands}*{self.rows}) must not exceed num_perm "
                f"({self.num_perm}); lower bands or rows, or raise num_perm"
            )
        if self.max_bucket < 1:
            raise ConfigError(f"max_bucket must be >= 1, got {self.max_bucket}")

    def ranges(self) -> list[tuple[int, int]]:
        """``[start, end)`` of every band, as ``MinHashLSH.hashranges``."""
        return [(i * self.rows, (i + 1) * self.rows) for i in range(self.bands)]

    def collision_probability(self, similarity: float) -> float:
        """Probability that two signatures with this Jaccard similarity become candidates."""
        return float(1.0 - (1.0 - similarity**self.rows) ** self.bands)


# Odd 64-bit multipliers for the band digests (fixed, never Python's randomised hash()).
_BAND_MULT = np.random.RandomState(0xB4D).randint(0, 1 << 62, size=64, dtype=np.int64).astype(
    np.uint64
) * np.uint64(2) + np.uint64(1)


def band_digests(signatures: np.ndarray, params: LSHParams) -> np.ndarray:
    """A ``(units, bands)`` uint64 array: a 64-bit digest of each band of each signature.

    The band number is part of the digest, so one flat key space can hold all bands of a table.
    Deterministic across processes and platforms.
    """
    sig = np.asarray(signatures, dtype=np.uint32)
    if sig.ndim == 1:
        sig = sig[None, :]
    n = sig.shape[0]
    used = sig[:, : params.bands * params.rows].astype(np.uint64)
    cube = used.reshape(n, params.bands, params.rows)
    acc = np.zeros((n, params.bands), dtype=np.uint64)
    for j in range(params.rows):
        acc = (acc + cube[:, :, j]) * _BAND_MULT[j]
        acc ^= acc >> np.uint64(29)
    acc += np.arange(params.bands, dtype=np.uint64) * _BAND_MULT[63]
    acc *= _BAND_MULT[62]
    acc ^= acc >> np.uint64(32)
    return acc


class Index(ABC):
    """Banded LSH tables over MinHash signatures. Keys are non-negative ints."""

    params: LSHParams

    @abstractmethod
    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        """Add ``keys[i]`` with ``signatures[i]`` (a ``(len(keys), num_perm)`` uint32 array)."""

    @abstractmethod
    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        """For each signature, the keys sharing at least one band with it (order of first
        insertion, no duplicates)."""

    def query_insert(
        self, table: str, keys: Sequence[int], signatures: np.ndarray
    ) -> list[list[int]]:
        """Streaming primitive: for each row in order, the candidates among everything inserted
        before it (earlier rows of this call included), then insert the row."""
        out: list[list[int]] = []
        for i, key in enumerate(keys):
            row = signatures[i : i + 1]
            out.append(self.query(table, row)[0])
            self.insert(table, [key], row)
        return out

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release resources (a no-op in memory)."""

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_index(
    url: str | None = None, params: LSHParams | Mapping[str, Any] | None = None
) -> Index:
    """Open an index by URL: ``None`` or ``"memory"`` (default, our band tables),
    ``"datasketch"`` (``datasketch.MinHashLSH`` in memory). ``params``: :class:`LSHParams` or a
    mapping of its fields."""
    if params is None:
        p = LSHParams()
    elif isinstance(params, LSHParams):
        p = params
    else:
        try:
            p = LSHParams(**dict(params))
        except TypeError as exc:
            raise ConfigError(f"bad index parameters {dict(params)!r}: {exc}") from exc
    scheme = (url or "memory").split("://", 1)[0].lower()
    if scheme == "memory":
        from .memory import MemoryIndex

        return MemoryIndex(p)
    if scheme in ("datasketch", "memory+datasketch"):
        from .memory import DatasketchIndex

        return DatasketchIndex(p)
    if scheme in ("sqlite", "redis"):
        # Backends added later live in segmenter/index/<scheme>.py as open(url, params) -> Index.
        import importlib

        try:
            module = importlib.import_module(f".{scheme}", __name__)
        except ImportError as exc:
            raise ConfigError(
                f"index backend {scheme!r} is not available ({exc}); use 'memory' or 'datasketch'"
            ) from exc
        return module.open(url, p)  # type: ignore[no-any-return]
    raise ConfigError(
        f"unknown index {url!r}; use 'memory', 'datasketch', 'sqlite:///path' or 'redis://host'"
    )
