"""Verification: the exact comparison of two shingle sets, and what it makes of a pair."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..config import DedupConfig

__all__ = ["MARGIN", "Verdict", "judge", "verify"]

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
        return Verdict(0, 1.0 if len(b) == 0 else 0.0, 0.0)
    pos = np.searchsorted(b, a)
    pos[pos == len(b)] = 0
    shared = int(np.count_nonzero(b[pos] == a))
    union = len(a) + len(b) - shared
    return Verdict(shared, shared / union, shared / len(a))


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
