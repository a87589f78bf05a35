"""A persistent index in one SQLite file: the embedded default for incremental dedup.

Layout (``PRAGMA journal_mode=WAL``; every batch is one ``BEGIN IMMEDIATE`` transaction, so
several processes can add to one file at once and a killed run leaves only whole batches)::

    meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID    the index's parameters
    sources(id INTEGER PRIMARY KEY, name TEXT UNIQUE)       where units came from
    units(n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, digest INTEGER UNIQUE, t INTEGER,
          source INTEGER, length INTEGER, complete INTEGER, shingles INTEGER, sig BLOB,
          run_id INTEGER)
    run_ids(id INTEGER PRIMARY KEY, name TEXT UNIQUE)       the jobs that indexed units
    copies(digest INTEGER, id TEXT, run_id INTEGER, t INTEGER, PRIMARY KEY (digest, id))
                                                            ids met with an indexed text
    runs(run INTEGER PRIMARY KEY AUTOINCREMENT, entries INTEGER, base INTEGER, first INTEGER,
         gaps BLOB, wide BLOB, units BLOB)
    blocks(run INTEGER PRIMARY KEY AUTOINCREMENT, entries INTEGER, base INTEGER, members BLOB,
           codes BLOB, fps BLOB, counts BLOB)     block fingerprints, one row per batch

A band entry is a 47-bit band key (:func:`~segmenter.index.table_keys`: band digest mixed with
the table name) and the ``n`` of a unit in that bucket; a bucket keeps at most ``max_bucket``
units (the first inserted). Each batch appends its new band entries as one *run*, sorted by key
and packed: ``first`` key, then the uint32 gaps between consecutive keys (``wide``: uint32
pairs ``(index, gap >> 32)`` for the few gaps of 2**32 or more), and ``units`` as offsets from
``base`` in as few bits as the largest needs (:func:`pack_bits`: 12 for a batch of 4,096
units; format 4 wrote uint16 or uint32, which read the same): about 5.5 bytes per entry, 180 per
unit, where a B-tree row per entry took 16 and rewrote pages all over the file at every batch.

``blocks`` holds the block fingerprints of each batch's new units (:mod:`segmenter.blockindex`:
the shingles sampled wherever they sit, so a later run finds a copy that is not a prefix):
``members`` the units' ``n - base`` (uint32), ``codes`` their fingerprint count and one-line flag
(uint32 ``nfp << 1 | one_line``), ``fps`` their fingerprints, unit by unit (uint32) and ``counts``
how many each unit has (uint32): 4 bytes per fingerprint, 12 per unit (about 80 per unit). Like
the band entries they live in memory as sorted levels (:class:`SortedEntries`: 12 bytes per
posting, at most ``block_max_df`` per fingerprint, the first stored: template text beyond),
loaded the first time a batch brings fingerprints; a batch is queried on a
:class:`~segmenter.blockindex.StoredBlocks` of just its fingerprints' postings.

Lookups never touch the runs on disk: each process keeps the band entries in memory as a few
sorted arrays (:class:`SortedEntries`, loaded on first use: 12 bytes per entry, about 0.4 KB per
unit) and runs each batch on a band table of just the batch's buckets. In every transaction it
first reads the runs other processes appended since (``runs.run`` above the last one it saw;
``meta.gen`` changes when ``prune`` rewrites runs, and it reloads them all; when the run it saw
last is gone, merged into the next one, it adds the entries of that one it does not hold).
Runs of small batches (``--jobs`` workers send a few hundred units at a time) are merged into
one once they hold :data:`MERGED_RUN` entries together, in the transaction of the batch that
fills them: their key gaps would not fit 32 bits.

``units.sig`` is the low 16 bits of each value of the unit's full signature (``num_perm * 2``
bytes: 256 at 128 permutations): enough for later runs to estimate Jaccard similarity and
containment against a new unit's exact shingle set (see :mod:`segmenter.dedup`).

``units.run_id`` is the run id (:func:`~segmenter.index.check_run_id`) of the job that indexed
the unit, NULL for units indexed before run ids existed (they count as another job's). The index
holds each text once; ``copies`` remembers the other ids a text was met with (and the job that
met each first), so a page that was an exact copy in an earlier run is ``seen`` when met again.

Older formats are migrated when opened, in one transaction: format 1 (a ``bands(key, unit)``
table, one row per entry) to runs, formats 1 and 2 (no run ids) get the ``run_id`` column,
formats 1 to 3 the (empty) ``blocks`` table: their units are found through the bands only;
format 4 rows are format 5 rows already (only older segmenters cannot read packed offsets).
"""

from __future__ import annotations

import fnmatch
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import IndexError_
from ..fingerprint import ranges
from . import (
    BatchResult,
    LSHParams,
    PersistentIndex,
    Status,
    StoredUnit,
    UnitInfo,
    added_meta,
    backend_call,
    batch_rows,
    check_meta,
    table_keys,
)
from .memory import BandTable

if TYPE_CHECKING:
    from ..blockindex import BlockRows, StoredBlocks

__all__ = ["SQLiteIndex", "lsh_meta", "open"]

FORMAT = "5"
OLD_FORMATS = ("1", "2", "3", "4")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS units(
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    digest INTEGER NOT NULL UNIQUE,
    t INTEGER NOT NULL,
    source INTEGER,
    length INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    shingles INTEGER NOT NULL,
    sig BLOB NOT NULL,
    run_id INTEGER
);
CREATE TABLE IF NOT EXISTS run_ids(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS copies(
    digest INTEGER NOT NULL, id TEXT NOT NULL, run_id INTEGER, t INTEGER NOT NULL,
    PRIMARY KEY (digest, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs(
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    entries INTEGER NOT NULL,
    base INTEGER NOT NULL,
    first INTEGER NOT NULL,
    gaps BLOB NOT NULL,
    wide BLOB NOT NULL,
    units BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks(
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    entries INTEGER NOT NULL,
    base INTEGER NOT NULL,
    members BLOB NOT NULL,
    codes BLOB NOT NULL,
    fps BLOB NOT NULL,
    counts BLOB NOT NULL
);
"""
_BLOCK_COLUMNS = "entries, base, members, codes, fps, counts"
_RUN_COLUMNS = "entries, base, first, gaps, wide, units"
SMALL_RUN = 1 << 16  # band entries: a run of fewer is merged with the ones after it ...
MERGED_RUN = 1 << 17  # ... once they hold this many (about 4,096 units' entries)
PAGE_SIZE = 8192  # bytes, of a new index file
MAX_LEVEL = 1 << 23  # entries: the largest level of SortedEntries (96 MiB of band entries)
_MAX_LOAD = 0.75  # fuller than in MemoryIndex: every process of a fleet holds this table


def encode_run(keys: np.ndarray, units: np.ndarray) -> tuple[int, int, int, bytes, bytes, bytes]:
    """Pack band entries (in insertion order) as a ``runs`` row: sorted by key (a stable sort,
    so a bucket's units keep their order), see the module docstring."""
    order = np.argsort(keys, kind="stable")
    k = np.asarray(keys, dtype=np.uint64)[order]
    u = np.asarray(units, dtype=np.int64)[order]
    gaps = np.diff(k)
    wide = np.flatnonzero(gaps >> np.uint64(32))
    pairs = np.stack([wide.astype(np.uint64), gaps[wide] >> np.uint64(32)], axis=1)
    base = int(u.min())
    offsets = u - base
    return (len(k), base, int(k[0]), (gaps & np.uint64(0xFFFFFFFF)).astype("<u4").tobytes(),
            pairs.astype("<u4").tobytes(), pack_bits(offsets))


def pack_bits(values: np.ndarray) -> bytes:
    """Non-negative integers below 2**32 in as few bits each as the largest needs, least
    significant bit first (so 16 or 32 bits are the bytes of ``<u2`` or ``<u4``); fewer than 8
    values take 16 or 32 bits, so that :func:`unpack_bits` tells the width from the length."""
    v = np.asarray(values, dtype=np.uint64)
    top = int(v.max()) if len(v) else 0
    bits = max(1, top.bit_length())
    if bits > 32:
        raise ValueError(f"{top} does not fit 32 bits")
    if len(v) < 8 or bits in (16, 32):
        return v.astype("<u2" if bits <= 16 else "<u4").tobytes()
    planes = (v[:, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)
    return np.packbits(planes.astype(np.uint8).ravel(), bitorder="little").tobytes()


def unpack_bits(data: bytes, count: int) -> np.ndarray:
    """The ``count`` values :func:`pack_bits` packed (int64)."""
    if not count:
        return np.zeros(0, dtype=np.int64)
    bits = len(data) * 8 // count
    if bits in (16, 32):
        return np.frombuffer(data, dtype="<u2" if bits == 16 else "<u4").astype(np.int64)
    planes = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=count * bits,
                           bitorder="little").reshape(count, bits)
    out = np.zeros(count, dtype=np.int64)
    for b in range(bits):
        out |= planes[:, b].astype(np.int64) << b
    return out


def encode_blocks(fps: np.ndarray, postings: np.ndarray) -> tuple[int, int, bytes, bytes,
                                                                  bytes, bytes]:
    """Pack a batch's stored block postings (``key << 17 | code``, in arrival order) as a
    ``blocks`` row (see the module docstring): grouped by unit (a stable sort: each unit's
    fingerprints keep their order), each unit's postings counted."""
    keys = (postings >> np.uint64(17)).astype(np.int64)
    order = np.argsort(keys, kind="stable")
    keys, fps, postings = keys[order], np.asarray(fps)[order], postings[order]
    members, first, counts = np.unique(keys, return_index=True, return_counts=True)
    codes = (postings[first] & np.uint64((1 << 17) - 1)).astype("<u4")
    base = int(members[0])
    return (len(fps), base, (members - base).astype("<u4").tobytes(), codes.tobytes(),
            fps.astype("<u4").tobytes(), counts.astype("<u4").tobytes())


def decode_blocks(entries: int, base: int, members: bytes, codes: bytes, fps: bytes,
                  counts: bytes) -> tuple[np.ndarray, np.ndarray]:
    """``(fps uint32, postings uint64)`` of a ``blocks`` row, in arrival order."""
    keys = np.frombuffer(members, dtype="<u4").astype(np.uint64) + np.uint64(base)
    post = keys << np.uint64(17) | np.frombuffer(codes, dtype="<u4").astype(np.uint64)
    per = np.frombuffer(counts, dtype="<u4").astype(np.int64)
    return np.frombuffer(fps, dtype="<u4").astype(np.uint32), np.repeat(post, per)


def decode_run(entries: int, base: int, first: int, gaps: bytes, wide: bytes, units: bytes
               ) -> tuple[np.ndarray, np.ndarray]:
    """``(keys uint64, units int64)`` of a ``runs`` row."""
    g = np.frombuffer(gaps, dtype="<u4").astype(np.uint64)
    pairs = np.frombuffer(wide, dtype="<u4").reshape(-1, 2)
    g[pairs[:, 0]] += pairs[:, 1].astype(np.uint64) << np.uint64(32)
    keys = np.empty(entries, dtype=np.uint64)
    keys[0] = first
    np.cumsum(g, out=keys[1:])
    keys[1:] += np.uint64(first)
    return keys, unpack_bits(units, entries) + base


def _merged(older: tuple[np.ndarray, np.ndarray], newer: tuple[np.ndarray, np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray]:
    """Two key-sorted levels as one (a key's older values first), without a sort."""
    (k1, v1), (k2, v2) = older, newer
    at = np.searchsorted(k1, k2, side="right")
    at += np.arange(len(k2))  # where each newer entry lands
    keys = np.empty(len(k1) + len(k2), dtype=np.result_type(k1, k2))
    values = np.empty(len(keys), dtype=np.result_type(v1, v2))
    rest = np.ones(len(keys), dtype=bool)
    rest[at] = False
    keys[at], values[at] = k2, v2
    keys[rest], values[rest] = k1, v1
    return keys, values


class SortedEntries:
    """Entries ``(key, value)`` held in memory as a few sorted levels (LSM-style): each level a
    pair of arrays sorted by key (stable: a key's values in arrival order), the levels from
    oldest to newest; a new level merges with the one before while it is at least half its
    size and they hold at most :data:`MAX_LEVEL` entries together (so there are about
    log2(batches) levels up to that size, and a merge needs at most that many more entries'
    memory for a moment; a merge is one pass, :func:`_merged`). For
    the band entries (uint64 keys, int32 units: 12 bytes per entry, where a hash table of every
    entry took 20-40 in half-empty power-of-two slots) and the block postings (uint32
    fingerprints, uint64 postings)."""

    def __init__(self, narrow: bool = False, cap: int | None = None) -> None:
        self.levels: list[tuple[np.ndarray, np.ndarray]] = []
        self.narrow = narrow  # values kept as int32 while they fit
        self.cap = cap  # at most this many values per key: the first ones (None: all)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + v.nbytes for k, v in self.levels)

    def add(self, keys: np.ndarray, values: np.ndarray, presorted: bool = False) -> None:
        """Append entries (newer than all held; in arrival order, or sorted by key with a
        key's values in arrival order when ``presorted``)."""
        if not len(keys):
            return
        k, v = np.asarray(keys), np.asarray(values)
        if not presorted:
            order = np.argsort(k, kind="stable")
            k, v = k[order], v[order]
        if self.cap is not None:
            first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
            sizes = np.diff(np.r_[first, len(k)])
            room = np.full(len(first), self.cap, dtype=np.int64)
            for held, _ in self.levels:
                room -= np.searchsorted(held, k[first], "right") - np.searchsorted(held, k[first])
            keep = np.arange(len(k)) - np.repeat(first, sizes) < np.repeat(room, sizes)
            k, v = k[keep], v[keep]
            if not len(k):
                return
        if self.narrow and int(v.max()) < 1 << 31:
            v = v.astype(np.int32)
        self.levels.append((k, v))
        while len(self.levels) > 1 and \
                len(self.levels[-2][0]) <= min(2 * len(self.levels[-1][0]),
                                               MAX_LEVEL - len(self.levels[-1][0])):
            self.levels.append(_merged(self.levels.pop(-2), self.levels.pop()))

    def extend(self, parts: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        """:meth:`add` parts in arrival order, up to ``MAX_LEVEL // 2`` entries at a time (one
        sort each: loading a file's runs or rows makes few large levels, not one per row)."""
        keys: list[np.ndarray] = []
        values: list[np.ndarray] = []
        size = 0
        for k, v in parts:
            keys.append(k)
            values.append(v)
            size += len(k)
            if size >= MAX_LEVEL // 2:
                self.add(np.concatenate(keys), np.concatenate(values))
                keys, values, size = [], [], 0
        if keys:
            self.add(np.concatenate(keys), np.concatenate(values))

    def unseen(self, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The entries ``(key, value)`` not held yet (values below 2**32; order kept)."""
        held_k, held_v = self.lookup(keys)
        if not len(held_k):
            return keys, values
        _, dense = np.unique(np.concatenate([keys, held_k]), return_inverse=True)
        pairs = dense.astype(np.int64) << 32 | np.concatenate([values, held_v]).astype(np.int64)
        keep = ~np.isin(pairs[: len(keys)], pairs[len(keys):])
        return keys[keep], values[keep]

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every entry of these keys: grouped by level, oldest first (so a key's values are in
        arrival order)."""
        q = np.unique(keys)
        found_k: list[np.ndarray] = []
        found_v: list[np.ndarray] = []
        for held, values in self.levels:
            lo = np.searchsorted(held, q)
            hit = np.flatnonzero(held[np.minimum(lo, len(held) - 1)] == q)
            lo = lo[hit]
            idx = ranges(lo, np.searchsorted(held, q[hit], side="right") - lo)
            found_k.append(held[idx])
            found_v.append(values[idx])
        if not found_k:
            return np.zeros(0, dtype=np.asarray(keys).dtype), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_k), np.concatenate(found_v)


_IN = "(SELECT value FROM json_each(?))"


def lsh_meta(params: LSHParams) -> dict[str, str]:
    """The LSH parameters as recorded in an index's metadata."""
    return {
        "num_perm": str(params.num_perm),
        "bands": str(params.bands),
        "rows": str(params.rows),
        "max_bucket": str(params.max_bucket),
        "seed": str(params.seed),
    }


def params_from_meta(meta: Mapping[str, str]) -> LSHParams:
    return LSHParams(
        num_perm=int(meta["num_perm"]),
        bands=int(meta["bands"]),
        rows=int(meta["rows"]),
        max_bucket=int(meta["max_bucket"]),
        seed=int(meta["seed"]),
    )


def path_of(url: str) -> str:
    """``sqlite:///rel/path`` -> ``rel/path``, ``sqlite:////abs/path`` -> ``/abs/path``."""
    rest = url.split("://", 1)[1] if "://" in url else url
    if rest.startswith("/"):
        rest = rest[1:]
    if not rest:
        raise IndexError_(f"no file in index URL {url!r}; use --index PATH or sqlite:///PATH")
    return rest


def open(url: str, params: LSHParams | None = None) -> SQLiteIndex:  # noqa: A001
    """The index at ``sqlite:///PATH`` (what :func:`~segmenter.index.open_index` calls)."""
    return SQLiteIndex(path_of(url), params)


class SQLiteIndex(PersistentIndex):
    """A persistent LSH index in one SQLite file (see the module docstring)."""

    store = "SQLite"
    backend_errors = (sqlite3.Error,)  # a full disk, a lock held past the timeout, corruption

    def backend_error(self, exc: BaseException) -> IndexError_:
        return IndexError_(f"SQLite index {self.path}: {exc}")

    def __init__(self, path: str | os.PathLike[str], params: LSHParams | None = None) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        if not self.path.parent.is_dir():
            raise IndexError_(
                f"cannot create index {self.path}: folder {self.path.parent} does not exist; "
                "create it first"
            )
        try:
            self._db = sqlite3.connect(str(self.path), timeout=120.0, isolation_level=None)
            # A new file only (an existing one keeps its size): rows of about 300 bytes leave
            # half a row unused per page, 13 B/unit with 4 KiB pages, 7 with 8 KiB.
            self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Band lookups are in memory (BandTable); the page cache holds the units' digest
            # index, the only B-tree a batch writes all over.
            self._db.execute("PRAGMA cache_size=-131072")
            stored = self.meta() if self._has_table("meta") else {}
            if stored.get("format") in OLD_FORMATS:
                self._migrate(stored["format"])
            elif stored.get("format", FORMAT) != FORMAT:
                raise IndexError_(
                    f"index {self.path} has format {stored['format']}, newer than this "
                    f"segmenter reads ({FORMAT}); upgrade segmenter or use a new index path"
                )
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexError_(
                f"{self.path} is not a usable SQLite index ({exc}); pass a new path or a "
                "segmenter index file"
            ) from exc
        stored = self.meta()
        if params is None:
            params = params_from_meta(stored) if stored else LSHParams()
        elif stored:
            check_meta(stored, lsh_meta(params), str(self.path))
        self.params = params
        self._bucket_cap = params.max_bucket
        self._mem: SortedEntries | None = None  # every band entry, loaded on first use
        self._blocks: SortedEntries | None = None  # every block posting, loaded on first use
        self._blocks_seen = 0  # the last blocks row in _blocks
        self._blocks_gen = ""
        self._seen = 0  # the last run in _mem
        self._gen = ""  # meta.gen when _mem was loaded

    @property
    def nbytes(self) -> int:
        """Bytes this process holds in memory for the index: band entries and block postings."""
        return (self._mem.nbytes if self._mem is not None else 0) + \
            (self._blocks.nbytes if self._blocks is not None else 0)

    def _has_table(self, name: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------------ transactions
    def _begin(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise IndexError_(f"index {self.path} is locked or unwritable ({exc})") from exc

    def _rollback(self) -> None:
        self._mem = None  # it may hold entries of the batch that was not committed
        self._blocks = None
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None  # type: ignore[assignment]
        self._mem = None
        self._blocks = None

    # ------------------------------------------------------------------ metadata
    @backend_call
    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta WHERE key != 'gen'").fetchall())

    @backend_call
    def bind(self, meta: Mapping[str, str]) -> None:
        wanted = {"format": FORMAT, **lsh_meta(self.params), **meta}
        self._begin()
        try:
            stored = self.meta()
            if not stored:
                wanted["created"] = str(int(time.time()))
                self._db.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)", sorted(wanted.items())
                )
            added = added_meta(stored, wanted)  # settings an older index did not record
            if added:
                self._db.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)", sorted(added.items())
                )
                stored.update(added)
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        if stored:
            check_meta(stored, wanted, str(self.path))

    # ------------------------------------------------------------------ band entries
    def _generation(self) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'gen'").fetchone()
        return str(row[0]) if row else ""

    def _runs(self, after: int = 0) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        rows = self._db.execute(
            f"SELECT run, {_RUN_COLUMNS} FROM runs WHERE run > ? ORDER BY run", (after,)
        )
        for run, *cols in rows:
            keys, units = decode_run(*cols)
            yield run, keys, units

    @backend_call
    def entries(self) -> tuple[np.ndarray, np.ndarray]:
        """Every band entry: ``(keys uint64, units int64)``, in insertion order per bucket."""
        parts = [(k, u) for _, k, u in self._runs()]
        if not parts:
            return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        return np.concatenate([k for k, _ in parts]), np.concatenate([u for _, u in parts])

    def _sync(self) -> SortedEntries:
        """The band entries in memory, up to date with the file (call inside a transaction)."""
        gen = self._generation()
        if self._mem is None or gen != self._gen:  # new, or pruned: read them all
            self._mem, self._seen, self._gen = SortedEntries(narrow=True), 0, gen
        # The run seen last is gone: merged into the first run after it (:meth:`_merge_tail`),
        # with others this process read before it, whose entries it must not add twice.
        merged = bool(self._seen) and self._db.execute(
            "SELECT 1 FROM runs WHERE run = ?", (self._seen,)).fetchone() is None
        mem = self._mem

        def runs() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            first = merged
            for run, keys, units in self._runs(self._seen):
                yield mem.unseen(keys, units) if first else (keys, units)
                first = False
                self._seen = run

        mem.extend(runs())
        return mem

    def _table(self, digests: np.ndarray) -> BandTable:
        """A band table of just these digests' buckets (every entry, in insertion order), inside
        a transaction: a batch run on it gets the answers the table of every entry would."""
        keys, units = self._sync().lookup(np.asarray(digests, dtype=np.uint64))
        return BandTable.from_entries(self._bucket_cap, keys, units.astype(np.int64), _MAX_LOAD)

    def _block_table(self, fps: np.ndarray, max_df: int) -> StoredBlocks:
        """The stored block postings of these fingerprints (every one, in arrival order) as a
        table, inside a transaction: a batch queried on it meets what the table of every
        posting would give it."""
        from ..blockindex import StoredBlocks

        gen = self._generation()
        if self._blocks is None or gen != self._blocks_gen or self._blocks.cap != max_df:
            self._blocks = SortedEntries(cap=max_df)
            self._blocks_seen = 0
            self._blocks_gen = gen
        rows = self._db.execute(
            f"SELECT run, {_BLOCK_COLUMNS} FROM blocks WHERE run > ? ORDER BY run",
            (self._blocks_seen,),
        )

        def postings() -> Iterator[tuple[np.ndarray, np.ndarray]]:
            for run, *cols in rows:
                yield decode_blocks(*cols)
                self._blocks_seen = run

        self._blocks.extend(postings())
        table = StoredBlocks(max_df)
        table.add(*self._blocks.lookup(np.asarray(fps, dtype=np.uint32)))
        return table

    def _append(self, log: list[tuple[np.ndarray, np.ndarray]]) -> None:
        """Write the entries a batch stored as one run (inside its transaction), then merge the
        small runs at the end of the table once they hold a large run's worth of entries."""
        log = [(k, u) for k, u in log if len(k)]
        if not log:
            return
        keys = np.concatenate([k for k, _ in log])
        units = np.concatenate([u for _, u in log])
        cur = self._db.execute(
            f"INSERT INTO runs({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", encode_run(keys, units)
        )
        self._seen = int(cur.lastrowid or self._seen)
        if self._mem is not None:
            self._mem.add(keys, units)
        self._merge_tail()

    def _merge_tail(self) -> None:
        """Small runs (fewer than :data:`SMALL_RUN` entries: batches of a few hundred units,
        such as ``--jobs`` workers send) pack poorly (their key gaps pass 2**32). When the
        trailing small runs hold :data:`MERGED_RUN` entries together, rewrite them as one run
        under the last one's number (inside the batch's transaction; this process has every
        entry in memory already). Another process that had read some of them but not all finds
        the run it saw last gone, and adds the entries of the merged run it does not hold yet
        (:meth:`_sync`)."""
        tail: list[int] = []
        total = 0
        for run, entries in self._db.execute("SELECT run, entries FROM runs ORDER BY run DESC"):
            if entries >= SMALL_RUN:
                break
            tail.append(run)
            total += entries
        if len(tail) < 2 or total < MERGED_RUN:
            return
        parts = list(self._runs(tail[-1] - 1))
        keys, units = (np.concatenate([p[i] for p in parts]) for i in (1, 2))
        values = encode_run(keys, units)  # stable: a bucket keeps its units' order
        self._db.execute("DELETE FROM runs WHERE run >= ? AND run < ?", (tail[-1], tail[0]))
        self._db.execute(f"UPDATE runs SET ({_RUN_COLUMNS}) = (?, ?, ?, ?, ?, ?) WHERE run = ?",
                         (*values, tail[0]))

    def _write(self, table: str, keys: Sequence[int], signatures: np.ndarray,
               collect: bool) -> list[list[int]]:
        tk = table_keys(signatures, self.params, table).view(np.uint64)
        self._begin()
        try:
            log: list[tuple[np.ndarray, np.ndarray]] = []
            out = self._table(tk).run([int(k) for k in keys], tk, collect, log)
            self._append(log)
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return out

    @backend_call
    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        self._write(table, keys, signatures, collect=False)

    @backend_call
    def query_insert(
        self, table: str, keys: Sequence[int], signatures: np.ndarray
    ) -> list[list[int]]:
        return self._write(table, keys, signatures, collect=True)

    @backend_call
    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        tk = table_keys(signatures, self.params, table).view(np.uint64)
        self._db.execute("BEGIN")
        try:
            buckets = self._table(tk)
        finally:
            self._db.execute("COMMIT")
        return buckets.run(None, tk, collect=True)

    def _migrate(self, old: str) -> None:
        """An older format to this one, in one transaction. Format 1: the ``bands`` rows become
        runs (in unit order, a run per 2**17 entries), then the table is dropped (``vacuum``
        returns its space). Formats 1 and 2: ``units`` gets the ``run_id`` column (NULL: indexed
        before run ids, by another job than any later one)."""
        self._begin()
        try:
            if self.meta().get("format") == old:
                size = 1 << 17
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                if old == "1":
                    rows = self._db.execute("SELECT key, unit FROM bands ORDER BY unit")
                    while chunk := rows.fetchmany(size):
                        arr = np.array(chunk, dtype=np.int64)
                        self._db.execute(
                            f"INSERT INTO runs({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                            encode_run(arr[:, 0].view(np.uint64), arr[:, 1]),
                        )
                    self._db.execute("DROP TABLE bands")
                columns = {r[1] for r in self._db.execute("PRAGMA table_info(units)")}
                if "run_id" not in columns:
                    self._db.execute("ALTER TABLE units ADD COLUMN run_id INTEGER")
                self._db.execute("UPDATE meta SET value = ? WHERE key = 'format'", (FORMAT,))
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    # ------------------------------------------------------------------ units
    @backend_call
    def add_batch(
        self, units: Sequence[UnitInfo], signatures: Mapping[str, np.ndarray],
        run: str | None = None, blocks: BlockRows | None = None,
    ) -> BatchResult:
        if not units:
            return BatchResult([], [], {t: [] for t in signatures})
        tables, keys, sig16 = batch_rows(signatures, self.params)
        now = int(time.time())
        self._begin()
        try:
            run_key = self._run_key(run)
            digests = json.dumps([u.digest for u in units])
            known = {
                d: (n, i, r, t, name)
                for n, i, d, r, t, name in self._db.execute(
                    "SELECT u.n, u.id, u.digest, u.run_id, u.t, r.name FROM units u LEFT JOIN "
                    f"run_ids r ON r.id = u.run_id WHERE u.digest IN {_IN}", (digests,),
                )
            }
            copies = {
                (d, i): (r, t, name)
                for d, i, r, t, name in self._db.execute(
                    "SELECT c.digest, c.id, c.run_id, c.t, r.name FROM copies c LEFT JOIN "
                    f"run_ids r ON r.id = c.run_id WHERE c.digest IN {_IN}", (digests,),
                )
            }
            earlier: dict[int, tuple[str | None, int]] = {}
            new_copies: list[tuple[Any, ...]] = []
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='units'").fetchone()
            top = self._db.execute("SELECT COALESCE(MAX(n), 0) FROM units").fetchone()[0]
            nxt = max(top, row[0] if row else 0) + 1
            status: list[Status] = []
            rowids: list[int] = []
            rows: list[int] = []  # batch rows that query the bands (not exact copies) ...
            row_keys: list[int] = []  # ... with the key they insert (-1: query only)
            new_units: list[tuple[Any, ...]] = []
            sources: dict[str | None, int | None] = {None: None}
            for i, u in enumerate(units):
                hit = known.get(u.digest)
                if hit is not None:
                    rowids.append(hit[0])
                    # who met this id with this text first: the unit's job, or a copy's
                    met = hit[2:] if hit[1] == u.id else copies.get((u.digest, u.id))
                    if met is None:  # a copy of an indexed text, met now
                        status.append("exact")
                        copies[(u.digest, u.id)] = (run_key, now, run)
                        new_copies.append((u.digest, u.id, run_key, now))
                    elif run is not None and met[0] != run_key:
                        status.append("seen")
                        earlier[i] = (met[2], met[1])
                    elif hit[1] != u.id:
                        status.append("exact")  # this job's own copy, met again
                    else:
                        status.append("indexed")
                        rows.append(i)
                        row_keys.append(-1)
                    continue
                n = nxt
                nxt += 1
                known[u.digest] = (n, u.id, run_key, now, run)
                status.append("new")
                rowids.append(n)
                rows.append(i)
                row_keys.append(n)
                if u.source not in sources:
                    sources[u.source] = self._source_id(u.source)
                new_units.append(
                    (n, u.id, u.digest, now, sources[u.source], u.length, int(u.complete),
                     u.shingles, sig16[i].tobytes(), run_key)
                )
            sel = np.asarray(rows, dtype=np.intp)
            mem = self._table(np.concatenate([keys[t][sel] for t in tables], axis=None))
            log: list[tuple[np.ndarray, np.ndarray]] = []
            cands: dict[str, list[list[int]]] = {t: [[] for _ in units] for t in tables}
            for t in tables:
                found = mem.run(row_keys, keys[t][sel].view(np.uint64), True, log)
                for i, key, c in zip(rows, row_keys, found, strict=True):
                    # an already indexed unit: candidates among units indexed before it
                    cands[t][i] = c if key >= 0 else [k for k in c if k < rowids[i]]
            self._db.executemany(
                "INSERT INTO units(n, id, digest, t, source, length, complete, shingles, sig, "
                "run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", new_units)
            self._db.executemany("INSERT INTO copies VALUES (?, ?, ?, ?)", new_copies)
            self._append(log)
            if blocks is not None:
                cands["block"] = self._add_blocks(blocks, rowids, status)
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return BatchResult(status, rowids, cands, earlier)

    def _add_blocks(self, blocks: BlockRows, rowids: list[int], status: list[Status]
                    ) -> list[list[int]]:
        """Block candidates of a batch among the stored units, then store the new units'
        fingerprints as one ``blocks`` row (inside the batch's transaction)."""
        table = self._block_table(blocks.fps, blocks.config.max_df)
        own = np.asarray(rowids, dtype=np.int64)
        found, (fps, postings) = table.query_insert(
            blocks, own, np.asarray([s == "new" for s in status], dtype=bool))
        out = [c if s in ("new", "indexed") else [] for c, s in zip(found, status, strict=True)]
        if len(fps):
            cur = self._db.execute(
                f"INSERT INTO blocks({_BLOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                encode_blocks(fps, postings))
            self._blocks_seen = int(cur.lastrowid or self._blocks_seen)
            assert self._blocks is not None
            self._blocks.add(fps, postings)
        return out

    def _source_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        self._db.execute("INSERT OR IGNORE INTO sources(name) VALUES (?)", (name,))
        return int(self._db.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()[0])

    def _run_key(self, run: str | None) -> int | None:
        """The ``run_ids`` key of a run id (added when new; inside a transaction)."""
        if run is None:
            return None
        self._db.execute("INSERT OR IGNORE INTO run_ids(name) VALUES (?)", (run,))
        return int(self._db.execute("SELECT id FROM run_ids WHERE name = ?", (run,)).fetchone()[0])

    _COLUMNS = ("u.n, u.id, u.digest, u.length, u.complete, u.shingles, s.name, u.t, u.sig, "
                "r.name")
    _FROM = ("units u LEFT JOIN sources s ON s.id = u.source "
             "LEFT JOIN run_ids r ON r.id = u.run_id")

    @staticmethod
    def _stored(r: tuple[Any, ...]) -> StoredUnit:
        return StoredUnit(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7],
                          np.frombuffer(r[8], dtype="<u2"), r[9])

    @backend_call
    def fetch(self, rowids: Sequence[int]) -> dict[int, StoredUnit]:
        if not rowids:
            return {}
        rows = self._db.execute(
            f"SELECT {self._COLUMNS} FROM {self._FROM} WHERE u.n IN {_IN}",
            (json.dumps([int(r) for r in rowids]),),
        )
        return {r[0]: self._stored(r) for r in rows}

    @backend_call
    def export(self) -> Iterator[StoredUnit]:
        rows = self._db.execute(
            f"SELECT {self._COLUMNS} FROM {self._FROM} ORDER BY u.n"
        )
        for r in rows:
            yield self._stored(r)

    @backend_call
    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM units").fetchone()[0])

    @backend_call
    def stats(self) -> dict[str, Any]:
        db = self._db
        units = len(self)
        first, last = db.execute("SELECT MIN(t), MAX(t) FROM units").fetchone()
        by_source = db.execute(
            "SELECT COALESCE(s.name, ''), COUNT(*) FROM units u LEFT JOIN sources s "
            "ON s.id = u.source GROUP BY u.source ORDER BY COUNT(*) DESC LIMIT 20"
        ).fetchall()
        page = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        tables: dict[str, int] = {}
        try:
            for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                tables[name] = int(size)
        except sqlite3.DatabaseError:  # pragma: no cover - SQLite without dbstat
            pass
        wal = Path(str(self.path) + "-wal")
        size = self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        used = (pages - free) * page
        return {
            "backend": "sqlite",
            "path": str(self.path),
            "units": units,
            "band_entries": int(
                db.execute("SELECT COALESCE(SUM(entries), 0) FROM runs").fetchone()[0]
            ),
            "copies": int(db.execute("SELECT COUNT(*) FROM copies").fetchone()[0]),
            "block_postings": int(
                db.execute("SELECT COALESCE(SUM(entries), 0) FROM blocks").fetchone()[0]
            ),
            "run_ids": int(db.execute("SELECT COUNT(*) FROM run_ids").fetchone()[0]),
            "sources": {name: n for name, n in by_source},
            "first_inserted": first,
            "last_inserted": last,
            "bytes_on_disk": size,
            "bytes_used": used,
            "bytes_per_unit": round(used / units, 1) if units else None,
            "bytes_by_table": tables,
            "meta": self.meta(),
        }

    @backend_call
    def prune(self, before: float | None = None, source: str | None = None) -> int:
        if before is None and source is None:
            raise IndexError_("prune needs --before and/or --source (refusing to empty the index)")
        where, args = [], []
        if before is not None:
            where.append("u.t < ?")
            args.append(int(before))
        if source is not None:
            names = [
                sid for sid, name in self._db.execute("SELECT id, name FROM sources")
                if fnmatch.fnmatchcase(name, source)
            ]
            where.append(f"u.source IN {_IN}")
            args.append(json.dumps(names))  # type: ignore[arg-type]
        self._begin()
        try:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS doomed(n INTEGER PRIMARY KEY)")
            self._db.execute("DELETE FROM doomed")
            self._db.execute(
                f"INSERT INTO doomed SELECT u.n FROM units u WHERE {' AND '.join(where)}", args
            )
            count = int(self._db.execute("SELECT COUNT(*) FROM doomed").fetchone()[0])
            if count:
                doomed = np.array([n for (n,) in self._db.execute("SELECT n FROM doomed")])
                self._drop_entries(doomed)
                self._db.execute("DELETE FROM copies WHERE digest IN (SELECT digest FROM units "
                                 "WHERE n IN (SELECT n FROM doomed))")
                self._db.execute("DELETE FROM units WHERE n IN (SELECT n FROM doomed)")
            if before is not None:
                self._db.execute("DELETE FROM copies WHERE t < ?", (int(before),))
            self._db.execute("DELETE FROM doomed")
            self._db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return count

    def _keep_rows(
        self, table: str, columns: str,
        rows: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]], doomed: np.ndarray,
        encode: Callable[[np.ndarray, np.ndarray], tuple[Any, ...]],
    ) -> None:
        """Rewrite each packed row ``(run, first, second, owners)`` of ``table`` without the
        entries whose owner unit is in ``doomed``; a row left empty is deleted."""
        for run, first, second, owners in rows:
            keep = ~np.isin(owners, doomed)
            if keep.all():
                continue
            if keep.any():
                values = encode(first[keep], second[keep])
                marks = ", ".join("?" * len(values))
                self._db.execute(
                    f"UPDATE {table} SET ({columns}) = ({marks}) WHERE run = ?", (*values, run))
            else:
                self._db.execute(f"DELETE FROM {table} WHERE run = ?", (run,))

    def _drop_entries(self, doomed: np.ndarray) -> None:
        """Rewrite the runs without these units' entries and start a new generation, so every
        process reloads its band table (inside a transaction)."""
        runs = [(run, keys, units, units) for run, keys, units in self._runs()]
        self._keep_rows("runs", _RUN_COLUMNS, runs, doomed, encode_run)
        blocks = []
        for run, *cols in self._db.execute(f"SELECT run, {_BLOCK_COLUMNS} FROM blocks"):
            fps, postings = decode_blocks(*cols)
            blocks.append((run, fps, postings, (postings >> np.uint64(17)).astype(np.int64)))
        self._keep_rows("blocks", _BLOCK_COLUMNS, blocks, doomed, encode_blocks)
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES ('gen', ?) ON CONFLICT(key) DO UPDATE SET "
            "value = excluded.value", (f"{time.time_ns()}-{os.getpid()}",)
        )
        self._mem = None
        self._blocks = None

    @backend_call
    def vacuum(self) -> None:
        """Rebuild the file compactly (after a prune)."""
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

