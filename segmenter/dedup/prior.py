"""Units of earlier runs, met through a persistent index.

They are not in memory: when one is a candidate it joins the union-find as a *prior* node (its
id, sizes and the 16-bit copy of its signature fetched from the index) and is verified by
estimation against the new unit's exact shingle set: the share of the prior unit's MinHash
argmins found among the new unit's permuted shingles estimates ``|A & B| / |B|``, and the
signature agreement estimates the Jaccard similarity. Prior units are never output.
"""

from __future__ import annotations

import math

import numpy as np

from ..fingerprint import Signer
from ..index import StoredUnit
from .verify import Verdict

__all__ = ["EarlierRuns"]

_Z = 1.0  # standard deviations of sampling noise an estimated containment must clear
_PRIOR_RANK = 1 << 62  # prior units rank before this run's: by index key, offset below zero


class EarlierRuns:
    """The prior nodes of a run with a persistent index, and the index keys of every node."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self.units: dict[int, StoredUnit] = {}  # ordinal -> the stored unit
        self.ordinal: dict[int, int] = {}  # index key -> ordinal (prior and this run's units)
        self.alias: set[int] = set()  # prior nodes that turned out to be a unit of this run
        self.sig16: dict[int, np.ndarray] = {}  # low 16 bits of a unit's signature
        self._perm16: dict[int, np.ndarray] = {}

    def __contains__(self, o: int) -> bool:
        return o in self.units

    def add(self, o: int, stored: StoredUnit) -> None:
        """Node ``o`` is the earlier run's unit ``stored``."""
        self.units[o] = stored
        self.ordinal[stored.rowid] = o

    def rank(self, o: int) -> int:
        """Order of first sight: units of earlier runs (by index key) before this run's."""
        prior = self.units.get(o)
        return o if prior is None else prior.rowid - _PRIOR_RANK

    def unrank(self, rank: int) -> int:
        """The ordinal of a :meth:`rank`."""
        return rank if rank >= 0 else self.ordinal[rank + _PRIOR_RANK]

    def forget_permutations(self) -> None:
        """Drop the cached permuted shingles (kept for one batch)."""
        self._perm16.clear()

    def _permuted16(self, o: int, shingles: np.ndarray) -> np.ndarray:
        """The low 16 bits of every permuted shingle of unit ``o``: ``(num_perm, shingles)``."""
        got = self._perm16.get(o)
        if got is None:
            phv = self.signer.permuted(shingles)
            got = self._perm16[o] = (phv & np.uint32(0xFFFF)).astype(np.uint16)
        return got

    def estimate(self, o: int, shingles: np.ndarray, c: int) -> Verdict:
        """Unit ``o`` (its exact ``shingles``) against prior unit ``c`` (its stored 16-bit
        signature): estimated shared shingles, Jaccard and containment, with a noise margin."""
        prior = self.units[c]
        n_a, n_b = len(shingles), prior.shingles
        if n_a == 0 or n_b == 0:
            return Verdict(0, 0.0, 0.0, 0.0)
        k = len(prior.sig)
        hits = float(np.mean((self._permuted16(o, shingles) == prior.sig[:, None]).any(axis=1)))
        q = 1.0 - (1.0 - 2.0**-16) ** n_a  # a chance 16-bit match with any of o's shingles
        frac = max(0.0, (hits - q) / (1.0 - q))  # ~ |A & B| / |B|
        shared = min(frac * n_b, float(n_a), float(n_b))
        small = min(n_a, n_b)
        containment = shared / small
        noise = math.sqrt(max(frac * (1.0 - frac), 1.0 / k) / k) * n_b / small
        sig = self.sig16.get(o)
        if sig is not None:
            agree = float(np.mean(sig == prior.sig))
            jaccard = max(0.0, (agree - 2.0**-16) / (1.0 - 2.0**-16))
        else:
            jaccard = shared / (n_a + n_b - shared)
        return Verdict(round(shared), jaccard, containment, containment - _Z * noise)
