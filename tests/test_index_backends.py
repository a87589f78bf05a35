"""One index test suite for every backend (memory, SQLite, Redis), then what only persistent
indexes do: incremental runs, idempotent re-runs, parameter checks, pruning, concurrent writers
(real processes) and a run killed with SIGKILL.

Redis tests need a redis-server (SEGMENTER_REDIS_URL, default redis://127.0.0.1:6379/15): they
skip without one, and fail in CI (CI=true). Each test uses its own key prefix and removes it.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from segmenter.config import DedupConfig
from segmenter.dedup import Deduplicator
from segmenter.errors import IndexError_, IndexMismatchError
from segmenter.fingerprint import signatures
from segmenter.index import Index, LSHParams, PersistentIndex, UnitInfo, open_index, table_keys
from segmenter.index.sqlite import FORMAT, SQLiteIndex, decode_run, encode_run, lsh_meta
from segmenter.model import Unit

from .conftest import ROOT, need, story

REDIS_URL = os.environ.get("SEGMENTER_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> tuple[bool, str]:
    try:
        import redis
    except ImportError:
        return False, "the redis client is not installed (pip install 'segmenter[redis]')"
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return False, f"no redis-server at {REDIS_URL} ({exc})"
    return True, ""


def new_url(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return str(tmp_path / f"index-{uuid.uuid4().hex[:8]}.db")
    ok, why = redis_available()
    need(ok, why)
    return f"{REDIS_URL}?prefix=segtest-{uuid.uuid4().hex}"


def drop(url: str) -> None:
    if url.startswith("redis"):
        ix = open_index(url)
        ix.drop()  # type: ignore[attr-defined]
        ix.close()


@pytest.fixture
def urls(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Make index URLs of the test's backend; clean Redis prefixes afterwards."""
    made: list[str] = []
    yield made
    for url in made:
        drop(url)


PERSISTENT = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]
BACKENDS = [pytest.param("memory", id="memory"), *PERSISTENT]


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Index]:
    kind = request.param
    if kind == "memory":
        yield open_index("memory", LSHParams(max_bucket=3))
        return
    url = new_url(kind, tmp_path)
    ix = open_index(url, LSHParams(max_bucket=3))
    yield ix
    ix.close()
    drop(url)


@pytest.fixture(params=PERSISTENT)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# ----------------------------------------------------------------------------- every backend
BASE = "the committee said on tuesday it would review the rules for listed companies next year"
TEXTS = [
    BASE,
    BASE + " officials said",
    "oil prices rose sharply in early trading after the opec meeting ended without a deal",
    BASE,
]


def test_query_insert_finds_earlier_similar(index: Index) -> None:
    sigs = signatures(TEXTS)
    out = index.query_insert("full", [10, 11, 12, 13], sigs)
    assert out[0] == [] and out[2] == []
    assert out[1] == [10]
    assert sorted(out[3]) == [10, 11]
    assert index.query("full", sigs[2:3]) == [[12]]
    assert index.query("other", sigs[:1]) == [[]]  # tables are independent


def test_bucket_cap_keeps_the_first_keys(index: Index) -> None:
    sig = signatures([BASE])
    index.insert("full", list(range(20, 30)), np.repeat(sig, 10, axis=0))
    assert index.query("full", sig) == [[20, 21, 22]]


def test_backends_agree_with_memory(index: Index) -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 1 << 32, size=(30, 128), dtype=np.uint32)
    sigs = base.copy()
    sigs[10:20, :60] = base[0, :60]
    ref = open_index("memory", index.params)
    keys = list(range(1, 31))
    assert index.query_insert("t", keys, sigs) == ref.query_insert("t", keys, sigs)


# ----------------------------------------------------------------------------- persistent
def dedup(url: str, units: list[Unit], run_id: str | None = None, **cfg: object
          ) -> Deduplicator:
    d = Deduplicator(DedupConfig(batch_size=4, **cfg), index=url,  # type: ignore[arg-type]
                     run_id=run_id)
    d.add_many(units)
    d.finish()
    return d


def verdicts(d: Deduplicator) -> dict[str, tuple[object, ...]]:
    return {a.id: (a.cluster, a.duplicate_of, a.relation, a.keeper) for a in d.results()}


def count(url: str) -> int:
    ix = open_index(url)
    try:
        return len(ix)  # type: ignore[arg-type]
    finally:
        ix.close()


def test_second_run_is_checked_against_the_first(
    kind: str, tmp_path: Path, urls: list[str]
) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    a, b, c = story(1), story(2), story(3)
    first = dedup(url, [Unit("a", a, source="day1"), Unit("b", b, source="day1")])
    assert all(x.keeper for x in first.results())
    edited = a.rsplit(" ", 3)[0]  # shorter, so the earlier copy stays the keeper
    second = dedup(url, [Unit("a2", a, source="day2"), Unit("c", c, source="day2"),
                         Unit("a3", edited, source="day2")])
    res = {x.id: x for x in second.results()}
    assert res["a2"].duplicate_of == "a" and res["a2"].relation == "exact"
    assert res["a3"].duplicate_of == "a" and res["a3"].relation == "near"
    assert res["a2"].cluster == res["a3"].cluster == "a"  # named after the earliest copy
    assert res["c"].keeper and res["c"].duplicate_of is None
    assert res["a3"].evidence["estimated"] is True
    assert second.stats.inserted == 2 and second.stats.prior_exact == 1  # c and a3, not a2
    assert count(url) == 4


def test_rerun_reproduces_verdicts_and_inserts_nothing(kind: str, tmp_path: Path,
                                                      urls: list[str]) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    dedup(url, [Unit(f"old{i}", story(i)) for i in range(6)])
    base = story(100)
    units = [
        Unit("x0", story(0)),  # exact copy of old0
        Unit("x1", story(1).rsplit(" ", 2)[0]),  # near copy of old1
        Unit("x2", base),
        Unit("x3", base.split("\n")[0] + "\n" + base.split("\n")[1], kind="teaser",
             truncated=True),
        Unit("x4", story(200)),
        Unit("x5", ""),
    ]
    before = count(url)
    first = dedup(url, units, run_id="job-1")
    after = count(url)
    assert after == before + 4  # x1 x2 x3 x4 (x0 is old0's text, x5 has no shingles)
    again = dedup(url, units, run_id="job-1")  # the same job again
    assert verdicts(again) == verdicts(first)
    assert again.stats.inserted == 0 and count(url) == after
    assert again.stats.indexed == 4 and again.stats.seen == 0
    later = verdicts(dedup(url, units, run_id="job-2"))  # another job meets the same units
    # x0 too: job 1 met it as a copy of old0's text
    assert {k: v[1:] for k, v in later.items() if v[2] == "seen"} == {
        k: (k, "seen", False) for k in ("x0", "x1", "x2", "x3", "x4")}
    assert later["x0"][0] == "old0" and later["x5"][1] is None


def test_teaser_across_runs(kind: str, tmp_path: Path, urls: list[str]) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    article = story(7, 200)
    teaser = "\n".join(article.split("\n")[:3])
    dedup(url, [Unit("art", article, kind="article")])
    later = verdicts(dedup(url, [Unit("tsr", teaser, kind="teaser", truncated=True)]))
    assert later["tsr"][1:3] == ("art", "contained")
    # the other way round: the article arrives after its teaser and is the keeper
    url2 = new_url(kind, tmp_path)
    urls.append(url2)
    dedup(url2, [Unit("tsr", teaser, kind="teaser", truncated=True)])
    res = verdicts(dedup(url2, [Unit("art", article, kind="article")]))
    assert res["art"][1] is None and res["art"][3] is True


def test_shared_template_does_not_link_unrelated_stories(kind: str, tmp_path: Path,
                                                         urls: list[str]) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    template = story(999, 40)
    dedup(url, [Unit(f"s{i}", template + "\n" + story(i, 160)) for i in range(5)])
    res = verdicts(dedup(url, [Unit(f"t{i}", template + "\n" + story(50 + i, 160))
                               for i in range(5)]))
    assert all(v[1] is None for v in res.values()), res


def test_incompatible_parameters_are_refused(kind: str, tmp_path: Path, urls: list[str]) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    dedup(url, [Unit("a", story(1))])
    with pytest.raises(IndexMismatchError, match=r"num_perm=128 \(this run: 64\).*--num-perm 128"):
        dedup(url, [Unit("b", story(2))], num_perm=64)
    with pytest.raises(IndexMismatchError, match="shingle=word:5"):
        dedup(url, [Unit("b", story(2))], shingle="word:4")


def test_prune_by_source_and_time(kind: str, tmp_path: Path, urls: list[str]) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    dedup(url, [Unit(f"a{i}", story(i), source="spider-a") for i in range(3)]
          + [Unit(f"b{i}", story(10 + i), source="spider-b") for i in range(2)])
    ix = open_index(url)
    assert isinstance(ix, PersistentIndex)
    assert ix.prune(source="spider-a") == 3
    assert {u.id for u in ix.export()} == {"b0", "b1"}
    assert ix.prune(before=time.time() - 3600) == 0
    assert ix.prune(before=time.time() + 1) == 2
    assert len(list(ix.export())) == 0
    ix.close()
    # pruned units are forgotten: the same text is new again
    res = verdicts(dedup(url, [Unit("again", story(0))]))
    assert res["again"][1] is None


def test_fresh_index_gives_the_in_memory_result(kind: str, tmp_path: Path,
                                                urls: list[str]) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    rng = random.Random(5)
    units = []
    for i in range(40):
        text = story(rng.randrange(15), 100 + rng.randrange(80))
        if rng.random() < 0.3:
            text = "\n".join(text.split("\n")[: 1 + rng.randrange(3)])
        units.append(Unit(f"u{i}", text, kind="teaser" if len(text) < 300 else "article"))
    mem = Deduplicator(DedupConfig(batch_size=4))
    mem.add_many(units)
    assert verdicts(dedup(url, units)) == verdicts(mem)


# ----------------------------------------------------------------------------- processes
WRITER = textwrap.dedent(
    """
    import random, sys
    sys.path.insert(0, {root!r})
    from segmenter.config import DedupConfig
    from segmenter.dedup import Deduplicator
    from segmenter.model import Unit
    from tests.test_index_backends import story
    url, name, lo, hi, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    d = Deduplicator(DedupConfig(batch_size=batch), index=url)
    for i in range(lo, hi):
        d.add(Unit(f"{{name}}-{{i}}", story(i, 60), source=name))
    d.finish()
    print(d.stats.inserted, d.stats.prior_exact, flush=True)
    """
)


def _writer(tmp_path: Path) -> Path:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT)), "utf-8")
    return script


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(kind: str, tmp_path: Path, urls: list[str]) -> None:
    url = new_url(kind, tmp_path)
    urls.append(url)
    dedup(url, [Unit("seed", story(0, 60))])  # records the parameters first
    script = _writer(tmp_path)
    # three processes, overlapping texts: w0 has stories 0-399, w1 200-599, w2 400-799
    procs = [
        subprocess.Popen([sys.executable, str(script), url, f"w{k}", str(200 * k),
                          str(200 * k + 400), "16"], stdout=subprocess.PIPE, text=True)
        for k in range(3)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    inserted = sum(int(o.split()[0]) for o in outs)
    exact = sum(int(o.split()[1]) for o in outs)
    ix = open_index(url)
    assert isinstance(ix, PersistentIndex)
    stored = list(ix.export())
    ix.close()
    texts = {u.digest for u in stored}
    assert len(stored) == len(texts) == 800  # every distinct text once (seed is story 0)
    assert inserted + 1 == 800 and inserted + exact == 1200


@pytest.mark.slow
def test_sigkill_leaves_whole_batches_and_a_rerun_completes(tmp_path: Path) -> None:
    url = str(tmp_path / "killed.db")
    script = _writer(tmp_path)
    n, batch = 6000, 50
    proc = subprocess.Popen([sys.executable, str(script), url, "w", "0", str(n), str(batch)],
                            stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    seen = 0
    while time.time() < deadline:
        time.sleep(0.05)
        try:
            with sqlite3.connect(url, timeout=5) as db:
                seen = db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
        except sqlite3.DatabaseError:
            continue
        if seen >= 5 * batch:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(url)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    units = db.execute("SELECT COUNT(*) FROM units").fetchone()[0]
    assert 0 < units < n and units % batch == 0  # only whole batches
    ns = np.array([r[0] for r in db.execute("SELECT n FROM units")])
    db.close()
    ix = SQLiteIndex(url)
    _, banded = ix.entries()
    ix.close()
    assert np.isin(banded, ns).all()  # no band entry without its unit ...
    assert np.isin(ns, banded).all()  # ... and no unit without band entries
    done = subprocess.run([sys.executable, str(script), url, "w", "0", str(n), str(batch)],
                          capture_output=True, text=True, timeout=120, check=True)
    assert int(done.stdout.split()[0]) == n - units  # the re-run adds exactly the rest
    assert count(url) == n


# ----------------------------------------------------------------------------- SQLite layout
def units_for(texts: list[str]) -> tuple[list[UnitInfo], dict[str, np.ndarray]]:
    sigs = signatures(texts)
    infos = [UnitInfo(f"t{i}", 1000 + i, len(t), True, 10, "test") for i, t in enumerate(texts)]
    return infos, {"full": sigs, "head": sigs[:, ::-1].copy()}


def test_sqlite_runs_round_trip() -> None:
    rng = np.random.default_rng(2)
    for n, span in ((1, 1), (3, 5), (7, 1 << 16), (8, 2), (9, 1 << 17), (5000, 100),
                    (5000, 4096), (5000, 1 << 16), (5000, (1 << 16) + 1), (5000, 1 << 20)):
        keys = rng.integers(0, 1 << 47, size=n, dtype=np.int64).astype(np.uint64)
        keys[: n // 3] = keys[0]  # one bucket with many units
        units = rng.integers(7, 7 + span, size=n)
        out_keys, out_units = decode_run(*encode_run(keys, units))
        order = np.argsort(keys, kind="stable")
        assert np.array_equal(out_keys, keys[order]) and np.array_equal(out_units, units[order])


@pytest.mark.parametrize("bits", [1, 5, 12, 15, 16, 17, 31, 32])
@pytest.mark.parametrize("count", [1, 7, 8, 9, 1000])
def test_packed_offsets_round_trip_and_read_the_old_widths(bits: int, count: int) -> None:
    from segmenter.index.sqlite import pack_bits, unpack_bits

    values = np.random.default_rng(bits * count).integers(0, 1 << bits, size=count)
    values[-1] = (1 << bits) - 1
    data = pack_bits(values)
    assert len(data) == (count * (2 if bits <= 16 else 4) if count < 8 else count * bits + 7 >> 3)
    assert np.array_equal(unpack_bits(data, count), values)
    for dtype in ("<u2", "<u4"):  # a format-4 run's offsets
        if bits <= 8 * np.dtype(dtype).itemsize:
            assert np.array_equal(unpack_bits(values.astype(dtype).tobytes(), count), values)


def test_sqlite_new_files_have_8k_pages_and_old_ones_keep_theirs(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    db = sqlite3.connect(old)
    db.execute("PRAGMA page_size=4096")
    db.execute("CREATE TABLE x(a)")
    db.execute("DROP TABLE x")
    db.close()
    infos, sigs = units_for([BASE, BASE + " officials said"])
    for path, size in ((tmp_path / "new.db", 8192), (old, 4096)):
        ix = SQLiteIndex(path)
        ix.add_batch(infos, sigs)
        assert ix._db.execute("PRAGMA page_size").fetchone()[0] == size
        assert ix.query("full", sigs["full"][1:])[0] == [1, 2]
        ix.close()


def test_sqlite_format_4_is_read_and_migrated(tmp_path: Path) -> None:
    """Format 4 wrote a run's unit offsets as uint16 (or uint32): the same file opened now says
    format 5 and answers as before."""
    path = tmp_path / "f4.db"
    ix = SQLiteIndex(path)
    ix.bind({})
    infos, sigs = units_for([BASE, BASE + " officials said", TEXTS[2]])
    ix.add_batch(infos[:2], {t: s[:2] for t, s in sigs.items()})
    want = ix.query("full", sigs["full"])
    ix.close()
    db = sqlite3.connect(path)
    for run, entries, base, units in db.execute("SELECT run, entries, base, units FROM runs"):
        _, offsets = decode_run(entries, base, 0, b"\0" * 4 * (entries - 1), b"", units)
        db.execute("UPDATE runs SET units = ? WHERE run = ?",
                   ((offsets - base).astype("<u2").tobytes(), run))
    db.execute("UPDATE meta SET value = '4' WHERE key = 'format'")
    db.commit()
    db.close()
    ix = SQLiteIndex(path)
    assert ix.meta()["format"] == FORMAT == "5"
    assert ix.query("full", sigs["full"]) == want and want[1]
    ix.close()


def test_sqlite_writers_in_one_file_see_each_other(tmp_path: Path) -> None:
    """Two open indexes on one file: each reads what the other appended (and a prune)."""
    path = tmp_path / "shared.db"
    a, b = SQLiteIndex(path), SQLiteIndex(path)
    infos, sigs = units_for([BASE, BASE + " officials said", TEXTS[2]])
    first = a.add_batch(infos[:1], {t: s[:1] for t, s in sigs.items()})
    assert b.query("full", sigs["full"][1:2]) == [[first.rowid[0]]]  # b loaded a's run
    res = b.add_batch(infos[1:], {t: s[1:] for t, s in sigs.items()})
    assert res.candidates["full"][0] == [first.rowid[0]]
    assert a.query("full", sigs["full"][:1]) == [[first.rowid[0], res.rowid[0]]]  # caught up
    assert a.prune(source="test") == 3
    assert b.query("full", sigs["full"][:1]) == [[]]  # b saw the new generation
    a.close()
    b.close()


@pytest.mark.parametrize("cap", [None, 3])
def test_sorted_entries_find_every_entry_in_arrival_order(cap: int | None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of entries into sorted levels (merged up to MAX_LEVEL): a lookup gives each key's
    values in arrival order (the first ``cap`` of them), as a list per key would."""
    from segmenter.index import sqlite as sqlite_index

    monkeypatch.setattr(sqlite_index, "MAX_LEVEL", 60)
    rng = np.random.default_rng(9)
    held = sqlite_index.SortedEntries(narrow=True, cap=cap)
    want: dict[int, list[int]] = {}
    value = 0
    for size in rng.integers(1, 25, size=40):
        keys = rng.integers(0, 30, size=size).astype(np.uint64)
        values = np.arange(value, value + size)
        value += size
        if size % 2:
            held.add(keys, values)
        else:  # as a file is loaded: parts in arrival order
            held.extend([(keys[: size // 2], values[: size // 2]),
                         (keys[size // 2 :], values[size // 2 :])])
        for k, v in zip(keys.tolist(), values.tolist(), strict=True):
            if cap is None or len(want.setdefault(k, [])) < cap:
                want.setdefault(k, []).append(v)
        assert all(len(k) <= 60 for k, _ in held.levels) and len(held.levels) <= 6 + value // 20
        q = np.arange(35, dtype=np.uint64)
        got_k, got_v = held.lookup(q)
        got: dict[int, list[int]] = {}
        for k, v in zip(got_k[np.argsort(got_k, kind="stable")].tolist(),
                        got_v[np.argsort(got_k, kind="stable")].tolist(), strict=True):
            got.setdefault(k, []).append(v)
        assert got == want
        assert held.unseen(q[:5], np.zeros(5, dtype=np.int64))[0].tolist() == [
            k for k in range(5) if 0 not in want.get(k, [])]


def test_sqlite_small_runs_are_merged_and_answers_stay(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two writers on one file add small batches, so the trailing small runs get merged while
    the other writer has read only some of them: both answer what one in-memory index answers
    for the same batches in the same order, and the file keeps few runs."""
    from segmenter.index import sqlite as sqlite_index
    from segmenter.index.memory import MemoryIndex

    monkeypatch.setattr(sqlite_index, "SMALL_RUN", 40)
    monkeypatch.setattr(sqlite_index, "MERGED_RUN", 100)
    params = LSHParams(num_perm=32, bands=4, rows=2, max_bucket=3)
    rng = np.random.default_rng(5)
    sigs = rng.integers(0, 50, size=(130, 32), dtype=np.uint32)  # many shared bands
    path = tmp_path / "merged.db"
    writers = [SQLiteIndex(path, params), SQLiteIndex(path, params)]
    mem = MemoryIndex(params)
    lo = 0
    for step, size in enumerate([3, 5, 2, 7, 4, 6, 1, 8, 5, 3, 9, 2, 6, 4] * 2):
        keys = list(range(lo, lo + size))
        got = writers[step % 3 % 2].query_insert("full", keys, sigs[lo : lo + size])
        assert got == mem.query_insert("full", keys, sigs[lo : lo + size]), step
        lo += size
    for ix in writers:
        assert ix.query("full", sigs) == mem.query("full", sigs)
    runs = writers[0]._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    assert runs < 28 // 3
    assert SQLiteIndex(path, params).query("full", sigs) == mem.query("full", sigs)
    for ix in writers:
        ix.close()


def test_sqlite_failed_batch_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    ix = SQLiteIndex(tmp_path / "x.db")
    infos, sigs = units_for([BASE, BASE + " officials said"])
    ix.add_batch(infos[:1], {t: s[:1] for t, s in sigs.items()})

    def full_disk(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(ix, "_append", full_disk)
    with pytest.raises(IndexError_, match=r"SQLite index .*x\.db: database or disk is full"):
        ix.add_batch(infos[1:], {t: s[1:] for t, s in sigs.items()})
    monkeypatch.undo()
    assert len(ix) == 1
    assert ix.query("full", sigs["full"][:1]) == [[1]]  # the failed batch's entries are gone
    ix.close()


class _Failing:
    """A sqlite3 connection whose every statement fails as a full disk does."""

    in_transaction = False

    def execute(self, *args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    executemany = execute

    def close(self) -> None:
        pass


def test_sqlite_errors_in_every_call_name_the_index(tmp_path: Path) -> None:
    """Every call that reads or writes the file raises IndexError_ naming it, not sqlite3's
    error (which the CLI would print as a traceback)."""
    infos, sigs = units_for([BASE])
    ix = SQLiteIndex(tmp_path / "x.db")
    ix.add_batch(infos, sigs)
    ix._db = _Failing()  # type: ignore[assignment]
    ix._mem = ix._blocks = None
    calls = {
        "meta": lambda: ix.meta(),
        "bind": lambda: ix.bind({"scheme": "x"}),
        "entries": lambda: ix.entries(),
        "insert": lambda: ix.insert("full", [9], sigs["full"]),
        "query": lambda: ix.query("full", sigs["full"]),
        "add_batch": lambda: ix.add_batch(infos, sigs),
        "fetch": lambda: ix.fetch([1]),
        "export": lambda: list(ix.export()),
        "len": lambda: len(ix),
        "stats": lambda: ix.stats(),
        "prune": lambda: ix.prune(before=time.time()),
        "vacuum": lambda: ix.vacuum(),
    }
    for name, call in calls.items():
        with pytest.raises(IndexError_, match=r"x\.db") as info:
            call()
        assert "disk is full" in str(info.value) or "unwritable" in str(info.value), name


FORMAT1 = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE units(n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL,
    digest INTEGER NOT NULL UNIQUE, t INTEGER NOT NULL, source INTEGER, length INTEGER NOT NULL,
    complete INTEGER NOT NULL, shingles INTEGER NOT NULL, sig BLOB NOT NULL);
CREATE TABLE bands(key INTEGER NOT NULL, unit INTEGER NOT NULL, PRIMARY KEY (key, unit))
    WITHOUT ROWID;
"""


def test_sqlite_format_1_is_migrated(tmp_path: Path) -> None:
    """An index written by the one-row-per-band-entry layout opens, with the same answers."""
    path = tmp_path / "old.db"
    rng = np.random.default_rng(4)
    sigs = rng.integers(0, 1 << 32, size=(40, 128), dtype=np.uint32)
    sigs[20:30, :60] = sigs[0, :60]
    params = LSHParams(max_bucket=4)
    ref = open_index("memory", params)
    expected = ref.query_insert("full", list(range(1, 41)), sigs)
    db = sqlite3.connect(path)
    db.executescript(FORMAT1)
    db.executemany("INSERT INTO meta VALUES (?, ?)",
                   {**lsh_meta(params), "format": "1"}.items())
    keys = table_keys(sigs, params, "full").tolist()
    stored: dict[int, list[int]] = {}
    for unit, row in enumerate(keys, start=1):
        db.execute("INSERT INTO units VALUES (?, ?, ?, 0, NULL, 1, 1, 1, x'00')",
                   (unit, f"u{unit}", unit))
        for k in row:
            if len(stored.setdefault(k, [])) < params.max_bucket:
                stored[k].append(unit)
                db.execute("INSERT INTO bands VALUES (?, ?)", (k, unit))
    db.commit()
    db.close()
    ix = SQLiteIndex(path)
    assert ix.meta()["format"] == FORMAT
    assert ix.stats()["band_entries"] == sum(len(v) for v in stored.values())
    assert expected[25] == [1, 21, 22, 23, 24, 25][: params.max_bucket]  # the cap bites
    assert ix.query("full", sigs) == ref.query("full", sigs)
    more = list(range(41, 51))
    assert ix.query_insert("full", more, sigs[20:30]) == ref.query_insert("full", more,
                                                                         sigs[20:30])
    ix.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'bands'").fetchone() is None
    db.execute("UPDATE meta SET value = '9' WHERE key = 'format'")
    db.commit()
    db.close()
    with pytest.raises(IndexError_, match="format 9, newer than this segmenter"):
        SQLiteIndex(path)
