"""Golden outputs: ``run``, ``dedup`` and ``check`` on the fixtures, compared byte for byte.

The files under ``fixtures/golden/`` were written by the code before the one-pipeline redesign
(issue 12); a refactoring must leave every one of them unchanged. ``report.json`` is compared
without its ``seconds``. After an intended change of the outputs, rewrite them with
``SEGMENTER_WRITE_GOLDEN=1 pytest tests/test_golden.py`` and review the diff.

``fixtures/golden/pairs.jsonl`` is a labelled pair file: records ``p*/a`` and ``p*/b`` are a
pair, and ``expect`` on the ``b`` record says what dedup must find (``exact``, ``near``,
``contained`` or ``distinct``); :func:`test_labelled_pairs` checks the labels.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main

from .conftest import FIXTURES, ROOT

GOLDEN = FIXTURES / "golden"
WRITE = os.environ.get("SEGMENTER_WRITE_GOLDEN") == "1"
NEWS = "fixtures/dedup/news.jsonl"
SEED = "fixtures/split/seed_dump.txt"
PAIRS = "fixtures/golden/pairs.jsonl"

RUNS = {
    "run-default": [NEWS, SEED],
    "run-explain": ["fixtures/check/dirty", NEWS, "--explain"],
    "run-repeated-ids": [NEWS, NEWS],
    "run-no-split-no-clean": [PAIRS, "fixtures/check", "--no-split", "--no-clean"],
}
DEDUPS = {
    "dedup-default": [NEWS, SEED],
    "dedup-explain": ["fixtures/check/dirty", "--explain"],
    "dedup-pairs": [PAIRS, "--no-split", "--explain"],
    "dedup-no-clean": [NEWS, "fixtures/check/clean", "--no-clean"],
}
CHECKS = {
    "check-dirty": ["fixtures/check/dirty", "--output-format", "json", "--max-duplicate-rate", "0",
                    "--max-teaser-rate", "0", "--max-short-rate", "0"],
    "check-clean": ["fixtures/check/clean", "--output-format", "json", "--max-duplicate-rate", "0"],
}


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # paths in the outputs are relative to the project


def _compare(case: str, name: str, data: bytes) -> None:
    path = GOLDEN / case / name
    if WRITE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    assert path.is_file(), f"{path} is missing: write it with SEGMENTER_WRITE_GOLDEN=1"
    expected = path.read_bytes()
    if data != expected:
        got, want = data.decode("utf-8").splitlines(), expected.decode("utf-8").splitlines()
        first = next((i for i, (a, b) in enumerate(zip(got, want, strict=False))
                      if a != b),
                     min(len(got), len(want)))
        pytest.fail(f"{case}/{name} differs from the golden file at line {first + 1} "
                    f"({len(got)} lines, golden {len(want)})")


def _invoke(args: list[str], exit_code: int = 0) -> None:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == exit_code, result.output


def _report_without_seconds(path: Path) -> bytes:
    report = json.loads(path.read_text("utf-8"))
    report.pop("seconds")
    return (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@pytest.mark.filterwarnings("ignore:.*duplicate id")
@pytest.mark.parametrize("case", sorted(RUNS))
def test_run_outputs_unchanged(case: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _invoke(["run", *RUNS[case], "-o", str(out)])
    for name in ("stories.jsonl", "unique.jsonl"):
        _compare(case, name, (out / name).read_bytes())
    _compare(case, "report.json", _report_without_seconds(out / "report.json"))


@pytest.mark.parametrize("case", sorted(DEDUPS))
def test_dedup_records_unchanged(case: str, tmp_path: Path) -> None:
    out = tmp_path / "dedup.jsonl"
    _invoke(["dedup", *DEDUPS[case], "-o", str(out)])
    _compare(case, "dedup.jsonl", out.read_bytes())


def test_dedup_with_an_earlier_run_unchanged(tmp_path: Path) -> None:
    """The second run meets the first run's units in the persistent index."""
    index = str(tmp_path / "index.sqlite")
    _invoke(["dedup", NEWS, "--index", index, "-o", str(tmp_path / "first.jsonl")])
    _invoke(["dedup", NEWS, SEED, "fixtures/check/dirty", "--index", index,
             "-o", str(tmp_path / "second.jsonl")])
    _compare("dedup-index-rerun", "first.jsonl", (tmp_path / "first.jsonl").read_bytes())
    _compare("dedup-index-rerun", "second.jsonl", (tmp_path / "second.jsonl").read_bytes())


@pytest.mark.parametrize("case", sorted(CHECKS))
def test_check_report_unchanged(case: str, tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    _invoke(["check", *CHECKS[case], "-o", str(out)], exit_code=1 if "dirty" in case else 0)
    _compare(case, "check.json", out.read_bytes())


def test_labelled_pairs() -> None:
    """Every pair of ``pairs.jsonl`` gets the relation its label names (the golden records)."""
    records = {r["id"]: r for r in map(json.loads, (GOLDEN / "dedup-pairs" / "dedup.jsonl")
                                       .read_text("utf-8").splitlines())}
    pairs = [json.loads(line) for line in (GOLDEN / "pairs.jsonl").read_text("utf-8").splitlines()]
    labelled = [p for p in pairs if "expect" in p]
    assert {p["expect"] for p in labelled} == {"exact", "near", "contained", "distinct"}
    for p in labelled:
        a, b = records[f"{p['pair']}/a"], records[p["id"]]
        if p["expect"] == "distinct":
            assert a["cluster"] != b["cluster"], p["why"]
            continue
        assert a["cluster"] == b["cluster"], p["why"]
        copy = b if a["keeper"] else a
        keeper = a if a["keeper"] else b
        assert copy["duplicate_of"] == keeper["id"] and copy["relation"] == p["expect"], p["why"]
