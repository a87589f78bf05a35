"""What the deduplicator keeps per node (a unit of this run, or of an earlier run), by ordinal:
compact facts, not texts (texts and signatures only in explain mode)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

import numpy as np

from ..fingerprint import ShingleBatch, unique_sorted
from ..ragged import RaggedStore

__all__ = ["EMPTY", "Nodes", "ShingleSets"]

EMPTY = np.empty(0, dtype=np.uint32)


class ShingleSets:
    """Every node's shingle set (sorted unique hashes), by ordinal: ``sets[o]``.

    With ``sequences`` (a node's shingles in text order, which block containment keeps
    anyway), a set is not stored but made from its sequence when asked for (``np.unique``):
    a unit's shingles are then held once, not twice. A node that is an exact copy reads its
    first copy's; the sets given for the last ``recent`` nodes (their batch's, which the
    deduplicator compares them in) are used as given. Otherwise the sets are stored
    (:class:`~segmenter.ragged.RaggedStore`)."""

    def __init__(self, sequences: Callable[[int], np.ndarray] | None = None,
                 recent: int = 4096,
                 sequences_of: Callable[[list[int]], list[np.ndarray]] | None = None) -> None:
        self._sequences = sequences
        self._sequences_of = sequences_of  # several at once (else one by one)
        self._recent: dict[int, np.ndarray] = {}
        self._window = recent
        self._stored = RaggedStore(np.uint32) if sequences is None else None
        self._source = array("q")  # the node whose sequence has this node's shingles
        self.sizes = array("q")  # distinct shingles by node
        self._last: tuple[int, np.ndarray] = (-1, EMPTY)  # the last set made (source, set)

    def add(self, shingles: np.ndarray, copy_of: int | None = None) -> int:
        """Append a node with these shingles (``copy_of``: an earlier node with the same text,
        whose shingles these are); returns its ordinal."""
        o = len(self.sizes)
        self.add_many([shingles], [copy_of])
        return o

    def add_many(self, shingles: Sequence[np.ndarray], copy_of: Sequence[int | None]) -> None:
        """:meth:`add` each node in turn (a copy may be of a node added before it here)."""
        o = len(self.sizes)
        source = self._source
        keys: list[int] = []
        kept: list[np.ndarray] = []
        for k, (values, copy) in enumerate(zip(shingles, copy_of, strict=True)):
            source.append(o + k if copy is None else source[copy])
            if copy is None and len(values):
                keys.append(o + k)
                kept.append(values)
        self.sizes.extend([len(values) for values in shingles])
        if not keys:
            return
        if self._stored is not None:
            flat = ShingleBatch.of(kept)
            self._stored.put_many(keys, flat.hashes, flat.offsets)
            return
        recent = self._recent
        recent.update(zip(keys, kept, strict=True))
        while len(recent) > self._window:
            del recent[next(iter(recent))]

    def __len__(self) -> int:
        return len(self.sizes)

    def __getitem__(self, o: int) -> np.ndarray:
        held = self._held(o)
        if held is not None:
            return held
        src = self._source[o]
        assert self._sequences is not None
        last = self._last = (src, unique_sorted(self._sequences(src)))
        return last[1]

    def values_of(self, nodes: Sequence[int]) -> list[np.ndarray]:
        """Shingles of several nodes, each at least its set's values: its set when the sets
        are stored, else its shingles in text order (repeats kept)."""
        source = self._source
        src = [source[o] for o in nodes]
        if self._stored is not None:
            return self._stored.views(src)
        if self._sequences_of is not None:
            return self._sequences_of(src)
        assert self._sequences is not None
        return [self._sequences(o) for o in src]

    def _held(self, o: int) -> np.ndarray | None:
        """Node ``o``'s set when it is at hand (None: it is made from its sequence)."""
        src = self._source[o]
        if self._stored is not None:
            return self._stored[src]
        if self.sizes[o] == 0:
            return EMPTY
        given = self._recent.get(src)
        if given is not None:
            return given
        last = self._last
        return last[1] if last[0] == src else None

    @property
    def nbytes(self) -> int:
        """Bytes held (stored sets, or only the per-node table when made from sequences)."""
        table = self.sizes.itemsize * (len(self.sizes) + len(self._source))
        return table + (self._stored.nbytes if self._stored is not None else 0)


class Nodes:
    """Ids, completeness, lengths and shingle sets of every node, by ordinal.

    ``sequences``: where a node's shingles in text order are kept (block containment), so
    that its set is made from them when needed (:class:`ShingleSets`)."""

    def __init__(self, explain: bool = False,
                 sequences: Callable[[int], np.ndarray] | None = None,
                 sequences_of: Callable[[list[int]], list[np.ndarray]] | None = None) -> None:
        self.explain = explain
        self.ids: list[str] = []
        self.complete = bytearray()  # 1 = an article / whole document not truncated
        self.length = array("q")  # characters
        self.sets = ShingleSets(sequences, sequences_of=sequences_of)  # sorted unique hashes
        self.sigs: list[np.ndarray] = []  # explain only
        self.texts: list[str] = []  # explain only

    def __len__(self) -> int:
        return len(self.ids)

    def size(self, o: int) -> int:
        """Node ``o``'s distinct shingles."""
        return self.sets.sizes[o]

    def add(self, node_id: str, complete: bool, length: int, shingles: np.ndarray,
            sig: np.ndarray | None = None, text: str = "", copy_of: int | None = None) -> int:
        """Append a node; returns its ordinal. ``copy_of``: an earlier node with the same text
        (``shingles`` are its)."""
        o = len(self.ids)
        self.add_many([node_id], [complete], [length], [shingles], [copy_of],
                      None if sig is None else [sig], [text])
        return o

    def add_many(self, node_ids: Sequence[str], complete: Sequence[bool],
                 lengths: Sequence[int], shingles: Sequence[np.ndarray],
                 copy_of: Sequence[int | None], sigs: Sequence[np.ndarray] | None = None,
                 texts: Sequence[str] | None = None) -> None:
        """:meth:`add` each node in turn (``sigs`` and ``texts`` are kept in explain mode)."""
        self.ids.extend(node_ids)
        self.complete.extend(bytes(1 if c else 0 for c in complete))
        self.length.extend(lengths)
        self.sets.add_many(shingles, copy_of)
        if self.explain:
            self.sigs.extend([EMPTY] * len(node_ids) if sigs is None else sigs)
            self.texts.extend([""] * len(node_ids) if texts is None else texts)
