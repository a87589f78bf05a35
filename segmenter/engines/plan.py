"""The distributed dedup as a plan of tasks over hash partitions (no Ray in this module).

The local :class:`~segmenter.dedup.Deduplicator` is a streaming algorithm: it sees units in input
order, and some of its rules depend on that order (the LSH buckets keep the first
``max_bucket`` units; a unit joins one container only; the link that put a unit in its cluster
is the first union that merged it). Every one of those rules is a function of the units'
*ordinals* (their positions in the input order), so the same decisions can be made in parallel:

1. **shards** (:func:`analyse_shard`, one task per input file): read, clean, split, build the
   units, sign them (:class:`~segmenter.fingerprint.Signer`, full and head sketches), cut the
   signatures into band digests (:func:`~segmenter.index.band_digests`); ordinal =
   ``shard << 40 | unit``. Band rows go to partitions by band digest, shingle sets by ordinal.
2. **buckets** (:func:`bucket_pairs`): one group per (table, band, digest). Exact copies share
   every bucket, so the first unit of each text is found there (the others skip the index, as
   locally); the first ``max_bucket`` *fresh* units are the bucket's stored keys, and every fresh
   unit's candidates are the stored keys before it — exactly what ``MemoryIndex.query_insert``
   returns. The rank of the first (table, band) a candidate came from is kept: it is the
   candidate's position in the local engine's list.
3. **verify** (:func:`attach_sets`, :func:`verify_pairs`): a candidate pair meets its two
   shingle sets in two hops and is verified with :func:`segmenter.dedup.verify`.
4. **containers** (:func:`resolve_containers`): a contained unit's container is the best earlier
   container (containment, size, earliest) if it has one, else the first later unit that
   contains it — the order in which the local engine would have met them.
5. **connected components** (:func:`star_step`, :func:`labels_of`): the alternating large-star /
   small-star algorithm (Kiveris et al., 2014) over edges partitioned by node; each round is one
   task per partition, no task holds every edge. A component's label is its first unit.
6. **replay** (:func:`replay_components`): each component with more than one unit is replayed
   through a local ``Deduplicator`` fed, through :class:`ReplayIndex`, the component's verified
   links in the local engine's candidate order. Links that leave a component never change a
   union, a container or a keeper, so the replay reproduces the local engine's clusters, keepers,
   relations, similarities and evidence for that component. Singletons need no replay.
7. **assemble** (:func:`assemble_group`): per group of consecutive shards, the output records in
   input order.

Every task is a plain function of numpy arrays and small Python objects; an *executor* runs them
(:class:`LocalExecutor` here, for tests; Ray in :mod:`segmenter.engines.ray`).
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from ..blockindex import unit_fingerprints
from ..config import Config, DedupConfig
from ..containment import line_maps
from ..counters import Counters
from ..dedup import lsh_params, sample_config
from ..errors import SegmenterError
from ..fingerprint import ShingleBatch
from ..index import Index, LSHParams, band_digests
from ..io import InputFile, RejectSink, read_file
from ..model import Assignment, Unit
from ..records import unit_record
from ..signing import BatchSigner, ranges
from ..stage import DocumentStage, timed_reads

__all__ = [
    "Executor",
    "LocalExecutor",
    "ReplayIndex",
    "ShardMeta",
    "part_of",
]

SHARD_SHIFT = 40  # ordinal = shard << 40 | unit: 2^40 units per shard, 2^23 shards
MAX_SHARDS = 1 << 23
NONE = np.int32(1 << 20)  # "not found in this table" rank
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_EMPTY_I = np.empty(0, dtype=np.int64)
_EMPTY_U = np.empty(0, dtype=np.uint32)


# --------------------------------------------------------------------------- partition helpers
def part_of(values: np.ndarray, parts: int) -> np.ndarray:
    """Partition of each int64/uint64 value (splitmix64 finaliser, mod ``parts``)."""
    x = np.asarray(values).astype(np.uint64, copy=True)
    x ^= x >> np.uint64(30)
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return (x % np.uint64(parts)).astype(np.int64)


def _split(part: np.ndarray, parts: int, *columns: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Rows of ``columns`` grouped by ``part`` into ``parts`` tuples (stable order)."""
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(parts + 1))
    return [tuple(c[order[bounds[i] : bounds[i + 1]]] for c in columns) for i in range(parts)]


def _concat(parts: Sequence[tuple[np.ndarray, ...]], width: int,
            dtypes: Sequence[Any]) -> list[np.ndarray]:
    if not parts:
        return [np.empty(0, dtype=d) for d in dtypes]
    return [np.concatenate([p[i] for p in parts]).astype(dtypes[i], copy=False)
            for i in range(width)]


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Boolean: row i starts a new run of equal keys (rows already sorted by the keys)."""
    n = len(keys[0])
    flag = np.zeros(n, dtype=bool)
    if n:
        flag[0] = True
        for k in keys:
            flag[1:] |= k[1:] != k[:-1]
    return flag


def _first_of_run(starts: np.ndarray) -> np.ndarray:
    """For each row, the index of the first row of its run."""
    idx = np.where(starts, np.arange(len(starts)), 0)
    return np.maximum.accumulate(idx) if len(idx) else _EMPTY_I


@dataclass(frozen=True, slots=True)
class Ragged:
    """Variable-length uint32 rows (shingle sets): row ``i`` is ``flat[offsets[i]:offsets[i+1]]``.
    """

    keys: np.ndarray  # int64 ordinals
    offsets: np.ndarray  # int64, len(keys) + 1
    flat: np.ndarray  # uint32

    @staticmethod
    def empty() -> Ragged:
        return Ragged(_EMPTY_I, np.zeros(1, dtype=np.int64), _EMPTY_U)

    @staticmethod
    def of(keys: np.ndarray, rows: Sequence[np.ndarray]) -> Ragged:
        batch = ShingleBatch.of(rows)
        return Ragged(np.asarray(keys, dtype=np.int64), batch.offsets,
                      batch.hashes.astype(np.uint32))

    def take(self, idx: np.ndarray) -> Ragged:
        lengths = self.offsets[idx + 1] - self.offsets[idx]
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return Ragged(self.keys[idx], offsets, self.flat[ranges(self.offsets[idx], lengths)])

    def split(self, part: np.ndarray, parts: int) -> list[Ragged]:
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(parts + 1))
        return [self.take(order[bounds[i] : bounds[i + 1]]) for i in range(parts)]

    @staticmethod
    def concat(items: Sequence[Ragged]) -> Ragged:
        items = [r for r in items if len(r.keys)]
        if not items:
            return Ragged.empty()
        sizes = [r.offsets[-1] for r in items]
        shift = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        offsets = np.concatenate([[0]] + [r.offsets[1:] + s for r, s in zip(items, shift,
                                                                              strict=True)])
        return Ragged(np.concatenate([r.keys for r in items]), offsets.astype(np.int64),
                      np.concatenate([r.flat for r in items]))

    def row(self, i: int) -> np.ndarray:
        return self.flat[self.offsets[i] : self.offsets[i + 1]]


# --------------------------------------------------------------------------- executors
class Executor(Protocol):
    """Runs plan tasks: ``submit`` returns ``num_returns`` handles, ``get`` their values."""

    def submit(self, fn: Callable[..., Any], args: Sequence[Any], num_returns: int = 1,
               ) -> list[Any]:
        """Run ``fn(*args)``; its ``num_returns`` results as handles."""
        ...

    def get(self, handles: Sequence[Any]) -> list[Any]:
        """The values of ``handles``."""
        ...


class LocalExecutor:
    """Runs every task at once in this process (tests; the plan's reference)."""

    def submit(self, fn: Callable[..., Any], args: Sequence[Any], num_returns: int = 1,
               ) -> list[Any]:
        """Run ``fn(*args)`` now; its ``num_returns`` results are the handles."""
        result = fn(*args)
        return [result] if num_returns == 1 else list(result)

    def get(self, handles: Sequence[Any]) -> list[Any]:
        """The values of ``handles`` (they are the values)."""
        return list(handles)


# --------------------------------------------------------------------------- 1. shards
@dataclass(slots=True)
class ShardResult:
    """What a shard task tells the driver: counters, rejects, warnings, the first error."""

    shard: int
    counters: Counters = field(default_factory=Counters)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[tuple[type[Warning], str]] = field(default_factory=list)
    error: SegmenterError | None = None


@dataclass(slots=True)
class ShardMeta:
    """The ids of a shard's documents and units (stays in the cluster's object store)."""

    shard: int
    path: str
    doc_ids: list[str] = field(default_factory=list)
    doc_source: list[str | None] = field(default_factory=list)
    doc_line: list[int | None] = field(default_factory=list)
    unit_doc: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    unit_story: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    unit_kind: list[str | None] = field(default_factory=list)
    unit_truncated: list[bool] = field(default_factory=list)

    @property
    def units(self) -> int:
        return len(self.unit_doc)

    def unit_id(self, i: int, renamed: Mapping[int, str] | None = None) -> str:
        """The id of unit ``i`` (``renamed``: new ids of this shard's documents)."""
        d = int(self.unit_doc[i])
        doc_id = (renamed or {}).get(d, self.doc_ids[d])
        story = int(self.unit_story[i])
        return doc_id if story < 0 else f"{doc_id}#{story}"


def analyse_shard(shard: InputFile, config: Config, clean: bool, split: bool, explain: bool,
                  want_records: bool, parts: int) -> tuple[Any, ...]:
    """Stage 1 for one shard: ``(report, meta, texts, records, *band_parts, *set_parts,
    *fingerprint_parts)``.

    The shard's documents go through the one per-document stage
    (:class:`~segmenter.stage.DocumentStage`), counted in the report's
    :class:`~segmenter.counters.Counters`. ``records``: the stories.jsonl records without
    ``id`` (JSON strings) when ``want_records``.

    Band parts: ``(ordinal, table_band, digest, text_digest_hi, text_digest_lo)`` by digest.
    Set parts: :class:`Ragged` shingle sets by ordinal; with block containment, each unit's
    shingles in text order and its line map instead (:func:`pack_unit`).
    Fingerprint parts (block containment, else empty): ``(ordinal, fingerprint, line, nfp,
    one_line, text_digest_hi, text_digest_lo)`` by fingerprint
    (:func:`segmenter.blockindex.unit_fingerprints`).
    """
    meta = ShardMeta(shard.index, shard.path)
    rep = ShardResult(shard.index)
    counters = rep.counters
    stage = DocumentStage(config, clean=clean, split=split, counters=counters)
    records: list[str] | None = [] if want_records else None
    texts: list[str] = []
    unit_doc: list[int] = []
    unit_story: list[int] = []
    sink = RejectSink(lambda record: rep.rejects.append(dict(record)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            for read in timed_reads(read_file(shard, config.read, counters.read, sink),
                                    counters):
                analysed = stage(read)
                doc = analysed.doc
                d = len(meta.doc_ids)
                meta.doc_ids.append(doc.id)
                meta.doc_source.append(doc.source)
                meta.doc_line.append(doc.line)
                steps = analysed.report.steps if clean else None
                for unit in analysed.units:
                    texts.append(unit.text)
                    unit_doc.append(d)
                    unit_story.append(-1 if unit.story is None else int(unit.story))
                    meta.unit_kind.append(unit.kind)
                    meta.unit_truncated.append(unit.truncated)
                    if records is not None:
                        record = unit_record(doc, analysed.stories, steps, unit, explain=explain)
                        records.append(json.dumps(record, ensure_ascii=False))
        except SegmenterError as exc:
            rep.error = exc
        rep.warnings = [(w.category, str(w.message)) for w in caught]
    meta.unit_doc = np.asarray(unit_doc, dtype=np.int64)
    meta.unit_story = np.asarray(unit_story, dtype=np.int64)

    t0 = time.perf_counter()
    cfg = config.dedup
    params = lsh_params(cfg)
    signer = BatchSigner(cfg)
    base = np.int64(shard.index) << np.int64(SHARD_SHIFT)
    n = len(texts) if rep.error is None else 0
    rows: list[tuple[np.ndarray, ...]] = []
    fp_rows: list[tuple[np.ndarray, ...]] = []
    sets: list[np.ndarray] = []
    sampling = sample_config(cfg)
    for start in range(0, n, cfg.batch_size):
        batch = texts[start : start + cfg.batch_size]
        ords = base + np.arange(start, start + len(batch), dtype=np.int64)
        signed = signer.sign(batch, head=0 if cfg.block else None, lines=cfg.block)
        full, heads, digests = signed.full, signed.heads, signed.digest_words()
        tables = [band_digests(full, params)]
        if heads is not None:
            tables.append(band_digests(heads, params))
        bands = np.concatenate(tables, axis=1)  # (units, bands * tables)
        width = bands.shape[1]
        rows.append((np.repeat(ords, width), np.tile(np.arange(width, dtype=np.int32),
                                                     len(batch)),
                     bands.reshape(-1), np.repeat(digests[:, 0], width),
                     np.repeat(digests[:, 1], width)))
        if not cfg.block:
            sets.extend(signed.shingle_sets())
            continue
        sb = signed.shingles
        maps = line_maps(batch, sb)
        sets.extend(pack_unit(sb.unit(i), maps[i]) for i in range(len(batch)))
        fps, row, lines, nfp, one = unit_fingerprints(sb, sampling)
        fp_rows.append((ords[row], fps.astype(np.uint64), lines, nfp[row], one[row],
                        digests[row, 0], digests[row, 1]))
    dtypes = (np.int64, np.int32, np.uint64, np.uint64, np.uint64)
    band_rows = _concat(rows, 5, dtypes)
    band_parts = _split((band_rows[2] % np.uint64(parts)).astype(np.int64), parts, *band_rows)
    fp_cols = _concat(fp_rows, 7, FP_DTYPES)
    fp_parts = _split((fp_cols[1] % np.uint64(parts)).astype(np.int64), parts, *fp_cols)
    ords = base + np.arange(len(sets), dtype=np.int64)
    set_parts = Ragged.of(ords, sets).split(part_of(ords, parts), parts)
    counters.seconds["dedup"] += time.perf_counter() - t0
    if rep.error is not None:
        texts, records = [], None
    return (rep, meta, texts, records, *band_parts, *set_parts, *fp_parts)


FP_DTYPES = (np.int64, np.uint64, np.int64, np.int64, bool, np.uint64, np.uint64)


def pack_unit(seq: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """A unit's shingles in text order and its line map as one uint32 row: ``[len(seq), *seq,
    *lines]``; empty for a unit without shingles (see :func:`unpack_unit`)."""
    if not len(seq):
        return _EMPTY_U
    return np.concatenate((np.asarray([len(seq)], dtype=np.uint32), seq, lines))


def unpack_unit(row: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(set, seq, lines)`` of a :func:`pack_unit` row."""
    if not len(row):
        return _EMPTY_U, _EMPTY_U, _EMPTY_U
    n = int(row[0])
    seq = row[1 : 1 + n]
    return np.unique(seq), seq, row[1 + n :]


# --------------------------------------------------------------------------- 2b. block pairs
def block_pairs(max_df: int, parts: int, *fp_parts: tuple[np.ndarray, ...]) -> tuple[Any, ...]:
    """Block candidate evidence of one fingerprint partition: every unit that is the first of
    its text (exact copies stay out, as locally) meets the earlier units holding the same
    fingerprint while fewer than ``max_df`` came before it (:class:`BlockCandidates`' rule).
    Rows ``(x, c, line, anchor, nfp_x, nfp_c, one_x, one_c)`` by ``part_of(x)``."""
    o, fp, line, nfp, one, t0, t1 = _concat(fp_parts, 7, FP_DTYPES)
    order = np.lexsort((o, fp))
    o, fp, line, nfp, one, t0, t1 = (a[order] for a in (o, fp, line, nfp, one, t0, t1))
    gid = np.cumsum(_run_starts(fp)) - 1
    order2 = np.lexsort((o, t1, t0, gid))
    fresh = np.zeros(len(o), dtype=bool)
    fresh[order2[_run_starts(gid[order2], t0[order2], t1[order2])]] = True
    fi = np.flatnonzero(fresh)
    fg = gid[fi]
    gstart = _run_starts(fg)
    first_pos = _first_of_run(gstart)
    rank = np.arange(len(fi)) - first_pos
    cnt = np.where(rank < max_df, rank, 0)
    xi = np.repeat(fi, cnt)
    ci = fi[ranges(first_pos, cnt)]
    cols = (o[xi], o[ci], line[xi], (fp[xi] & np.uint64(1)) == 0, nfp[xi],
            np.minimum(nfp[ci], 0xFFFF), one[xi], one[ci])
    return tuple(_split(part_of(cols[0], parts), parts, *cols))


def block_select(config: DedupConfig, bands: int,
                 *occ_parts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """The block candidates of this partition's units from their shared fingerprints
    (:func:`segmenter.blockindex.select_pairs`), as candidate pairs ``(x, c, table_band)``
    with ``table_band = bands + rank`` (the head table's place: block candidates replace it)."""
    from ..blockindex import select_pairs

    x, c, line, anchor, nx, nc, ox, oc = _concat(
        occ_parts, 8, (np.int64, np.int64, np.int64, bool, np.int64, np.int64, bool, bool))
    if not len(x):
        return _EMPTY_I, _EMPTY_I, np.empty(0, dtype=np.int32)
    px, pc, rank = select_pairs(sample_config(config), x, c, line, anchor, nx, nc, ox, oc,
                                x == c)
    return px, pc, (bands + rank).astype(np.int32)


# --------------------------------------------------------------------------- 2. buckets
def bucket_pairs(max_bucket: int, parts: int, *band_parts: tuple[np.ndarray, ...]
                 ) -> tuple[Any, ...]:
    """Candidate pairs ``(x, c, table_band)`` by ``part_of(x)`` and the undirected edges
    ``copy - first`` of exact copies by ``part_of(src)``: ``(*pair_parts, *edge_parts)``."""
    o, tb, dg, t0, t1 = _concat(band_parts, 5, (np.int64, np.int32, np.uint64, np.uint64,
                                                np.uint64))
    order = np.lexsort((o, dg, tb))
    o, tb, dg, t0, t1 = o[order], tb[order], dg[order], t0[order], t1[order]
    gid = np.cumsum(_run_starts(tb, dg)) - 1
    # The first unit of each text in a bucket is the first of that text anywhere: exact copies
    # have the same signature, so they share every bucket.
    order2 = np.lexsort((o, t1, t0, gid))
    starts2 = _run_starts(gid[order2], t0[order2], t1[order2])
    fresh = np.zeros(len(o), dtype=bool)
    fresh[order2[starts2]] = True
    first2 = order2[_first_of_run(starts2)]
    copy = ~starts2 & (tb[order2] == 0)  # exact edges once, from the first full band
    ex_x, ex_f = o[order2[copy]], o[first2[copy]]

    fi = np.flatnonzero(fresh)
    fo, fg = o[fi], gid[fi]
    gstart = _run_starts(fg)
    first_pos = _first_of_run(gstart)
    rank = np.arange(len(fi)) - first_pos
    sizes = np.diff(np.append(np.flatnonzero(gstart), len(fi)))
    stored = np.minimum(np.repeat(sizes, sizes), max_bucket)
    cnt = np.minimum(rank, stored)
    x = np.repeat(fo, cnt)
    c = fo[ranges(first_pos, cnt)]
    t = np.repeat(tb[fi], cnt)
    pairs = _split(part_of(x, parts), parts, x, c, t)
    return (*pairs, *_edges(ex_x, ex_f, parts))


# --------------------------------------------------------------------------- 3. verify
def attach_sets(bands: int, parts: int, n_pairs: int, *args: Any) -> tuple[Any, ...]:
    """Partition ``p`` of the pairs (by ``x``) meets the shingle sets of its ``x`` units;
    the pairs go on, with the sets of their ``x`` units (each once), to ``part_of(c)``: ``P``
    tuples ``(x, c, rank_full, rank_head, Ragged sets keyed by x)``."""
    pair_parts, set_parts = args[:n_pairs], args[n_pairs:]
    x, c, tb = _concat(pair_parts, 3, (np.int64, np.int64, np.int32))
    sets = Ragged.concat(set_parts)
    order = np.lexsort((c, x))
    x, c, tb = x[order], c[order], tb[order]
    st = _run_starts(x, c)
    idx = np.flatnonzero(st)
    rf = np.where(tb < bands, tb, NONE).astype(np.int32)
    rh = np.where(tb >= bands, tb - bands, NONE).astype(np.int32)
    if len(idx):
        rf = np.minimum.reduceat(rf, idx)
        rh = np.minimum.reduceat(rh, idx)
    x, c = x[idx], c[idx]
    if len(sets.keys) == 0 or len(x) == 0:
        return tuple((_EMPTY_I, _EMPTY_I, rf[:0], rh[:0], Ragged.empty()) for _ in range(parts))
    sorter = np.argsort(sets.keys)
    pos = sorter[np.searchsorted(sets.keys, x, sorter=sorter)]
    lengths = sets.offsets[pos + 1] - sets.offsets[pos]
    keep = lengths > 0  # a unit without shingles is never verified
    x, c, rf, rh, pos = x[keep], c[keep], rf[keep], rh[keep], pos[keep]
    part = part_of(c, parts)
    cols = _split(part, parts, x, c, rf, rh, pos)
    out = []
    for xs, cs, rfs, rhs, ps in cols:
        # each x's set travels once per destination partition, not once per pair: a unit with
        # many candidates (a shared template, overlapping texts) would otherwise be copied
        # thousands of times
        _, first = np.unique(xs, return_index=True)
        out.append((xs, cs, rfs, rhs, sets.take(ps[first])))
    return tuple(out)


def verify_pairs(config: DedupConfig, parts: int, n_in: int, *args: Any) -> tuple[Any, ...]:
    """Verify every pair of partition ``q`` (by ``c``) against ``set_c`` and judge it as the
    local engine does (:func:`segmenter.dedup.judge`).

    Returns ``(*near_parts, *offer_parts, *edge_parts)``: near links
    ``(x, c, rank_full, rank_head, jaccard)`` by ``part_of(x)``; containment offers
    ``(y, x, c, rank_full, rank_head, containment, size_other, earlier)`` by ``part_of(y)``
    (``y`` the contained unit; ``earlier``: the container ``c`` came before ``y == x``);
    undirected edges ``(src, dst)`` of the near links by ``part_of(src)``.
    """
    from ..containment import locate
    from ..dedup import block_rule, judge, verify

    rule = block_rule(config)
    incoming, set_parts = args[:n_in], args[n_in:]
    sets = Ragged.concat(set_parts)
    lookup = {int(k): i for i, k in enumerate(sets.keys.tolist())}
    units: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def unit(where: Ragged, i: int, key: tuple[int, int]) -> tuple[np.ndarray, ...]:
        got = units.get(key)
        if got is None:
            got = units[key] = unpack_unit(where.row(i))
        return got
    near: list[tuple[int, int, int, int, float]] = []
    offers: list[tuple[int, int, int, int, int, float, int, bool]] = []
    for x_arr, c_arr, rf_arr, rh_arr, set_x in incoming:
        xs, cs, rfs, rhs = x_arr.tolist(), c_arr.tolist(), rf_arr.tolist(), rh_arr.tolist()
        row_of_x = {int(k): i for i, k in enumerate(set_x.keys.tolist())}
        for i, (x, c) in enumerate(zip(xs, cs, strict=True)):
            j = lookup.get(c)
            if j is None:
                continue
            mine, other = set_x.row(row_of_x[x]), sets.row(j)
            if len(other) == 0 or len(mine) == 0:
                continue
            if config.block:
                (mine, seq_x, lines_x), (other, seq_c, lines_c) = \
                    unit(set_x, row_of_x[x], (0, x)), unit(sets, j, (1, c))
            v = verify(mine, other)
            n_mine, n_other = len(mine), len(other)
            share = v.containment
            if not config.block or v.jaccard >= config.threshold:
                what = judge(v, n_mine, n_other, config)
            else:  # as the local Deduplicator._verify does
                block = locate(seq_x, seq_c, rule, mine, other, lines_x, lines_c, v.shared)
                what = None if not block.is_copy else \
                    "contained" if block.shorter == "a" else "contains"
                share = block.story_coverage or block.coverage
            if what == "near":
                near.append((x, c, rfs[i], rhs[i], v.jaccard))
            elif what == "contained":  # x is the copy contained in the earlier c
                offers.append((x, x, c, rfs[i], rhs[i], share, n_other, True))
            elif what == "contains":  # the earlier c is contained in x
                offers.append((c, x, c, rfs[i], rhs[i], share, n_mine, False))
    near_cols = _columns(near, (np.int64, np.int64, np.int32, np.int32, np.float64))
    offer_cols = _columns(offers, (np.int64, np.int64, np.int64, np.int32, np.int32, np.float64,
                                   np.int64, bool))
    near_parts = _split(part_of(near_cols[0], parts), parts, *near_cols)
    offer_parts = _split(part_of(offer_cols[0], parts), parts, *offer_cols)
    edge_parts = _edges(near_cols[0], near_cols[1], parts)
    return (*near_parts, *offer_parts, *edge_parts)


def _columns(rows: list[tuple[Any, ...]], dtypes: Sequence[Any]) -> list[np.ndarray]:
    if not rows:
        return [np.empty(0, dtype=d) for d in dtypes]
    return [np.asarray(col, dtype=d) for col, d in zip(zip(*rows, strict=True), dtypes,
                                                       strict=True)]


def _edges(a: np.ndarray, b: np.ndarray, parts: int) -> list[tuple[np.ndarray, ...]]:
    """Both directions of the undirected edges ``a - b``, by ``part_of(src)``."""
    src = np.concatenate([a, b]).astype(np.int64)
    dst = np.concatenate([b, a]).astype(np.int64)
    return _split(part_of(src, parts), parts, src, dst)


def resolve_containers(parts: int, *offer_parts: tuple[np.ndarray, ...]) -> tuple[Any, ...]:
    """One container per contained unit: the best earlier one by (containment, size, earliest),
    else the first later unit that contains it. ``(*link_parts, *edge_parts)``: links
    ``(x, c, rank_full, rank_head, containment)`` by ``part_of(x)``, edges by ``part_of(src)``."""
    cols = _concat(offer_parts, 8, (np.int64, np.int64, np.int64, np.int32, np.int32,
                                    np.float64, np.int64, bool))
    best: dict[int, tuple[tuple[Any, ...], int]] = {}
    for i, (y, x, c, earlier, cont, size) in enumerate(zip(
            cols[0].tolist(), cols[1].tolist(), cols[2].tolist(), cols[7].tolist(),
            cols[5].tolist(), cols[6].tolist(), strict=True)):
        # earlier offers win over later ones; among earlier, the local engine's max key;
        # among later, the first unit that met y.
        key = (1, cont, size, -c) if earlier else (0, -x)
        have = best.get(y)
        if have is None or key > have[0]:
            best[y] = (key, i)
    idx = np.asarray(sorted(i for _, i in best.values()), dtype=np.int64)
    x, c, rf, rh, cont = (cols[1][idx], cols[2][idx], cols[3][idx], cols[4][idx], cols[5][idx])
    links = _split(part_of(x, parts), parts, x, c, rf, rh, cont)
    return (*links, *_edges(x, c, parts))


# --------------------------------------------------------------------------- 5. components
def _grouped(edge_parts: Sequence[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    src, dst = _concat(edge_parts, 2, (np.int64, np.int64))
    keep = src != dst
    src, dst = src[keep], dst[keep]
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    uniq = _run_starts(src, dst)
    src, dst = src[uniq], dst[uniq]
    starts = _run_starts(src)
    return src, dst, starts


def star_step(large: bool, parts: int, *edge_parts: tuple[np.ndarray, ...]) -> tuple[Any, ...]:
    """One large-star (``large``) or small-star step over the edges of one partition (all
    directed edges whose source is in it). Returns ``(is_star_forest, *edge_parts)``: whether
    the *input* is already a forest of stars centred on their smallest node."""
    src, dst, starts = _grouped(edge_parts)
    if len(src) == 0:
        return (True, *_edges(_EMPTY_I, _EMPTY_I, parts))
    gidx = np.flatnonzero(starts)
    counts = np.diff(np.append(gidx, len(src)))
    lower = dst < src
    n_lower = np.add.reduceat(lower.astype(np.int64), gidx)
    ok = bool(np.all((n_lower == 0) | ((counts == 1) & (n_lower == 1))))
    if large:
        m = np.minimum(np.minimum.reduceat(dst, gidx), src[gidx])
        mm = np.repeat(m, counts)
        sel = dst > src
        a, b = dst[sel], mm[sel]
    else:
        big = np.iinfo(np.int64).max
        m = np.minimum(np.minimum.reduceat(np.where(lower, dst, big), gidx), src[gidx])
        mm = np.repeat(m, counts)
        sel = lower & (dst != mm)
        centre = m != src[gidx]  # the node itself joins its smallest lower neighbour
        a = np.concatenate([dst[sel], src[gidx][centre]])
        b = np.concatenate([mm[sel], m[centre]])
    return (ok, *_edges(a, b, parts))


def labels_of(group_of_shard: np.ndarray, groups: int,
              *edge_parts: tuple[np.ndarray, ...]) -> tuple[Any, ...]:
    """From a star forest: ``(node, label)`` of this partition's nodes (label = the smallest
    node of the component), then the same by shard group: ``(local, *group_parts)``."""
    src, dst, starts = _grouped(edge_parts)
    gidx = np.flatnonzero(starts)
    node = src[gidx]
    first = dst[gidx]
    label = np.where(first < node, first, node)  # a leaf has one neighbour: its centre
    shard = (node >> SHARD_SHIFT).astype(np.int64)
    by_group = _split(group_of_shard[shard] if len(node) else _EMPTY_I, groups, node, label)
    return ((node, label), *by_group)


# --------------------------------------------------------------------------- 6. replay
def route_links(parts: int, labels: tuple[np.ndarray, np.ndarray],
                *link_parts: tuple[np.ndarray, ...]) -> tuple[Any, ...]:
    """Links of partition ``p`` (by ``x``) meet the labels of its nodes and go to the
    partition of their component: ``(label, x, c, rank_full, rank_head)`` by label."""
    x, c, rf, rh = _concat([lp[:4] for lp in link_parts], 4,
                           (np.int64, np.int64, np.int32, np.int32))
    node, label = labels
    if len(x) == 0:
        return tuple((_EMPTY_I, x, c, rf, rh) for _ in range(parts))
    sorter = np.argsort(node)
    lab = label[sorter[np.searchsorted(node, x, sorter=sorter)]]
    return tuple(_split(part_of(lab, parts), parts, lab, x, c, rf, rh))


def emit_members(parts: int, renamed: Mapping[int, Mapping[int, str]], n_labels: int,
                 n_shards: int, *args: Any) -> tuple[Any, ...]:
    """Units of a group of shards that belong to a component with more than one unit, with
    what the replay needs: ``(label, ordinal, id, text, kind, truncated)`` by label.
    ``args``: ``n_labels`` label parts, then the group's metas, then their texts."""
    label_parts = args[:n_labels]
    metas: Sequence[ShardMeta] = args[n_labels : n_labels + n_shards]
    texts: Sequence[list[str]] = args[n_labels + n_shards :]
    node, label = _concat(label_parts, 2, (np.int64, np.int64))
    by_shard = {m.shard: (m, t) for m, t in zip(metas, texts, strict=True)}
    rows: list[list[Any]] = [[] for _ in range(parts)]
    labs = part_of(label, parts) if len(label) else _EMPTY_I
    for o, lab, p in zip(node.tolist(), label.tolist(), labs.tolist(), strict=True):
        meta, shard_texts = by_shard[o >> SHARD_SHIFT]
        i = o & ((1 << SHARD_SHIFT) - 1)
        uid = meta.unit_id(i, renamed.get(meta.shard))
        rows[p].append((lab, o, uid, shard_texts[i], meta.unit_kind[i], meta.unit_truncated[i]))
    return tuple(rows)


class ReplayIndex(Index):
    """An index that answers the deduplicator's streaming queries with precomputed candidate
    lists (``{table: {key: [keys]}}``), in the order the local index would have returned them."""

    def __init__(self, params: LSHParams, candidates: Mapping[str, Mapping[int, list[int]]],
                 block: bool = False):
        self.params = params
        self._candidates = candidates
        # With block containment, the deduplicator asks for its block candidates here (the
        # "head" lists: block candidates take the head table's place).
        self.block_candidates: Callable[[Sequence[int]], list[list[int]]] | None = (
            self._block if block else None)

    def _block(self, keys: Sequence[int]) -> list[list[int]]:
        found = self._candidates.get("head", {})
        return [list(found.get(int(k), ())) for k in keys]

    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        return None

    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        raise SegmenterError("ReplayIndex answers query_insert only (it knows keys, not sketches)")

    def query_insert(self, table: str, keys: Sequence[int], signatures: np.ndarray
                     ) -> list[list[int]]:
        found = self._candidates.get(table, {})
        return [list(found.get(int(k), ())) for k in keys]


def replay_components(config: DedupConfig, groups: int, group_of_shard: np.ndarray,
                      n_links: int, *args: Any) -> tuple[Any, ...]:
    """Replay every component of this partition through a local ``Deduplicator``; the
    assignments ``(ordinal, Assignment)`` go to the group of their shard."""
    from ..dedup import Deduplicator

    link_parts, member_parts = args[:n_links], args[n_links:]
    members: dict[int, list[tuple[Any, ...]]] = {}
    for rows in member_parts:
        for row in rows:
            members.setdefault(row[0], []).append(row[1:])
    links: dict[int, list[tuple[int, int, int, int]]] = {}
    for lab, x, c, rf, rh in link_parts:
        for row in zip(lab.tolist(), x.tolist(), c.tolist(), rf.tolist(), rh.tolist(),
                       strict=True):
            links.setdefault(row[0], []).append(row[1:])
    params = lsh_params(config)
    out: list[list[tuple[int, Assignment]]] = [[] for _ in range(groups)]
    for lab, units in members.items():
        units.sort(key=lambda u: u[0])
        local = {u[0]: k for k, u in enumerate(units)}
        full: dict[int, list[tuple[int, int]]] = {}
        head: dict[int, list[tuple[int, int]]] = {}
        for x, c, rf, rh in links.get(lab, ()):
            if rf != NONE:
                full.setdefault(local[x], []).append((rf, c))
            if rh != NONE:
                head.setdefault(local[x], []).append((rh, c))
        cands = {
            "full": {k: [local[c] for _, c in sorted(v)] for k, v in full.items()},
            "head": {k: [local[c] for _, c in sorted(v)] for k, v in head.items()},
        }
        dedup = Deduplicator(config, index=ReplayIndex(params, cands, config.block))
        for _, uid, text, kind, truncated in units:
            dedup.add(Unit(uid, text, kind, truncated))
        for (o, *_), a in zip(units, dedup.finish(), strict=True):
            out[int(group_of_shard[o >> SHARD_SHIFT])].append((o, a))
    return tuple(out)


# --------------------------------------------------------------------------- 7. assemble
def assemble_group(renamed: Mapping[int, Mapping[int, str]], n_shards: int,
                   *args: Any) -> list[tuple[Assignment, dict[str, Any] | None]]:
    """The output of a group of consecutive shards, in input order: each unit's assignment and
    (for ``run``) its stories.jsonl record (without the cluster fields)."""
    metas: Sequence[ShardMeta] = args[:n_shards]
    records: Sequence[list[str] | None] = args[n_shards : 2 * n_shards]
    found: dict[int, Assignment] = {}
    for part in args[2 * n_shards :]:
        for o, a in part:
            found[o] = a
    out: list[tuple[Assignment, dict[str, Any] | None]] = []
    for meta, recs in zip(metas, records, strict=True):
        names = renamed.get(meta.shard, {})
        base = meta.shard << SHARD_SHIFT
        for i in range(meta.units):
            a = found.get(base + i)
            uid = meta.unit_id(i, names)
            if a is None:
                a = Assignment(uid, uid, None, None, None, True, {})
            record = None
            if recs is not None:
                record = {"id": uid, **json.loads(recs[i])}
                d = int(meta.unit_doc[i])
                if d in names:
                    record["doc_id"] = names[d]
            out.append((a, record))
    return out


# --------------------------------------------------------------------------- ids
def doc_id_hashes(parts: int, *metas: ShardMeta) -> tuple[Any, ...]:
    """64-bit hashes of every document id, by hash: for finding ids seen more than once."""
    values = np.asarray([_h64(d) for m in metas for d in m.doc_ids], dtype=np.uint64)
    return tuple(v for (v,) in _split((values % np.uint64(parts)).astype(np.int64), parts,
                                      values))


def repeated_hashes(*hash_parts: np.ndarray) -> np.ndarray:
    values = np.sort(np.concatenate(hash_parts)) if hash_parts else np.empty(0, np.uint64)
    if len(values) < 2:
        return np.empty(0, dtype=np.uint64)
    return np.unique(values[1:][values[1:] == values[:-1]])


def ids_at_risk(repeated: np.ndarray, *metas: ShardMeta) -> list[tuple[int, int, str, str,
                                                                         int | None]]:
    """Documents whose id was seen more than once, or is such an id plus ``~...`` (a name
    the renaming could produce): ``(shard, doc, id, source, line)``."""
    wanted = set(repeated.tolist())
    out = []
    for m in metas:
        for d, doc_id in enumerate(m.doc_ids):
            hit = _h64(doc_id) in wanted
            if not hit and "~" in doc_id:
                hit = any(_h64(doc_id[:i]) in wanted for i, ch in enumerate(doc_id) if ch == "~")
            if hit:
                out.append((m.shard, d, doc_id, m.doc_source[d] or "", m.doc_line[d]))
    return out


def _h64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                                          digest_size=8).digest(), "little")
