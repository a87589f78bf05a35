"""In-memory index backends: our dict band tables, and datasketch's ``MinHashLSH``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import Index, LSHParams, band_digests

__all__ = ["DatasketchIndex", "MemoryIndex"]


class MemoryIndex(Index):
    """Band tables in one Python dict per table: 64-bit band digest -> key, or list of keys.

    Most buckets hold one key, stored as a bare int; a bucket becomes a list on its second key
    and stops growing at ``params.max_bucket`` keys.
    """

    def __init__(self, params: LSHParams | None = None) -> None:
        self.params = params or LSHParams()
        self._tables: dict[str, dict[int, int | list[int]]] = {}

    def _table(self, table: str) -> dict[int, int | list[int]]:
        t = self._tables.get(table)
        if t is None:
            t = self._tables[table] = {}
        return t

    def __len__(self) -> int:
        """Number of band entries over all tables."""
        return sum(len(t) for t in self._tables.values())

    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        t = self._table(table)
        cap = self.params.max_bucket
        for key, digests in zip(keys, band_digests(signatures, self.params).tolist(), strict=True):
            for d in digests:
                _put(t, d, key, cap)

    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        t = self._table(table)
        return [_get(t, digests) for digests in band_digests(signatures, self.params).tolist()]

    def query_insert(
        self, table: str, keys: Sequence[int], signatures: np.ndarray
    ) -> list[list[int]]:
        t = self._table(table)
        cap = self.params.max_bucket
        out: list[list[int]] = []
        for key, digests in zip(keys, band_digests(signatures, self.params).tolist(), strict=True):
            out.append(_get(t, digests))
            for d in digests:
                _put(t, d, key, cap)
        return out


def _put(t: dict[int, int | list[int]], digest: int, key: int, cap: int) -> None:
    old = t.get(digest)
    if old is None:
        t[digest] = key
    elif isinstance(old, int):
        if old != key:
            t[digest] = [old, key]
    elif len(old) < cap and old[-1] != key:
        old.append(key)


def _get(t: dict[int, int | list[int]], digests: list[int]) -> list[int]:
    found: list[int] = []
    seen: set[int] = set()
    for d in digests:
        hit = t.get(d)
        if hit is None:
            continue
        for k in (hit,) if isinstance(hit, int) else hit:
            if k not in seen:
                seen.add(k)
                found.append(k)
    return found


class DatasketchIndex(Index):
    """One ``datasketch.MinHashLSH(num_perm, params=(bands, rows))`` per table, fed
    ``LeanMinHash`` objects (scheme ``affine32``) wrapped around our signatures.

    The reference backend: it shows our signatures are datasketch's, and it is what datasketch's
    storage backends (``storage_config``) plug into. ``max_bucket`` is not applied.
    """

    def __init__(self, params: LSHParams | None = None) -> None:
        self.params = params or LSHParams()
        self._tables: dict[str, object] = {}

    def _table(self, table: str) -> object:
        lsh = self._tables.get(table)
        if lsh is None:
            from datasketch import MinHashLSH

            p = self.params
            lsh = self._tables[table] = MinHashLSH(num_perm=p.num_perm, params=(p.bands, p.rows))
        return lsh

    def _lean(self, signature: np.ndarray) -> object:
        from datasketch import LeanMinHash

        from ..fingerprint import SCHEME

        return LeanMinHash(seed=self.params.seed, hashvalues=signature, scheme=SCHEME)

    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        lsh = self._table(table)
        for key, sig in zip(keys, np.asarray(signatures, dtype=np.uint32), strict=True):
            if key not in lsh:  # type: ignore[operator]
                lsh.insert(key, self._lean(sig), check_duplication=False)  # type: ignore[attr-defined]

    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        lsh = self._table(table)
        out = []
        for sig in np.asarray(signatures, dtype=np.uint32):
            out.append(sorted(lsh.query(self._lean(sig))))  # type: ignore[attr-defined]
        return out
