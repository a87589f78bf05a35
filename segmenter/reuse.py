"""Block containment as the deduplicator uses it: one object per run (issue 13).

:class:`BlockReuse` keeps what block containment needs per unit (its shingles in text order and
its line map), finds block candidates for each batch (:mod:`segmenter.blockindex`), judges a
candidate pair on its shared block (:func:`segmenter.containment.locate`), decides whether a
containment link merges clusters (:class:`segmenter.containment.Containers`: a roundup does
not merge the stories it holds) and gives the character offsets of the shared block for
``--explain``. The deduplicator keeps its own union-find, sets and records; the calls it makes:

1. per batch, after ``shingle_batch(texts, ..., lines=True)``: ``inputs = block_inputs(texts,
   shingles, sample)`` (where the batch is signed: a ``--jobs`` worker), then ``cands =
   reuse.add_batch(keys, inputs)`` (keys: the units' ordinals), and verify ``cands[i]`` with
   the ``full`` LSH candidates of row ``i``;
2. per candidate pair that is not ``near`` (Jaccard below the threshold): ``block =
   reuse.judge(o, c, set_o, set_c, verdict.shared)``; ``block.is_copy`` says ``contained``,
   ``block.shorter`` which one is the copy, ``block.reason`` why;
3. before a containment link merges ``copy`` into ``container``: ``reuse.link(copy,
   container, block)``; ``False``: record the link (:meth:`also_contains`), do not merge;
4. ``--explain``: ``reuse.explain(m, keeper, text_m, text_keeper)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .blockindex import BlockCandidates, BlockRows, SampleConfig, unit_fingerprints
from .containment import (
    BlockRule,
    Containers,
    SharedBlock,
    char_spans,
    early_reasons,
    line_maps,
    locate,
    rejected_early,
)
from .fingerprint import ShingleBatch
from .ragged import RaggedStore

__all__ = ["BlockInputs", "BlockReuse", "block_inputs"]

@dataclass(frozen=True, slots=True)
class BlockInputs:
    """What block containment needs of each unit of a batch, computed per unit where the batch
    is signed (a ``--jobs`` worker), so that the process holding the run's state only looks
    things up: its shingles in text order, its line map (:func:`~segmenter.containment.
    line_maps`) and its block fingerprints (:func:`~segmenter.blockindex.unit_fingerprints`,
    grouped by unit). Ragged numpy arrays only (pickled as flat buffers)."""

    sample: SampleConfig
    seq: ShingleBatch  # shingle hashes in text order (no lines)
    # ragged arrays (ShingleBatch as a container: unit i owns values[offsets[i]:offsets[i+1]])
    maps: ShingleBatch  # line maps (uint32)
    fps: ShingleBatch  # block fingerprints of each unit: sampled (odd) then anchors (even)
    fp_lines: ShingleBatch  # uint16: the line of each fingerprint (anchors: 0)
    nfp: np.ndarray  # int64 per unit: its sampled fingerprints
    one_line: np.ndarray  # bool per unit: all of them on one line

    def __len__(self) -> int:
        return len(self.seq)

    def take(self, rows: Sequence[int]) -> BlockInputs:
        """The inputs of units ``rows`` only, in that order."""
        sel = np.asarray(rows, dtype=np.int64)
        return BlockInputs(self.sample, self.seq.take(rows), self.maps.take(rows),
                           self.fps.take(rows), self.fp_lines.take(rows), self.nfp[sel],
                           self.one_line[sel])

    def block_rows(self) -> BlockRows:
        """The fingerprints as :func:`~segmenter.blockindex.block_rows` gives them."""
        row = np.repeat(np.arange(len(self), dtype=np.int64), self.fps.counts())
        return BlockRows(self.sample, self.fps.hashes, row,
                         self.fp_lines.hashes.astype(np.int64),
                         self.nfp, self.one_line)


def block_inputs(texts: Sequence[str], batch: ShingleBatch, sample: SampleConfig) -> BlockInputs:
    """The :class:`BlockInputs` of a batch made with ``shingle_batch(texts, ..., lines=True)``."""
    maps = ShingleBatch.of(line_maps(texts, batch))
    fps, row, lines, nfp, one_line = unit_fingerprints(batch, sample)
    order = np.argsort(row, kind="stable")
    fp_offsets = np.zeros(len(batch) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=len(batch)), out=fp_offsets[1:])
    return BlockInputs(sample, ShingleBatch(batch.hashes, batch.offsets),
                       maps, ShingleBatch(fps[order], fp_offsets),
                       ShingleBatch(lines[order].astype(np.uint16), fp_offsets), nfp, one_line)


class BlockReuse:
    """Per-run state of block containment (see the module docstring)."""

    def __init__(
        self,
        rule: BlockRule | None = None,
        sample: SampleConfig | None = None,
        shingle_size: int = 5,
        lines: bool = True,
    ) -> None:
        self.rule = rule or BlockRule()
        self.use_lines = lines  # False: every shingle is story, no paragraph check
        self.candidates = BlockCandidates(sample)
        self.containers = Containers()
        self.shingle_size = shingle_size
        self._seq = RaggedStore(np.uint32)  # by key: shingle hashes in text order
        self._lines = RaggedStore(np.uint32)  # by key: line map
        self._sizes = np.zeros((0, 2), dtype=np.int64)  # by key: shingles, story shingles
        self._also: dict[int, list[int]] = {}  # container -> copies linked without merging

    @property
    def nbytes(self) -> int:
        """Bytes of the candidate table and the line maps (the sequences are the units'
        shingles, which the deduplicator keeps in one form or another anyway)."""
        return self.candidates.nbytes + self._lines.nbytes

    def add_batch(self, keys: Sequence[int], inputs: BlockInputs) -> list[list[int]]:
        """Keep the batch's units (``inputs``: theirs, :func:`block_inputs`, one row per key)
        and return, for each row, the keys of earlier units that are block candidates of it."""
        self.keep_batch(keys, inputs)
        return self.candidates.query_insert(keys, inputs.block_rows())

    def keep_batch(self, keys: Sequence[int], inputs: BlockInputs) -> None:
        """Keep the batch's units for :meth:`judge` without looking for candidates (when they
        come from elsewhere: the distributed plan's replay)."""
        seq, maps = inputs.seq, inputs.maps
        self._seq.put_many(keys, seq.hashes, seq.offsets)
        self._lines.put_many(keys, maps.hashes, maps.offsets)
        if not len(keys):
            return
        karr = np.asarray(keys, dtype=np.int64)
        top = int(karr.max()) + 1
        if top > len(self._sizes):
            grown = np.zeros((max(top, 2 * len(self._sizes)), 2), dtype=np.int64)
            grown[: len(self._sizes)] = self._sizes
            self._sizes = grown
        n = seq.counts()
        has_map = maps.counts() > 0
        story = n.copy()  # story_size: the map's first value, or all shingles without a map
        story[has_map] = maps.hashes[maps.offsets[:-1][has_map]]
        self._sizes[karr, 0] = n
        self._sizes[karr, 1] = story

    def sequences(self, keys: list[int]) -> list[np.ndarray]:
        """:meth:`sequence` of several units."""
        return self._seq.views(keys)

    def sequence(self, key: int) -> np.ndarray:
        """Unit ``key``'s shingle hashes in text order."""
        return self._seq[key]

    def knows(self, key: int) -> bool:
        """Whether unit ``key`` was kept (a unit of this run with shingles)."""
        return self._seq.has(key)

    def judge(
        self,
        a: int,
        b: int,
        set_a: np.ndarray | None = None,
        set_b: np.ndarray | None = None,
        shared: int | None = None,
        detail: bool = False,
    ) -> SharedBlock:
        """The shared block of units ``a`` and ``b`` and the verdict (``shared``: their shared
        distinct shingles, from :func:`segmenter.dedup.verify`, lets most pairs go early)."""
        if set_a is not None and set_b is not None and shared is not None:
            # most candidate pairs share too little to be a copy: said from sizes alone
            early = self._early(a, b, len(set_a), len(set_b), shared)
            if early is not None:
                return early
        lines_a, lines_b = (self._lines[a], self._lines[b]) if self.use_lines else (None, None)
        return locate(self._seq[a], self._seq[b], self.rule, set_a, set_b, lines_a, lines_b,
                      shared, detail)

    def rejects_pairs(self, a: np.ndarray, b: np.ndarray, n_set_a: np.ndarray,
                      n_set_b: np.ndarray, shared: np.ndarray) -> np.ndarray:
        """Where :meth:`judge` of units ``a[i]`` and ``b[i]`` (``n_set_a[i]`` and ``n_set_b[i]``
        distinct shingles, at most ``shared[i]`` of them in common) finds no copy from sizes
        alone (:func:`~segmenter.containment.early_reason`), for many pairs at once."""
        n_a, story_a = self._sizes_of(a)
        n_b, story_b = self._sizes_of(b)
        a_short = n_a <= n_b  # (locate's shorter side: a on a tie)
        return early_reasons(
            np.where(a_short, n_a, n_b), np.where(a_short, story_a, story_b),
            np.where(a_short, n_set_b, n_set_a), np.where(a_short, n_set_a, n_set_b), shared,
            self.rule)

    def _sizes_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_size_pair` of many keys: their shingles and story shingles."""
        sizes = self._sizes
        known = keys < len(sizes)
        got = np.zeros((len(keys), 2), dtype=np.int64)
        got[known] = sizes[keys[known]]
        return got[:, 0], got[:, 0] if not self.use_lines else got[:, 1]

    def _early(self, a: int, b: int, n_set_a: int, n_set_b: int,
               shared: int) -> SharedBlock | None:
        n_a, story_a, n_b, story_b = self._size_pair(a, b)
        if n_a <= n_b:
            return rejected_early("a", n_a, story_a, n_set_b, n_set_a, shared, self.rule)
        return rejected_early("b", n_b, story_b, n_set_a, n_set_b, shared, self.rule)

    def _size_pair(self, a: int, b: int) -> list[int]:
        """Shingles and story shingles (:func:`~segmenter.containment.story_size`; all of
        them without lines) of units ``a`` and ``b``: ``[n_a, story_a, n_b, story_b]``."""
        sizes = self._sizes
        top = len(sizes)
        got = (sizes[a].tolist() if a < top else [0, 0]) + \
            (sizes[b].tolist() if b < top else [0, 0])
        if not self.use_lines:
            got[1], got[3] = got[0], got[2]
        return got

    def link(self, copy: int, container: int, block: SharedBlock | None) -> bool:
        """Whether the containment link ``copy`` -> ``container`` merges their clusters: not
        when the copy came from a region of the container apart from the regions its linked
        copies came from (another story of a roundup), nor when the copy's own block lies
        apart from the regions of it that its own copies came from (it shares one block with
        the container and another with them: no chain); kept in :meth:`also_contains`."""
        # The copy is the shorter side of the block; the container's region is the other.
        region = copied = None
        if block is not None:
            region = block.region("b" if block.shorter == "a" else "a")
            copied = block.region(block.shorter)
        if self.containers.link(copy, copied, container, region):
            return True
        self._also.setdefault(container, []).append(copy)
        return False

    def also_contains(self, container: int) -> list[int]:
        """The copies linked to ``container`` without merging (other stories it holds)."""
        return list(self._also.get(container, ()))

    def containers_with_copies(self) -> list[int]:
        """The containers that have copies linked without merging."""
        return list(self._also)

    def explain(self, a: int, b: int, text_a: str, text_b: str) -> dict[str, Any]:
        """The shared block of ``a`` and ``b`` as evidence: character offsets in both texts."""
        block = self.judge(a, b, detail=True)
        k = self.shingle_size
        return {
            "block_reason": block.reason,
            "block_coverage": round(block.coverage, 4),
            "story_coverage": None if block.story_coverage is None
            else round(block.story_coverage, 4),
            "shared_block": char_spans(text_a, block.spans_a, k),
            "matched_block": char_spans(text_b, block.spans_b, k),
        }
