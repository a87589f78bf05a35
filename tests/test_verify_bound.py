"""The cheap bounds verification and block candidates use before exact work: the shared-shingle
bound (dedup.verify.SharedBound) and the grouping sort of blockindex.select_pairs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.blockindex import SampleConfig, select_pairs
from segmenter.dedup.verify import SharedBound, verdict, verify

hashes = st.lists(st.integers(0, 2**32 - 1), max_size=300).map(
    lambda v: np.asarray(v, dtype=np.uint32))


@settings(max_examples=80, deadline=None)
@given(hashes, hashes, hashes, st.booleans())
def test_the_bound_is_never_below_the_shared_shingles(a, b, common, as_sequence):
    mine, other = np.unique(np.concatenate((a, common))), np.concatenate((b, common))
    bound = SharedBound()
    bound.load(np.unique(np.arange(50, dtype=np.uint32) << np.uint32(20)))  # cleared by load
    bound.load(mine)
    values = np.concatenate((other, other[:7])) if as_sequence else np.unique(other)
    exact = verify(mine, np.unique(other))
    assert bound.at_most(values) >= exact.shared
    assert verdict(exact.shared, len(mine), len(np.unique(other))) == exact


def test_the_bound_is_tight_on_unrelated_sets():
    rng = np.random.default_rng(7)
    mine = np.unique(rng.integers(0, 2**32, 500, dtype=np.uint64).astype(np.uint32))
    other = rng.integers(0, 2**32, 500, dtype=np.uint64).astype(np.uint32)
    bound = SharedBound()
    bound.load(mine)
    assert bound.at_most(other) < 25  # ~4 by chance: a bound that rejects unrelated pairs
    assert bound.at_most(mine) == len(mine)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 9), st.integers(0, 3),
                          st.booleans()), min_size=1, max_size=80), st.randoms())
def test_select_pairs_does_not_depend_on_the_order_of_rows(rows, rnd):
    cfg = SampleConfig()
    arr = np.asarray([r[:3] for r in rows], dtype=np.int64)
    x, c, lines = arr[:, 0], arr[:, 1] + 7, arr[:, 2]
    anchor = np.asarray([r[3] for r in rows])
    nfp = np.arange(20, dtype=np.int64) % 5 + 1

    def pick(order):
        o = np.asarray(order, dtype=np.int64)
        return select_pairs(cfg, x[o], c[o], lines[o], anchor[o], nfp[x[o]], nfp[c[o]],
                            (x[o] % 2) == 0, (c[o] % 3) == 0, x[o] == c[o])

    first = pick(range(len(rows)))
    order = list(range(len(rows)))
    rnd.shuffle(order)
    again = pick(order)
    assert all(np.array_equal(p, q) for p, q in zip(first, again, strict=True))
    by_key = np.lexsort((c, x))  # the presorted path gives the same
    s = select_pairs(cfg, x[by_key], c[by_key], lines[by_key], anchor[by_key], nfp[x[by_key]],
                     nfp[c[by_key]], (x[by_key] % 2) == 0, (c[by_key] % 3) == 0,
                     x[by_key] == c[by_key], presorted=True)
    assert all(np.array_equal(p, q) for p, q in zip(first, s, strict=True))


@pytest.mark.parametrize("block", [True, False])
@pytest.mark.parametrize("repeats", [2, 3, 40])
def test_repetitive_near_copies_are_linked_whatever_the_bound_counts(block, repeats):
    # A text that repeats its few shingles: the bound counts every repeat that hits, far more
    # than the shingles the two units have; the pair must still reach exact verification.
    from segmenter.config import DedupConfig
    from segmenter.dedup import Deduplicator
    from segmenter.model import Unit

    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    base = " ".join(words * repeats)
    d = Deduplicator(DedupConfig(block=block, head=0 if block else 32))
    d.add_many([Unit("a", base + " lambda"), Unit("b", base + " mu"),
                Unit("c", "an unrelated text about something else entirely, with words")])
    out = {a.id: a for a in d.finish()}
    assert out["b"].duplicate_of == "a" and out["b"].relation in ("near", "contained")
    assert out["c"].duplicate_of is None
