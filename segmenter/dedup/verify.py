"""Verification: the exact comparison of two shingle sets, and what it makes of a pair."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Literal

import numpy as np

from ..config import DedupConfig
from ..fingerprint import in_sorted

__all__ = ["MARGIN", "SharedBound", "Verdict", "judge", "verdict", "verify"]

MARGIN = 0.1
"""An estimated containment (against a unit of an earlier run) must clear
``containment - MARGIN`` after its sampling noise is subtracted."""

Judgement = Literal["near", "contained", "contains"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The exact comparison of two shingle sets (or, against a prior unit, its estimate)."""

    shared: int
    jaccard: float
    containment: float  # shared / size of the smaller set
    containment_low: float | None = None  # estimates: containment minus its sampling noise


def verify(a: np.ndarray, b: np.ndarray) -> Verdict:
    """Exact Jaccard and containment of two sorted unique uint32 shingle sets."""
    if len(a) > len(b):
        a, b = b, a
    if len(a) == 0:
        return verdict(0, 0, len(b))
    return verdict(int(np.count_nonzero(in_sorted(a, b))), len(a), len(b))


def verdict(shared: int, n_a: int, n_b: int) -> Verdict:
    """The verdict of two sets of ``n_a`` and ``n_b`` shingles that share ``shared``."""
    small = min(n_a, n_b)
    if small == 0:
        return Verdict(0, 1.0 if max(n_a, n_b) == 0 else 0.0, 0.0)
    return Verdict(shared, shared / (n_a + n_b - shared), shared / small)


class SharedBound:
    """An upper bound of the shingles a unit shares with others, cheaper than :func:`verify`:
    its set as a bitmap of the hashes' top 16 bits, and the values of the other unit (its set,
    or its shingles in text order) that hit a set bit. Every shared shingle hits one, so
    a pair rejected on the bound (every verdict grows with the shared shingles) is rejected on
    the exact count too; a unit of 500 shingles sets under 1% of the bits."""

    BITS = 16
    _SHIFT = np.uint32(32 - BITS)

    def __init__(self) -> None:
        self._bits = np.zeros(1 << self.BITS, dtype=bool)
        self._on = np.empty(0, dtype=np.uint32)

    def load(self, shingles: np.ndarray) -> None:
        """Bound the shingles shared with the set ``shingles`` from now on."""
        self._bits[self._on] = False
        self._on = shingles >> self._SHIFT
        self._bits[self._on] = True

    def at_most(self, values: np.ndarray) -> int:
        """At least the distinct ``values`` that are in the loaded set."""
        return int(np.count_nonzero(self._bits.take(values >> self._SHIFT)))

    def at_most_each(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        """:meth:`at_most` of each of several non-empty arrays, with a few numpy calls for all
        of them (int64)."""
        if len(arrays) == 1:
            return np.array([self.at_most(arrays[0])], dtype=np.int64)
        starts = np.fromiter(accumulate([len(a) for a in arrays[:-1]], initial=0),
                             dtype=np.int64, count=len(arrays))
        hit = self._bits.take(np.concatenate(arrays) >> self._SHIFT)
        return np.add.reduceat(hit, starts, dtype=np.int64)


def judge(v: Verdict, mine: int, other: int, config: DedupConfig) -> Judgement | None:
    """What a verified candidate pair is, seen from the unit with ``mine`` shingles: a ``near``
    copy (Jaccard >= threshold); ``contained`` in the other, or ``contains`` it (the smaller
    unit, with at least ``min_contained`` shingles, has ``containment`` of them in the larger;
    an estimate must also clear it with a margin for its noise); or nothing (None)."""
    if v.jaccard >= config.threshold:
        return "near"
    low = v.containment if v.containment_low is None else v.containment_low
    if (v.containment >= config.containment and low >= config.containment - MARGIN
            and min(mine, other) >= config.min_contained):
        return "contained" if mine <= other else "contains"
    return None
