"""Batch signing: the one step, shared by every engine (the local deduplicator and the Ray shard
tasks), that turns a batch of unit texts into what dedup compares: shingles, full and head
MinHash signatures (:mod:`segmenter.fingerprint`) and exact-text digests; for the local
deduplicator (:meth:`BatchSigner.prepare`) also the shingle sets and what block containment
needs of each unit (:class:`~segmenter.reuse.BlockInputs`), all computed per batch where it is
signed (a ``--jobs`` worker).

Also :func:`ranges` (from :mod:`segmenter.fingerprint`), the ragged-array helper both the
signing path and the Ray plan cut with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import heap
from .blockindex import SampleConfig
from .config import DedupConfig
from .fingerprint import ShingleBatch, Signer, ranges, shingle_batch, unique_sorted
from .reuse import BlockInputs, block_inputs

__all__ = ["BatchSigner", "SignedBatch", "ranges", "text_digest"]

_ALONE = 1 << 18
"""A unit with at least this many shingles gets its set by itself (the batch's one sort takes
24 bytes a shingle of work space)."""
_EMPTY = np.empty(0, dtype=np.uint32)
_DIGEST_PIECE = 1 << 20  # characters of a long text encoded at once for its digest


def text_digest(text: str) -> bytes:
    """A 16-byte digest of a unit's exact text: equal digests are exact copies. A long text is
    encoded a piece at a time (the UTF-8 of the pieces, one after another, is the text's)."""
    if len(text) <= _DIGEST_PIECE:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    h = hashlib.blake2b(digest_size=16)
    for at in range(0, len(text), _DIGEST_PIECE):
        h.update(text[at : at + _DIGEST_PIECE].encode("utf-8", "surrogatepass"))
    return h.digest()


@dataclass(frozen=True, slots=True)
class SignedBatch:
    """A batch of unit texts, signed: their shingles, full and head signatures (``heads`` None
    when the head sketch is off) and text digests, in batch order."""

    shingles: ShingleBatch
    full: np.ndarray  # (units, num_perm) uint32
    heads: np.ndarray | None
    digests: list[bytes]
    # each unit's shingles as a sorted unique array, computed for the whole batch at once
    # (:meth:`with_sets`); ``shingles`` may then be left empty
    sets: ShingleBatch | None = None
    blocks: BlockInputs | None = None  # block containment's inputs (BatchSigner.prepare)
    lengths: np.ndarray | None = None  # int64: each text's length in characters

    def __len__(self) -> int:
        return len(self.digests)

    def shingle_set(self, i: int) -> np.ndarray:
        """Unit ``i``'s shingles as a sorted unique uint32 array (what verification compares)."""
        if self.sets is not None:
            return self.sets.unit(i)
        return np.unique(self.shingles.unit(i))

    def shingle_sets(self) -> list[np.ndarray]:
        """:meth:`shingle_set` of every unit, with one sort for the whole batch."""
        if self.sets is not None:
            return [self.sets.unit(i) for i in range(len(self.sets))]
        sb = self.shingles
        n = len(sb)
        counts = sb.counts()
        alone = np.flatnonzero(counts >= _ALONE)
        if len(alone):  # a long unit by itself: 4-byte values, not 8-byte keys
            rest = np.flatnonzero(counts < _ALONE)
            out: list[np.ndarray] = [_EMPTY] * n
            if len(rest):
                short = SignedBatch(sb.take(rest.tolist()), self.full, self.heads, self.digests)
                for i, s in zip(rest.tolist(), short.shingle_sets(), strict=True):
                    out[i] = s
            for i in alone.tolist():
                out[i] = unique_sorted(sb.unit(i))
            return out
        unit = np.repeat(np.arange(n, dtype=np.uint64), counts)
        keys = np.sort((unit << np.uint64(32)) | sb.hashes.astype(np.uint64))
        if len(keys):
            first = np.empty(len(keys), dtype=bool)
            first[0] = True
            np.not_equal(keys[1:], keys[:-1], out=first[1:])
            keys = keys[first]
        cut = np.searchsorted(keys, np.arange(n + 1, dtype=np.uint64) << np.uint64(32))
        values = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        return np.split(values, cut[1:-1])

    def with_sets(self, blocks: BlockInputs | None = None) -> SignedBatch:
        """This batch with every unit's shingle set computed (one sort for the whole batch),
        ``blocks`` added and the shingles in text order left out (``blocks.seq`` has them when
        block containment needs them): what a ``--jobs`` worker sends back."""
        sets = self.shingle_sets()
        shingles = ShingleBatch(np.empty(0, dtype=np.uint32),
                                np.zeros(len(sets) + 1, dtype=np.int64))
        return SignedBatch(shingles, self.full, self.heads, self.digests,
                           ShingleBatch.of(sets), blocks, self.lengths)

    def digest_words(self) -> np.ndarray:
        """The digests as a ``(units, 2)`` uint64 array."""
        return np.frombuffer(b"".join(self.digests), dtype=np.uint64).reshape(
            len(self.digests), 2)


class BatchSigner:
    """Shingles and signs batches of unit texts with a dedup configuration's settings."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.signer = Signer(config.num_perm, config.seed)

    def sign(self, texts: Sequence[str], head: int | None = None,
             lines: bool = False) -> SignedBatch:
        """Shingle, sign (full and head sketches; ``head``: the head size if not the config's,
        0 for none) and digest ``texts``; ``lines``: the shingles with their lines."""
        cfg = self.config
        shingles = shingle_batch(texts, cfg.shingle_kind, cfg.shingle_size, cfg.char_size,
                                 lines=lines)
        full, heads = self.signer.sign(shingles, cfg.head if head is None else head)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        return SignedBatch(shingles, full, heads, [text_digest(t) for t in texts], lengths=lengths)

    def prepare(self, texts: Sequence[str], head: int | None = None,
                blocks: SampleConfig | None = None) -> SignedBatch:
        """:meth:`sign` ``texts`` and compute everything the deduplicator needs of each unit
        (:meth:`SignedBatch.with_sets`; with ``blocks``, block containment's inputs sampled
        with it): what :meth:`~segmenter.dedup.Deduplicator.add_signed` takes."""
        signed = self.sign(texts, head, lines=blocks is not None)
        # with a long text, each step's freed work space is given back before the next one
        # (heap.trim): not resident under the next step's arrays
        long_ = any(len(t) >= heap.LONG_TEXT for t in texts)
        if long_:
            heap.trim()
        inputs = None if blocks is None else block_inputs(texts, signed.shingles, blocks)
        if long_ and inputs is not None:
            heap.trim()
        out = signed.with_sets(inputs)
        if long_:
            heap.trim()
        return out
