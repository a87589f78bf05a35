"""CLI: exit codes (0 ok, 1 data error, 2 usage), messages with file:line, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main

from .conftest import FIXTURES


def run(*args: str, input: str | bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def records(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_help_lists_commands() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ("clean", "split"):
        assert command in out


@pytest.mark.parametrize("command", ["clean", "split"])
def test_every_command_has_help(command: str) -> None:
    code, out, _ = run(command, "--help")
    assert code == 0 and "Usage:" in out and "--on-error" in out


def test_clean_seed_and_fixtures(tmp_path: Path) -> None:
    out = tmp_path / "clean.jsonl"
    code, _, err = run("clean", str(FIXTURES / "split" / "seed_dump.txt"),
                       str(FIXTURES / "clean"), "-o", str(out))
    assert code == 0, err
    recs = {r["id"]: r for r in records(out.read_text("utf-8"))}
    seed = (FIXTURES / "split" / "seed_dump.txt").read_text("utf-8")
    assert recs["seed_dump"]["text"] == seed and recs["seed_dump"]["clean_steps"] == []
    assert recs["mojibake"]["text"].startswith("The café said “hello”")
    assert "unescape_html" in recs["entities"]["clean_steps"]
    assert recs["a1"]["url"] == "https://example.com/a1"  # other fields pass through
    assert "8 documents" in err and "4 repaired" in err


def test_stdin_txt_and_jsonl() -> None:
    code, out, _ = run("clean", "-", input="caf\u00c3\u00a9 &amp; bar")
    assert code == 0 and records(out)[0] == {"id": "stdin", "text": "café & bar",
                                             "clean_steps": ["unescape_html", "encode:latin-1",
                                                             "decode:utf-8"]}
    code, out, _ = run("clean", "-", input='{"id": "j", "text": "x"}\n')
    assert code == 0 and records(out)[0]["id"] == "j"
    code, out, _ = run("clean", "--format", "txt", "-", input='{"id": "j", "text": "x"}\n')
    assert code == 0 and records(out)[0]["id"] == "stdin"


def test_malformed_json_exit_1_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "ok"}\n{oops\n')
    out = tmp_path / "out.jsonl"
    code, _, err = run("clean", str(bad), "-o", str(out))
    assert code == 1
    assert f"{bad}:2: malformed JSON" in err
    assert not out.exists()  # atomic: nothing half-written


def test_missing_text_field_lists_keys(tmp_path: Path) -> None:
    bad = tmp_path / "k.jsonl"
    bad.write_text('{"id": "a", "body": "x"}\n')
    code, _, err = run("clean", str(bad))
    assert code == 1 and "no 'text' field (keys: 'id', 'body')" in err and "--text-field" in err
    code, out, _ = run("clean", "--text-field", "body", str(bad))
    assert code == 0 and records(out)[0]["text"] == "x"


def test_text_not_a_string(tmp_path: Path) -> None:
    bad = tmp_path / "n.jsonl"
    bad.write_text('{"id": "a", "text": ["x"]}\n')
    code, _, err = run("clean", str(bad))
    assert code == 1 and f"{bad}:1: field 'text' is list, not a string" in err


def test_empty_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"GIF89a\x00\x01")
    code, _, err = run("clean", str(empty))
    assert code == 1 and f"{empty}: empty file" in err
    code, _, err = run("clean", str(binary))
    assert code == 1 and "binary file (NUL byte at byte 6)" in err


def test_skip_writes_rejects_and_balances(tmp_path: Path) -> None:
    src = tmp_path / "m.jsonl"
    src.write_text('{"id": "a", "text": "ok"}\nnope\n{"id": "c", "text": 1}\n')
    empty = tmp_path / "e.txt"
    empty.write_bytes(b"")
    rej = tmp_path / "rejects.jsonl"
    out = tmp_path / "out.jsonl"
    code, _, err = run("clean", "--on-error", "skip", "--rejects", str(rej), str(src), str(empty),
                       "-o", str(out))
    assert code == 0, err
    got = records(rej.read_text())
    assert [(r["line"], r["reason"]) for r in got] == [(2, "bad_json"), (3, "text_not_string"),
                                                        (None, "empty_file")]
    assert len(records(out.read_text())) == 1 and "3 rejected" in err


def test_invalid_utf8_strict_and_replace(tmp_path: Path) -> None:
    src = tmp_path / "u.txt"
    src.write_bytes(b"ok\ncaf\xe9\n")
    code, _, err = run("clean", "--encoding-errors", "strict", str(src))
    assert code == 1 and f"{src}:2 (byte 6): invalid UTF-8" in err
    code, out, err = run("clean", str(src))
    assert code == 0 and f"warning: {src}:2: invalid UTF-8 at byte 6" in err
    assert "1 invalid bytes replaced" in err and records(out)[0]["text"] == "ok\ncaf\ufffd\n"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("clean")[0] == 2  # no INPUT
    assert run("clean", "--on-error", "maybe", "x.txt")[0] == 2
    assert run("nonsense")[0] == 2


def test_missing_input_is_a_usage_error_exit_2() -> None:
    code, _, err = run("clean", "does-not-exist.txt")
    assert code == 2 and "does-not-exist.txt: no such file or directory" in err


def test_bad_config_file_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "segmenter.toml").write_text("[clean]\nnormalisation = 'NFC'\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run("clean", str(FIXTURES / "split" / "seed_dump.txt"))
    assert code == 2 and "unknown option(s) normalisation" in err


def test_config_file_sets_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.segmenter.clean]\nuncurl_quotes = true\n")
    (tmp_path / "q.txt").write_text("“quoted”")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("clean", "q.txt")
    assert code == 0 and records(out)[0]["text"] == '"quoted"'


def test_python_dash_m() -> None:
    proc = subprocess.run([sys.executable, "-m", "segmenter", "--version"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and "segmenter" in proc.stdout


def test_normalization_option() -> None:
    decomposed = "Cafe\u0301"
    code, out, _ = run("clean", "-", input=decomposed)
    assert code == 0 and records(out)[0]["text"] == "Caf\u00e9"  # NFC by default
    code, out, _ = run("clean", "--normalization", "none", "-", input=decomposed)
    assert code == 0 and records(out)[0]["text"] == decomposed
