"""Output places, modes, compression, exit codes and the run's HTML report (issue 15, items
3, 4, 11, 13, 14): CLI runs on real files, and subprocesses for the signals."""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main

ROOT = Path(__file__).resolve().parent.parent

DOCS = [
    {"id": "a", "text": "The central bank raised interest rates on Tuesday, officials said, "
     "citing the rise in prices over the year."},
    {"id": "b", "text": "The central bank raised interest rates on Tuesday, officials said, "
     "citing the rise in prices over the year."},
    {"id": "c", "text": "Police closed the border crossing after the strike by union workers "
     "entered its third week, the minister told reporters."},
]


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in DOCS), "utf-8")
    return path


def cli(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --------------------------------------------------------------------------- 3: output places


def test_run_into_a_symlink_to_a_folder_writes_into_its_target(docs: Path, tmp_path: Path) -> None:
    real = tmp_path / "volume"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    for _ in range(2):  # a fresh folder, then a re-run over the earlier outputs
        result = cli("run", str(docs), "-o", str(link))
        assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert sorted(p.name for p in real.iterdir()) == ["report.json", "stories.jsonl",
                                                      "unique.jsonl"]
    assert len((real / "stories.jsonl").read_text().splitlines()) == 3


def _refuse_sibling_stages(monkeypatch: pytest.MonkeyPatch, parent: Path) -> None:
    """A read-only parent: chmod is not enough when the tests run as root, so creating a
    folder there fails the way it would (EACCES)."""
    real = tempfile.mkdtemp

    def mkdtemp(*args: object, dir: object = None, **kwargs: object) -> str:
        if dir is not None and Path(str(dir)).resolve() == parent.resolve():
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*args, dir=dir, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)


def test_run_into_a_folder_whose_parent_is_read_only_stages_inside_it(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "ro"
    out = parent / "out"
    out.mkdir(parents=True)
    (out / "stories.jsonl.gz").write_bytes(b"")  # an earlier run's, compressed: removed
    _refuse_sibling_stages(monkeypatch, parent)
    parent.chmod(0o555)
    try:
        result = cli("run", str(docs), "-o", str(out))
    finally:
        parent.chmod(0o755)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "stories.jsonl",
                                                     "unique.jsonl"]


def test_run_into_a_mount_point_replaces_its_files(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "mnt"
    assert cli("run", str(docs), "-o", str(out)).exit_code == 0
    rename = os.rename

    def busy(src: object, dst: object) -> None:
        if Path(str(src)) == out:
            raise OSError(errno.EBUSY, "Device or resource busy")
        rename(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", busy)
    result = cli("run", str(docs), "-o", str(out), "--no-split")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "report.json").read_text())["config"]["split"] is False
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_refused_output_folder_fails_before_reading(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    # the input does not exist either: the output place is checked first
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nothere"), "-o", str(out)])
    assert result.exit_code == 2
    assert "not segmenter outputs (notes.txt)" in result.output
    assert (out / "notes.txt").read_text() == "mine"


def test_nowhere_to_write_fails_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    _refuse_sibling_stages(monkeypatch, parent)
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nothere"), "-o",
                                       str(parent / "out")])
    assert result.exit_code == 2
    assert "cannot create the output folder" in result.output


# --------------------------------------------------------------------------- 4: modes, symlinks


def test_run_folder_and_files_follow_the_umask(docs: Path, tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        assert cli("run", str(docs), "-o", str(tmp_path / "out")).exit_code == 0
        assert cli("dedup", str(docs), "-o", str(tmp_path / "d.jsonl"), "--on-error", "skip",
                   "--rejects", str(tmp_path / "rej.jsonl")).exit_code == 0
    finally:
        os.umask(old)
    assert mode(tmp_path / "out") == 0o775
    assert mode(tmp_path / "out" / "stories.jsonl") == 0o664
    assert mode(tmp_path / "d.jsonl") == 0o664
    assert mode(tmp_path / "rej.jsonl") == 0o664


def test_an_existing_targets_mode_is_kept(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o2775)
    target = tmp_path / "d.jsonl"
    target.write_text("")
    target.chmod(0o640)
    assert cli("run", str(docs), "-o", str(out)).exit_code == 0
    assert cli("dedup", str(docs), "-o", str(target)).exit_code == 0
    assert mode(out) == 0o2775
    assert mode(target) == 0o640


def test_output_to_a_symlink_writes_its_target(docs: Path, tmp_path: Path) -> None:
    target = tmp_path / "data" / "dedup.jsonl"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    assert cli("dedup", str(docs), "-o", str(link)).exit_code == 0
    assert link.is_symlink()
    assert len(target.read_text().splitlines()) == 3


# --------------------------------------------------------------------------- 11: --compress


@pytest.mark.parametrize("kind", ["gz", "zst"])
def test_run_compress_writes_compressed_jsonl(docs: Path, tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    plain = tmp_path / "plain"
    assert cli("run", str(docs), "-o", str(plain)).exit_code == 0
    result = cli("run", str(docs), "-o", str(out), "--compress", kind, "--report")
    assert result.exit_code == 0, result.output
    assert f"stories.jsonl.{kind}" in result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["report.html", "report.json", f"stories.jsonl.{kind}",
                     f"unique.jsonl.{kind}"]
    raw = (out / f"stories.jsonl.{kind}").read_bytes()
    if kind == "gz":
        text = gzip.decompress(raw).decode()
    else:
        import zstandard

        text = zstandard.ZstdDecompressor().decompressobj().decompress(raw).decode()
    assert text == (plain / "stories.jsonl").read_text()
    # a later uncompressed run into the same folder leaves no stale compressed file
    assert cli("run", str(docs), "-o", str(out)).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "stories.jsonl",
                                                     "unique.jsonl"]


# --------------------------------------------------------------------------- 13: exit codes


def test_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    for command in (["clean"], ["dedup"], ["run", "-o", str(tmp_path / "o")]):
        result = CliRunner().invoke(main, [*command, str(tmp_path / "nothere.jsonl")])
        assert result.exit_code == 2, (command, result.output)
        assert "nothere.jsonl: no such file or directory" in result.output


def test_index_stats_of_a_missing_index_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["index", "stats", str(tmp_path / "nothere.db")])
    assert result.exit_code == 2
    assert "no index at" in result.output


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_exit_128_plus_the_signal(tmp_path: Path, signum: int, code: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "segmenter", "run", "-", "-o", str(tmp_path / "out")],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    )
    assert proc.stdin is not None
    proc.stdin.write(b'{"id": "a", "text": "one"}\n')
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".out.tmp-*")):  # the output is staged: it reads stdin now
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err.decode()
    assert b"Aborted" not in err
    assert signal.Signals(signum).name in err.decode()
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.tmp-*"))


# --------------------------------------------------------------------------- 14: --report


def test_report_without_a_value_goes_into_the_run_folder(docs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for _ in range(2):
        result = cli("run", str(docs), "-o", str(out), "--report")
        assert result.exit_code == 0, result.output
        assert (out / "report.html").read_text().startswith("<!DOCTYPE html>")


def test_rerun_into_a_folder_holding_its_own_report_under_another_name(
    docs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    for _ in range(2):
        result = cli("run", str(docs), "-o", str(out), "--report", str(out / "summary.html"))
        assert result.exit_code == 0, result.output
    assert (out / "summary.html").is_file()
    html = (out / "summary.html").read_text()  # an earlier version's report: no generator tag
    (out / "summary.html").write_text(html.replace('<meta name="generator" content="segmenter">',
                                                   ""))
    assert cli("run", str(docs), "-o", str(out)).exit_code == 0
    (out / "page.html").write_text("<html>not ours</html>")
    refused = CliRunner().invoke(main, ["run", str(docs), "-o", str(out)])
    assert refused.exit_code == 2
    assert "page.html" in refused.output
