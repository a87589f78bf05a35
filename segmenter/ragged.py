"""One small array per key, kept compactly: what the deduplicator holds for every unit of a run.

A list of small numpy arrays costs about 100 bytes of array header per entry on top of the
data (and a list slot), and views keep the whole batch array they came from alive.
:class:`RaggedStore` copies the arrays it is given into shared chunks of about ``chunk_bytes``
(a chunk is allocated whole and filled in place) and keeps, per key, where its values are:
12 bytes a key. ``store[key]`` is a read-only view. :meth:`RaggedStore.put_many` keeps a
batch's arrays with one copy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["RaggedStore"]

_INT32_MAX = int(np.iinfo(np.int32).max)


def _owns(values: np.ndarray) -> bool:
    """Whether keeping ``values`` keeps no more memory alive than its own (it owns its data, or
    views all of an array's)."""
    base = values.base
    return base is None or (isinstance(base, np.ndarray) and base.base is None
                            and base.nbytes == values.nbytes)


class RaggedStore:
    """Arrays of one dtype by integer key (keys never put read as empty)."""

    def __init__(self, dtype: type = np.uint32, chunk_bytes: int = 1 << 22) -> None:
        self.dtype = np.dtype(dtype)
        self._chunk_items = max(1, chunk_bytes // self.dtype.itemsize)
        self._chunks: list[np.ndarray] = []  # read-only views of the chunks
        self._open: np.ndarray | None = None  # the last chunk while it is being filled
        self._fill = 0  # its values so far
        # per key: chunk (-1: none), start in it, length; grown by doubling
        self._where = np.full((0, 3), -1, dtype=np.int32)
        self._empty = np.empty(0, dtype=self.dtype)
        self._empty.flags.writeable = False

    @property
    def nbytes(self) -> int:
        """Bytes of the chunks (as allocated) and of the per-key table."""
        return sum(int(c.nbytes) for c in self._chunks) + int(self._where.nbytes)

    def put(self, key: int, values: np.ndarray) -> None:
        """Keep (a copy of) ``values`` for ``key``, replacing what it had (an array of at least a
    chunk's size that owns its data, or is all of its base, is kept as it is, made read-only)."""
        self.put_many((key,), values, np.array((0, len(values)), dtype=np.int64))

    def put_many(self, keys: Sequence[int], values: np.ndarray, offsets: np.ndarray) -> None:
        """:meth:`put` for several keys at once: ``keys[i]`` gets
        ``values[offsets[i]:offsets[i + 1]]`` (``offsets``: non-decreasing, one more than the
        keys; ragged batches such as :class:`~segmenter.fingerprint.ShingleBatch` have them)."""
        karr = np.asarray(keys, dtype=np.int64)
        if not len(karr):
            return
        top = int(karr.max())
        if top >= len(self._where):
            grown = np.zeros((max(top + 1, 2 * len(self._where), 1024), 3), dtype=np.int32)
            grown[:, 0] = -1
            grown[: len(self._where)] = self._where
            self._where = grown
        offsets = np.asarray(offsets, dtype=np.int64)
        lo, hi = int(offsets[0]), int(offsets[-1])
        counts = np.diff(offsets)
        if int(counts.max(initial=0)) > _INT32_MAX:  # pragma: no cover - 8 GB of one unit
            raise ValueError("a value array longer than 2**31 - 1")
        total = hi - lo
        if total == 0:
            chunk, base = -1, 0
        elif total >= self._chunk_items and lo == 0 and hi == len(values) and _owns(values) \
                and values.dtype == self.dtype and values.flags.c_contiguous:
            # large arrays of their own: kept, not copied (and not filled up after)
            values.flags.writeable = False
            chunk, base = len(self._chunks), 0
            self._chunks.append(values)
            self._open = None
        else:
            room = 0 if self._open is None else len(self._open) - self._fill
            if total > room:
                self._open = np.empty(max(self._chunk_items, total), dtype=self.dtype)
                self._fill = 0
                view = self._open.view()
                view.flags.writeable = False
                self._chunks.append(view)
            assert self._open is not None
            chunk, base = len(self._chunks) - 1, self._fill
            self._open[base : base + total] = values[lo:hi]
            self._fill += total
        where = np.empty((len(karr), 3), dtype=np.int32)
        where[:, 0] = np.where(counts > 0, chunk, -1)
        where[:, 1] = np.where(counts > 0, base + offsets[:-1] - lo, 0)
        where[:, 2] = counts
        self._where[karr] = where

    def __getitem__(self, key: int) -> np.ndarray:
        if key >= len(self._where):
            return self._empty
        chunk, start, n = self._where[key].tolist()
        if n <= 0:
            return self._empty
        return self._chunks[chunk][start : start + n]

    def views(self, keys: Sequence[int]) -> list[np.ndarray]:
        """``[store[k] for k in keys]``, with one lookup of where they are."""
        top = len(self._where)
        if not keys or max(keys) >= top:
            return [self[k] for k in keys]
        chunks, empty = self._chunks, self._empty
        return [chunks[c][s : s + n] if n > 0 else empty
                for c, s, n in self._where[keys].tolist()]

    def size(self, key: int) -> int:
        """The number of values ``key`` holds."""
        return int(self._where[key, 2]) if key < len(self._where) else 0

    def has(self, key: int) -> bool:
        """Whether ``key`` holds at least one value."""
        return key < len(self._where) and int(self._where[key, 2]) > 0
