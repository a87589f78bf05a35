"""The :class:`Deduplicator`: batches units, finds exact copies by digest and candidates in the
index, verifies them and builds the clusters (see :mod:`segmenter.dedup` for the method)."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..blockindex import SampleConfig, block_meta
from ..config import DedupConfig
from ..containment import BlockRule, SharedBlock, estimate_block, judge_estimate
from ..errors import ConfigError, SegmenterError
from ..fingerprint import SCHEME
from ..index import (
    Index,
    LSHParams,
    PersistentIndex,
    StoredUnit,
    UnitInfo,
    check_run_id,
    new_run_id,
    open_index,
)
from ..model import Assignment, Cluster, Match, Relation, Unit
from ..reuse import BlockReuse
from ..signing import BatchSigner, SignedBatch
from .clusters import ClusterState
from .explain import relation_to_keeper, shared_evidence
from .keeper import keeper_key
from .nodes import EMPTY, Nodes
from .prior import EarlierRuns
from .verify import SharedBound, Verdict, judge, verdict, verify

__all__ = ["DedupStats", "Deduplicator"]


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
    block_links: int = 0  # containment links found by the shared-block rule (set containment
    #   below ``containment``: an own lede, a quoted middle, a roundup's slice)
    roundup_links: int = 0  # containment links kept without merging (another story of a roundup)
    inserted: int = 0  # units added to a persistent index
    indexed: int = 0  # units whose id and content this run indexed before (a re-run)
    seen: int = 0  # units whose id and content an earlier run indexed
    prior_exact: int = 0  # units whose content an earlier run indexed under another id
    prior_candidates: int = 0  # candidate pairs with a unit of an earlier run (estimated)
    prior_links: int = 0  # of which verified

    def as_dict(self) -> dict[str, int]:
        """The counters by name."""
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]


def lsh_params(cfg: DedupConfig) -> LSHParams:
    """The LSH parameters of a dedup configuration."""
    return LSHParams(num_perm=cfg.num_perm, bands=cfg.bands, rows=cfg.rows,
                     max_bucket=cfg.max_bucket, seed=cfg.seed)


PRIOR_STORY_MARGIN = 0.13
"""How far above ``copy_share`` the estimated (noise-reduced) coverage of a partial block
against an earlier run's unit must be: the estimate sees neither runs nor paragraphs, and
template-alike stories (a debenture offering with other figures) reach an estimated 0.56 with
no long run shared. Through a 3-run SQLite index with block candidates across runs (issue 13):
0.13 merges no hard negative of dedup-dev and no partial pair of dedup-reuse (0.11 and 0.10
merge one dedup-dev hard negative; 0.15 keeps contained recall at share >= 0.7 at 0.94)."""


def block_rule(cfg: DedupConfig) -> BlockRule:
    """The shared-block rule of a dedup configuration (:mod:`segmenter.containment`)."""
    return BlockRule(copy_share=cfg.copy_share, full_share=cfg.containment,
                     min_shingles=cfg.min_contained, junction=cfg.shingle_size - 1)


def sample_config(cfg: DedupConfig) -> SampleConfig:
    """How block candidates are found with a dedup configuration (:mod:`segmenter.blockindex`)."""
    return SampleConfig(sample=cfg.block_sample)


def block_reuse(cfg: DedupConfig) -> BlockReuse:
    """Block containment state for a run with this configuration."""
    return BlockReuse(block_rule(cfg), sample_config(cfg), shingle_size=cfg.shingle_size)


class Deduplicator:
    """Streaming near-duplicate detection.

    >>> d = Deduplicator()
    >>> d.add_many(units)                     # doctest: +SKIP
    >>> for a in d.results(): ...             # doctest: +SKIP  (Assignments, input order)
    >>> d.clusters()                          # doctest: +SKIP

    ``index``: an :class:`~segmenter.index.Index`, an index URL for
    :func:`~segmenter.index.open_index`, or ``None`` (in memory).

    ``run_id`` names this job for a persistent index (:func:`~segmenter.index.check_run_id`):
    the units it indexes are recorded with it. Units that another run indexed with the same id
    and text are ``seen``; the ones this run id indexed before (the same job run again, e.g.
    after a crash) get the verdicts they got the first time. ``None``: a new run id, so every
    unit indexed before is ``seen``.
    """

    def __init__(self, config: DedupConfig | None = None, index: Index | str | None = None,
                 run_id: str | None = None) -> None:
        self.config = cfg = config or DedupConfig()
        self.run_id = new_run_id() if run_id is None else check_run_id(run_id)
        if cfg.head and cfg.head < cfg.min_contained:
            raise ConfigError(
                f"head ({cfg.head}) must be >= min_contained ({cfg.min_contained}) or 0 (off)"
            )
        if index is None or isinstance(index, str):
            self.index: Index = open_index(index, lsh_params(cfg))
        else:
            self.index = index
        self._owns_index = index is None or isinstance(index, str)
        if self.index.params.bands * self.index.params.rows > cfg.num_perm:
            raise ConfigError("the index's bands*rows exceed the config's num_perm")
        self._persistent: PersistentIndex | None = None
        if isinstance(self.index, PersistentIndex):
            self._persistent = self.index
            meta = {"scheme": SCHEME, "shingle": cfg.shingle,
                    "char_size": str(cfg.char_size), "head": str(cfg.head)}
            if cfg.block:  # the index stores block fingerprints made with these settings
                meta.update(block_meta(sample_config(cfg)))
            self.index.bind(meta)
        # A persistent index commits one transaction per batch: larger batches amortise its
        # scattered band inserts; in memory, smaller batches keep the numpy arrays in cache.
        self._batch = max(cfg.batch_size, cfg.index_batch_size) if self._persistent else \
            cfg.batch_size
        self.stats = DedupStats()
        self._signer = BatchSigner(cfg)
        self._pending: list[Unit] = []
        self._clusters = ClusterState()
        self._prior = EarlierRuns(self._signer.signer)
        # Block containment: in memory its candidates replace the head table's; with a
        # persistent index they add this run's block copies to the index's candidates.
        self._reuse = block_reuse(cfg) if cfg.block else None
        # with block containment a unit's set is made from its sequence (held once)
        self._nodes = Nodes(cfg.explain, None if self._reuse is None else self._reuse.sequence,
                            None if self._reuse is None else self._reuse.sequences)
        self._perm_seq: tuple[int, np.ndarray] | None = None  # o, its permuted shingles
        self._bound = SharedBound()  # of the unit being screened
        # unit -> the verdict of the link that put it in its cluster (this run's units)
        self._link_verdicts: dict[int, Verdict] = {}
        self._digests: dict[bytes, int] = {}  # text digest -> first ordinal with that text
        self._seen_ids: set[str] = set()
        self._seen: dict[int, tuple[str | None, int]] = {}  # unit -> (run, time) that met it
        self._done: list[Assignment] | None = None
        self._units = 0
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
        """:meth:`add` every unit."""
        for unit in units:
            self.add(unit)

    def __len__(self) -> int:
        return self._units + len(self._pending)

    def add_and_match(self, unit: Unit) -> Match | None:
        """Add one unit now (no batching) and say whether it duplicates a unit seen before it
        (in this run or, with a persistent index, an earlier one): an exact or near copy, or a
        copy contained in an earlier unit. ``None`` for a new unit, or one that contains an
        earlier unit (it is the more complete copy). For streaming callers (Scrapy).

        A unit whose id and text another run met is ``seen``: a duplicate of that indexed unit
        (``duplicate_of`` its own id, evidence ``already_indexed``)."""
        self.add(unit)
        self._flush()
        o = self._ord_of_last
        if o in self._seen:
            return Match(unit.id, unit.id, "seen", 1.0, _seen_evidence(*self._seen[o]))
        link = self._clusters.link.get(o)
        if link is None:
            return None
        c, rel, sim = link
        return Match(unit.id, self._nodes.ids[c], rel, round(sim, 4), {})  # type: ignore[arg-type]

    @property
    def signing(self) -> dict[str, Any]:
        """The options of :meth:`~segmenter.signing.BatchSigner.prepare` this deduplicator
        prepares its batches with: a batch for :meth:`add_signed` must be prepared with them."""
        reuse = self._reuse
        in_memory = self._persistent is None
        return {"head": 0 if reuse and in_memory else None,
                "blocks": None if reuse is None else reuse.candidates.config}

    def add_signed(self, units: list[Unit], signed: SignedBatch) -> None:
        """Add a batch of units prepared elsewhere (a ``--jobs`` worker) with this
        configuration's :meth:`BatchSigner.prepare <segmenter.signing.BatchSigner.prepare>`
        and :attr:`signing`: the same as :meth:`add` of each unit. The units' texts are read
        only with ``explain`` (their lengths are ``signed.lengths``): a worker may send them
        without."""
        self._flush()
        if self._done is not None:
            raise SegmenterError("this Deduplicator is finished; create a new one to add units")
        for unit in units:
            if unit.id in self._seen_ids:
                raise SegmenterError(f"duplicate unit id {unit.id!r}: unit ids must be unique")
            self._seen_ids.add(unit.id)
        if units:
            self._flush(units, signed)

    # ----------------------------------------------------------------------------- batch work
    def _flush(self, batch: list[Unit] | None = None, signed: SignedBatch | None = None) -> None:
        if batch is None:
            batch, self._pending = self._pending, []
        if not batch:
            return
        nodes, clusters = self._nodes, self._clusters
        base = len(nodes)
        reuse = self._reuse
        if signed is None:  # (self.signing: the options, in one place for add_signed too)
            signed = self._signer.prepare([u.text for u in batch], **self.signing)
        blocks = signed.blocks
        if reuse is not None and blocks is None:
            raise SegmenterError("a batch for add_signed must be prepared with .signing")
        fresh: list[int] = []  # batch rows that are not exact copies
        sets = signed.shingle_sets()
        # characters of each unit (a worker may leave the texts out: only explain reads them)
        length = [len(u.text) for u in batch] if signed.lengths is None else \
            signed.lengths.tolist()
        digests = self._digests
        firsts: list[int | None] = []  # the first unit with each one's text (None: itself)
        for i, digest in enumerate(signed.digests):
            first = digests.get(digest)
            if first is None:
                digests[digest] = base + i
                fresh.append(i)
            firsts.append(first)
        nodes.add_many([u.id for u in batch],
                       [not (u.kind == "teaser" or u.truncated) for u in batch], length, sets,
                       firsts, [signed.full[i].copy() for i in range(len(batch))]
                       if nodes.explain else None, [u.text for u in batch])
        clusters.add_many(firsts)
        for i, first in enumerate(firsts):
            if first is not None:
                o = base + i
                clusters.union(o, first)
                clusters.link[o] = (first, "exact", 1.0)
                self.stats.exact += 1
        self.stats.units += len(batch)
        self._units += len(batch)
        self._ord_of_last = base + len(batch) - 1
        if self._persistent is not None:
            block: dict[int, list[int]] = {}
            if reuse is not None and fresh:
                assert blocks is not None
                keys = [base + i for i in fresh]
                found = reuse.add_batch(keys, blocks.take(fresh))
                block = dict(zip(keys, found, strict=True))
            self._flush_persistent(batch, fresh, signed, block)
            return
        if not fresh:
            return
        rows = np.asarray(fresh, dtype=np.int64)
        keys = [base + i for i in fresh]
        # Units without shingles have the empty signature and must not meet each other.
        has = [nodes.size(k) > 0 for k in keys]
        cand_full = self.index.query_insert("full", keys, signed.full[rows])
        cand_head: list[list[int]] = [[] for _ in keys]
        if signed.heads is not None:
            cand_head = self.index.query_insert("head", keys, signed.heads[rows])
        if reuse is not None:
            assert blocks is not None
            fresh_rows = blocks.take(fresh)
            # An index that knows the block candidates (the distributed plan's replay).
            known = getattr(self.index, "block_candidates", None)
            if known is None:
                cand_head = reuse.add_batch(keys, fresh_rows)
            else:
                reuse.keep_batch(keys, fresh_rows)
                cand_head = known(keys)
        cands = [self._candidates(o, cand_full[j], cand_head[j]) if has[j] else []
                 for j, o in enumerate(keys)]
        kept = self._screen(keys, cands)
        for j, o in enumerate(keys):
            if has[j]:
                self._verify(o, cands[j], kept[j])

    def _flush_persistent(self, batch: list[Unit], fresh: list[int], signed: SignedBatch,
                          block: dict[int, list[int]]) -> None:
        """One atomic add_batch on the persistent index, then verification (see the package
        docstring; ``block``: this run's block candidates by ordinal, verified after the
        index's). Units without shingles stay out of the index. The copies found in memory
        (not ``fresh``) are linked already; the index only says whether another run met them
        (``seen``) and remembers their ids."""
        assert self._persistent is not None
        index, nodes, clusters, prior = self._persistent, self._nodes, self._clusters, \
            self._prior
        base = self._ord_of_last - len(batch) + 1
        rows = [i for i in range(len(batch)) if nodes.size(base + i) > 0]
        if not rows:
            return
        linked = set(range(len(batch))).difference(fresh)
        sel = np.asarray(rows, dtype=np.int64)
        infos = [
            UnitInfo(batch[i].id, int.from_bytes(signed.digests[i][:8], "little", signed=True),
                     nodes.length[base + i], bool(nodes.complete[base + i]),
                     nodes.size(base + i), batch[i].source)
            for i in rows
        ]
        sigs = {"full": signed.full[sel]}
        if signed.heads is not None:
            sigs["head"] = signed.heads[sel]
        blocks = None
        if signed.blocks is not None:  # earlier runs' units as block candidates too
            blocks = signed.blocks.take(rows).block_rows()
        res = index.add_batch(infos, sigs, run=self.run_id, blocks=blocks)
        wanted: set[int] = set()
        for j, i in enumerate(rows):
            o, status, rowid = base + i, res.status[j], res.rowid[j]
            if status == "seen":
                self._seen[o] = res.earlier.get(j, (None, 0))
            if i in linked:
                if status in ("new", "indexed"):  # this job indexed it (in another order)
                    self._is_ours(o, rowid)
                continue
            if status in ("exact", "seen"):  # the same text as an earlier run's unit
                self.stats.prior_exact += status == "exact"
                if rowid not in prior.ordinal:
                    wanted.add(rowid)
                continue
            self.stats.inserted += status == "new"
            self.stats.indexed += status == "indexed"
            self._is_ours(o, rowid)
            for table in res.candidates.values():
                wanted.update(r for r in table[j] if r not in prior.ordinal)
        for stored in index.fetch(sorted(wanted)).values():
            self._add_prior(stored)
        prior.forget_permutations()
        for j, i in enumerate(rows):
            o, status, rowid = base + i, res.status[j], res.rowid[j]
            if i in linked:
                continue
            if status in ("exact", "seen"):
                p = prior.ordinal.get(rowid)
                if p is not None and p != o:  # None: pruned meanwhile
                    clusters.exact_of[o] = clusters.exact_root(p)
                    clusters.union(o, p)
                    clusters.link.setdefault(o, (p, "exact", 1.0))
                    self.stats.exact += status == "exact"
                continue
            cands = {
                t: [prior.ordinal[r] for r in table[j] if r in prior.ordinal]
                for t, table in res.candidates.items()
            }
            if any(c in prior for cs in cands.values() for c in cs):
                prior.sig16[o] = (signed.full[i] & np.uint32(0xFFFF)).astype(np.uint16)
            # the index's block candidates of this run are in ``block`` already
            earlier = [c for c in cands.get("block", ()) if c in prior]
            found = self._candidates(o, cands["full"], [*cands.get("head", ()),
                                                        *block.get(o, ()), *earlier])
            self._verify(o, found, self._screen([o], [found])[0])
        prior.forget_permutations()

    def _is_ours(self, o: int, rowid: int) -> None:
        """Index key ``rowid`` is this run's unit ``o`` (a prior node met for it before is
        ``o``)."""
        prior = self._prior
        old = prior.ordinal.get(rowid)
        if old is not None and old in prior:  # met earlier as a prior unit: it is us
            prior.alias.add(old)
            self._clusters.union(o, old)
        prior.ordinal[rowid] = o

    def _add_prior(self, s: StoredUnit) -> int:
        """A unit of an earlier run, as a node of the union-find (never output)."""
        o = self._nodes.add(s.id, s.complete, s.length, EMPTY)
        self._clusters.add()
        self._prior.add(o, s)
        return o

    def _size(self, o: int) -> int:
        prior = self._prior.units.get(o)
        return prior.shingles if prior is not None else self._nodes.size(o)

    def _candidates(self, o: int, from_full: list[int], from_head: list[int]) -> list[int]:
        """Unit ``o``'s candidates to verify: full-sketch ones first, then the head table's or
        the block candidates, each once, not ``o`` itself, and only those with shingles."""
        seen: set[int] = set()
        out: list[int] = []
        for c in (*from_full, *from_head):
            if c == o or c in seen:
                continue
            seen.add(c)
            if self._size(c) > 0:
                out.append(c)
        return out

    def _verify(self, o: int, cands: list[int], kept: set[int]) -> None:
        """Verify unit ``o``'s candidates (:meth:`_candidates`; of this run's, only those the
        screen ``kept``: :meth:`_screen`) and link it: near copies directly, containers one
        per contained unit (the best earlier one for ``o``)."""
        cfg, clusters, prior, stats = self.config, self._clusters, self._prior, self.stats
        reuse = self._reuse
        mine = self._nodes.sets[o]
        n_mine = len(mine)
        best_container: tuple[float, int, int] | None = None  # (containment, size, -rank)
        best_block: SharedBlock | None = None
        best_verdict: Verdict | None = None
        stats.candidates += len(cands)
        ours = sum(1 for c in cands if c not in prior) if prior.units else len(cands)
        stats.rejected += ours - len(kept)  # (rejected by the screen)
        for c in cands:
            is_prior = c in prior
            if not is_prior and c not in kept:
                continue
            n_other = self._size(c)
            other = self._nodes.sets[c]  # (empty for a unit of an earlier run)
            if is_prior:
                stats.prior_candidates += 1
                v = prior.estimate(o, mine, c)
            else:
                v = verify(mine, other)
            block: SharedBlock | None = None
            share = v.containment
            if reuse is None or is_prior or v.jaccard >= cfg.threshold:
                what = judge(v, n_mine, n_other, cfg)
                if what is None and is_prior and reuse is not None and reuse.knows(o):
                    # Not a prefix or near copy by the set estimate: a shared block anywhere?
                    block = self._prior_block(o, c)
                    if block is not None:
                        what = "contained" if block.shorter == "a" else "contains"
                        share = block.coverage
            else:
                block = reuse.judge(o, c, mine, other, v.shared)
                what = None if not block.is_copy else \
                    "contained" if block.shorter == "a" else "contains"
                share = block.story_coverage or block.coverage
            if what == "near":
                if clusters.join(o, c, "near", v.jaccard):
                    stats.near_links += 1
                    stats.prior_links += is_prior
                    self._remember(o, c, v, is_prior)
            elif what == "contained":  # this unit is the copy contained in `c`
                key = (share, n_other, -prior.rank(c))
                if best_container is None or key > best_container:
                    best_container, best_block, best_verdict = key, block, v
            elif what == "contains":  # an earlier unit is contained in this one
                if c not in clusters.container:
                    clusters.container[c] = o
                    self._contain(c, o, block, v.containment, is_prior)
                    self._remember(c, o, v, is_prior)
                else:
                    stats.skipped_containers += 1
            else:
                stats.rejected += 1
        if best_container is not None and o not in clusters.container:
            c = prior.unrank(-best_container[2])
            clusters.container[o] = c
            assert best_verdict is not None
            self._contain(o, c, best_block, best_verdict.containment, c in prior)
            self._remember(o, c, best_verdict, c in prior)

    def _remember(self, x: int, y: int, v: Verdict, is_prior: bool) -> None:
        """Keep verdict ``v`` of units ``x`` and ``y`` when it is the link that put ``x`` in
        its cluster (:meth:`_relation` then need not verify them again)."""
        link = self._clusters.link.get(x)
        if not is_prior and link is not None and link[0] == y:
            self._link_verdicts.setdefault(x, v)

    def _screen(self, units: list[int], cands: list[list[int]]) -> list[set[int]]:
        """Per unit ``units[j]``, those of its candidates of this run in ``cands[j]`` that
        verification (:meth:`_verify`) may accept; the others it would reject even if they
        shared as many shingles as a bound allows (:class:`SharedBound`, loaded with the
        unit's set: every test there passes only with enough shingles shared). The bounds
        with a few numpy calls per unit, the tests with a few for the whole batch."""
        out: list[set[int]] = [set() for _ in units]
        prior, sets, bound = self._prior, self._nodes.sets, self._bound
        rows: list[int] = []  # the unit of each pair
        pair_c: list[int] = []
        at_most: list[np.ndarray] = []
        n_mine: list[int] = []
        for j, cs in enumerate(cands):
            ours = [c for c in cs if c not in prior] if prior.units else cs
            if not ours:
                continue
            mine = sets[units[j]]
            bound.load(mine)
            at_most.append(bound.at_most_each(sets.values_of(ours)))
            rows.extend([j] * len(ours))
            pair_c.extend(ours)
            n_mine.append(len(mine))
        if not pair_c:
            return out
        counts = [len(a) for a in at_most]
        n_a = np.repeat(np.asarray(n_mine, dtype=np.int64), counts)
        n_b = np.fromiter((sets.sizes[c] for c in pair_c), dtype=np.int64, count=len(pair_c))
        # (no more than the smaller set: the bound counts repeats and chance hits too)
        shared = np.minimum(np.minimum(np.concatenate(at_most), n_a), n_b)
        unit = np.asarray(units, dtype=np.int64)[np.asarray(rows, dtype=np.int64)]
        keep = ~self._rejected(unit, np.asarray(pair_c, dtype=np.int64), n_a, n_b, shared)
        for i in np.flatnonzero(keep).tolist():
            out[rows[i]].add(pair_c[i])
        return out

    def _rejected(self, a: np.ndarray, b: np.ndarray, n_a: np.ndarray, n_b: np.ndarray,
                  shared: np.ndarray) -> np.ndarray:
        """Where :meth:`_verify` rejects the pairs of this run's units ``a[i]`` and ``b[i]``
        (``n_a``, ``n_b`` distinct shingles, ``shared`` in common) on these counts alone."""
        cfg, reuse = self.config, self._reuse
        rejected = shared / (n_a + n_b - shared) < cfg.threshold  # verdict's Jaccard
        if reuse is None:  # judge: not contained either
            small = np.minimum(n_a, n_b)
            rejected &= (shared / small < cfg.containment) | (small < cfg.min_contained)
        else:  # BlockReuse.judge finds no copy from sizes alone
            rejected &= reuse.rejects_pairs(a, b, n_a, n_b, shared)
        return rejected

    def _prior_block(self, o: int, c: int) -> SharedBlock | None:
        """The shared block of this run's unit ``o`` and an earlier run's unit ``c``, estimated
        from ``c``'s stored 16-bit signature (:func:`segmenter.containment.estimate_block`);
        None unless :func:`~segmenter.containment.judge_estimate` finds a copy. Its region is
        known in ``o`` only (the stored text is not kept)."""
        assert self._reuse is not None
        stored = self._prior.units[c]
        seq = self._reuse.sequence(o)
        cached = self._perm_seq
        if cached is None or cached[0] != o:
            perm = (self._signer.signer.permuted(seq) & np.uint32(0xFFFF)).astype(np.uint16)
            cached = self._perm_seq = (o, perm)
        est = estimate_block(seq, cached[1], stored.sig, stored.shingles)
        reason = judge_estimate(est, self._reuse.rule)
        if reason == "story_copy" and est.coverage_low < self._reuse.rule.copy_share + \
                PRIOR_STORY_MARGIN:
            reason = "block_small"
        if reason == "block_small":
            return None
        shorter = "a" if self._nodes.size(o) <= stored.shingles else "b"
        span = () if est.span is None else (est.span,)
        return SharedBlock(shorter, round(est.shared), est.coverage, span, (), reason)

    def _contain(self, copy: int, container: int, block: SharedBlock | None, similarity: float,
                 is_prior: bool) -> None:
        """Link ``copy`` to its ``container``: merge their clusters, unless the copy's block
        lies apart from the container's other copies (another story of a roundup: the link
        is kept, :meth:`BlockReuse.also_contains`, and the clusters stay apart)."""
        stats = self.stats
        if block is not None:
            stats.block_links += block.reason == "story_copy"
            if self._reuse is not None and not self._reuse.link(copy, container, block):
                stats.roundup_links += 1
                return
        if self._clusters.join(copy, container, "contained", similarity):
            stats.contained_links += 1
            stats.prior_links += is_prior

    # ----------------------------------------------------------------------------- output
    def finish(self) -> list[Assignment]:
        """Process what is pending and return one :class:`Assignment` per unit, in input order."""
        if self._done is not None:
            return self._done
        self._flush()
        if self._owns_index:
            self.index.close()
        # One assignment per unit (a million objects, none in a reference cycle): the cycle
        # collector would scan them again and again while they are made (~1 of the 3.5 CPU
        # seconds at 1M units), so it is paused meanwhile.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._done = self._assignments()
        finally:
            if collecting:
                gc.enable()
        return self._done

    def _assignments(self) -> list[Assignment]:
        """:meth:`finish`'s assignments, once every unit is in its cluster."""
        nodes, clusters, prior = self._nodes, self._clusters, self._prior
        out: list[Assignment | None] = [None] * len(nodes)
        seen = self._seen  # units another run met (same id and text)
        if prior.units:
            # A prior unit with the id and text of one of this run's units (met before that
            # unit in a re-run in another order) is that unit, unless another run indexed it.
            for o in range(len(nodes)):
                if o not in prior and o not in seen:
                    root = clusters.exact_root(o)
                    if root in prior and nodes.ids[root] == nodes.ids[o]:
                        prior.alias.add(root)
        self.stats.seen = len(seen)
        keep = self.config.keep

        extra = self._roundup_evidence()

        def key(o: int) -> tuple[int, ...]:
            return keeper_key(keep, prior.rank(o), nodes.length[o], bool(nodes.complete[o]))

        alone, together = clusters.partition(prior.alias)
        ids = nodes.ids
        for o in alone:  # most units: a cluster of their own
            if not prior.units or o not in prior:
                ev = extra.get(o)
                out[o] = Assignment(ids[o], ids[o], None, None, None, True,
                                    dict(ev) if ev else {})
        for members in together:
            # (members ascend: the first seen, unless units of earlier runs rank before)
            first = min(members, key=prior.rank) if prior.units else members[0]
            cluster = nodes.ids[first]
            # a seen unit is never kept (its cluster keeps an earlier unit, or nothing new)
            keeper = max((m for m in members if m not in seen), key=key, default=-1)
            for m in members:
                if m in prior:
                    continue
                if m in seen:
                    out[m] = Assignment(nodes.ids[m], cluster, nodes.ids[m], "seen", 1.0, False,
                                        _seen_evidence(*seen[m]), earlier=True)
                elif m == keeper:
                    ev = {"members": len(members), **extra.get(m, {})}
                    out[m] = Assignment(nodes.ids[m], cluster, None, None, None, True, ev)
                else:
                    rel, sim, ev = self._relation(m, keeper)
                    ev.update(extra.get(m, {}))
                    dup = nodes.ids[keeper]
                    out[m] = Assignment(nodes.ids[m], cluster, dup, rel, sim, False, ev,
                                        earlier=keeper in prior)
        return [a for a in out if a is not None]

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
            # the keeper, or the cluster's id when it keeps a unit of an earlier run
            keeper = next((a.id for a in assigns if a.keeper), cid)
            members = (keeper, *(a.id for a in assigns if a.id != keeper))
            matches = tuple(
                Match(a.id, a.duplicate_of, a.relation, a.similarity or 0.0, a.evidence)
                for a in assigns
                if a.duplicate_of is not None and a.relation is not None
            )
            out.append(Cluster(cid, keeper, members, matches))
        return out

    def _roundup_evidence(self) -> dict[int, dict[str, Any]]:
        """Containment links kept without merging (a roundup holds several stories): the
        container's evidence lists them (``also_contains``), the copy's names its container
        (``also_contained_in``)."""
        out: dict[int, dict[str, Any]] = {}
        if self._reuse is None:
            return out
        ids = self._nodes.ids
        for container in sorted(self._reuse.containers_with_copies()):
            copies = self._reuse.also_contains(container)
            out.setdefault(container, {})["also_contains"] = [ids[c] for c in copies]
            for c in copies:
                out.setdefault(c, {}).setdefault("also_contained_in", []).append(ids[container])
        return out

    def _relation(self, m: int, keeper: int) -> tuple[Relation, float, dict[str, Any]]:
        """How member ``m`` relates to its cluster's keeper, with the evidence."""
        nodes, clusters, prior = self._nodes, self._clusters, self._prior
        size = nodes.size(m)
        stored = prior.units.get(keeper)
        link = clusters.link.get(m)
        exact = clusters.exact_root(m) == clusters.exact_root(keeper)
        known = self._link_verdicts.get(m) if link is not None and link[0] == keeper else None
        if stored is not None:
            v = prior.estimate(m, nodes.sets[m], keeper)
        elif exact:  # the same text: the same set
            v = verdict(size, size, size)
        elif known is not None:  # verified when they were linked
            v = known
        else:
            v = verify(nodes.sets[m], nodes.sets[keeper])
        rel, sim, ev = relation_to_keeper(
            v, self.config, size=size, keeper_size=self._size(keeper), exact=exact,
            link=None if link is None else (nodes.ids[link[0]], link[1], link[2]),
            estimated_at=None if stored is None else stored.time)
        if self.config.explain and stored is None:
            ev.update(shared_evidence(nodes.sigs[m], nodes.sigs[keeper], nodes.texts[m],
                                      nodes.texts[keeper], self.config))
            a, b = clusters.exact_root(m), clusters.exact_root(keeper)
            if self._reuse is not None and rel != "exact" and self._reuse.knows(a) \
                    and self._reuse.knows(b):
                # Where the shared block is: character offsets in both texts.
                ev.update(self._reuse.explain(a, b, nodes.texts[m], nodes.texts[keeper]))
        return rel, sim, ev


def _seen_evidence(run: str | None, when: int) -> dict[str, Any]:
    """Why a unit is ``seen``: the run that met it first (None: before run ids), and when."""
    return {"already_indexed": True, "run": run, "indexed_at": when}
