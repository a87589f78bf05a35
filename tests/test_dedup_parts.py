"""The deduplicator's parts on their own: verdicts, judgement, cluster state, keepers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from segmenter.config import DedupConfig
from segmenter.dedup import Verdict, judge, verify
from segmenter.dedup.clusters import ClusterState
from segmenter.dedup.keeper import keeper_key
from segmenter.signing import ranges


def test_judge_names_near_contained_and_contains() -> None:
    cfg = DedupConfig()
    assert judge(Verdict(90, 0.9, 0.95), 100, 100, cfg) == "near"
    assert judge(Verdict(40, 0.2, 1.0), 40, 200, cfg) == "contained"
    assert judge(Verdict(40, 0.2, 1.0), 200, 40, cfg) == "contains"
    assert judge(Verdict(4, 0.05, 1.0), 4, 200, cfg) is None  # fewer than min_contained
    assert judge(Verdict(10, 0.05, 0.3), 40, 200, cfg) is None
    # an estimate whose noise margin does not clear the threshold is not a containment
    assert judge(Verdict(40, 0.2, 0.75, containment_low=0.5), 40, 200, cfg) is None


def test_verify_is_exact() -> None:
    a = np.array([1, 2, 3, 4], dtype=np.uint32)
    b = np.array([3, 4, 5, 6, 7, 8], dtype=np.uint32)
    v = verify(a, b)
    assert (v.shared, v.jaccard, v.containment) == (2, 2 / 8, 2 / 4)


@given(st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=40))
def test_cluster_state_roots_are_the_smallest_member(edges: list[tuple[int, int]]) -> None:
    state = ClusterState()
    for _ in range(20):
        state.add()
    for a, b in edges:
        state.union(a, b)
    for root, members in state.groups(set()).items():
        assert root == min(members)
        assert all(state.find(m) == root for m in members)


@given(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=40),
       st.sets(st.integers(0, 29), max_size=6))
def test_partition_is_the_sets_by_find(edges: list[tuple[int, int]], skip: set[int]) -> None:
    state = ClusterState()
    state.add_many([None] * 30)
    for a, b in edges:
        state.union(a, b)
    want: dict[int, list[int]] = {}
    for o in range(30):  # the sets one find at a time, skipped nodes left out
        if o not in skip:
            want.setdefault(state.find(o), []).append(o)
    alone, together = state.partition(skip)
    assert alone == sorted(m[0] for m in want.values() if len(m) == 1)
    assert together == sorted(m for m in want.values() if len(m) > 1)
    assert state.roots().tolist() == [state.find(o) for o in range(30)]
    assert state.groups(skip) == dict(sorted(want.items(), key=lambda kv: kv[1][0]))


def test_join_remembers_the_first_link_only() -> None:
    state = ClusterState()
    for _ in range(3):
        state.add()
    assert state.join(1, 0, "near", 0.9)
    assert not state.join(1, 0, "contained", 0.8)  # already one set: no new link
    assert state.join(1, 2, "contained", 0.7) and state.link[1] == (0, "near", 0.9)


def test_keeper_keys() -> None:
    article, teaser = keeper_key("complete", 5, 100, True), keeper_key("complete", 1, 900, False)
    assert article > teaser
    assert keeper_key("longest", 5, 100, True) < keeper_key("longest", 1, 900, False)
    assert keeper_key("first", 1, 10, False) > keeper_key("first", 5, 900, True)


def test_ranges() -> None:
    got = ranges(np.array([5, 0, 10]), np.array([2, 0, 3]))
    assert got.tolist() == [5, 6, 10, 11, 12]
    assert ranges(np.array([1]), np.array([0])).tolist() == []
