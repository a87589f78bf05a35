"""What a person at a terminal sees (issue 15, items 12 and 20): a progress bar on every long
command when stderr is a terminal, erased before the summary, and nothing of it otherwise; a
top-level help that lists every command; counts and articles that read properly."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from segmenter.cli import main
from segmenter.cli.progress import ProgressBar
from segmenter.words import a, count

from .conftest import ROOT, story

CLEAR = "\r\x1b[K"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    path = tmp_path / "docs.jsonl"
    with path.open("w") as fh:
        for i in range(400):
            fh.write(json.dumps({"id": f"d{i}", "text": story(i % 300, 60)}) + "\n")
    return path


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# --------------------------------------------------------------------------- 12: progress


def on_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run segmenter with stderr on a pseudo-terminal; return its exit code and stderr."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "160"}
    proc = subprocess.Popen([sys.executable, "-m", "segmenter", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode()


@pytest.mark.parametrize(("command", "summary"), [
    (["run", "docs.jsonl", "-o", "out"], "400 documents ("),
    (["clean", "docs.jsonl", "-o", "c.jsonl"], "segmenter clean: 400 documents"),
    (["check", "docs.jsonl", "-o", "check.txt"], "segmenter check passed"),
])
def test_a_terminal_shows_a_bar_that_is_erased_before_the_summary(
    docs: Path, command: list[str], summary: str
) -> None:
    code, err = on_a_terminal(command, docs.parent)
    assert code == 0, err
    bars = [part for part in err.split(CLEAR) if part.startswith(f"segmenter {command[0]}  ")]
    assert bars, err
    total = f"/{docs.stat().st_size / 1000:.1f} kB"
    assert all(total in bar and "docs/s" in bar and "%" in bar for bar in bars), bars
    assert err.rsplit(CLEAR, 1)[1].startswith(summary)  # the summary starts a clean line


@pytest.mark.parametrize("command", [
    ["clean", "docs.jsonl"], ["split", "docs.jsonl"], ["dedup", "docs.jsonl"],
    ["run", "docs.jsonl", "-o", "out"], ["check", "docs.jsonl"],
])
def test_no_progress_when_stderr_is_not_a_terminal(
    docs: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(docs.parent)
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert "docs/s" not in result.stderr


def test_the_bar_shows_bytes_rate_and_time_left() -> None:
    done = [0]
    bar = ProgressBar("run", 4_000_000, position=lambda: done[0], stream=Terminal(), every=0)
    bar.bytes = True
    bar.started -= 10  # ten seconds in
    done[0] = 1_000_000
    bar.update(500)
    line = bar.stream.getvalue()  # type: ignore[attr-defined]
    assert line.startswith(CLEAR + "segmenter run  [######------------------]   25%")
    assert "1.0 MB/4.0 MB" in line and "500 docs" in line and "50 docs/s" in line
    assert "ETA 0:00:30" in line
    bar.close()
    assert bar.stream.getvalue().endswith(CLEAR)  # type: ignore[attr-defined]


def test_the_bar_without_a_total_counts() -> None:
    bar = ProgressBar("clean", None, stream=Terminal(), every=0)
    bar.update(7)
    line = bar.stream.getvalue()  # type: ignore[attr-defined]
    assert "7 docs" in line and "docs/s" in line and "ETA" not in line and "%" not in line


def test_index_export_shows_units_on_a_terminal(docs: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["dedup", str(docs), "--index", str(docs.parent / "i.db"),
                                "-o", os.devnull]).exit_code == 0
    code, err = on_a_terminal(["index", "export", "i.db", "-o", "e.jsonl"], docs.parent)
    assert code == 0, err
    assert "segmenter index export  [" in err and "units/s" in err
    assert err.rsplit(CLEAR, 1)[1].startswith("export: 300 units")  # exact copies: not stored


# --------------------------------------------------------------------------- 20: small


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert isinstance(main, click.Group)
    synopsis = result.output.split("Options:")[0]
    for name in main.commands:
        assert f"segmenter {name} " in synopsis, name


def test_counts_read_properly(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"id": "a", "text": story(1)}) + "\n")
    run = CliRunner().invoke(main, ["run", str(one), "-o", str(tmp_path / "out")])
    assert run.exit_code == 0
    assert run.stderr.startswith("1 document (0 rejected, 0 repaired) -> 1 story (1 article, "
                                 "0 teasers, 0 boilerplate lines) -> 1 unique, 0 duplicates")
    assert "in 0 clusters" in run.stderr
    dedup = CliRunner().invoke(main, ["dedup", str(one)])
    assert "segmenter dedup: 1 document, 1 unit, 0 duplicates" in dedup.stderr
    assert (count(1, "story"), count(2, "story"), count(0, "boilerplate line")) == (
        "1 story", "2 stories", "0 boilerplate lines")
    assert (a("exact"), a("near"), a("contained")) == ("an exact", "a near", "a contained")
