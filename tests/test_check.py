"""`segmenter check`: metrics on hand-written corpora, the pure decision, baselines, formats."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from segmenter.check import (
    BASELINE_METRICS,
    CheckConfig,
    Decision,
    Finding,
    Findings,
    Measurement,
    Metrics,
    decide,
    format_github,
    format_json,
    format_junit,
    format_text,
    load_baseline,
    load_check_config,
    measure,
)
from segmenter.cli import main
from segmenter.errors import ConfigError

from .conftest import FIXTURES

CHECK = FIXTURES / "check"


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding copies of the check fixtures (``clean/``, ``dirty/``), and the
    current folder, so relative paths show up in findings and no config file leaks in."""
    shutil.copytree(CHECK / "clean", tmp_path / "clean")
    shutil.copytree(CHECK / "dirty", tmp_path / "dirty")
    for age, name in enumerate(["a.jsonl", "b.jsonl"]):  # b.jsonl was added after a.jsonl
        os.utime(tmp_path / "dirty" / name, (1_600_000_000 + age, 1_600_000_000 + age))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


# --------------------------------------------------------------------------- metrics


def test_dirty_corpus_metrics(corpus: Path) -> None:
    m = measure(["dirty"]).metrics
    assert (m.files, m.documents, m.stories, m.articles, m.teasers) == (2, 8, 8, 7, 1)
    assert (m.duplicates, m.duplicates_within_files, m.duplicates_across_files) == (3, 1, 2)
    assert (m.near, m.contained) == (2, 1)
    assert m.unsplit_documents == 1
    assert (m.repaired_documents, m.mojibake_documents) == (1, 1)
    assert (m.empty_documents, m.short_documents) == (1, 2)
    rates = m.rates()
    assert rates["duplicate_rate"] == pytest.approx(3 / 8)
    assert rates["duplicate_rate_across_files"] == pytest.approx(2 / 8)
    assert rates["unsplit_rate"] == pytest.approx(1 / 8)
    assert rates["mojibake_rate"] == pytest.approx(1 / 8)
    assert rates["short_rate"] == pytest.approx(2 / 8)
    assert rates["stories_per_document"] == pytest.approx(1.0)


def test_clean_corpus_metrics(corpus: Path) -> None:
    m = measure(["clean"]).metrics
    assert (m.documents, m.stories, m.duplicates, m.teasers) == (4, 4, 0, 0)
    assert (m.unsplit_documents, m.mojibake_documents, m.short_documents) == (0, 0, 0)


def test_findings_locate_file_and_line(corpus: Path) -> None:
    f = measure(["dirty"]).findings
    dups = {(x.source, x.line, x.id) for x in f.of("duplicate_rate")}
    assert dups == {  # blamed on the newer file, b.jsonl, whichever copy dedup keeps
        ("dirty/b.jsonl", 4, "orchard#0"),
        ("dirty/b.jsonl", 1, "ferry-copy#0"),
        ("dirty/b.jsonl", 3, "ferry-again#0"),
    }
    ferry = next(x for x in f.of("duplicate_rate") if x.id == "ferry-copy#0")
    assert "duplicates ferry#0" in ferry.message and "dirty/a.jsonl:2" in ferry.message
    assert [(x.location, x.id) for x in f.of("unsplit_rate")] == [("dirty/a.jsonl:1",
                                                                    "bakery-page")]
    assert [x.location for x in f.of("mojibake_rate")] == ["dirty/a.jsonl:3"]
    assert sorted(x.location for x in f.of("short_rate")) == ["dirty/a.jsonl:4",
                                                              "dirty/b.jsonl:2"]


def test_txt_findings_point_at_the_line_of_the_story(tmp_path: Path) -> None:
    """In a .txt page the annotation points at the line where the second story starts."""
    page = tmp_path / "page.txt"
    first = (CHECK / "dirty" / "a.jsonl").read_text("utf-8").splitlines()[0]
    page.write_text(json.loads(first)["text"], "utf-8")  # an article, then a teaser
    f = measure([str(page)]).findings
    (unsplit,) = f.of("unsplit_rate")
    lines = page.read_text("utf-8").split("\n")
    assert unsplit.line == 5
    assert lines[unsplit.line - 1].startswith("HARVEST PLANS: Volunteers planted")
    assert unsplit.message == "document page holds 2 stories (article, teaser); split it"
    (teaser,) = f.of("teaser_rate")
    assert (teaser.line, teaser.id) == (5, "page#1")


def test_findings_are_capped_but_counted(corpus: Path) -> None:
    f = measure(["dirty"], check=CheckConfig(max_findings=1)).findings
    assert len(f.of("duplicate_rate")) == 1
    assert f.total("duplicate_rate") == 3


def test_check_never_changes_its_inputs(corpus: Path) -> None:
    def snapshot() -> dict[str, str]:
        return {str(p.relative_to(corpus)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(corpus.rglob("*")) if p.is_file()}

    before = snapshot()
    code, _, _ = invoke("clean", "dirty", "--max-duplicate-rate", "0", "--output-format", "json")
    assert code == 1
    assert snapshot() == before  # same files, same bytes, nothing added


# --------------------------------------------------------------------------- the decision


def metrics(**rates: float) -> dict[str, float]:
    base = {name: 0.0 for name in BASELINE_METRICS}
    base["documents"] = 100
    base.update(rates)
    return base


def test_decide_without_thresholds_checks_only_min_docs() -> None:
    d = decide(metrics(duplicate_rate=0.9), CheckConfig())
    assert [c.name for c in d.checks] == ["min_docs"]
    assert d.passed and d.exit_code == 0


@pytest.mark.parametrize(
    ("value", "limit", "passed"),
    [(0.05, 0.05, True), (0.0501, 0.05, False), (0.0, 0.0, True), (0.01, 0.0, False)],
)
def test_decide_max_threshold(value: float, limit: float, passed: bool) -> None:
    d = decide(metrics(duplicate_rate=value), CheckConfig(max_duplicate_rate=limit))
    assert d.passed is passed
    assert d.exit_code == (0 if passed else 1)
    if not passed:
        (failure,) = d.failures
        assert failure.metric == "duplicate_rate" and failure.kind == "threshold"
        assert "exceeds the limit" in failure.message


def test_decide_each_threshold_reads_its_metric() -> None:
    check = CheckConfig(max_teaser_rate=0.1, max_unsplit_rate=0.1, max_mojibake_rate=0.1,
                        max_short_rate=0.1, max_boilerplate_rate=0.1)
    bad = metrics(teaser_rate=0.2, unsplit_rate=0.2, mojibake_rate=0.2, short_rate=0.2,
                  boilerplate_rate=0.2)
    d = decide(bad, check)
    assert sorted(d.failed_metrics()) == ["boilerplate_rate", "mojibake_rate", "short_rate",
                                          "teaser_rate", "unsplit_rate"]
    assert decide(metrics(), check).passed


def test_decide_min_docs() -> None:
    assert not decide(metrics(documents=9), CheckConfig(min_docs=10)).passed
    assert decide(metrics(documents=10), CheckConfig(min_docs=10)).passed
    assert not decide({"documents": 0}, CheckConfig()).passed  # an empty corpus fails


def test_decide_baseline_fails_only_on_regressions_beyond_tolerance() -> None:
    base = metrics(duplicate_rate=0.10, mojibake_rate=0.02)
    check = CheckConfig(tolerance=0.01)
    assert decide(metrics(duplicate_rate=0.11, mojibake_rate=0.02), check, base).passed
    assert decide(metrics(duplicate_rate=0.01, mojibake_rate=0.0), check, base).passed
    d = decide(metrics(duplicate_rate=0.1101, mojibake_rate=0.02), check, base)
    (failure,) = d.failures
    assert (failure.kind, failure.metric) == ("baseline", "duplicate_rate")
    assert "rose from 0.1 (baseline) to 0.1101" in failure.message


def test_decide_ignores_metrics_missing_from_the_baseline() -> None:
    d = decide(metrics(duplicate_rate=0.5), CheckConfig(), {"mojibake_rate": 0.0})
    assert d.passed
    assert [c.name for c in d.checks] == ["min_docs", "baseline:mojibake_rate"]


@given(value=st.floats(0, 1), limit=st.floats(0, 1), more=st.floats(0, 1))
def test_decide_is_monotonic(value: float, limit: float, more: float) -> None:
    """A worse metric never turns a failure into a pass."""
    check = CheckConfig(max_duplicate_rate=limit)
    worse = min(1.0, value + more)
    if not decide(metrics(duplicate_rate=value), check).passed:
        assert not decide(metrics(duplicate_rate=worse), check).passed


# --------------------------------------------------------------------------- configuration


def test_config_validation() -> None:
    with pytest.raises(ConfigError, match="max_duplicate_rate must be a rate between 0.0"):
        CheckConfig(max_duplicate_rate=1.5)
    with pytest.raises(ConfigError, match="min_docs must be a whole number"):
        CheckConfig(min_docs=-1)
    with pytest.raises(ConfigError, match=r"unknown option\(s\) max_dupes; known: "):
        CheckConfig.from_mapping({"max_dupes": 0.1}, "segmenter.toml")
    assert CheckConfig.from_mapping({"paths": "corpus"}).paths == ("corpus",)


def test_config_from_pyproject_and_segmenter_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.segmenter.check]\nmax_duplicate_rate = 0.02\nmin_docs = 3\n', "utf-8")
    check = load_check_config(tmp_path)
    assert (check.max_duplicate_rate, check.min_docs) == (0.02, 3)
    (tmp_path / "segmenter.toml").write_text("[check]\nmax_mojibake_rate = 0\n", "utf-8")
    check = load_check_config(tmp_path)
    assert (check.max_mojibake_rate, check.max_duplicate_rate) == (0.0, None)


# --------------------------------------------------------------------------- the command


def test_cli_clean_corpus_passes(corpus: Path) -> None:
    code, out, _ = invoke("clean", "--max-duplicate-rate", "0", "--max-unsplit-rate", "0",
                          "--max-mojibake-rate", "0", "--max-teaser-rate", "0",
                          "--max-short-rate", "0", "--min-docs", "4")
    assert code == 0, out
    assert out.startswith("segmenter check: PASS")


def test_cli_dirty_corpus_fails_with_locations(corpus: Path) -> None:
    code, out, _ = invoke("dirty", "--max-duplicate-rate", "0.1", "--max-mojibake-rate", "0")
    assert code == 1
    assert "segmenter check: FAIL (2 of 3 checks failed)" in out
    assert "duplicate_rate 0.375 exceeds the limit 0.1 (max_duplicate_rate)" in out
    assert "dirty/b.jsonl:3: story ferry-again#0 duplicates ferry-copy#0" in out
    assert "dirty/a.jsonl:3: document library-mojibake has mojibake" in out


def test_cli_thresholds_from_config_and_options_win(corpus: Path) -> None:
    (corpus / "segmenter.toml").write_text(
        '[check]\nmax_duplicate_rate = 0.1\npaths = ["dirty"]\n', "utf-8")
    code, out, _ = invoke()
    assert code == 1 and "(max_duplicate_rate)" in out
    code, out, _ = invoke("--max-duplicate-rate", "0.5")
    assert code == 0, out


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["dirty", "--max-duplicate-rate", "2"], None, "not in the range 0.0<=x<=1.0"),
        (["dirty", "--format", "xml"], None, "'xml' is not one of"),
        ([], None, "name the PATHS to check"),
        (["dirty", "--update-baseline"], None, "--update-baseline needs --baseline FILE"),
        (["dirty", "--baseline", "missing.json"], None, "baseline not found; create it"),
        (["dirty"], '[check]\nmax_duplicate_rate = "low"\n', "must be a rate between"),
        (["dirty"], "[check]\nfoo = 1\n", "unknown option(s) foo"),
        (["dirty"], "[check\n", "segmenter.toml"),
    ],
)
def test_cli_usage_and_config_errors_exit_2(corpus: Path, args: list[str], config: str | None,
                                            message: str) -> None:
    if config is not None:
        (corpus / "segmenter.toml").write_text(config, "utf-8")
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_cli_missing_input_is_a_usage_error(corpus: Path) -> None:
    result = CliRunner().invoke(main, ["check", "nowhere.jsonl"])
    assert result.exit_code == 2
    assert "nowhere.jsonl: no such file or directory" in result.output


def test_cli_bad_input_exits_1(corpus: Path) -> None:
    Path("bad.jsonl").write_text('{"id": "a", "text": "fine"}\n{"id": \n')
    result = CliRunner().invoke(main, ["check", "bad.jsonl"])
    assert result.exit_code == 1
    assert "bad.jsonl:2: malformed JSON" in result.output


def test_cli_baseline_update_then_compare(corpus: Path) -> None:
    code, _, err = invoke("clean", "--baseline", "quality.json", "--update-baseline")
    assert code == 0
    assert "baseline written to quality.json" in err
    stored = load_baseline("quality.json")
    assert stored["duplicate_rate"] == 0.0 and stored["documents"] == 4
    assert invoke("clean", "--baseline", "quality.json")[0] == 0
    # the dirty corpus regresses against the clean baseline
    code, out, _ = invoke("dirty", "--baseline", "quality.json")
    assert code == 1
    assert "duplicate_rate rose from 0 (baseline) to 0.375" in out
    # a tolerance wide enough lets it through
    assert invoke("dirty", "--baseline", "quality.json", "--tolerance", "0.5")[0] == 0


def test_cli_json_format(corpus: Path) -> None:
    code, out, _ = invoke("dirty", "--max-unsplit-rate", "0", "--output-format", "json")
    data = json.loads(out)
    assert code == 1 and data["passed"] is False and data["exit_code"] == 1
    assert data["metrics"]["unsplit_documents"] == 1
    assert data["thresholds"]["max_unsplit_rate"] == 0.0
    shown = data["findings"]["unsplit_rate"]["shown"]
    assert shown[0]["file"] == "dirty/a.jsonl" and shown[0]["line"] == 1


def test_cli_github_format_annotates_file_and_line(corpus: Path) -> None:
    code, out, _ = invoke("dirty", "--max-duplicate-rate", "0.1", "--output-format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("::error title=segmenter check max_duplicate_rate::")
    assert any(line.startswith("::error file=dirty/b.jsonl,line=3,title=duplicate_rate::story "
                               "ferry-again#0 duplicates ferry-copy#0") for line in lines)
    assert lines[-1].startswith("::notice title=segmenter check::segmenter check failed")
    # metrics that passed are not annotated
    assert not any("unsplit" in line for line in lines[:-1])


def test_cli_junit_format_to_file(corpus: Path) -> None:
    code, out, err = invoke("dirty", "--max-duplicate-rate", "0.1", "--max-mojibake-rate", "0.5",
                            "--output-format", "junit", "-o", "report.xml")
    assert code == 1 and out == ""
    assert "segmenter check failed" in err
    root = ET.parse("report.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"min_docs", "max_duplicate_rate", "max_mojibake_rate"}
    failure = cases["max_duplicate_rate"].find("failure")
    assert failure is not None and failure.text is not None
    assert "dirty/b.jsonl:3: story ferry-again#0" in failure.text
    assert cases["max_mojibake_rate"].find("failure") is None


# --------------------------------------------------------------------------- formatters


def _hostile() -> tuple[Measurement, Decision]:
    finding = Finding("duplicate_rate", "odd,na:me%.jsonl", 7, "x\x01y",
                      "story x\x01y <b>&</b>\nnext line 100%")
    m = Measurement(Metrics(documents=2, stories=2, duplicates=1),
                    Findings({"duplicate_rate": (finding,)}, {"duplicate_rate": 1}))
    d = decide(m.metrics.as_dict(), CheckConfig(max_duplicate_rate=0.1))
    return m, d


def test_github_escapes_properties_and_data() -> None:
    m, d = _hostile()
    out = format_github(m, d)
    line = next(ln for ln in out.splitlines() if "file=" in ln)
    assert line.startswith("::error file=odd%2Cna%3Ame%25.jsonl,line=7,title=duplicate_rate::")
    assert line.endswith("<b>&</b>%0Anext line 100%25")


def test_junit_is_valid_xml_for_any_text() -> None:
    m, d = _hostile()
    root = ET.fromstring(format_junit(m, d).encode("utf-8"))
    failure = next(root.iter("failure"))
    assert failure.text is not None and "<b>&</b>" in failure.text
    assert "\x01" not in failure.text and "x\ufffdy" in failure.text


def test_text_and_json_formats_agree() -> None:
    m, d = _hostile()
    data = json.loads(format_json(m, d, CheckConfig(max_duplicate_rate=0.1)))
    assert data["passed"] is False
    assert data["findings"]["duplicate_rate"]["total"] == 1
    text = format_text(m, d)
    assert "odd,na:me%.jsonl:7: story" in text
    assert "duplicate_rate 0.5 exceeds the limit 0.1" in text


def test_github_paths_relative_to_the_repository(corpus: Path) -> None:
    m = measure([str(corpus / "dirty")])
    d = decide(m.metrics.as_dict(), CheckConfig(max_mojibake_rate=0))
    assert "::error file=dirty/a.jsonl,line=3,title=mojibake_rate::" in format_github(
        m, d, corpus)
    outside = format_github(m, d, corpus / "clean")
    assert f"::error file={str(corpus)}/dirty/a.jsonl,line=3," in outside.replace("%3A", ":")
