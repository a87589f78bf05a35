"""Deduplicator: verification, containment, keep rules, determinism, cluster invariants."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.config import DedupConfig
from segmenter.dedup import Deduplicator, verify
from segmenter.errors import ConfigError, SegmenterError
from segmenter.fingerprint import shingle_hashes, unique_sorted
from segmenter.model import Unit

from .conftest import story


def run(units: list[Unit], config: DedupConfig | None = None) -> Deduplicator:
    d = Deduplicator(config or DedupConfig(batch_size=4))
    d.add_many(units)
    d.finish()
    return d


def by_id(d: Deduplicator) -> dict[str, object]:
    return {a.id: a for a in d.results()}


def test_exact_and_near_copies_cluster_with_keeper() -> None:
    a = story(1)
    edited = a.replace("bank", "banks", 1) + "\nReuter"
    d = run([Unit("a", a), Unit("b", a), Unit("c", edited), Unit("x", story(2))])
    res = by_id(d)
    assert res["a"].cluster == res["b"].cluster == res["c"].cluster != res["x"].cluster
    keeper = next(x for x in ("a", "b", "c") if res[x].keeper)
    assert keeper == "c"  # the longest complete copy
    assert res["a"].relation in ("near", "contained") and res["a"].duplicate_of == "c"
    assert res["b"].evidence["jaccard"] <= 1.0
    assert res["x"].keeper and res["x"].duplicate_of is None and res["x"].relation is None


def test_exact_relation() -> None:
    a = story(3)
    res = by_id(run([Unit("a", a), Unit("b", a)], DedupConfig(keep="first")))
    assert res["b"].relation == "exact" and res["b"].similarity == 1.0
    assert res["b"].duplicate_of == "a"


@pytest.mark.parametrize("teaser_first", [False, True])
def test_containment_links_teaser_to_article(teaser_first: bool) -> None:
    article = story(4, 400)
    teaser = "MARKET TALKS: " + " ".join(article.split()[:35])
    units = [
        Unit("art#0", article, kind="article"),
        Unit("page#2", teaser, kind="teaser", truncated=True),
    ]
    if teaser_first:
        units.reverse()
    res = by_id(run(units + [Unit("other", story(5, 400))]))
    assert res["page#2"].cluster == res["art#0"].cluster
    assert res["art#0"].keeper and res["page#2"].duplicate_of == "art#0"
    assert res["page#2"].relation == "contained"
    assert res["other"].cluster != res["art#0"].cluster
    # plain Jaccard would not link them
    s1, s2 = (unique_sorted(shingle_hashes(t)) for t in (article, teaser))
    assert verify(s1, s2).jaccard < 0.2 and verify(s1, s2).containment > 0.9


def test_verification_rejects_template_chained_units() -> None:
    template = story(99, 60)  # a site template / disclaimer shared by unrelated pages
    a = template + "\n" + story(6, 100)
    b = template + "\n" + story(7, 100)
    c = template + "\n" + story(8, 100)
    d = run([Unit("a", a), Unit("t", template), Unit("b", b), Unit("c", c)])
    res = by_id(d)
    clusters = {res[x].cluster for x in "abc"}
    assert len(clusters) == 3  # the shared template chains nothing
    assert d.stats.rejected + d.stats.skipped_containers > 0


@pytest.mark.parametrize(
    "keep,expected", [("complete", "full"), ("longest", "teaser"), ("first", "teaser")]
)
def test_keep_rules(keep: str, expected: str) -> None:
    base = story(10, 200)
    full = Unit("full", base, kind="article")
    # a teaser that is longer in characters (a long kicker and padding) but truncated
    teaser = Unit("teaser", base + " and more", kind="teaser", truncated=True)
    res = by_id(run([teaser, full], DedupConfig(keep=keep)))  # type: ignore[arg-type]
    assert res[expected].keeper
    assert res["full"].cluster == res["teaser"].cluster


def test_same_clusters_across_processes_and_batch_sizes() -> None:
    code = (
        "from tests.test_dedup import corpus_assignments;"
        "print(corpus_assignments(int(__import__('sys').argv[1])))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, bs],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed, bs in (("1", "3"), ("2", "512"))
    }
    assert len(outs) == 1 and "('u5', 'u0'" in next(iter(outs))  # u5 joins u0's cluster


def corpus_assignments(batch_size: int) -> list[tuple[str, str, str | None]]:
    units = []
    for i in range(12):
        text = story(20 + i % 5, 80 + 10 * i)
        units.append(Unit(f"u{i}", text if i % 3 else text[: len(text) // 2]))
    d = run(units, DedupConfig(batch_size=batch_size))
    return [(a.id, a.cluster, a.duplicate_of) for a in d.results()]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.integers(1, 8), st.booleans()), min_size=1, max_size=25
    ),
    st.integers(1, 7),
)
def test_clusters_are_disjoint_and_cover_every_unit(
    spec: list[tuple[int, int, bool]], batch_size: int
) -> None:
    units = []
    for i, (src, paras, cut) in enumerate(spec):
        text = story(src, paras * 20)
        if cut:
            text = text[: len(text) // 2]
        units.append(Unit(f"u{i}", text))
    d = run(units, DedupConfig(batch_size=batch_size))
    results = list(d.results())
    assert [a.id for a in results] == [u.id for u in units]  # input order
    clusters = d.clusters()
    members = [m for c in clusters for m in c.members]
    assert sorted(members) == sorted(u.id for u in units)  # cover, disjoint
    for c in clusters:
        assert c.members[0] == c.keeper
        assert sum(1 for a in results if a.cluster == c.id and a.keeper) == 1
    for a in results:
        if a.duplicate_of is not None:
            assert by_id(d)[a.duplicate_of].keeper  # points at its keeper


def test_datasketch_index_gives_same_clusters() -> None:
    units = [Unit(f"u{i}", story(30 + i % 4, 100 + 7 * i)) for i in range(10)]
    a = [(x.id, x.cluster) for x in run(units).results()]
    d = Deduplicator(DedupConfig(batch_size=4), index="datasketch")
    d.add_many(units)
    assert [(x.id, x.cluster) for x in d.finish()] == a


def test_errors() -> None:
    d = Deduplicator()
    d.add(Unit("a", "x y z"))
    with pytest.raises(SegmenterError, match="duplicate unit id"):
        d.add(Unit("a", "x y z"))
    d.finish()
    with pytest.raises(SegmenterError, match="finished"):
        d.add(Unit("b", "x"))
    with pytest.raises(ConfigError, match="threshold"):
        DedupConfig(threshold=0)
    with pytest.raises(ConfigError, match="bands"):
        DedupConfig(bands=100, rows=3)
    with pytest.raises(ConfigError, match="head"):
        Deduplicator(DedupConfig(head=4, min_contained=8))


def test_explain_evidence() -> None:
    a = story(40, 100)
    d = run([Unit("a", a), Unit("b", a + "\nmore words here today")], DedupConfig(explain=True))
    ev = by_id(d)["a"].evidence
    assert {"jaccard", "containment", "shared_shingles", "estimated_jaccard", "shared_text"} <= set(
        ev
    )
    assert ev["shared_text"].split()[0] in a.lower()


@pytest.mark.parametrize("collecting", [True, False])
def test_finish_leaves_the_cycle_collector_as_it_was(collecting: bool) -> None:
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if collecting else gc.disable)()
        d = Deduplicator(DedupConfig(batch_size=4))
        d.add_many([Unit("a", story(1)), Unit("b", story(1)), Unit("x", story(2))])
        assert [a.id for a in d.finish()] == ["a", "b", "x"]
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
