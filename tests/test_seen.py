"""Incremental runs on a persistent index (issue 15, item 1): a page an earlier run indexed is
``seen``, not new; the same job run again reproduces its own outputs; report.json counts new,
seen and duplicate-of-earlier-run units. CLI tests with real files, on SQLite and Redis."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main
from segmenter.config import Config, DedupConfig
from segmenter.index import open_index
from segmenter.run_id import derive_run_id

from .conftest import story
from .test_index_backends import drop, new_url

PERSISTENT = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.output


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def doc(i: int) -> dict[str, str]:
    return {"id": f"d{i}", "text": story(i, 160)}


def write(path: Path, docs: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
    return path


@pytest.fixture(params=PERSISTENT)
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = new_url(str(request.param), tmp_path)
    yield url
    drop(url)


@pytest.fixture
def days(tmp_path: Path) -> tuple[Path, Path]:
    """Two scrapes: day 2 re-visits six of day 1's pages (same id, same text; two of them were
    exact copies of another page on day 1), has a page whose text day 1 had under another id,
    an edited copy of a day-1 page and new pages."""
    copy3 = {"id": "d3-copy", "text": story(3, 160)}
    copy6 = {"id": "d6-copy", "text": story(6, 160)}
    day1 = [doc(i) for i in range(8)] + [copy3, copy6]
    edited = story(1, 160).rsplit(" ", 3)[0]
    day2 = [doc(i) for i in range(4, 8)] + [copy6, copy3] + [
        {"id": "d0-mirror", "text": story(0, 160)},
        {"id": "d1-edited", "text": edited},
    ] + [doc(i) for i in range(20, 24)]
    return write(tmp_path / "day1.jsonl", day1), write(tmp_path / "day2.jsonl", day2)


REVISITED = ("d4", "d5", "d6", "d7", "d3-copy", "d6-copy")


def run(inp: Path, out: Path, index: str, *extra: str) -> dict:
    code, output = invoke("run", str(inp), "-o", str(out), "--index", index, *extra)
    assert code == 0, output
    return json.loads((out / "report.json").read_text("utf-8"))


def test_pages_of_an_earlier_run_are_seen(index: str, days: tuple[Path, Path],
                                          tmp_path: Path) -> None:
    day1, day2 = days
    first = run(day1, tmp_path / "o1", index)
    second = run(day2, tmp_path / "o2", index)
    stories = records(tmp_path / "o2" / "stories.jsonl")
    by_doc: dict[str, list[dict]] = {}
    for s in stories:
        by_doc.setdefault(s["doc_id"], []).append(s)
    revisited = [s for d in REVISITED for s in by_doc[d]]
    assert revisited
    for s in revisited:  # already seen: a duplicate of the indexed unit, never kept
        assert (s["relation"], s["duplicate_of"], s["keeper"]) == ("seen", s["id"], False)
    assert all(s["relation"] == "exact" and s["duplicate_of"].startswith("d0#")
               for s in by_doc["d0-mirror"])
    assert all(s["relation"] == "near" and s["duplicate_of"].startswith("d1#")
               for s in by_doc["d1-edited"])
    new = [s for d in ("d20", "d21", "d22", "d23") for s in by_doc[d]]
    assert all(s["keeper"] and s["relation"] is None for s in new)
    unique1 = {s["id"] for s in records(tmp_path / "o1" / "unique.jsonl")}
    unique2 = {s["id"] for s in records(tmp_path / "o2" / "unique.jsonl")}
    assert unique2 == {s["id"] for s in new} and not unique1 & unique2
    ix = second["index"]
    earlier = len(by_doc["d0-mirror"]) + len(by_doc["d1-edited"])
    assert ix["url"] in (index, f"sqlite:///{index}")  # names the index
    assert ix["seen"] == len(revisited) and ix["duplicates_of_earlier_runs"] == earlier
    assert ix["new"] == len(new) == ix["units"] - ix["seen"] - earlier
    assert ix["run_id"] != first["index"]["run_id"] and ix["rerun"] == 0
    assert first["index"]["seen"] == 0 and first["index"]["new"] == first["dedup"]["units"]
    # seen units are neither duplicates nor unique in the dedup counts
    assert second["dedup"]["unique"] == len(new)
    assert second["dedup"]["duplicates_total"] == earlier


def test_the_same_job_again_reproduces_its_outputs(index: str, days: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    day1, day2 = days
    first = run(day1, tmp_path / "a", index)
    run(day2, tmp_path / "b", index)  # a later job adds units in between
    again = run(day1, tmp_path / "a2", index)  # e.g. after a crash: the same inputs
    for name in ("stories.jsonl", "unique.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "a2" / name).read_bytes()
    assert again["index"]["run_id"] == first["index"]["run_id"]
    assert again["index"]["seen"] == 0 and again["index"]["inserted"] == 0
    assert again["index"]["rerun"] == first["index"]["inserted"] > 0
    # a file that changed is another job: its pages were seen ...
    os.utime(day1, ns=(1_000_000_000, 1_000_000_000))
    touched = run(day1, tmp_path / "a3", index)
    assert touched["index"]["seen"] == touched["index"]["units"] - touched["index"]["new"] > 0
    assert touched["index"]["new"] == 0 or touched["dedup"]["empty_units"] > 0
    # ... unless --run-id says it is the same job
    named = run(day1, tmp_path / "n1", index, "--run-id", first["index"]["run_id"])
    assert named["index"]["seen"] == 0
    assert (tmp_path / "n1" / "stories.jsonl").read_bytes() == \
        (tmp_path / "a" / "stories.jsonl").read_bytes()


def test_dedup_command_reports_seen(index: str, days: tuple[Path, Path],
                                    tmp_path: Path) -> None:
    day1, day2 = days
    out1, out2, out3 = (tmp_path / f"{n}.jsonl" for n in (1, 2, 3))
    for inp, out in ((day1, out1), (day2, out2), (day1, out3)):
        code, output = invoke("dedup", str(inp), "--no-split", "--index", index, "-o", str(out))
        assert code == 0, output
    got = {r["id"]: r for r in records(out2)}
    for d in REVISITED:
        assert (got[d]["relation"], got[d]["duplicate_of"], got[d]["keeper"]) == ("seen", d, False)
    assert got["d0-mirror"]["relation"] == "exact" and got["d20"]["keeper"]
    assert out3.read_bytes() == out1.read_bytes()  # the same job again


def test_prune_forgets_pages_and_their_copies(index: str, days: tuple[Path, Path],
                                              tmp_path: Path) -> None:
    day1, day2 = days
    run(day1, tmp_path / "o1", index)
    code, out = invoke("index", "stats", index, "--json")
    assert code == 0 and json.loads(out)["copies"] == 2  # d3-copy, d6-copy
    code, out = invoke("index", "prune", index, "--before", "2999-01-01")
    assert code == 0, out
    code, out = invoke("index", "stats", index, "--json")
    assert json.loads(out)["copies"] == 0 and json.loads(out)["units"] == 0
    second = run(day2, tmp_path / "o2", index)
    assert second["index"]["seen"] == 0 and second["index"]["new"] == second["index"]["units"]


def test_stdin_is_a_new_job_unless_named(tmp_path: Path) -> None:
    index = str(tmp_path / "seen.db")
    text = "".join(json.dumps(doc(i)) + "\n" for i in range(3))
    outs = [tmp_path / f"{n}.jsonl" for n in range(4)]
    for out, extra in zip(outs, ([], [], ["--run-id", "feed-1"], ["--run-id", "feed-1"]),
                          strict=True):
        code, output = invoke("dedup", "-", "--format", "jsonl", "--no-split", "--index",
                              index, "-o", str(out), *extra, stdin=text)
        assert code == 0, output
    first, second, named, named_again = ([r["relation"] for r in records(o)] for o in outs)
    assert first == [None] * 3 and second == ["seen"] * 3
    assert named == ["seen"] * 3 and named_again == ["seen"] * 3  # feed-1 indexed nothing
    # a job named on its first run reproduces itself when run again under that name
    index2 = str(tmp_path / "other.db")
    for out in outs[:2]:
        assert invoke("dedup", "-", "--format", "jsonl", "--no-split", "--index", index2,
                      "-o", str(out), "--run-id", "feed-2", stdin=text)[0] == 0
    assert [r["relation"] for r in records(outs[1])] == [None] * 3


def test_run_id_is_checked(tmp_path: Path, days: tuple[Path, Path]) -> None:
    day1, _ = days
    code, out = invoke("dedup", str(day1), "--index", str(tmp_path / "i.db"),
                       "--run-id", "has space")
    assert code == 2 and "bad run id 'has space'" in out
    code, out = invoke("dedup", str(day1), "--run-id", "job")
    assert code == 2 and "--run-id" in out and "needs --index" in out


def test_derived_run_id(tmp_path: Path, days: tuple[Path, Path],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    day1, day2 = days
    base = derive_run_id([str(day1)], Config())
    assert base == derive_run_id([str(day1)], Config())
    assert len(base) == 16 and int(base, 16) >= 0
    monkeypatch.chdir(tmp_path)  # the same file named another way is the same input
    assert derive_run_id(["day1.jsonl"], Config()) == base
    assert derive_run_id([str(day1), str(day2)], Config()) != base
    assert derive_run_id([str(day1)], Config(dedup=DedupConfig(threshold=0.6))) != base
    assert derive_run_id([str(day1)], Config(), split=False) != base
    explain = Config(dedup=DedupConfig(explain=True))  # evidence only: the same verdicts
    assert derive_run_id([str(day1)], explain) == base
    day1.write_text(day1.read_text("utf-8") + json.dumps(doc(99)) + "\n", "utf-8")
    assert derive_run_id([str(day1)], Config()) != base


def test_an_index_of_the_old_format_keeps_working(tmp_path: Path,
                                                  days: tuple[Path, Path]) -> None:
    """A format-2 file (no run ids) is migrated when opened; its units were indexed before run
    ids, by another job than any later one: met again, they are seen (the ids of exact copies
    it met are not known: those are exact duplicates)."""
    day1, day2 = days
    index = tmp_path / "old.db"
    run(day1, tmp_path / "o1", str(index))
    db = sqlite3.connect(index)  # what segmenter wrote before run ids
    db.execute("ALTER TABLE units DROP COLUMN run_id")
    db.execute("DROP TABLE run_ids")
    db.execute("DROP TABLE copies")
    db.execute("UPDATE meta SET value = '2' WHERE key = 'format'")
    db.commit()
    db.close()
    report = run(day2, tmp_path / "o2", str(index))
    seen = [s for s in records(tmp_path / "o2" / "stories.jsonl") if s["relation"] == "seen"]
    assert {s["doc_id"] for s in seen} == {"d4", "d5", "d6", "d7"}
    assert report["index"]["seen"] == len(seen)
    code, out = invoke("index", "export", str(index))
    exported = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert {r["run"] for r in exported} == {None, report["index"]["run_id"]}
    code, out = invoke("index", "stats", str(index), "--json")
    assert json.loads(out)["meta"]["format"] == "5"  # run ids (3), blocks (4), packed (5)


@pytest.mark.redis
def test_redis_records_of_older_versions_keep_working(tmp_path: Path,
                                                      days: tuple[Path, Path]) -> None:
    """Redis records without a run id (older versions) are another job's: seen."""
    day1, day2 = days
    url = new_url("redis", tmp_path)
    try:
        first = run(day1, tmp_path / "o1", url)
        tag = first["index"]["run_id"]
        ix = open_index(url)
        r, prefix = ix._r, ix.prefix  # type: ignore[attr-defined]
        for digest, value in r.hgetall(f"{prefix}:h").items():  # strip what older ones lack
            r.hset(f"{prefix}:h", digest, value.replace(f":{tag}\t".encode(), b"\t"))
        r.delete(f"{prefix}:c")  # nor the ids of copies
        for key in r.scan_iter(match=f"{prefix}:u:*"):
            for field, blob in r.hgetall(key).items():
                assert blob.endswith(tag.encode())
                r.hset(key, field, blob[: -len(tag)])
        assert all(u.run is None for u in ix.export())  # type: ignore[attr-defined]
        ix.close()
        again = run(day1, tmp_path / "o2", url)  # same inputs, but no run recorded: seen
        assert again["index"]["seen"] > 0 and again["index"]["inserted"] == 0
        second = run(day2, tmp_path / "o3", url)
        seen = {s["doc_id"] for s in records(tmp_path / "o3" / "stories.jsonl")
                if s["relation"] == "seen"}
        # (the copies too: the second day-1 run met them and the index remembers their ids)
        assert seen == set(REVISITED) and second["index"]["seen"] > 0
    finally:
        drop(url)


def test_report_never_shows_a_redis_password() -> None:
    from segmenter.index.redis import _without_password

    shown = _without_password("redis://app:s3cret@10.0.0.5:6379/0?prefix=crawl")
    assert shown == "redis://app:***@10.0.0.5:6379/0?prefix=crawl"
    assert _without_password("redis://:s3cret@h:1/0") == "redis://:***@h:1/0"
    assert _without_password("redis://h:6379/0") == "redis://h:6379/0"
