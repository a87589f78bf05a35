"""Containment candidates wherever the shared block sits: sampled shingles in a streaming table.

A copy that is not a prefix (an own lede on top, a write-thru, a quoted middle, a roundup slice)
shares a *block* of consecutive shingles with its source, anywhere in both texts. MinHash
signatures of whole units or of their heads cannot see such a block when it is a small part of
the longer unit. Here every unit keeps its *sampled* shingles: those whose mixed hash is
``0 mod sample`` (a hash-value selection, so two texts sharing a block select the same shingles
of it, wherever it sits, in whatever order the texts arrive). A shared block of ``B`` shingles
shares about ``B / sample`` fingerprints; two units become candidates when they share at least
``min_shared`` (one when the smaller has very few fingerprints). Candidates are then verified
on the exact shingles (:mod:`segmenter.containment`).

The table is a numpy open-addressing multimap (fingerprint -> unit keys) grown by doubling: about
16-24 bytes per posting, against ~100 for a Python dict entry, and every lookup and insert of a
batch is vectorised. A fingerprint held by more than ``max_df`` units is shared template text
(boilerplate, a press-release sentence): it stops counting as evidence, so a template cannot
make everything that contains it a candidate of everything else (passim drops n-grams with a
document frequency over 100 for the same reason).

Measured on the dev sets (see ``bench/eval_reuse.py``): 0 mod 16 keeps about 20 fingerprints per
unit and finds 99.4% of the contained pairs of ``dedup-reuse`` with share >= 0.5 directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .fingerprint import ShingleBatch

__all__ = [
    "BlockCandidates",
    "BlockRows",
    "FingerprintTable",
    "SampleConfig",
    "block_rows",
    "sample_fingerprints",
    "stored_candidates",
]

_U32 = np.uint32
_SALT = _U32(0x2C9277B5)  # decorrelates the sample from the MinHash permutations
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX_PIECE = 1 << 20  # shingles mixed at once by sample_fingerprints
_NO_ROWS = np.empty(0, dtype=np.int64)


def _mix(h: np.ndarray) -> np.ndarray:
    """A 32-bit finaliser (xorshift-multiply) of the shingle hashes, salted."""
    h = h ^ _SALT
    h = h ^ (h >> _U32(15))
    h = h * _U32(0x2C1B3C6D)
    h = h ^ (h >> _U32(12))
    h = h * _U32(0x297A2D39)
    return h ^ (h >> _U32(15))


@dataclass(frozen=True, slots=True)
class SampleConfig:
    """How block candidates are found.

    ``sample``: keep the shingles whose mixed hash is 0 mod ``sample`` (a power of two);
    ``min_shared``: fingerprints two units must share (1 when the smaller keeps at most
    ``few`` of them), and at least ``share`` of the smaller unit's fingerprints (the sample
    estimates the share of the smaller unit inside the other: a copy shares most of it, two
    stories that reuse one paragraph a small part); ``max_df``: a fingerprint in more units
    than this is template text and is ignored; ``max_candidates``: the most candidates
    returned per unit (strongest first); ``anchors``: prefix anchors per unit (see
    :func:`_anchors`).
    """

    sample: int = 32
    min_shared: int = 2
    few: int = 2
    share: float = 0.3
    max_df: int = 32
    max_candidates: int = 32
    anchors: int = 3  # also index the shingles at positions 0, 4, 8, ... (prefix copies)

    def __post_init__(self) -> None:
        if self.sample < 1 or self.sample & (self.sample - 1):
            raise ConfigError(f"sample must be a power of two >= 1, got {self.sample}")
        if not 0.0 <= self.share <= 1.0:
            raise ConfigError(f"share must be in [0.0, 1.0], got {self.share}")
        if self.min_shared < 1:
            raise ConfigError(f"min_shared must be >= 1, got {self.min_shared}")
        if self.few < 0:
            raise ConfigError(f"few must be >= 0, got {self.few}")
        if self.max_df < 2:
            raise ConfigError(f"max_df must be >= 2 (1 would link nothing), got {self.max_df}")
        if self.max_candidates < 1:
            raise ConfigError(f"max_candidates must be >= 1, got {self.max_candidates}")


def sample_fingerprints(
    batch: ShingleBatch, sample: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sampled fingerprints of every unit of a batch, each unit's sorted and unique:
    ``(fps, offsets, lines)``, unit ``i`` owning ``fps[offsets[i]:offsets[i + 1]]``; ``lines``:
    the line of each fingerprint's first occurrence (zeros when the batch has no lines; lines
    past 65535 count as 65535). Fingerprints are never 0. Vectorised over the whole batch."""
    n = len(batch)
    hashes = batch.hashes  # mixed a piece at a time: a long text's work arrays stay small
    keep = np.concatenate([np.flatnonzero((_mix(hashes[a : a + _MIX_PIECE])
                                           & _U32(sample - 1)) == 0) + a
                           for a in range(0, len(hashes), _MIX_PIECE)] or [_NO_ROWS])
    # each kept shingle's unit (not a unit per shingle: 8 bytes a shingle of a long text)
    unit = (np.searchsorted(batch.offsets, keep, side="right") - 1).astype(np.uint64)
    fp = (_mix(hashes[keep]) | _U32(1)).astype(np.uint64)  # sampled bits are 0: never 0 with |1
    key = (unit << np.uint64(48)) | (fp << np.uint64(16))
    info = batch.lines
    if info is not None and len(keep):
        # The line of each sampled shingle: the last line starting at or before it.
        per = np.diff(info.first)
        at = batch.offsets[:-1][np.repeat(np.arange(n), per)] + info.start  # sorted
        line = np.searchsorted(at, keep, side="right") - 1 - info.first[unit.astype(np.int64)]
        key |= np.clip(line, 0, 0xFFFF).astype(np.uint64)
    key.sort()
    head = key >> np.uint64(16)
    first = np.ones(len(key), dtype=bool)
    np.not_equal(head[1:], head[:-1], out=first[1:])
    key = key[first]
    units = (key >> np.uint64(48)).astype(np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(units, minlength=n), out=offsets[1:])
    fps = ((key >> np.uint64(16)) & np.uint64(0xFFFFFFFF)).astype(_U32)
    return fps, offsets, (key & np.uint64(0xFFFF)).astype(np.int64)


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size, dtype=a.dtype)
    out[: len(a)] = a
    return out


def _segments(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(starts[i], starts[i] + sizes[i])``."""
    total = int(sizes.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(sizes)
    return np.arange(total) - np.repeat(ends - sizes, sizes) + np.repeat(starts, sizes)


class FingerprintTable:
    """A streaming multimap fingerprint -> unit keys.

    Distinct fingerprints live in an open-addressing table (linear probing, at most half full)
    that points to their newest posting; postings (unit key, next posting) are appended to
    arrays grown by doubling, so a fingerprint's postings form a chain. About 8 bytes per
    posting and 20-40 per distinct fingerprint. A fingerprint counts its postings up to
    ``max_df``; from then on it is template text: no posting is added and lookups skip it.
    """

    def __init__(self, max_df: int = 64, capacity: int = 1 << 16,
                 unit_dtype: type[np.unsignedinteger] = _U32) -> None:
        cap = 1 << max(4, (capacity - 1).bit_length())
        self.max_df = max_df
        self._keys = np.zeros(cap, dtype=_U32)
        self._head = np.full(cap, -1, dtype=np.int32)
        self._count = np.zeros(cap, dtype=np.uint16)
        self._distinct = 0
        self._unit = np.zeros(1 << 16, dtype=unit_dtype)
        self._next = np.zeros(1 << 16, dtype=np.int32)
        self._postings = 0

    def __len__(self) -> int:
        """Number of postings."""
        return self._postings

    @property
    def nbytes(self) -> int:
        parts = (self._keys, self._head, self._count, self._unit, self._next)
        return int(sum(a.nbytes for a in parts))

    def _home(self, fps: np.ndarray) -> np.ndarray:
        bits = len(self._keys).bit_length() - 1
        return ((fps.astype(np.uint64) * _GOLDEN) >> np.uint64(64 - bits)).astype(np.int64)

    def _slots(self, fps: np.ndarray, slot: np.ndarray | None = None) -> np.ndarray:
        """The slot of each fingerprint, or of the empty slot where it would go (probing from
        ``slot`` when given, else from its home)."""
        keys, mask = self._keys, len(self._keys) - 1
        slot = self._home(fps) if slot is None else slot
        active = np.arange(len(fps))
        while len(active):
            k = keys[slot[active]]
            active = active[(k != 0) & (k != fps[active])]
            slot[active] = (slot[active] + 1) & mask
        return slot

    def find(self, uniq: np.ndarray) -> np.ndarray:
        """The slots of distinct fingerprints (or of the empty slots where they would go), for
        :meth:`lookup` and :meth:`insert` of the same fingerprints."""
        return self._slots(uniq)

    def lookup(
        self, uniq: np.ndarray, slot: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For distinct fingerprints: ``(index, unit_key)`` of every posting (newest first),
        and each fingerprint's posting count (``max_df``: template text, no postings given).
        ``slot``: their :meth:`find`, when the caller has it."""
        slot = self._slots(uniq) if slot is None else slot
        found = self._keys[slot] == uniq
        count = np.where(found, self._count[slot], 0).astype(np.int64)
        live = np.flatnonzero(found & (count < self.max_df))
        ptr = self._head[slot[live]].astype(np.int64)
        out_i: list[np.ndarray] = []
        out_u: list[np.ndarray] = []
        while len(live):
            out_i.append(live)
            out_u.append(self._unit[ptr])
            ptr = self._next[ptr].astype(np.int64)
            more = ptr >= 0
            live, ptr = live[more], ptr[more]
        if not out_i:
            return np.empty(0, np.int64), np.empty(0, self._unit.dtype), count
        return np.concatenate(out_i), np.concatenate(out_u), count

    def insert(
        self, uniq: np.ndarray, units: np.ndarray, sizes: np.ndarray,
        slot: np.ndarray | None = None,
    ) -> None:
        """Add postings: fingerprint ``uniq[g]`` (distinct) gets the next ``sizes[g]`` unit keys
        of ``units`` (grouped by fingerprint, in arrival order). ``slot``: their :meth:`find`
        (from before this call), when the caller has it."""
        if len(uniq) == 0:
            return
        if 2 * (self._distinct + len(uniq)) > len(self._keys):
            self._rehash(self._distinct + len(uniq))
            slot = None
        slot = self._place(uniq, slot)
        before = self._count[slot].astype(np.int64)
        room = np.clip(self.max_df - before, 0, None)
        take = np.minimum(sizes, room)
        self._count[slot] = np.minimum(before + sizes, self.max_df)
        starts = np.cumsum(sizes) - sizes
        idx = _segments(starts, take)  # the postings kept, grouped, in order
        n_new = len(idx)
        if not n_new:
            return
        if self._postings + n_new > len(self._unit):
            size = max(2 * len(self._unit), self._postings + n_new)
            self._unit, self._next = _grown(self._unit, size), _grown(self._next, size)
        pos = np.arange(self._postings, self._postings + n_new, dtype=np.int64)
        self._unit[pos] = units[idx]
        groups = np.flatnonzero(take)
        firsts = np.cumsum(take[groups]) - take[groups]  # first new posting of each group
        prev = np.empty(n_new, dtype=np.int64)
        prev[1:] = pos[:-1]
        prev[firsts] = self._head[slot[groups]]  # the chain goes on to the older postings
        self._next[pos] = prev
        self._head[slot[groups]] = pos[firsts + take[groups] - 1]
        self._postings += n_new

    def _place(self, uniq: np.ndarray, slot: np.ndarray | None = None) -> np.ndarray:
        """Slots of distinct fingerprints, claiming empty slots for new ones."""
        keys = self._keys
        slot = self._slots(uniq) if slot is None else slot.copy()
        new = np.flatnonzero(keys[slot] == 0)
        while len(new):
            # New fingerprints aiming at one empty slot: the first takes it, the rest probe on.
            taken, first = np.unique(slot[new], return_index=True)
            keys[taken] = uniq[new[first]]
            self._distinct += len(first)
            losers = np.delete(new, first)
            slot[losers] = self._slots(uniq[losers], slot[losers])
            new = losers[keys[slot[losers]] == 0]
        return slot

    def _rehash(self, need: int) -> None:
        cap = len(self._keys)
        while 2 * need > cap:
            cap *= 2
        old = self._keys != 0
        keys, head, count = self._keys[old], self._head[old], self._count[old]
        self._keys = np.zeros(cap, dtype=_U32)
        self._head = np.full(cap, -1, dtype=np.int32)
        self._count = np.zeros(cap, dtype=np.uint16)
        self._distinct = 0
        slot = self._place(keys)
        self._head[slot] = head
        self._count[slot] = count


class BlockCandidates:
    """Block candidates for a stream of units, batch by batch (the deduplicator's ``head``
    table's counterpart for copies that are not prefixes).

    :meth:`query_insert` returns, for each unit of a batch in order, the keys of earlier units
    (earlier batches, or earlier rows of this batch) that share enough sampled fingerprints with
    it, strongest first; then adds the batch. Keys are ints below 2**32 (unit ordinals).

    Paragraphs: with a batch made by ``shingle_batch(..., lines=True)``, the fingerprints two
    units share must lie on at least two lines of the new unit (a copy reuses paragraphs;
    unrelated pages that carry the same teaser or quote one paragraph share one line), unless
    one of the units has fingerprints on one line only.
    """

    def __init__(self, config: SampleConfig | None = None) -> None:
        self.config = config or SampleConfig()
        self.table = FingerprintTable(self.config.max_df)
        self._nfp = np.zeros(0, dtype=np.uint16)  # fingerprints per key
        self._one_line = np.zeros(0, dtype=bool)  # all its fingerprints on one line

    @property
    def nbytes(self) -> int:
        return self.table.nbytes + int(self._nfp.nbytes + self._one_line.nbytes)

    def _remember(self, keys: np.ndarray, nfp: np.ndarray, one_line: np.ndarray) -> None:
        top = int(keys.max()) + 1 if len(keys) else 0
        if top > len(self._nfp):
            size = max(top, 2 * len(self._nfp))
            self._nfp, self._one_line = _grown(self._nfp, size), _grown(self._one_line, size)
        self._nfp[keys] = np.minimum(nfp, 0xFFFF)
        self._one_line[keys] = one_line

    def query_insert(self, keys: Sequence[int], rows: BlockRows) -> list[list[int]]:
        """The block candidates of each unit of a batch (``rows``: its fingerprints,
        :func:`block_rows`, made with this table's config; keys inserted before it, in this
        batch or earlier ones), then the batch's fingerprints inserted under ``keys``."""
        cfg = self.config
        n = len(rows)
        karr = np.asarray(keys, dtype=np.int64)
        if rows.config != cfg:
            raise ConfigError("block rows made with another sampling config than the table's")
        fps, row, lines, nfp, one_line = rows.fps, rows.row, rows.lines, rows.nfp, rows.one_line
        self._remember(karr, nfp, one_line)
        if not len(fps):
            return [[] for _ in range(n)]
        # Group the batch's fingerprints (rows in order within a group).
        order = np.argsort((fps.astype(np.uint64) << np.uint64(32)) | row.astype(np.uint64))
        sfp = fps[order]
        start = np.flatnonzero(np.r_[True, sfp[1:] != sfp[:-1]])
        sizes = np.diff(np.r_[start, len(sfp)])
        group = np.repeat(np.arange(len(start)), sizes)
        rank = np.arange(len(sfp)) - start[group]
        uniq = sfp[start]
        # Earlier batches: each stored posting meets every row holding its fingerprint.
        slots = self.table.find(uniq)
        g, other, stored = self.table.lookup(uniq, slots)
        members = _segments(start[g], sizes[g])
        # A unit pairs with a fingerprint's earlier units only while fewer than max_df came
        # before it (its rank among all units holding it): the same on any batching.
        early = (stored[group[members]] + rank[members]) < cfg.max_df
        pair_i = [order[members[early]]]
        pair_k = [np.repeat(other.astype(np.int64), sizes[g])[early]]
        # Same batch: a row meets the earlier rows of its group (not template fingerprints).
        fresh = (stored[group] + rank) < cfg.max_df
        for d in range(1, min(int(rank.max(initial=0)) + 1, cfg.max_df)):
            later = np.flatnonzero((rank[d:] >= d) & fresh[d:]) + d
            if not len(later):
                break
            pair_i.append(order[later])
            pair_k.append(karr[row[order[later - d]]])
        self.table.insert(uniq, karr[row[order]], sizes, slots)
        qi = np.concatenate(pair_i)
        anchor = (fps[qi] & _U32(1)) == 0
        return self._select(n, karr, nfp, row[qi], lines[qi], np.concatenate(pair_k), anchor)

    def _select(
        self, n: int, keys: np.ndarray, nfp: np.ndarray, rows: np.ndarray, lines: np.ndarray,
        others: np.ndarray, anchor: np.ndarray,
    ) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(n)]
        if not len(rows):
            return out
        prow, pkey, _ = select_pairs(
            self.config, rows, others, lines, anchor, nfp[rows],
            self._nfp[others].astype(np.int64), self._one_line[keys[rows]],
            self._one_line[others], keys[rows] == others)
        for r, k in zip(prow.tolist(), pkey.tolist(), strict=True):
            out[r].append(k)
        return out


def unit_fingerprints(
    batch: ShingleBatch, config: SampleConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What a batch puts in the block table: ``(fps, row, lines, nfp, one_line)``: every
    sampled fingerprint and prefix anchor with its batch row and line (anchors: line 0), and
    per row its number of sampled fingerprints and whether they all lie on one line."""
    fps, offsets, lines = sample_fingerprints(batch, config.sample)
    n = len(batch)
    nfp = np.diff(offsets)
    row = np.repeat(np.arange(n, dtype=np.int64), nfp)
    has = nfp > 0
    one_line = np.ones(n, dtype=bool)
    if len(fps):
        at = offsets[:-1][has]
        one_line[has] = np.minimum.reduceat(lines, at) == np.maximum.reduceat(lines, at)
    if config.anchors:
        afp, arow = _anchors(batch, config.anchors)
        fps, row = np.concatenate((fps, afp)), np.concatenate((row, arow))
        lines = np.concatenate((lines, np.zeros(len(afp), dtype=np.int64)))
    return fps, row, lines, nfp, one_line


def _grouped(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """An order of rows by ``x`` then ``c``, for :func:`select_pairs`, which reads only sums,
    minima and maxima over a group of equal ``(x, c)`` and what is the same for the whole
    group: the order within a group does not matter, so one unstable sort of a combined key
    does (a lexsort when the two do not fit in 64 bits)."""
    if len(x) and int(x.min()) >= 0 and int(c.min()) >= 0:
        shift = int(c.max()).bit_length()
        if int(x.max()).bit_length() + shift <= 64:
            return np.argsort((x.astype(np.uint64) << np.uint64(shift)) | c.astype(np.uint64))
    return np.lexsort((c, x))


def select_pairs(
    config: SampleConfig, x: np.ndarray, c: np.ndarray, lines: np.ndarray, anchor: np.ndarray,
    nfp_x: np.ndarray, nfp_c: np.ndarray, one_x: np.ndarray, one_c: np.ndarray,
    same: np.ndarray, presorted: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The block candidates from shared fingerprints: one row per fingerprint unit ``x``
    shares with an earlier unit ``c`` (its line in ``x``, whether it is an anchor, both units'
    sampled fingerprint counts and one-line flags, ``same``: x and c are one unit). Returns
    ``(x, c, rank)`` of the pairs kept, by ``x`` then rank: each ``x``'s candidates strongest
    first (most shared fingerprints, then the smaller ``c``), at most ``max_candidates``.
    ``presorted``: the rows come sorted by ``x`` then ``c``."""
    if presorted:
        order = np.arange(len(x))
    else:
        order = _grouped(x, c)
        x, c, lines, anchor = x[order], c[order], lines[order], anchor[order]
    starts = np.ones(len(x), dtype=bool)  # the first row of each (x, c) group
    np.not_equal(x[1:], x[:-1], out=starts[1:])
    starts[1:] |= c[1:] != c[:-1]
    first = starts.nonzero()[0]
    group = np.cumsum(starts) - 1  # each row's group
    anchored = np.bincount(group[np.asarray(anchor, dtype=bool)], minlength=len(first))
    shared = np.bincount(group, minlength=len(first)) - anchored
    # The new unit's lines that the shared fingerprints lie on: one, or two and more.
    spread = np.zeros(len(first), dtype=bool)
    spread[group[lines != lines[first][group]]] = True
    px, pc, o = x[first], c[first], order[first]
    smaller = np.minimum(nfp_x[o], nfp_c[o])
    need = np.where(smaller <= config.few, 1, config.min_shared)
    need = np.maximum(need, np.ceil(config.share * smaller))
    lined = spread | one_x[o] | one_c[o]
    good = ((shared >= need) & lined) | ((anchored > 0) & (smaller <= config.few))
    if config.anchors:
        # Every prefix anchor shared: the two texts open with the same words (a teaser, an
        # abridged copy), whatever their sampled shingles say (those of a widely reused
        # paragraph are template text and stop counting).
        good |= anchored >= config.anchors
    good &= ~same[o]
    px, pc, shared = px[good], pc[good], shared[good]
    order = np.lexsort((pc, -shared, px))
    px, pc = px[order], pc[order]
    start = np.flatnonzero(np.r_[True, px[1:] != px[:-1]]) if len(px) else np.zeros(0, np.int64)
    rank = np.arange(len(px)) - np.repeat(start, np.diff(np.r_[start, len(px)]))
    keep = rank < config.max_candidates
    return px[keep], pc[keep], rank[keep]


def _anchors(batch: ShingleBatch, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Prefix anchors of every unit: its shingles at positions 0, 4, 8, ... (``count`` of
    them), as even fingerprints (sampled ones are odd) that match only at the same position.
    A short unit (at most ``few`` sampled fingerprints) that shares one with another unit
    is its candidate whatever else they share: a teaser or an abridged copy too short for the
    sample to see."""
    n = len(batch)
    at = np.tile(np.arange(count, dtype=np.int64) * 4, n)
    rows = np.repeat(np.arange(n, dtype=np.int64), count)
    ok = at < batch.counts()[rows]
    rows, at = rows[ok], at[ok]
    fp = _mix(batch.hashes[batch.offsets[rows] + at] ^ _U32(0x5BD1E995))
    fp = (fp ^ (at.astype(_U32) << _U32(24))) & _U32(0xFFFFFFFE)
    return fp | _U32(2), rows


# ------------------------------------------------------------------ persistent block tables
BLOCK_META_KEYS = ("block_sample", "block_anchors", "block_max_df")
"""The sampling settings a persistent index binds: the fingerprints it stores depend on them."""


def block_meta(config: SampleConfig) -> dict[str, str]:
    """The sampling settings of block candidates, as a persistent index records them."""
    return {"block_sample": str(config.sample), "block_anchors": str(config.anchors),
            "block_max_df": str(config.max_df)}


@dataclass(frozen=True, slots=True)
class BlockRows:
    """A batch's block fingerprints as a persistent index stores and queries them: one row per
    unit given to ``add_batch`` (see :func:`unit_fingerprints` for the arrays)."""

    config: SampleConfig
    fps: np.ndarray  # uint32: sampled fingerprints (odd) and prefix anchors (even)
    row: np.ndarray  # int64: the batch row of each
    lines: np.ndarray  # int64: its line in the unit
    nfp: np.ndarray  # per row: sampled fingerprints
    one_line: np.ndarray  # per row: all of them on one line

    def __len__(self) -> int:
        return len(self.nfp)

    def code(self) -> np.ndarray:
        """Per row, what a stored posting carries besides the unit key: ``nfp << 1 | one_line``
        (``nfp`` capped at 65535)."""
        return (np.minimum(self.nfp, 0xFFFF).astype(np.int64) << 1) | self.one_line.astype(
            np.int64)


def block_rows(batch: ShingleBatch, config: SampleConfig) -> BlockRows:
    """The :class:`BlockRows` of a batch made by ``shingle_batch(..., lines=True)``, its
    fingerprints grouped by row (in row order)."""
    fps, row, lines, nfp, one_line = unit_fingerprints(batch, config)
    order = np.argsort(row, kind="stable")
    return BlockRows(config, fps[order], row[order], lines[order], nfp, one_line)


def stored_candidates(
    rows: BlockRows, own: np.ndarray, hit: np.ndarray, key: np.ndarray, code: np.ndarray
) -> list[list[int]]:
    """Block candidates among a persistent index's stored units. ``own``: each row's index key;
    ``hit``: for every stored posting met, the index in ``rows.fps`` of the fingerprint that met
    it, ``key`` and ``code`` its unit key and :meth:`BlockRows.code`. Only units stored before
    the row (smaller keys) count; selected as in memory (:func:`select_pairs`)."""
    out: list[list[int]] = [[] for _ in range(len(rows))]
    x = rows.row[hit]
    keep = key < own[x]
    if not keep.any():
        return out
    order = np.flatnonzero(keep)
    # one int64 sort by (row, key) rather than select_pairs' two-key sort (keys < 2**40)
    order = order[np.argsort((x[order] << 40) | key[order])]
    hit, key, code, x = hit[order], key[order], code[order], x[order]
    px, pc, _ = select_pairs(
        rows.config, x, key, rows.lines[hit], (rows.fps[hit] & _U32(1)) == 0, rows.nfp[x],
        code >> 1, rows.one_line[x], (code & 1).astype(bool), key == own[x], presorted=True)
    for r, k in zip(px.tolist(), pc.tolist(), strict=True):
        out[r].append(k)
    return out


_POST_SHIFT = np.uint64(17)


class StoredBlocks:
    """The block fingerprints of a persistent index in memory (SQLite keeps one per process):
    a :class:`FingerprintTable` whose postings are ``key << 17 | code`` (:meth:`BlockRows.code`),
    capped at ``max_df`` units per fingerprint (the first stored: template text beyond)."""

    def __init__(self, max_df: int) -> None:
        self.table = FingerprintTable(max_df, unit_dtype=np.uint64)

    def add(self, fps: np.ndarray, postings: np.ndarray) -> None:
        """Store postings (in arrival order) of fingerprints ``fps``."""
        if not len(fps):
            return
        order = np.argsort(fps, kind="stable")
        sfp = fps[order]
        start = np.flatnonzero(np.r_[True, sfp[1:] != sfp[:-1]])
        sizes = np.diff(np.r_[start, len(sfp)])
        self.table.insert(sfp[start], postings[order], sizes)

    def query_insert(self, rows: BlockRows, own: np.ndarray, new: np.ndarray) -> tuple[
            list[list[int]], tuple[np.ndarray, np.ndarray]]:
        """The candidates of every row among the units stored before this batch (see
        :func:`stored_candidates`), then store the ``new`` rows' fingerprints. Returns the
        candidates and what was stored ``(fps, postings)`` (for the file)."""
        fps = rows.fps
        if not len(fps):
            return [[] for _ in range(len(rows))], (fps, np.zeros(0, np.uint64))
        by_fp = np.argsort(fps)
        sfp = fps[by_fp]
        starts = np.flatnonzero(np.r_[True, sfp[1:] != sfp[:-1]])
        counts = np.diff(np.r_[starts, len(sfp)])
        g, post, _ = self.table.lookup(sfp[starts])
        # every occurrence of a fingerprint in the batch meets its stored postings
        reps = counts[g]
        hit = by_fp[_segments(starts[g], reps)]
        post = np.repeat(post, reps)
        found = stored_candidates(rows, own, hit, (post >> _POST_SHIFT).astype(np.int64),
                                  (post & np.uint64((1 << 17) - 1)).astype(np.int64))
        mine = new[rows.row]
        keys = own.astype(np.uint64) << _POST_SHIFT | rows.code().astype(np.uint64)
        stored = (fps[mine], keys[rows.row[mine]])
        self.add(*stored)
        return found, stored
