"""In-memory index backends: our array band tables, and datasketch's ``MinHashLSH``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..fingerprint import ranges
from . import Index, LSHParams, band_digests

__all__ = ["BandTable", "DatasketchIndex", "MemoryIndex"]


def _first_of_runs(*columns: np.ndarray) -> np.ndarray:
    """True where a row of these (sorted) columns differs from the row before it."""
    n = len(columns[0])
    first = np.ones(n, dtype=bool)
    if n > 1:
        same = np.ones(n - 1, dtype=bool)
        for c in columns:
            same &= c[1:] == c[:-1]
        first[1:] = ~same
    return first


class _Grow:
    """A few parallel 1-d arrays that grow by doubling (the multi-key bucket store)."""

    __slots__ = ("arrays", "size")

    def __init__(self, dtypes: Sequence[type]) -> None:
        self.arrays: list[np.ndarray] = [np.zeros(16, dtype=d) for d in dtypes]
        self.size = 0

    def take(self, n: int) -> np.ndarray:
        """Indices of ``n`` new rows."""
        need = self.size + n
        if need > len(self.arrays[0]):
            cap = len(self.arrays[0])
            while cap < need:
                cap *= 2
            grown = []
            for a in self.arrays:
                b = np.zeros(cap, dtype=a.dtype)
                b[: self.size] = a[: self.size]
                grown.append(b)
            self.arrays = grown
        idx = np.arange(self.size, need, dtype=np.int64)
        self.size = need
        return idx

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays)


class BandTable:
    """One LSH table: an open-addressing hash table (linear probing) over 64-bit band digests,
    worked on a whole batch at a time with numpy (no Python-level work per entry).

    ``slots[s] = (digest, value + 1)`` (one 16-byte load gives both; all zeros is an empty
    slot, so a new table is fresh zeroed pages): ``value`` is ``-1`` for an
    empty slot, ``k >= 0`` for a bucket holding the one key ``k`` (most buckets), and
    ``-2 - m`` for a bucket of two keys or more: ``length[m]`` keys in insertion order (at most
    ``cap``) at ``pool[start[m]:]``, in a block of ``room[m]`` places that moves to a block
    twice as large when it is full (so a bucket's keys are one contiguous read). 16 bytes per
    slot, slots at most :data:`MAX_LOAD` full, 8 bytes and some slack per key of a multi-key
    bucket: where a dict of Python ints takes ~100 bytes per entry and a cache miss per object.
    Each key is inserted at most once per table (keys are unit ordinals).
    """

    MAX_LOAD = 0.6
    EMPTY = -1
    MIX = 0x9E3779B97F4A7C15  # odd: digest * MIX mod 2**64 is a bijection

    __slots__ = ("_slots", "_rows", "_shift", "count", "cap", "max_load", "buckets", "pool")

    def __init__(self, cap: int, capacity: int = 1 << 12, max_load: float | None = None
                 ) -> None:
        self.cap = cap
        self.max_load = max_load or self.MAX_LOAD
        self.slots = self._empty(capacity)
        self.count = 0
        self.buckets = _Grow([np.int64, np.int64, np.int64])  # start, length, room
        self.pool = _Grow([np.int64])  # the keys of multi-key buckets

    @classmethod
    def _empty(cls, capacity: int) -> np.ndarray:
        return np.zeros((capacity, 2), dtype=np.int64)

    @property
    def slots(self) -> np.ndarray:
        """``(capacity, 2)`` int64: digest (bits of the uint64) and value per slot."""
        return self._slots

    @slots.setter
    def slots(self, value: np.ndarray) -> None:
        self._slots = value
        # the same memory, one 16-byte element per slot: gathers and scatters of whole slots
        # through it are several times faster than 2-d fancy indexing
        self._rows = value.view(np.complex128).ravel()
        self._shift = np.uint64(64 - (len(value).bit_length() - 1))

    def _home(self, digests: np.ndarray) -> np.ndarray:
        """A digest's home slot: the top bits of digest * an odd constant (Fibonacci hashing:
        spreads keys whose top bits are all zero, such as 47-bit ones, and a table twice as
        large keeps the slot order, so a rehash writes the new table front to back)."""
        mixed = np.asarray(digests).view(np.uint64) * np.uint64(self.MIX)
        return (mixed >> self._shift).astype(np.int64)

    def _gather(self, slot: np.ndarray) -> np.ndarray:
        return self._rows.take(slot).view(np.int64).reshape(-1, 2)

    def __len__(self) -> int:
        return self.count

    @property
    def nbytes(self) -> int:
        return int(self.slots.nbytes) + self.buckets.nbytes + self.pool.nbytes

    @classmethod
    def from_entries(cls, cap: int, digests: np.ndarray, keys: np.ndarray,
                     max_load: float | None = None) -> BandTable:
        """A table holding these ``(digest, key)`` entries, in insertion order (as a persistent
        index stored them: buckets already capped, no key twice in a bucket). The two arrays
        (uint64 and int64) are sorted in place, to keep the peak memory of a load low."""
        d = digests
        k = keys
        order = np.argsort(d, kind="stable")
        d[:] = d[order]
        k[:] = k[order]
        del order
        starts = np.flatnonzero(_first_of_runs(d))
        sizes = np.minimum(np.diff(np.r_[starts, len(d)]), cap)
        capacity = 1 << 12
        while len(starts) > (max_load or cls.MAX_LOAD) * capacity:
            capacity *= 2
        table = cls(cap, capacity, max_load)
        values = k[starts]
        multi = np.flatnonzero(sizes > 1)
        if len(multi):
            values[multi] = table._new_buckets(k[ranges(starts[multi], sizes[multi])],
                                               sizes[multi], tight=True)
        table._fill(d[starts], values)
        table.count = len(starts)
        return table

    # ------------------------------------------------------------------ slots
    def find(self, digests: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(slot, free)``: the slot holding each digest (or -1) and, for an absent digest,
        the empty slot where its probe ended (where it would go; else -1)."""
        mask = len(self._slots) - 1
        n = len(digests)
        found = np.full(n, -1, dtype=np.int64)
        free = np.full(n, -1, dtype=np.int64)
        todo = np.arange(n)
        d = np.asarray(digests, dtype=np.uint64).view(np.int64)
        slot = self._home(d)
        while len(todo):
            row = self._gather(slot)
            empty = row[:, 1] == 0
            hit = ~empty & (row[:, 0] == d)
            found[todo[hit]] = slot[hit]
            free[todo[empty]] = slot[empty]
            go = ~(empty | hit)
            todo, d, slot = todo[go], d[go], (slot[go] + 1) & mask
        return found, free

    def _place(self, digests: np.ndarray, values: np.ndarray, start: np.ndarray | None,
               known_free: bool = True) -> None:
        """Put digests that are not in the table (and distinct) into empty slots, probing from
        their home slot or from ``start`` (a slot on their probe path: with ``known_free``,
        an empty one, from :meth:`find`)."""
        mask = len(self._slots) - 1
        dv = np.empty((len(digests), 2), dtype=np.int64)
        dv[:, 0] = np.asarray(digests, dtype=np.uint64).view(np.int64)
        dv[:, 1] = values
        dv[:, 1] += 1  # stored as value + 1: 0 is an empty slot
        slot = self._home(dv[:, 0]) if start is None else start.astype(np.int64)
        known_free = known_free and start is not None
        while len(dv):
            if known_free:  # no need to look: they were empty, at most shared
                free = np.arange(len(dv))
                known_free = False
            else:
                free = np.flatnonzero(self._gather(slot)[:, 1] == 0)
            s = slot[free]
            # several may write one slot: the last one wins it
            self._rows[s] = dv[free].view(np.complex128).ravel()
            won = free[self._gather(s)[:, 0] == dv[free, 0]]
            left = np.ones(len(dv), dtype=bool)
            left[won] = False
            dv, slot = dv[left], (slot[left] + 1) & mask

    def _reserve(self, extra: int) -> None:
        """Grow (and rehash) so that ``extra`` more digests keep the load under max_load."""
        need = self.count + extra
        size = len(self.slots)
        if need <= self.max_load * size:
            return
        while need > self.max_load * size:
            size *= 2
        old = self.slots[self.slots[:, 1] != 0]
        self.slots = self._empty(size)
        self._fill(old[:, 0].view(np.uint64), old[:, 1] - 1)

    def _fill(self, digests: np.ndarray, values: np.ndarray) -> None:
        """:meth:`_place` into an empty table, in one pass over the slots: in order of home
        slot, each digest goes to its home or just after the one before (a running maximum),
        which is where linear probing puts it. Those that run past the last slot wrap around."""
        mask = len(self._slots) - 1
        d = np.asarray(digests, dtype=np.uint64).view(np.int64)
        home = self._home(d)
        order = np.argsort(home, kind="stable")  # a rehash gives them nearly sorted
        at = home[order]
        del home
        i = np.arange(len(d))
        at -= i
        if len(at):
            np.maximum.accumulate(at, out=at)
        at += i
        del i
        inside = at <= mask
        dv = np.empty((int(inside.sum()), 2), dtype=np.int64)
        dv[:, 0] = d[order[inside]]
        dv[:, 1] = np.asarray(values, dtype=np.int64)[order[inside]] + 1
        self._rows[at[inside]] = dv.view(np.complex128).ravel()
        past = order[~inside]
        if len(past):
            self._place(d[past].view(np.uint64), np.asarray(values)[past],
                        np.zeros(len(past), dtype=np.int64), known_free=False)

    # ------------------------------------------------------------------ multi-key buckets
    def _blocks(self, sizes: np.ndarray, room: np.ndarray) -> np.ndarray:
        """Pool offsets of new blocks of ``room`` places (``sizes`` of them used)."""
        at = self.pool.take(int(room.sum()))
        return at[np.cumsum(room) - room] if len(at) else np.zeros(0, dtype=np.int64)

    def _room(self, need: np.ndarray) -> np.ndarray:
        """Block size for buckets of ``need`` keys: twice that, within the bucket cap."""
        return np.maximum(np.minimum(2 * need, self.cap), need)

    def _new_buckets(self, keys: np.ndarray, sizes: np.ndarray, tight: bool = False
                     ) -> np.ndarray:
        """New multi-key buckets holding consecutive runs of ``keys`` (``sizes`` each);
        their slot values. ``tight``: blocks without room to grow (a loaded table)."""
        room = sizes if tight else self._room(sizes)
        start = self._blocks(sizes, room)
        (pool,) = self.pool.arrays
        pool[ranges(start, sizes)] = keys
        m = self.buckets.take(len(sizes))
        b_start, b_len, b_room = self.buckets.arrays
        b_start[m], b_len[m], b_room[m] = start, sizes, room
        return -2 - m

    def _extend(self, m: np.ndarray, keys: np.ndarray, sizes: np.ndarray) -> None:
        """Append runs of ``keys`` (``sizes`` each) to the multi-key buckets ``m``."""
        b_start, b_len, b_room = self.buckets.arrays
        length = b_len[m]
        move = length + sizes > b_room[m]
        if move.any():
            mm = m[move]
            room = self._room(length[move] + sizes[move])
            start = self._blocks(length[move], room)
            (pool,) = self.pool.arrays  # after _blocks: it may have grown
            pool[ranges(start, length[move])] = pool[ranges(b_start[mm], length[move])]
            b_start[mm], b_room[mm] = start, room
        (pool,) = self.pool.arrays
        pool[ranges(b_start[m] + length, sizes)] = keys
        b_len[m] = length + sizes

    # ------------------------------------------------------------------ batches
    def run(
        self,
        keys: Sequence[int] | np.ndarray | None,
        digests: np.ndarray,
        collect: bool,
        log: list[tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> list[list[int]]:
        """Query (``collect``) and/or insert (``keys`` given) the rows of ``digests``
        (``(rows, bands)``) in order: each row's candidates are the keys inserted before it,
        earlier rows included (bands in order, then insertion order, each key once). A key of
        -1 queries its row without inserting it. ``log`` receives ``(digests, keys)`` arrays
        of the entries stored."""
        rows, bands = digests.shape
        out: list[list[int]] = [[] for _ in range(rows)] if collect else []
        if rows == 0:
            return out
        flat = np.ascontiguousarray(digests, dtype=np.uint64).ravel()
        n = len(flat)
        if keys is not None:
            self._reserve(n)
            key_arr = np.asarray(keys, dtype=np.int64)
        else:
            key_arr = np.full(rows, -1, dtype=np.int64)
        found, free = self.find(flat)
        head_val = np.full(n, self.EMPTY, dtype=np.int64)
        hit = found >= 0
        head_val[hit] = self.slots[found[hit], 1] - 1

        # Group the positions by digest (position order within a group).
        order = np.argsort(flat, kind="stable")
        g_d = flat[order]
        row_of = order // bands
        starts = _first_of_runs(g_d)
        gid = np.cumsum(starts) - 1
        # A digest twice in one row (a 64-bit collision) counts once.
        dup = ~_first_of_runs(g_d, row_of)
        ins = (key_arr[row_of] >= 0) & ~dup
        g_first = np.flatnonzero(starts)
        g_val = head_val[order[g_first]]
        existing = np.where(g_val >= 0, 1, 0)
        multi_g = g_val <= -2
        if multi_g.any():
            existing[multi_g] = self.buckets.arrays[1][-2 - g_val[multi_g]]
        room = np.maximum(self.cap - existing, 0)
        # rank of each inserting position among its group's inserting positions
        ins_cum = np.cumsum(ins)
        before_group = (ins_cum - ins)[g_first]
        ins_rank = ins_cum - ins - before_group[gid]
        stored = ins & (ins_rank < room[gid])

        if collect:
            self._collect(out, order, row_of, gid, dup, stored, ins_rank, room, existing,
                          head_val, key_arr, bands)
        if keys is not None and stored.any():
            slot_of_group = found[order[g_first]]
            self._store(order, row_of, gid, g_first, g_val, stored, key_arr, flat, free,
                        slot_of_group, log)
        return out

    def _collect(self, out: list[list[int]], order: np.ndarray, row_of: np.ndarray,
                 gid: np.ndarray, dup: np.ndarray, stored: np.ndarray, ins_rank: np.ndarray,
                 room: np.ndarray, existing: np.ndarray, head_val: np.ndarray,
                 key_arr: np.ndarray, bands: int) -> None:
        """Each row's candidates: per band, the bucket as it was, then the keys stored in it
        by earlier rows of the batch; each key once, in that order. (Arrays in digest order,
        ``order`` maps them to positions.)"""
        n = len(order)
        had = np.where(dup, 0, existing[gid])  # keys in the bucket before the batch
        took = np.where(dup, 0, np.minimum(ins_rank, room[gid]))  # ... stored by earlier rows
        count = np.empty(n, dtype=np.int64)
        count[order] = had + took  # per position, in position order
        total = int(count.sum())
        if total == 0:
            return
        off = np.cumsum(count) - count
        keys = np.empty(total, dtype=np.int64)
        # what was in the table
        sel = had > 0
        pos = order[sel]
        val = head_val[pos]
        one = val >= 0
        keys[off[pos[one]]] = val[one]
        m = -2 - val[~one]
        if len(m):
            b_start, b_len, _ = self.buckets.arrays
            (pool,) = self.pool.arrays
            keys[ranges(off[pos[~one]], b_len[m])] = pool[ranges(b_start[m], b_len[m])]
        # what earlier rows of the batch stored (stored positions: by group, then position)
        sel = took > 0
        if sel.any():
            s_idx = np.flatnonzero(stored)
            g_start = np.searchsorted(gid[s_idx], gid[sel])
            src = s_idx[ranges(g_start, took[sel])]
            pos = order[sel]
            keys[ranges(off[pos] + had[sel], took[sel])] = key_arr[row_of[src]]
        rows = np.repeat(np.arange(n, dtype=np.int64) // bands, count)
        # each key once per row, at its first place
        if int(keys.max()) < 1 << 40 and n < 1 << 22:
            _, first = np.unique((rows << 40) | keys, return_index=True)
        else:
            by = np.lexsort((np.arange(total), keys, rows))
            first = by[_first_of_runs(rows[by], keys[by])]
        keep = np.sort(first)
        rows_k, keys_k = rows[keep], keys[keep].tolist()
        bounds = np.flatnonzero(_first_of_runs(rows_k)).tolist() + [len(keys_k)]
        for a, b, r in zip(bounds[:-1], bounds[1:], rows_k[bounds[:-1]].tolist(), strict=True):
            out[r] = keys_k[a:b]

    def _store(self, order: np.ndarray, row_of: np.ndarray, gid: np.ndarray,
               g_first: np.ndarray, g_val: np.ndarray, stored: np.ndarray, key_arr: np.ndarray,
               flat: np.ndarray, free: np.ndarray, slot_of_group: np.ndarray,
               log: list[tuple[np.ndarray, np.ndarray]] | None) -> None:
        """Add the stored entries: new buckets, one-key buckets that become chains, chains
        that grow."""
        s_idx = np.flatnonzero(stored)  # sorted by (group, position)
        s_g = gid[s_idx]
        s_keys = key_arr[row_of[s_idx]]
        if log is not None:
            log.append((flat[order[s_idx]], s_keys))
        groups = np.flatnonzero(_first_of_runs(s_g))
        grp = s_g[groups]
        n_new = np.diff(np.r_[groups, len(s_idx)])
        val = g_val[grp]
        # new digests
        new = val == self.EMPTY
        if new.any():
            sizes = n_new[new]
            values = s_keys[groups[new]].copy()
            chains = sizes > 1
            if chains.any():
                values[chains] = self._new_buckets(
                    s_keys[ranges(groups[new][chains], sizes[chains])], sizes[chains])
            first_pos = order[g_first[grp[new]]]
            self._place(flat[first_pos], values, free[first_pos])
            self.count += int(new.sum())
        # one-key buckets that get more keys: a chain of the old key and the new ones
        one = val >= 0
        if one.any():
            sizes = n_new[one]
            keys = np.insert(s_keys[ranges(groups[one], sizes)], np.cumsum(sizes) - sizes,
                             val[one])
            self.slots[slot_of_group[grp[one]], 1] = self._new_buckets(keys, sizes + 1) + 1
        # chains that grow
        more = val <= -2
        if more.any():
            sizes = n_new[more]
            self._extend(-2 - val[more], s_keys[ranges(groups[more], sizes)], sizes)


class MemoryIndex(Index):
    """Band tables in memory: one :class:`BandTable` (numpy arrays) per table.

    A bucket keeps the first ``params.max_bucket`` keys inserted into it.
    """

    def __init__(self, params: LSHParams | None = None) -> None:
        self.params = params or LSHParams()
        self._tables: dict[str, BandTable] = {}

    def _table(self, table: str) -> BandTable:
        t = self._tables.get(table)
        if t is None:
            t = self._tables[table] = BandTable(self.params.max_bucket)
        return t

    def __len__(self) -> int:
        """Number of band entries (distinct band digests) over all tables."""
        return sum(len(t) for t in self._tables.values())

    def nbytes(self) -> int:
        """Bytes held by the band tables (arrays, and the lists of multi-key buckets)."""
        return sum(t.nbytes for t in self._tables.values())

    def _digests(self, keys: Sequence[int] | None, signatures: np.ndarray) -> np.ndarray:
        d = band_digests(signatures, self.params)
        if keys is not None:
            if len(keys) != len(d):
                raise ValueError(f"{len(keys)} keys for {len(d)} signatures")
            if len(keys) and min(keys) < 0:
                raise ValueError("index keys must be non-negative ints")
        return d

    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        self._table(table).run(keys, self._digests(keys, signatures), collect=False)

    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        return self._table(table).run(None, self._digests(None, signatures), collect=True)

    def query_insert(
        self, table: str, keys: Sequence[int], signatures: np.ndarray
    ) -> list[list[int]]:
        return self._table(table).run(keys, self._digests(keys, signatures), collect=True)


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
