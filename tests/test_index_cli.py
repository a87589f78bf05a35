"""`--index` on dedup and run, and `segmenter index stats|export|prune`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main
from segmenter.cli.index import parse_before

from .conftest import FIXTURES

NEWS = FIXTURES / "dedup" / "news.jsonl"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_dedup_twice_on_one_index_is_idempotent(tmp_path: Path) -> None:
    index = tmp_path / "seen.db"
    code, _ = invoke("dedup", str(NEWS), "--index", str(index), "-o", str(tmp_path / "1.jsonl"))
    assert code == 0
    code, out = invoke("index", "stats", str(index), "--json")
    first = json.loads(out)
    assert code == 0 and first["units"] > 0 and first["meta"]["num_perm"] == "128"
    code, _ = invoke("dedup", str(NEWS), "--index", str(index), "-o", str(tmp_path / "2.jsonl"))
    assert code == 0
    assert records(tmp_path / "1.jsonl") == records(tmp_path / "2.jsonl")
    assert json.loads(invoke("index", "stats", str(index), "--json")[1])["units"] == first["units"]


def test_run_with_index_flags_stories_seen_by_an_earlier_run(tmp_path: Path) -> None:
    index = tmp_path / "seen.db"
    day1 = tmp_path / "day1.jsonl"
    day2 = tmp_path / "day2.jsonl"
    lines = NEWS.read_text("utf-8").splitlines()
    day1.write_text(lines[0] + "\n", "utf-8")
    rec = json.loads(lines[0])
    original = rec["id"]
    rec["id"] = "republished"
    day2.write_text(json.dumps(rec) + "\n", "utf-8")
    assert invoke("run", str(day1), "--index", str(index), "-o", str(tmp_path / "o1"))[0] == 0
    assert invoke("run", str(day2), "--index", str(index), "-o", str(tmp_path / "o2"))[0] == 0
    stories = records(tmp_path / "o2" / "stories.jsonl")
    assert stories and all(s["relation"] == "exact" for s in stories)
    assert all(s["duplicate_of"].startswith(f"{original}#") for s in stories)
    assert (tmp_path / "o2" / "unique.jsonl").read_text("utf-8") == ""


def test_export_and_prune(tmp_path: Path) -> None:
    index = tmp_path / "seen.db"
    assert invoke("dedup", str(NEWS), "--index", str(index), "-o", str(tmp_path / "o.jsonl"))[0] == 0  # noqa: E501
    code, out = invoke("index", "export", str(index), "--signatures")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert code == 0 and rows and {"key", "id", "digest", "source", "inserted"} <= set(rows[0])
    assert len(rows[0]["sig16"]) == 128 * 4
    code, out = invoke("index", "prune", str(index), "--before", "30d")
    assert code == 0 and "deleted 0 units" in out
    code, out = invoke("index", "prune", str(index), "--source", "*news.jsonl", "--vacuum")
    assert code == 0 and f"deleted {len(rows)} units" in out
    assert json.loads(invoke("index", "stats", str(index), "--json")[1])["units"] == 0


def test_errors_say_how_to_fix(tmp_path: Path) -> None:
    index = tmp_path / "seen.db"
    assert invoke("dedup", str(NEWS), "--index", str(index), "-o", str(tmp_path / "o.jsonl"))[0] == 0  # noqa: E501
    code, out = invoke("dedup", str(NEWS), "--index", str(index), "--shingle", "word:3",
                       "-o", str(tmp_path / "p.jsonl"))
    assert code == 2 and "shingle=word:5 (this run: word:3)" in out and "--shingle word:5" in out
    assert not (tmp_path / "p.jsonl").exists()
    code, out = invoke("index", "stats", str(tmp_path / "missing.db"))
    assert code != 0 and "does not exist" in out
    code, out = invoke("index", "prune", str(index))
    assert code == 2 and "--before" in out
    code, out = invoke("index", "prune", str(index), "--before", "yesterday")
    assert code == 2 and "90d" in out
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    code, out = invoke("dedup", str(NEWS), "--index", str(tmp_path / "junk.db"))
    assert code != 0 and "not a usable SQLite index" in out


def test_full_disk_in_the_index_is_an_error_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from segmenter.index.sqlite import SQLiteIndex

    def full_disk(self: SQLiteIndex, log: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SQLiteIndex, "_append", full_disk)
    index = tmp_path / "seen.db"
    result = CliRunner().invoke(main, ["dedup", str(NEWS), "--index", str(index), "--jobs", "1",
                                       "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is not None
    assert f"SQLite index {index}: database or disk is full" in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_parse_before() -> None:
    now = 1_700_000_000.0
    assert parse_before("2d", now) == now - 2 * 86400
    assert parse_before("12h", now) == now - 12 * 3600
    assert parse_before("2023-11-14T22:13:20+00:00", now) == now
    assert parse_before("2023-11-14T22:13:20", now) == now  # UTC when no offset
    assert parse_before(str(int(now)), now) == now
    assert abs(parse_before("1w") - (time.time() - 604800)) < 5


def test_help_documents_the_rule() -> None:
    code, out = invoke("dedup", "--help")
    flat = " ".join(out.split())
    assert code == 0 and "--index" in flat and "is 'seen' and left out of unique.jsonl" in flat
    assert "gives its first verdicts" in flat
    assert "adds nothing" in flat and "--run-id ID" in flat
    for sub in ("stats", "export", "prune"):
        code, out = invoke("index", sub, "--help")
        assert code == 0 and "INDEX" in out


@pytest.mark.parametrize("url", ["memory", "ftp://nowhere"])
def test_index_commands_refuse_non_persistent(url: str) -> None:
    code, out = invoke("index", "stats", url)
    assert code != 0
