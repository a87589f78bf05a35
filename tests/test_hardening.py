"""Bad input, adversarial text and faults: a clear error (file:line) or a documented handling,
never a traceback, and nothing lost: records in = records out + rejects."""

from __future__ import annotations

import builtins
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard
from click.testing import CliRunner, Result

from segmenter.cli import main

pytestmark = pytest.mark.hardening


def cli(*args: str, input: bytes | str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input)
    # never a traceback: every failure is a SystemExit with a message
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def balanced(tmp_path: Path, *inputs: str, expect_in: int) -> tuple[list[dict[str, Any]],
                                                                   list[dict[str, Any]]]:
    """clean with --on-error skip; check records in = records out + rejects."""
    out, rej = tmp_path / "out.jsonl", tmp_path / "rej.jsonl"
    result = cli("clean", "--on-error", "skip", "--rejects", str(rej), *inputs, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    records = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    rejects = [json.loads(x) for x in rej.read_text("utf-8").splitlines()]
    assert len(records) + len(rejects) == expect_in
    return records, rejects


def test_mixed_bad_jsonl_nothing_lost(tmp_path: Path) -> None:
    lines = [
        b'{"id": "ok1", "text": "fine"}',
        b'{"id": "bad-utf8", "text": "caf\xe9"}',  # replaced and counted, kept
        b'{"id": "nul", "text": "a\x00b"}',
        b'{"id": "surrogate", "text": "x\\ud800y"}',
        b'{"id": "num", "text": 5}',
        b'{"id": "none", "text": null}',
        b'{"id": "nokey"}',
        b'[1, 2, 3]',
        b'{"id": "trunc", "text": "abc',
        b'{"id": "dup", "text": "one"}',
        b'{"id": "dup", "text": "two"}',
        b'{"text": "no id"}',
        b'{"id": {"nested": 1}, "text": "bad id"}',
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    records, rejects = balanced(tmp_path, str(src), expect_in=len(lines))
    assert {r["id"] for r in records} >= {"ok1", "bad-utf8", "surrogate", "dup", f"{src}:12"}
    reasons = sorted(r["reason"] for r in rejects)
    assert reasons == ["bad_id", "bad_json", "binary", "missing_text", "not_object",
                       "text_not_string", "text_not_string"]
    assert all(r["line"] and r["source"] == str(src) for r in rejects)


def test_utf16_bom_crlf_cr_and_invisible_characters(tmp_path: Path) -> None:
    (tmp_path / "u16.txt").write_bytes("Grüße aus Köln.\r\nZweite Zeile.".encode("utf-16"))
    (tmp_path / "cr.txt").write_bytes(b"Old Mac line one.\rline two.\r")
    special = "Zero\u200bwidth, \u202eRTL\u202c, \u200fמה\u200f, family 👨\u200d👩\u200d👧 ok."
    (tmp_path / "special.txt").write_text(special, encoding="utf-8")
    records, rejects = balanced(tmp_path, str(tmp_path), expect_in=3)
    by_id = {r["id"]: r["text"] for r in records}
    assert by_id["u16"] == "Grüße aus Köln.\nZweite Zeile."
    assert by_id["cr"] == "Old Mac line one.\nline two.\n"
    assert by_id["special"] == special  # ZWSP, bidi controls, ZWJ emoji are content: kept


def test_empty_whitespace_and_binary_files(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\t\n")
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)))
    (tmp_path / "empty.jsonl").write_bytes(b"")
    records, rejects = balanced(tmp_path, str(tmp_path), expect_in=4)
    assert [r["id"] for r in records] == ["blank"]  # whitespace-only: kept, zero stories later
    assert sorted(r["reason"] for r in rejects) == ["binary", "empty_file", "empty_file"]


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_truncated_compressed_files_fail_clearly(tmp_path: Path, kind: str) -> None:
    data = b"".join(json.dumps({"id": i, "text": "word " * 40}).encode() + b"\n"
                    for i in range(300))
    blob = gzip.compress(data) if kind == "gz" else zstandard.ZstdCompressor().compress(data)
    src = tmp_path / f"cut.jsonl.{kind}"
    src.write_bytes(blob[: len(blob) // 2])
    out = tmp_path / "out.jsonl"
    result = cli("clean", str(src), "-o", str(out))
    assert result.exit_code == 1 and "truncated or corrupt" in result.stderr
    assert str(src) in result.stderr and not out.exists()


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "locked.txt"
    src.write_text("secret")
    real_open = builtins.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(src):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", deny)
    result = cli("clean", str(src))
    assert result.exit_code == 1 and f"{src}: cannot read: Permission denied" in result.stderr


def test_directory_of_ten_thousand_files(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(10_000):
        (folder / f"{i:05d}.txt").write_text(f"Story number {i}.")
    out = tmp_path / "out.jsonl"
    result = cli("clean", str(folder), "-o", str(out))
    assert result.exit_code == 0
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert len(ids) == 10_000 and ids[:2] == ["00000", "00001"]


def test_split_and_dedup_survive_adversarial_text(tmp_path: Path) -> None:
    texts = ["", " ", "\n\n\n", "a", "。" * 5000, "STEADFAST FRIEND:" * 2000,
             "Photo: AFP\n" * 3000, "x" * 200_000, "\u200b" * 1000, "👨‍👩‍👧" * 500,
             ("word " * 50 + "\n") * 200, "\r\n".join(["line"] * 1000)]
    src = tmp_path / "adv.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n"
                           for i, t in enumerate(texts)))
    result = cli("split", str(src))
    assert result.exit_code == 0
    stories = [json.loads(x) for x in result.stdout.splitlines()]
    assert {s["doc_id"] for s in stories} == {str(i) for i, t in enumerate(texts) if t.strip()}
    result = cli("dedup", str(src))
    assert result.exit_code == 0
    result = cli("dedup", "--no-split", str(src))
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == len(texts)


@pytest.mark.slow
def test_fifty_megabyte_single_line(tmp_path: Path) -> None:
    src = tmp_path / "huge.txt"
    unit = "The council said the plan, backed by Qin Gang (秦剛), would “work”. "
    src.write_text(unit * (50_000_000 // len(unit.encode())), encoding="utf-8")
    out = tmp_path / "stories.jsonl"
    result = cli("split", str(src), "-o", str(out))
    assert result.exit_code == 0
    (story,) = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    assert story["start"] == 0 and story["end"] == len(src.read_text("utf-8"))  # to the line end


@pytest.mark.slow
def test_million_short_lines(tmp_path: Path) -> None:
    src = tmp_path / "lines.txt"
    src.write_text("\n".join(f"Line {i} says hello." for i in range(1_000_000)))
    out = tmp_path / "stories.jsonl"
    result = cli("split", str(src), "-o", str(out))
    assert result.exit_code == 0
    stories = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    text = src.read_text()
    assert stories[0]["start"] == 0 and stories[-1]["end"] == len(text)
    assert all(a["end"] <= b["start"] for a, b in zip(stories, stories[1:], strict=False))
