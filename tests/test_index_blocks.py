"""Block fingerprints in a persistent index (issue 13): earlier runs' units as block candidates."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from segmenter.blockindex import BlockRows, SampleConfig
from segmenter.config import DedupConfig
from segmenter.dedup import Deduplicator
from segmenter.errors import IndexMismatchError
from segmenter.index import PersistentIndex, UnitInfo, open_index
from segmenter.index import sqlite as sqlite_index
from segmenter.model import Assignment, Unit

from .conftest import story
from .test_index_backends import PERSISTENT, drop, new_url


@pytest.fixture(params=PERSISTENT)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    made = new_url(str(request.param), tmp_path)
    yield made
    drop(made)


def paras(seed: int, n: int) -> list[str]:
    return story(seed, 20 * n).split("\n")


def run(url: str, units: dict[str, str], run_id: str | None = None,
        **changes: object) -> tuple[Deduplicator, dict[str, Assignment]]:
    config = DedupConfig(split=False, **changes)  # type: ignore[arg-type]
    d = Deduplicator(config, index=url, run_id=run_id)
    d.add_many(Unit(k, t) for k, t in units.items())
    return d, {a.id: a for a in d.finish()}


@pytest.mark.parametrize("where", ["own_lede", "quoted_middle"])
def test_a_later_runs_copy_is_found_against_an_earlier_runs_unit(url: str, where: str) -> None:
    # Both copies share too little of the wire story for its full signature to meet theirs
    # (main before issue 13's index part found neither): only the block table finds them.
    if where == "own_lede":  # an own lede over 7 paragraphs from the middle of 30
        wire = paras(60, 30)
        copy = "\n".join(["LOCAL HEADLINE", *paras(61, 2), *wire[12:19]])
    else:  # an aggregator quotes 4 paragraphs of 20
        wire = paras(60, 20)
        copy = "\n".join(["Aggregator", *wire[9:13]])
    run(url, {"wire": "\n".join(wire), "other": "\n".join(paras(62, 12))}, run_id="day1")
    second, got = run(url, {"copy": copy}, run_id="day2")
    assert got["copy"].duplicate_of == "wire" and got["copy"].relation == "contained"
    assert got["copy"].earlier and second.stats.prior_links == 1
    ix = open_index(url)
    assert isinstance(ix, PersistentIndex) and ix.meta()["block_sample"] == "32"
    ix.close()


def rows(config: SampleConfig, fps: list[list[int]]) -> BlockRows:
    """Block rows of units holding these (odd: sampled) fingerprints, one per line."""
    flat = np.array([f for u in fps for f in u], dtype=np.uint32)
    row = np.repeat(np.arange(len(fps)), [len(u) for u in fps]).astype(np.int64)
    lines = np.concatenate([np.arange(len(u)) for u in fps]).astype(np.int64)
    nfp = np.array([len(u) for u in fps], dtype=np.int64)
    return BlockRows(config, flat, row, lines, nfp, np.zeros(len(fps), dtype=bool))


def add(url: str, names: list[str], fps: list[list[int]], config: SampleConfig) -> list[list[int]]:
    ix = open_index(url)
    assert isinstance(ix, PersistentIndex)
    rng = np.random.default_rng(abs(hash(tuple(names))) % 2**32)
    sigs = rng.integers(0, 2**32, size=(len(names), 128), dtype=np.uint64).astype(np.uint32)
    infos = [UnitInfo(n, int(rng.integers(-2**62, 2**62)), 100, True, 100) for n in names]
    try:
        res = ix.add_batch(infos, {"full": sigs}, run=f"run-{uuid.uuid4().hex[:6]}",
                           blocks=rows(config, fps))
    finally:
        ix.close()
    assert res.status == ["new"] * len(names)
    return res.candidates["block"]


def test_the_template_cap_holds_across_runs(url: str) -> None:
    config = SampleConfig(max_df=4)
    shared = [101, 203, 305]
    assert add(url, ["a", "b"], [shared, shared], config) == [[], []]  # one batch: not yet
    assert add(url, ["c"], [shared], config) == [[1, 2]]  # a later run: both earlier units
    assert add(url, ["d"], [[*shared, 407]], config) == [[1, 2, 3]]  # now 4: template text
    got = add(url, ["e", "f"], [[*shared, 509], [509, 611, 713]], config)
    assert got == [[], []]  # the shared fingerprints count no more; e and f meet in one batch
    assert add(url, ["g"], [[509, 611, 713]], config) == [[6]]  # e shares one of three


def test_block_settings_are_bound_and_an_older_index_gets_them(url: str) -> None:
    run(url, {"a": story(70)}, block=False)  # an index made without block fingerprints
    ix = open_index(url)
    assert isinstance(ix, PersistentIndex) and "block_sample" not in ix.meta()
    ix.close()
    run(url, {"b": story(71)})  # a run with them records its settings
    ix = open_index(url)
    assert isinstance(ix, PersistentIndex) and ix.meta()["block_sample"] == "32"
    ix.close()
    with pytest.raises(IndexMismatchError, match=r"block_sample=32 \(this run: 16\)"):
        run(url, {"c": story(72)}, block_sample=16)


def test_an_index_without_the_blocks_table_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    wire = paras(80, 20)
    run(str(path), {"wire": "\n".join(wire)}, block=False)
    db = sqlite3.connect(path)  # as format 3 wrote it: no blocks table
    db.execute("DROP TABLE blocks")
    db.execute("UPDATE meta SET value = '3' WHERE key = 'format'")
    db.commit()
    db.close()
    _, got = run(str(path), {"copy": "\n".join(["Aggregator", *wire[9:13]])})
    assert got["copy"].duplicate_of is None  # its unit has no fingerprints: not found
    ix = open_index(str(path))
    assert isinstance(ix, PersistentIndex) and ix.meta()["format"] == sqlite_index.FORMAT
    ix.close()
    db = sqlite3.connect(path)  # units added since have fingerprints
    assert db.execute("SELECT SUM(entries) FROM blocks").fetchone()[0] > 0
    db.close()


def test_a_failed_batch_leaves_no_block_postings(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url = str(tmp_path / "i.db")
    config = SampleConfig()
    add(url, ["a"], [[101, 203, 305]], config)

    def boom(*args: object) -> None:
        raise RuntimeError("killed")

    monkeypatch.setattr(sqlite_index, "encode_blocks", boom)
    with pytest.raises(RuntimeError, match="killed"):
        add(url, ["b"], [[101, 203, 305]], config)
    monkeypatch.undo()
    db = sqlite3.connect(url)
    assert db.execute("SELECT COUNT(*) FROM units").fetchone()[0] == 1
    assert db.execute("SELECT SUM(entries) FROM blocks").fetchone()[0] == 3
    db.close()
    assert add(url, ["c"], [[101, 203, 305]], config) == [[1]]


def test_pruned_units_leave_the_block_table(url: str) -> None:
    wire = paras(90, 20)
    run(url, {"wire": "\n".join(wire)}, run_id="day1")
    ix = open_index(url)
    assert isinstance(ix, PersistentIndex) and ix.prune(before=time.time() + 2) == 1
    ix.close()
    second, got = run(url, {"quote": "\n".join(["Aggregator", *wire[9:13]])}, run_id="day2")
    assert got["quote"].duplicate_of is None and second.stats.prior_candidates == 0
    if not url.startswith("redis"):
        db = sqlite3.connect(url)  # only the new unit's fingerprints are left
        units = {n for (n,) in db.execute("SELECT n FROM units")}
        (rows,) = db.execute("SELECT COUNT(*) FROM blocks").fetchone()
        db.close()
        assert len(units) == 1 and rows == 1
