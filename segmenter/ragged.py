"""One small array per key, kept compactly: what the deduplicator holds for every unit of a run.

A list of small numpy arrays costs about 100 bytes of array header per entry on top of the
data (and a list slot), and views keep the whole batch array they came from alive.
:class:`RaggedStore` copies the arrays it is given into shared chunks of about ``chunk_bytes``
and keeps, per key, where its values are: 12 bytes a key. ``store[key]`` is a read-only view.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RaggedStore"]


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
        self._chunks: list[np.ndarray] = []
        # values put since the last cut: they go to chunk ``_open_chunk`` from ``_open_base``
        # on (the last chunk when they fit in it, else a new one)
        self._open: list[np.ndarray] = []
        self._open_size = 0
        self._open_chunk = 0
        self._open_base = 0
        # per key: chunk (-1: none), start in it, length; grown by doubling
        self._where = np.full((0, 3), -1, dtype=np.int32)
        self._empty = np.empty(0, dtype=self.dtype)
        self._empty.flags.writeable = False

    @property
    def nbytes(self) -> int:
        """Bytes of the values and of the per-key table."""
        return sum(int(c.nbytes) for c in self._chunks) + self._open_size * self.dtype.itemsize \
            + int(self._where.nbytes)

    def put(self, key: int, values: np.ndarray) -> None:
        """Keep (a copy of) ``values`` for ``key``, replacing what it had (an array of at least a
    chunk's size that owns its data, or is all of its base, is kept as it is, made read-only)."""
        if key >= len(self._where):
            grown = np.full((max(key + 1, 2 * len(self._where), 1024), 3), -1, dtype=np.int32)
            grown[: len(self._where)] = self._where
            self._where = grown
        n = len(values)
        if n == 0:
            self._where[key] = (-1, 0, 0)
            return
        if n > np.iinfo(np.int32).max:  # pragma: no cover - 8 GB of one unit's values
            raise ValueError("a value array longer than 2**31 - 1")
        if n >= self._chunk_items and _owns(values) and values.dtype == self.dtype \
                and values.flags.c_contiguous:  # a large array of its own: kept, not copied
            self._cut()
            values.flags.writeable = False
            self._where[key] = (len(self._chunks), 0, n)
            self._chunks.append(values)
            return
        if self._open and self._open_base + self._open_size + n > self._chunk_items:
            self._cut()
        if not self._open:
            last = len(self._chunks[-1]) if self._chunks else self._chunk_items
            if last + n <= self._chunk_items:  # fill the last chunk up
                self._open_chunk, self._open_base = len(self._chunks) - 1, last
            else:
                self._open_chunk, self._open_base = len(self._chunks), 0
        self._where[key] = (self._open_chunk, self._open_base + self._open_size, n)
        self._open.append(values.astype(self.dtype, copy=False))
        self._open_size += n

    def _cut(self) -> None:
        """Move the values put since the last cut into their chunk."""
        if not self._open:
            return
        parts = self._open
        if self._open_chunk < len(self._chunks):
            parts = [self._chunks[self._open_chunk], *parts]
        chunk = np.concatenate(parts)
        chunk.flags.writeable = False
        if self._open_chunk < len(self._chunks):
            self._chunks[self._open_chunk] = chunk
        else:
            self._chunks.append(chunk)
        self._open, self._open_size = [], 0

    def __getitem__(self, key: int) -> np.ndarray:
        if key >= len(self._where):
            return self._empty
        chunk, start, n = (int(x) for x in self._where[key])
        if n <= 0:
            return self._empty
        if self._open and chunk == self._open_chunk and start >= self._open_base:
            self._cut()  # put since the last cut: in its chunk now
        return self._chunks[chunk][start : start + n]

    def has(self, key: int) -> bool:
        """Whether ``key`` holds at least one value."""
        return key < len(self._where) and int(self._where[key, 2]) > 0
