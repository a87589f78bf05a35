"""Near-duplicate detection: candidates from LSH, verification, union-find clusters, keepers.

Units (stories or whole documents) stream in through :meth:`Deduplicator.add`; they are signed in
batches (:mod:`segmenter.fingerprint`) and looked up in two LSH tables of the index
(:mod:`segmenter.index`):

``full``
    the MinHash of all shingles: finds ``near`` copies (re-scrapes, light edits);
``head``
    the MinHash of the first ``config.head`` shingles: finds ``contained`` copies. A teaser or an
    abridged copy is the first part of its article, so its shingles are (nearly) the article's
    first shingles, and the head sketches of both agree even though their full Jaccard is low.
    This works while streaming, whichever copy comes first.

Every candidate is *verified* on the exact shingle sets (kept as compact sorted uint32 arrays,
not texts) before it joins a cluster: Jaccard >= ``threshold`` (``near``) or containment of the
smaller unit >= ``containment`` (``contained``). A unit is linked by containment to one container
only, so a short text found inside several unrelated pages (a shared template, a teaser block)
cannot chain them into one cluster. Identical texts (``exact``) are found by a digest and skip
the index.

Clusters are union-find sets over input ordinals; a cluster's id is the id of its first-seen
member, so the output is the same on every run (no Python ``hash()`` anywhere). The keeper is
chosen at the end by ``config.keep``.

**Persistent indexes** (:class:`~segmenter.index.PersistentIndex`: an SQLite file or Redis) make
dedup incremental: every batch is looked up, queried and inserted in one atomic step, so a run
is compared with everything earlier runs indexed. Units of earlier runs are not in memory; when
one is a candidate it joins the union-find as a *prior* node (its id, sizes and the 16-bit copy
of its signature fetched from the index) and is verified by estimation against the new unit's
exact shingle set: the share of the prior unit's 128 MinHash argmins found among the new unit's
permuted shingles estimates ``|A & B| / |B|`` (containment, shared shingles), and the signature
agreement estimates the Jaccard similarity. A containment estimate must clear the threshold
with a margin for its sampling noise. Prior units are never output; a cluster that contains
one is named after it, and with ``keep=complete`` a prior copy wins ties (it was seen first).

Idempotence: a unit whose id *and* content are already indexed is not inserted again and is
compared only with the units indexed before it, so running the same input again reproduces
the first run's assignments exactly and adds nothing; a unit whose content is indexed under
another id is an ``exact`` duplicate of that earlier unit and is not inserted either.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import DedupConfig
from .errors import ConfigError, SegmenterError
from .fingerprint import SCHEME, Signer, _fmix32, normalized_words, shingle_batch
from .index import Index, LSHParams, PersistentIndex, StoredUnit, UnitInfo, open_index
from .model import Assignment, Cluster, Match, Relation, Unit

__all__ = ["Deduplicator", "DedupStats", "verify"]

_EMPTY = np.empty(0, dtype=np.uint32)
# Estimated containment (against units of earlier runs) must clear `containment - _MARGIN`
# after subtracting _Z standard deviations of its sampling noise.
_Z = 1.0
_MARGIN = 0.1


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


@dataclass(slots=True)
class DedupStats:
    """Counters of one run."""

    units: int = 0
    exact: int = 0
    candidates: int = 0  # candidate pairs verified
    near_links: int = 0
    contained_links: int = 0
    rejected: int = 0  # candidates that failed verification
    skipped_containers: int = 0  # containment links refused: the unit already had a container
    inserted: int = 0  # units added to a persistent index
    indexed: int = 0  # units whose id and content were already in the persistent index
    prior_exact: int = 0  # units whose content an earlier run indexed under another id
    prior_candidates: int = 0  # candidate pairs with a unit of an earlier run (estimated)
    prior_links: int = 0  # of which verified

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


class Deduplicator:
    """Streaming near-duplicate detection.

    >>> d = Deduplicator()
    >>> d.add_many(units)                     # doctest: +SKIP
    >>> for a in d.results(): ...             # doctest: +SKIP  (Assignments, input order)
    >>> d.clusters()                          # doctest: +SKIP

    ``index``: an :class:`~segmenter.index.Index`, an index URL for
    :func:`~segmenter.index.open_index`, or ``None`` (in memory).
    """

    def __init__(self, config: DedupConfig | None = None, index: Index | str | None = None) -> None:
        self.config = cfg = config or DedupConfig()
        if cfg.head and cfg.head < cfg.min_contained:
            raise ConfigError(
                f"head ({cfg.head}) must be >= min_contained ({cfg.min_contained}) or 0 (off)"
            )
        params = LSHParams(
            num_perm=cfg.num_perm,
            bands=cfg.bands,
            rows=cfg.rows,
            max_bucket=cfg.max_bucket,
            seed=cfg.seed,
        )
        if index is None or isinstance(index, str):
            self.index: Index = open_index(index, params)
        else:
            self.index = index
        self._owns_index = index is None or isinstance(index, str)
        if self.index.params.bands * self.index.params.rows > cfg.num_perm:
            raise ConfigError("the index's bands*rows exceed the config's num_perm")
        self._persistent: PersistentIndex | None = None
        if isinstance(self.index, PersistentIndex):
            self._persistent = self.index
            self.index.bind(
                {
                    "scheme": SCHEME,
                    "shingle": cfg.shingle,
                    "char_size": str(cfg.char_size),
                    "head": str(cfg.head),
                }
            )
        # A persistent index commits one transaction per batch: larger batches amortise its
        # scattered band inserts; in memory, smaller batches keep the numpy arrays in cache.
        self._batch = max(cfg.batch_size, cfg.index_batch_size) if self._persistent else \
            cfg.batch_size
        self.stats = DedupStats()
        self._signer = Signer(cfg.num_perm, cfg.seed)
        self._pending: list[Unit] = []
        # Per unit, by ordinal.
        self._ids: list[str] = []
        self._complete: bytearray = bytearray()  # 1 = an article / whole document not truncated
        self._length: list[int] = []  # characters
        self._sets: list[np.ndarray] = []  # sorted unique shingle hashes (views into batch arrays)
        self._parent: list[int] = []
        self._exact_of: list[int] = []  # ordinal of the first unit with the same text (or self)
        self._digests: dict[bytes, int] = {}
        self._container: dict[int, int] = {}  # contained unit -> its (one) container
        # unit -> (matched unit, relation, similarity) of the link that put it in its cluster
        self._link: dict[int, tuple[int, str, float]] = {}
        self._sigs: list[np.ndarray] = []  # explain only
        self._texts: list[str] = []  # explain only
        self._seen_ids: set[str] = set()
        self._done: list[Assignment] | None = None
        # Persistent index: index key -> ordinal, prior (earlier runs') nodes, aliases.
        self._rowid_ord: dict[int, int] = {}
        self._prior: dict[int, StoredUnit] = {}
        self._alias: set[int] = set()  # prior nodes that turned out to be a unit of this run
        self._sig16: dict[int, np.ndarray] = {}  # low 16 bits of a unit's signature (prior pairs)
        self._perm_cache: dict[int, np.ndarray] = {}
        self._units = 0
        self._already: set[int] = set()  # units an earlier run indexed (same id and text)
        self._ord_of_last = -1

    # ----------------------------------------------------------------------------- input
    def add(self, unit: Unit) -> None:
        """Add one unit (processed in batches of ``config.batch_size``, or
        ``config.index_batch_size`` with a persistent index)."""
        if self._done is not None:
            raise SegmenterError("this Deduplicator is finished; create a new one to add units")
        if unit.id in self._seen_ids:
            raise SegmenterError(f"duplicate unit id {unit.id!r}: unit ids must be unique")
        self._seen_ids.add(unit.id)
        self._pending.append(unit)
        if len(self._pending) >= self._batch:
            self._flush()

    def add_many(self, units: Iterable[Unit]) -> None:
        for unit in units:
            self.add(unit)

    def __len__(self) -> int:
        return self._units + len(self._pending)

    def check(self, unit: Unit) -> Match | None:
        """Add one unit now (no batching) and say whether it duplicates a unit seen before it
        (in this run or, with a persistent index, an earlier one): an exact or near copy, or a
        copy contained in an earlier unit. ``None`` for a new unit, or one that contains an
        earlier unit (it is the more complete copy). For streaming callers (Scrapy).

        A unit that an earlier run indexed with the same id and text is reported as an
        ``exact`` duplicate of itself (evidence ``{"already_indexed": True}``)."""
        self.add(unit)
        self._flush()
        o = self._ord_of_last
        link = self._link.get(o)
        if link is None:
            if o in self._already:
                return Match(unit.id, unit.id, "exact", 1.0, {"already_indexed": True})
            return None
        c, rel, sim = link
        return Match(unit.id, self._ids[c], rel, round(sim, 4), {})  # type: ignore[arg-type]

    # ----------------------------------------------------------------------------- batch work
    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        cfg = self.config
        base = len(self._ids)
        texts = [u.text for u in batch]
        shingles = shingle_batch(texts, cfg.shingle_kind, cfg.shingle_size, cfg.char_size)
        full, heads = self._signer.sign(shingles, cfg.head)

        fresh: list[int] = []  # batch rows that are not exact copies
        digests: list[bytes] = []
        for i, unit in enumerate(batch):
            o = base + i
            digest = hashlib.blake2b(
                unit.text.encode("utf-8", "surrogatepass"), digest_size=16
            ).digest()
            digests.append(digest)
            first = self._digests.get(digest)
            self._ids.append(unit.id)
            self._complete.append(0 if unit.kind == "teaser" or unit.truncated else 1)
            self._length.append(len(unit.text))
            self._parent.append(o)
            if first is not None:
                self._exact_of.append(first)
                self._sets.append(self._sets[first])
                self._union(o, first)
                self._link[o] = (first, "exact", 1.0)
                self.stats.exact += 1
            else:
                self._digests[digest] = o
                self._exact_of.append(o)
                self._sets.append(np.unique(shingles.unit(i)))
                fresh.append(i)
            if cfg.explain:
                self._sigs.append(full[i].copy())
                self._texts.append(unit.text)
        self.stats.units += len(batch)
        self._units += len(batch)
        self._ord_of_last = base + len(batch) - 1
        if not fresh:
            return
        if self._persistent is not None:
            self._flush_persistent(batch, fresh, digests, full, heads)
            return

        rows = np.asarray(fresh, dtype=np.int64)
        keys = [base + i for i in fresh]
        # Units without shingles have the empty signature and must not meet each other.
        has = [len(self._sets[k]) > 0 for k in keys]
        cand_full = self.index.query_insert("full", keys, full[rows])
        cand_head: list[list[int]] = [[] for _ in keys]
        if heads is not None:
            cand_head = self.index.query_insert("head", keys, heads[rows])
        for j, o in enumerate(keys):
            if has[j]:
                self._verify(o, cand_full[j], cand_head[j])

    def _flush_persistent(
        self,
        batch: list[Unit],
        fresh: list[int],
        digests: list[bytes],
        full: np.ndarray,
        heads: np.ndarray | None,
    ) -> None:
        """One atomic add_batch on the persistent index, then verification (see the module
        docstring). Units without shingles stay out of the index."""
        assert self._persistent is not None
        index = self._persistent
        base = self._ord_of_last - len(batch) + 1
        rows = [i for i in fresh if len(self._sets[base + i]) > 0]
        if not rows:
            return
        sel = np.asarray(rows, dtype=np.int64)
        infos = [
            UnitInfo(
                batch[i].id,
                int.from_bytes(digests[i][:8], "little", signed=True),
                len(batch[i].text),
                bool(self._complete[base + i]),
                len(self._sets[base + i]),
                batch[i].source,
            )
            for i in rows
        ]
        sigs = {"full": full[sel]}
        if heads is not None:
            sigs["head"] = heads[sel]
        res = index.add_batch(infos, sigs)
        wanted: set[int] = set()
        for j, i in enumerate(rows):
            o, status, rowid = base + i, res.status[j], res.rowid[j]
            if status == "exact":
                self.stats.prior_exact += 1
                if rowid not in self._rowid_ord:
                    wanted.add(rowid)
                continue
            self.stats.inserted += status == "new"
            self.stats.indexed += status == "indexed"
            if status == "indexed":
                self._already.add(o)
            old = self._rowid_ord.get(rowid)
            if old is not None and old in self._prior:  # met earlier as a prior unit: it is us
                self._alias.add(old)
                self._union(o, old)
            self._rowid_ord[rowid] = o
            for table in res.candidates.values():
                wanted.update(r for r in table[j] if r not in self._rowid_ord)
        for stored in index.fetch(sorted(wanted)).values():
            self._add_prior(stored)
        self._perm_cache.clear()
        for j, i in enumerate(rows):
            o, status, rowid = base + i, res.status[j], res.rowid[j]
            if status == "exact":
                p = self._rowid_ord.get(rowid)
                if p is not None and p != o:
                    self._exact_of[o] = self._exact_root(p)
                    self._union(o, p)
                    self._link.setdefault(o, (p, "exact", 1.0))
                    self.stats.exact += 1
                continue
            cands = [
                [self._rowid_ord[r] for r in table[j] if r in self._rowid_ord]
                for table in res.candidates.values()
            ]
            if any(c in self._prior for cs in cands for c in cs):
                self._sig16[o] = (full[i] & np.uint32(0xFFFF)).astype(np.uint16)
            self._verify(o, cands[0], cands[1] if len(cands) > 1 else [])
        self._perm_cache.clear()

    def _add_prior(self, s: StoredUnit) -> int:
        """A unit of an earlier run, as a node of the union-find (never output)."""
        o = len(self._ids)
        self._ids.append(s.id)
        self._complete.append(1 if s.complete else 0)
        self._length.append(s.length)
        self._sets.append(_EMPTY)
        self._parent.append(o)
        self._exact_of.append(o)
        if self.config.explain:
            self._sigs.append(_EMPTY)
            self._texts.append("")
        self._prior[o] = s
        self._rowid_ord[s.rowid] = o
        return o

    def _exact_root(self, o: int) -> int:
        while self._exact_of[o] != o:
            o = self._exact_of[o]
        return o

    def _size(self, o: int) -> int:
        prior = self._prior.get(o)
        return prior.shingles if prior is not None else len(self._sets[o])

    def _perm16(self, o: int) -> np.ndarray:
        """The low 16 bits of every permuted shingle of unit ``o``: ``(num_perm, shingles)``."""
        got = self._perm_cache.get(o)
        if got is None:
            h = _fmix32(self._sets[o])
            phv = np.multiply.outer(self._signer.a, h)
            phv += self._signer.b[:, None]
            got = self._perm_cache[o] = (phv & np.uint32(0xFFFF)).astype(np.uint16)
        return got

    def _estimate(self, o: int, c: int) -> Verdict:
        """Unit ``o`` (exact shingle set in memory) against prior unit ``c`` (its stored 16-bit
        signature): estimated shared shingles, Jaccard and containment, with a noise margin."""
        prior = self._prior[c]
        n_a, n_b = len(self._sets[o]), prior.shingles
        if n_a == 0 or n_b == 0:
            return Verdict(0, 0.0, 0.0, 0.0)
        k = len(prior.sig)
        hits = float(np.mean((self._perm16(o) == prior.sig[:, None]).any(axis=1)))
        q = 1.0 - (1.0 - 2.0**-16) ** n_a  # a chance 16-bit match with any of o's shingles
        frac = max(0.0, (hits - q) / (1.0 - q))  # ~ |A & B| / |B|
        shared = min(frac * n_b, float(n_a), float(n_b))
        small = min(n_a, n_b)
        containment = shared / small
        noise = math.sqrt(max(frac * (1.0 - frac), 1.0 / k) / k) * n_b / small
        sig = self._sig16.get(o)
        if sig is not None:
            agree = float(np.mean(sig == prior.sig))
            jaccard = max(0.0, (agree - 2.0**-16) / (1.0 - 2.0**-16))
        else:
            jaccard = shared / (n_a + n_b - shared)
        return Verdict(round(shared), jaccard, containment, containment - _Z * noise)

    def _verify(self, o: int, from_full: list[int], from_head: list[int]) -> None:
        cfg = self.config
        mine = self._sets[o]
        n_mine = len(mine)
        best_container: tuple[float, int, int] | None = None  # (containment, size, -rank)
        seen: set[int] = set()
        for c in (*from_full, *from_head):
            if c == o or c in seen:
                continue
            seen.add(c)
            prior = c in self._prior
            n_other = self._size(c)
            if n_other == 0:
                continue
            self.stats.candidates += 1
            if prior:
                self.stats.prior_candidates += 1
                v = self._estimate(o, c)
            else:
                v = verify(mine, self._sets[c])
            if v.jaccard >= cfg.threshold:
                if self._union(o, c):
                    self._link.setdefault(o, (c, "near", v.jaccard))
                    self.stats.near_links += 1
                    self.stats.prior_links += prior
                continue
            small = min(n_mine, n_other)
            low = v.containment if v.containment_low is None else v.containment_low
            if (
                v.containment >= cfg.containment
                and low >= cfg.containment - _MARGIN
                and small >= cfg.min_contained
            ):
                if n_mine <= n_other:  # this unit is the copy contained in `c`
                    key = (v.containment, n_other, -self._rank(c))
                    if best_container is None or key > best_container:
                        best_container = key
                elif c not in self._container:  # an earlier unit is contained in this one
                    self._container[c] = o
                    if self._union(c, o):
                        self._link.setdefault(c, (o, "contained", v.containment))
                        self.stats.contained_links += 1
                        self.stats.prior_links += prior
                else:
                    self.stats.skipped_containers += 1
                continue
            self.stats.rejected += 1
        if best_container is not None and o not in self._container:
            c = self._unrank(-best_container[2])
            self._container[o] = c
            if self._union(o, c):
                self._link.setdefault(o, (c, "contained", best_container[0]))
                self.stats.contained_links += 1
                self.stats.prior_links += c in self._prior

    def _rank(self, o: int) -> int:
        """Order of first sight: units of earlier runs (by index key) before this run's."""
        prior = self._prior.get(o)
        return o if prior is None else prior.rowid - (1 << 62)

    def _unrank(self, rank: int) -> int:
        return rank if rank >= 0 else self._rowid_ord[rank + (1 << 62)]

    # ----------------------------------------------------------------------------- union-find
    def _find(self, x: int) -> int:
        parent = self._parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def _union(self, a: int, b: int) -> bool:
        """Merge the sets of a and b; the smaller ordinal stays the root. False if already one."""
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self._parent[rb] = ra
        return True

    # ----------------------------------------------------------------------------- output
    def _keeper_key(self, o: int) -> tuple[int, ...]:
        keep = self.config.keep
        rank = self._rank(o)
        if keep == "first":
            return (-rank,)
        if keep == "longest":
            return (self._length[o], -rank)
        return (self._complete[o], self._length[o], -rank)

    def _groups(self) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = {}
        alias = self._alias
        for o in range(len(self._ids)):
            if o not in alias:
                groups.setdefault(self._find(o), []).append(o)
        return groups

    def finish(self) -> list[Assignment]:
        """Process what is pending and return one :class:`Assignment` per unit, in input order."""
        if self._done is not None:
            return self._done
        self._flush()
        if self._owns_index:
            self.index.close()
        out: list[Assignment | None] = [None] * len(self._ids)
        prior = self._prior
        if prior:
            # A prior unit that is one of this run's units (same id, same content; met before
            # that unit in a re-run in another order) is that unit, not a copy of it.
            for o in range(len(self._ids)):
                if o not in prior:
                    root = self._exact_root(o)
                    if root in prior and self._ids[root] == self._ids[o]:
                        self._alias.add(root)
        for members in self._groups().values():
            first = min(members, key=self._rank)
            cluster = self._ids[first]
            if len(members) == 1:
                if first not in prior:
                    out[first] = Assignment(cluster, cluster, None, None, None, True, {})
                continue
            keeper = max(members, key=self._keeper_key)
            for m in members:
                if m in prior:
                    continue
                if m == keeper:
                    ev = {"members": len(members)}
                    out[m] = Assignment(self._ids[m], cluster, None, None, None, True, ev)
                else:
                    rel, sim, ev = self._relation(m, keeper)
                    dup = self._ids[keeper]
                    out[m] = Assignment(self._ids[m], cluster, dup, rel, sim, False, ev)
        self._done = [a for a in out if a is not None]
        return self._done

    def results(self) -> Iterator[Assignment]:
        """The assignments, in input order (calls :meth:`finish`)."""
        yield from self.finish()

    def clusters(self, include_singletons: bool = True) -> list[Cluster]:
        """The clusters (keeper first in ``members``), ordered by their first-seen member."""
        by_cluster: dict[str, list[Assignment]] = {}
        for a in self.finish():
            by_cluster.setdefault(a.cluster, []).append(a)
        out = []
        for cid, assigns in by_cluster.items():
            if len(assigns) == 1 and not include_singletons:
                continue
            keeper = next(a for a in assigns if a.keeper)
            members = (keeper.id, *(a.id for a in assigns if not a.keeper))
            matches = tuple(
                Match(a.id, a.duplicate_of, a.relation, a.similarity or 0.0, a.evidence)
                for a in assigns
                if a.duplicate_of is not None and a.relation is not None
            )
            out.append(Cluster(cid, keeper.id, members, matches))
        return out

    def _relation(self, m: int, keeper: int) -> tuple[Relation, float, dict[str, Any]]:
        """How member ``m`` relates to its cluster's keeper, with the evidence."""
        cfg = self.config
        a = self._sets[m]
        estimated = keeper in self._prior
        if estimated:
            v = self._estimate(m, keeper)
        else:
            v = verify(a, self._sets[keeper])
        ev: dict[str, Any] = {
            "jaccard": round(v.jaccard, 4),
            "containment": round(v.containment, 4),
            "shared_shingles": v.shared,
            "shingles": len(a),
            "keeper_shingles": self._size(keeper),
        }
        if estimated:
            ev["estimated"] = True
            ev["keeper_indexed"] = self._prior[keeper].time
        link = self._link.get(m)
        if link is not None:
            ev["matched"] = self._ids[link[0]]
            ev["matched_relation"] = link[1]
            ev["matched_similarity"] = round(link[2], 4)
        if cfg.explain and not estimated:
            ev.update(self._explain(m, keeper))
        rel: Relation
        if self._exact_root(m) == self._exact_root(keeper):
            return "exact", 1.0, ev
        if v.jaccard >= cfg.threshold:
            rel, sim = "near", v.jaccard
        elif len(a) < 0.8 * self._size(keeper) and v.containment >= cfg.containment:
            rel, sim = "contained", v.containment
        elif link is not None and link[1] == "contained" and len(a) < 0.8 * self._size(keeper):
            rel, sim = "contained", v.containment
        else:
            rel, sim = "near", v.jaccard
        return rel, round(sim, 4), ev

    def _explain(self, m: int, keeper: int) -> dict[str, Any]:
        """Estimated Jaccard from the signatures and a sample of shared text (explain mode)."""
        sig_m, sig_k = self._sigs[m], self._sigs[keeper]
        out: dict[str, Any] = {"estimated_jaccard": round(float(np.mean(sig_m == sig_k)), 4)}
        cfg = self.config
        if cfg.shingle_kind == "word":
            words = normalized_words(self._texts[m])
            theirs = " " + " ".join(normalized_words(self._texts[keeper])) + " "
            n = cfg.shingle_size
            for i in range(max(0, len(words) - n + 1)):
                if " " + " ".join(words[i : i + n]) + " " in theirs:
                    out["shared_text"] = " ".join(words[i : i + 3 * n])
                    break
        return out
