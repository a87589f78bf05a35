"""Faults: signals during `run`, a full disk. Complete outputs or none, and a clear error."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from segmenter.cli import main

pytestmark = pytest.mark.hardening

WORDS = ("harbour council minister rail signal museum paintings voters budget storm river "
         "market shares court ruling election police report farmers prices energy").split()


def corpus(path: Path, n: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    with path.open("w") as fh:
        for i in range(n):
            paras = ["".join(" ".join(rng.choices(WORDS, k=30)).capitalize() + ".")
                     for _ in range(rng.randint(3, 8))]
            fh.write(json.dumps({"id": f"d{i}", "text": "\n".join(paras)}) + "\n")
    return path


def outputs_complete_or_absent(out: Path) -> str:
    if not out.exists():
        return "absent"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["report.json", "stories.jsonl", "unique.jsonl"], names
    report = json.loads((out / "report.json").read_text())
    lines = (out / "stories.jsonl").read_text().count("\n")
    assert lines == report["dedup"]["units"]
    return "complete"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # ~49 MB: ~3 s through `run` here, long enough that the signal below lands mid-run
    return corpus(tmp_path_factory.mktemp("big") / "big.jsonl", 40_000)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_signal_during_run_leaves_complete_outputs_or_none(big: Path, tmp_path: Path,
                                                           sig: signal.Signals) -> None:
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "segmenter", "run", str(big), "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60  # the run has started once its staging folder is there
    while not list(tmp_path.glob(".out.tmp-*")) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    time.sleep(0.5)  # into the work (workers started, batches in flight)
    assert proc.poll() is None, "the run ended before the signal: the test corpus is too small"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert b"Traceback" not in err
    assert outputs_complete_or_absent(out) == "absent"
    if sig != signal.SIGKILL:  # a catchable signal also removes the staging folder
        assert sorted(p.name for p in tmp_path.iterdir()) == []
    # a re-run completes, and removes what a killed run left behind
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    assert outputs_complete_or_absent(out) == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def disk_full_after(n: int, write: Callable[..., Any]) -> Callable[..., Any]:
    """``write`` that fails with ENOSPC (a full disk) from its ``n + 1``-th call on."""
    calls = {"n": 0}

    def failing(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > n:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(*args)

    return failing


def test_full_disk_during_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import segmenter.pipeline as pipeline_module

    src = corpus(tmp_path / "in.jsonl", 50)
    # (the engine's records are written with their cluster fields by _write_record)
    monkeypatch.setattr(pipeline_module, "_write_record",
                        disk_full_after(10, pipeline_module._write_record))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert "disk full" in result.stderr and "nothing was written" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_full_disk_during_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import segmenter.io as io_module

    src = corpus(tmp_path / "in.jsonl", 50)
    # (50 documents are one batch: written by one call)
    monkeypatch.setattr(io_module, "write_lines", disk_full_after(0, io_module.write_lines))
    out = tmp_path / "clean.jsonl"
    result = CliRunner().invoke(main, ["clean", str(src), "-o", str(out)])
    assert result.exit_code == 1 and "disk full" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_no_pickle_eval_or_exec_in_the_package() -> None:
    """Nothing read from an input or an index is unpickled, evaluated or imported."""
    root = Path(__file__).resolve().parent.parent / "segmenter"
    for path in root.rglob("*.py"):
        source = path.read_text("utf-8")
        for banned in ("import pickle", "pickle.load", "eval(", "exec(", "marshal.load",
                       "__import__("):
            assert banned not in source, f"{path}: {banned}"


def test_ids_from_input_never_direct_a_write(tmp_path: Path) -> None:
    """Document ids are data, never paths: a run writes only its three files in OUTDIR."""
    src = tmp_path / "evil.jsonl"
    src.write_text(json.dumps({"id": "../../escape", "text": "A story about a harbour."}) + "\n"
                   + json.dumps({"id": "/tmp/abs-escape", "text": "Another story here."}) + "\n")
    out = tmp_path / "deep" / "out"
    result = CliRunner().invoke(main, ["run", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "stories.jsonl",
                                                     "unique.jsonl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "evil.jsonl"]
    assert not Path("/tmp/abs-escape").exists()


def test_the_index_stores_no_text(tmp_path: Path) -> None:
    """An index holds hashes, signatures and ids, never the documents' text."""
    secret = "Zanzibar quokka marmalade treaty negotiations resumed on Thursday"
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "d1", "text": secret + ". " + "More words follow. " * 20})
                   + "\n")
    index = tmp_path / "seen.db"
    result = CliRunner().invoke(main, ["dedup", str(src), "--index", str(index), "-o",
                                       str(tmp_path / "o.jsonl")])
    assert result.exit_code == 0, result.stderr
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("seen.db*"))
    assert b"d1" in stored  # the id is there ...
    for word in (b"Zanzibar", b"quokka", b"marmalade", b"zanzibar"):
        assert word not in stored  # ... the text is not
