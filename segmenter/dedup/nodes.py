"""What the deduplicator keeps per node (a unit of this run, or of an earlier run), by ordinal:
compact facts, not texts (texts and signatures only in explain mode)."""

from __future__ import annotations

import numpy as np

__all__ = ["EMPTY", "Nodes"]

EMPTY = np.empty(0, dtype=np.uint32)


class Nodes:
    """Ids, completeness, lengths and shingle sets of every node, by ordinal."""

    def __init__(self, explain: bool = False) -> None:
        self.explain = explain
        self.ids: list[str] = []
        self.complete = bytearray()  # 1 = an article / whole document not truncated
        self.length: list[int] = []  # characters
        self.sets: list[np.ndarray] = []  # sorted unique shingle hashes
        self.sigs: list[np.ndarray] = []  # explain only
        self.texts: list[str] = []  # explain only

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, node_id: str, complete: bool, length: int, shingles: np.ndarray,
            sig: np.ndarray | None = None, text: str = "") -> int:
        """Append a node; returns its ordinal."""
        o = len(self.ids)
        self.ids.append(node_id)
        self.complete.append(1 if complete else 0)
        self.length.append(length)
        self.sets.append(shingles)
        if self.explain:
            self.sigs.append(EMPTY if sig is None else sig)
            self.texts.append(text)
        return o
