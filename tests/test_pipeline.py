"""The main job end to end: clean, split, dedup; outputs and counts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main
from segmenter.config import Config
from segmenter.pipeline import dedup_records, run

from .conftest import FIXTURES

NEWS = str(FIXTURES / "dedup" / "news.jsonl")


def load(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    run([NEWS, str(FIXTURES / "split" / "seed_dump.txt")], out)
    return out


def test_outputs_are_consistent(run_dir: Path) -> None:
    stories = load(run_dir / "stories.jsonl")
    unique = load(run_dir / "unique.jsonl")
    report = json.loads((run_dir / "report.json").read_text())
    assert sorted(p.name for p in run_dir.iterdir()) == ["report.json", "stories.jsonl",
                                                        "unique.jsonl"]
    assert report["documents"] == 6
    assert report["dedup"]["units"] == len(stories) == report["split"]["stories_total"]
    assert report["dedup"]["unique"] + report["dedup"]["duplicates_total"] == len(stories)
    assert [s["id"] for s in unique] == [s["id"] for s in stories if s["duplicate_of"] is None]
    for s in stories:
        assert s["id"] == f"{s['doc_id']}#{s['story']}"
        assert set(s) >= {"cluster", "duplicate_of", "relation", "similarity", "kind", "text"}
    assert set(report["seconds"]) >= {"read", "clean", "split", "dedup", "write", "total"}


def _doc_cluster(stories: list[dict[str, object]], doc_id: str, story: int = 0) -> object:
    (s,) = [s for s in stories if s["doc_id"] == doc_id and s["story"] == story]
    return s["cluster"]


def test_republished_article_is_a_near_duplicate(run_dir: Path) -> None:
    stories = load(run_dir / "stories.jsonl")
    assert _doc_cluster(stories, "portmaren-herald") == _doc_cluster(stories, "coast-daily")
    assert _doc_cluster(stories, "portmaren-herald") != _doc_cluster(stories, "museum-feature")
    assert _doc_cluster(stories, "valley-news") != _doc_cluster(stories, "museum-feature")


def test_teasers_link_to_their_articles(run_dir: Path) -> None:
    stories = load(run_dir / "stories.jsonl")
    teasers = {s["id"]: s for s in stories if s["kind"] == "teaser"}
    assert "valley-news#1" in teasers and "listing-page#0" in teasers
    museum = _doc_cluster(stories, "museum-feature")
    assert teasers["valley-news#1"]["cluster"] == museum
    assert teasers["valley-news#1"]["relation"] == "contained"
    assert teasers["listing-page#0"]["cluster"] == _doc_cluster(stories, "portmaren-herald")
    # keepers are the articles, not their teasers
    keepers = {s["cluster"]: s for s in stories if s["keeper"]}
    assert keepers[museum]["id"] == "museum-feature#0"


def test_same_clusters_on_every_run(run_dir: Path, tmp_path: Path) -> None:
    run([NEWS, str(FIXTURES / "split" / "seed_dump.txt")], tmp_path)
    first = [(s["id"], s["cluster"], s["duplicate_of"]) for s in load(run_dir / "stories.jsonl")]
    again = [(s["id"], s["cluster"], s["duplicate_of"]) for s in load(tmp_path / "stories.jsonl")]
    assert first == again


def test_no_split_units_are_documents() -> None:
    records = list(dedup_records([NEWS], Config(), split=False))
    assert [r["id"] for r in records] == ["portmaren-herald", "coast-daily", "valley-news",
                                          "museum-feature", "listing-page"]
    by_id = {r["id"]: r for r in records}
    assert by_id["coast-daily"]["cluster"] == by_id["portmaren-herald"]["cluster"]
    assert by_id["museum-feature"]["duplicate_of"] is None


def test_cli_run_prints_summary_and_paths(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", NEWS, "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    assert "5 documents" in result.stderr and "results:" in result.stderr
    assert (tmp_path / "out" / "unique.jsonl").exists()


def test_cli_dedup_records_and_explain() -> None:
    result = CliRunner().invoke(main, ["dedup", "--no-split", "--explain", NEWS])
    assert result.exit_code == 0, result.stderr
    recs = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(recs) == 5
    dup = next(r for r in recs if r["id"] == "coast-daily")
    assert dup["duplicate_of"] == "portmaren-herald" and dup["relation"] == "near"
    assert "dedup_evidence" in dup


def test_cli_dedup_bad_option_exit_2() -> None:
    result = CliRunner().invoke(main, ["dedup", "--shingle", "words:5", NEWS])
    assert result.exit_code == 2 and "shingle must look like" in result.stderr
    result = CliRunner().invoke(main, ["dedup", "--threshold", "1.5", NEWS])
    assert result.exit_code == 2


def test_run_leaves_no_outputs_on_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "fine"}\n{broken\n')
    result = CliRunner().invoke(main, ["run", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1 and f"{bad}:2: malformed JSON" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl"]  # no output, no temp


def test_rerun_replaces_previous_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run([NEWS], out)
    first = (out / "stories.jsonl").read_text()
    run([str(FIXTURES / "split" / "seed_dump.txt")], out)
    assert (out / "stories.jsonl").read_text() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    from segmenter.errors import OutputError

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not segmenter outputs"):
        run([NEWS], tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_duplicate_ids_are_renamed_not_dropped(tmp_path: Path) -> None:
    src = tmp_path / "dups.jsonl"
    src.write_text('{"id": "x", "text": "First story here."}\n'
                   '{"id": "x", "text": "Second, different story."}\n')
    with pytest.warns(UserWarning, match=r"dups.jsonl:2: duplicate id 'x'; renamed to 'x~2'"):
        records = list(dedup_records([str(src)], Config(), split=False))
    assert [r["id"] for r in records] == ["x", "x~2"]


def test_cli_run_writes_the_html_report(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", NEWS, "-o", str(out), "--report",
                                       str(out / "report.html")])
    assert result.exit_code == 0, result.stderr
    html = (out / "report.html").read_text("utf-8")
    assert "<svg" in html and "portmaren-herald" in html
    assert "report.html" in result.stderr
