"""The deduplicator's screen of a batch's candidates on a bound of their shared shingles
(Deduplicator._screen): the bounds and tests for many pairs at once equal the one-pair-at-a-time
ones, and a run gives the same assignments and counters as one that verifies every candidate."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.config import DedupConfig
from segmenter.containment import BlockRule, early_reason, early_reasons
from segmenter.dedup import Deduplicator
from segmenter.dedup.verify import SharedBound
from segmenter.model import Unit

from .conftest import story

# few distinct values (so arrays share many), some with the same top 16 bits
values = st.lists(st.sampled_from([*range(40), *((v << 16) + 3 for v in range(40)),
                                   2**32 - 1]), min_size=1, max_size=60)


@settings(max_examples=150, deadline=None)
@given(values, st.lists(values, min_size=1, max_size=8))
def test_bounds_of_many_arrays_equal_the_bound_of_each(mine, arrays):
    bound = SharedBound()
    bound.load(np.unique(np.asarray(mine, dtype=np.uint32)))
    arrs = [np.asarray(a, dtype=np.uint32) for a in arrays]
    assert bound.at_most_each(arrs).tolist() == [bound.at_most(a) for a in arrs]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 80), st.integers(0, 60),
       st.integers(0, 60))
def test_early_reasons_of_many_pairs_equal_early_reason_of_each(n, story_, long_set, short_set,
                                                                shared):
    rule = BlockRule()
    story_ = min(story_, n)
    one = early_reason(n, story_, long_set, short_set, shared, rule) is not None
    arr = [np.asarray([x]) for x in (n, story_, long_set, short_set, shared)]
    assert bool(early_reasons(*arr, rule)[0]) == one


def _everything(self, units, cands):  # the screen's reference: no candidate screened out
    return [{c for c in cs if c not in self._prior} for cs in cands]


def _pages(seed: int, n: int) -> list[str]:
    """Pages drawn from a small stock of paragraphs (copies, containments, partial overlaps,
    ledes of their own), as make_corpus draws them at scale."""
    rnd = random.Random(seed)
    stock = story(seed, 20 * 14).split("\n")
    pages: list[str] = []
    for i in range(n):
        take = rnd.sample(stock, rnd.randint(1, 7))
        if rnd.random() < 0.3 and pages:  # a copy of an earlier page, cut or with a lede
            base = rnd.choice(pages).split("\n")
            take = base[rnd.randint(0, len(base) - 1):] if rnd.random() < 0.5 else \
                take[:1] + base
        if rnd.random() < 0.2:  # a word edited
            take[0] = take[0].replace(" ", f" edit{i} ", 1)
        pages.append("\n".join(take))
    return pages


@pytest.mark.parametrize("block", [True, False])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), batch=st.sampled_from([3, 7, 512]))
def test_a_run_with_the_screen_equals_one_verifying_every_candidate(block, seed, batch):
    cfg = DedupConfig(split=False, block=block, head=0 if block else 32, batch_size=batch)
    units = [Unit(f"u{i}", t) for i, t in enumerate(_pages(seed, 40))]
    runs = []
    for screen in (Deduplicator._screen, _everything):
        d = Deduplicator(cfg)
        d._screen = screen.__get__(d)  # type: ignore[method-assign]
        d.add_many(units)
        runs.append((d.finish(), d.stats.as_dict()))
    assert runs[0] == runs[1]
    assert runs[0][1]["candidates"] > runs[0][1]["rejected"] > 0
