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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import DedupConfig
from .errors import ConfigError, SegmenterError
from .fingerprint import Signer, normalized_words, shingle_batch
from .index import Index, LSHParams, open_index
from .model import Assignment, Cluster, Match, Relation, Unit

__all__ = ["Deduplicator", "DedupStats", "verify"]

_EMPTY = np.empty(0, dtype=np.uint32)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The exact comparison of two shingle sets."""

    shared: int
    jaccard: float
    containment: float  # shared / size of the smaller set


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
        if self.index.params.bands * self.index.params.rows > cfg.num_perm:
            raise ConfigError("the index's bands*rows exceed the config's num_perm")
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

    # ----------------------------------------------------------------------------- input
    def add(self, unit: Unit) -> None:
        """Add one unit (processed in batches of ``config.batch_size``)."""
        if self._done is not None:
            raise SegmenterError("this Deduplicator is finished; create a new one to add units")
        if unit.id in self._seen_ids:
            raise SegmenterError(f"duplicate unit id {unit.id!r}: unit ids must be unique")
        self._seen_ids.add(unit.id)
        self._pending.append(unit)
        if len(self._pending) >= self.config.batch_size:
            self._flush()

    def add_many(self, units: Iterable[Unit]) -> None:
        for unit in units:
            self.add(unit)

    def __len__(self) -> int:
        return len(self._ids) + len(self._pending)

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
        for i, unit in enumerate(batch):
            o = base + i
            digest = hashlib.blake2b(unit.text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
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
        if not fresh:
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

    def _verify(self, o: int, from_full: list[int], from_head: list[int]) -> None:
        cfg = self.config
        mine = self._sets[o]
        n_mine = len(mine)
        best_container: tuple[float, int, int] | None = None  # (containment, size, -ordinal)
        seen: set[int] = set()
        for c in (*from_full, *from_head):
            if c == o or c in seen:
                continue
            seen.add(c)
            other = self._sets[c]
            if len(other) == 0:
                continue
            self.stats.candidates += 1
            v = verify(mine, other)
            if v.jaccard >= cfg.threshold:
                if self._union(o, c):
                    self._link.setdefault(o, (c, "near", v.jaccard))
                    self.stats.near_links += 1
                continue
            small = min(n_mine, len(other))
            if v.containment >= cfg.containment and small >= cfg.min_contained:
                if n_mine <= len(other):  # this unit is the copy contained in `c`
                    key = (v.containment, len(other), -c)
                    if best_container is None or key > best_container:
                        best_container = key
                elif c not in self._container:  # an earlier unit is contained in this one
                    self._container[c] = o
                    if self._union(c, o):
                        self._link.setdefault(c, (o, "contained", v.containment))
                        self.stats.contained_links += 1
                else:
                    self.stats.skipped_containers += 1
                continue
            self.stats.rejected += 1
        if best_container is not None and o not in self._container:
            c = -best_container[2]
            self._container[o] = c
            if self._union(o, c):
                self._link.setdefault(o, (c, "contained", best_container[0]))
                self.stats.contained_links += 1

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
        if keep == "first":
            return (-o,)
        if keep == "longest":
            return (self._length[o], -o)
        return (self._complete[o], self._length[o], -o)

    def _groups(self) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = {}
        for o in range(len(self._ids)):
            groups.setdefault(self._find(o), []).append(o)
        return groups

    def finish(self) -> list[Assignment]:
        """Process what is pending and return one :class:`Assignment` per unit, in input order."""
        if self._done is not None:
            return self._done
        self._flush()
        out: list[Assignment | None] = [None] * len(self._ids)
        for root, members in self._groups().items():
            cluster = self._ids[root]
            if len(members) == 1:
                out[root] = Assignment(self._ids[root], cluster, None, None, None, True, {})
                continue
            keeper = max(members, key=self._keeper_key)
            for m in members:
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
        a, k = self._sets[m], self._sets[keeper]
        v = verify(a, k)
        ev: dict[str, Any] = {
            "jaccard": round(v.jaccard, 4),
            "containment": round(v.containment, 4),
            "shared_shingles": v.shared,
            "shingles": len(a),
            "keeper_shingles": len(k),
        }
        link = self._link.get(m)
        if link is not None:
            ev["matched"] = self._ids[link[0]]
            ev["matched_relation"] = link[1]
            ev["matched_similarity"] = round(link[2], 4)
        if cfg.explain:
            ev.update(self._explain(m, keeper))
        rel: Relation
        if self._exact_of[m] == self._exact_of[keeper]:
            return "exact", 1.0, ev
        if v.jaccard >= cfg.threshold:
            rel, sim = "near", v.jaccard
        elif len(a) < 0.8 * len(k) and v.containment >= cfg.containment:
            rel, sim = "contained", v.containment
        elif link is not None and link[1] == "contained" and len(a) < 0.8 * len(k):
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
