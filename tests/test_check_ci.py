"""`segmenter check` in CI (issue 15, items 16-19): input errors in the CI formats, empty
corpora, which file a duplicate is blamed on, and the options it shares with dedup and index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from segmenter.cli import main

from .conftest import story

ARTICLE = story(7, 160)


def check(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    return path


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --------------------------------------------------------------------------- 16: CI formats


def bad_corpus(folder: Path) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir()
    jsonl(corpus / "a.jsonl", [{"id": "a", "text": ARTICLE}])
    (corpus / "b.jsonl").write_text('{"id": "b", "text": "fine"}\n{"id": "c", "text": \n')
    return corpus


def test_github_format_reports_an_input_error_as_an_annotation(here: Path) -> None:
    bad_corpus(here)
    result = check("corpus", "--output-format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=corpus/b.jsonl,line=2,title=")
    assert "malformed JSON" in result.stdout


def junit_case(kind: str) -> str:
    """Run check into j.xml (exit 1) and return the message of its one ``kind`` element."""
    assert check("corpus", "--output-format", "junit", "-o", "j.xml").exit_code == 1
    suite = ET.parse("j.xml").getroot().find("testsuite")
    assert suite is not None and suite.get(f"{kind}s") == "1"
    element = suite.find(f"testcase/{kind}")
    assert element is not None
    return element.get("message", "")


def test_junit_file_is_written_for_an_input_error(here: Path) -> None:
    bad_corpus(here)
    assert "corpus/b.jsonl:2: malformed JSON" in junit_case("error")


def test_junit_file_is_written_for_an_empty_corpus(here: Path) -> None:
    (here / "corpus").mkdir()
    assert "below the minimum 1" in junit_case("failure")


# --------------------------------------------------------------------------- 17: --min-docs 0


def test_min_docs_0_passes_an_empty_folder(here: Path) -> None:
    (here / "corpus").mkdir()
    result = check("corpus", "--min-docs", "0")
    assert result.exit_code == 0, result.output
    assert "PASS" in result.stdout
    assert check("corpus").exit_code == 1  # the default minimum is 1 document


# --------------------------------------------------------------------------- 18: blame


def corpus_pair(folder: Path) -> tuple[Path, Path]:
    """old.jsonl holds a teaser of a story; new.jsonl the full story, which dedup keeps."""
    corpus = folder / "corpus"
    corpus.mkdir()
    teaser = ARTICLE[: len(ARTICLE) // 2]
    old = jsonl(corpus / "old.jsonl", [{"id": "old-teaser", "text": teaser},
                                       {"id": "other", "text": story(8, 160)}])
    new = jsonl(corpus / "new.jsonl", [{"id": "new-article", "text": ARTICLE}])
    return old, new


def duplicate_findings(*args: str) -> list[dict[str, object]]:
    result = check("corpus", "--json", "--max-duplicate-rate", "0", *args)
    assert result.exit_code == 1, result.output
    shown = json.loads(result.stdout)["findings"]["duplicate_rate"]["shown"]
    assert isinstance(shown, list)
    return shown


def git(folder: Path, *args: str, when: int = 1_600_000_000) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "GIT_COMMITTER_DATE": f"@{when} +0000", "GIT_AUTHOR_DATE": f"@{when} +0000"}
    subprocess.run(["git", *args], cwd=folder, env=env, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_file_added_to_a_git_corpus_is_blamed(here: Path) -> None:
    old, new = corpus_pair(here)
    new.unlink()
    git(here, "init", "-q")
    git(here, "add", "corpus")
    git(here, "commit", "-q", "-m", "corpus")
    jsonl(new, [{"id": "new-article", "text": ARTICLE}])
    os.utime(new, (1_000_000_000, 1_000_000_000))  # an old mtime: git decides, not mtime
    [finding] = duplicate_findings()
    assert (finding["file"], finding["line"], finding["id"]) == ("corpus/new.jsonl", 1,
                                                                 "new-article#0")
    assert "at corpus/old.jsonl:1" in str(finding["message"])
    git(here, "add", "corpus")
    git(here, "commit", "-q", "-m", "later", when=1_600_000_100)  # added by the later commit
    [finding] = duplicate_findings()
    assert finding["file"] == "corpus/new.jsonl"


def test_outside_git_the_newer_file_by_mtime_is_blamed(here: Path) -> None:
    old, new = corpus_pair(here)
    os.utime(new, (1_700_000_000, 1_700_000_000))
    os.utime(old, (1_600_000_000, 1_600_000_000))
    assert duplicate_findings()[0]["file"] == "corpus/new.jsonl"
    os.utime(old, (1_800_000_000, 1_800_000_000))  # old.jsonl changed last: it is blamed
    assert duplicate_findings()[0]["file"] == "corpus/old.jsonl"


# --------------------------------------------------------------------------- 19: options


def test_check_takes_the_similarity_options_of_dedup(here: Path) -> None:
    corpus_pair(here)
    assert check("corpus", "--max-duplicate-rate", "0").exit_code == 1
    strict = check("corpus", "--max-duplicate-rate", "0", "--containment", "0.99",
                   "--threshold", "0.99", "--copy-share", "0.99", "--json")
    metrics = json.loads(strict.stdout)["metrics"]
    assert strict.exit_code == 0 and metrics["duplicates"] == 0
    chars = check("corpus", "--shingle", "char:5", "--json")
    assert chars.exit_code == 0 and json.loads(chars.stdout)["metrics"]["duplicates"] == 1
    bad = check("corpus", "--shingle", "lines:3")
    assert bad.exit_code == 2


def test_format_is_the_input_format_and_output_format_the_output(here: Path) -> None:
    jsonl(here / "docs.data", [{"id": "a", "text": ARTICLE}, {"id": "b", "text": ARTICLE}])
    as_json = check("docs.data", "--format", "jsonl", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["metrics"]["documents"] == 2
    same = check("docs.data", "--format", "jsonl", "--output-format", "json")
    assert json.loads(same.stdout)["metrics"] == json.loads(as_json.stdout)["metrics"]
    clash = check("docs.data", "--json", "--output-format", "text")
    assert clash.exit_code == 2 and "--json conflicts" in clash.output


def test_old_spellings_still_work_with_a_warning(here: Path) -> None:
    jsonl(here / "docs.data", [{"id": "a", "text": ARTICLE}])
    result = check("docs.data", "--input-format", "jsonl", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["metrics"]["documents"] == 1
    assert "--input-format is deprecated" in result.stderr
    assert "use --output-format json" in result.stderr


def test_index_stats_takes_output_format_and_json(here: Path) -> None:
    docs = jsonl(here / "docs.jsonl", [{"id": "a", "text": ARTICLE}])
    assert CliRunner().invoke(main, ["dedup", str(docs), "--index", "seen.db", "-o",
                                     "d.jsonl"]).exit_code == 0
    a = CliRunner().invoke(main, ["index", "stats", "seen.db", "--output-format", "json"])
    b = CliRunner().invoke(main, ["index", "stats", "seen.db", "--json"])
    assert a.exit_code == b.exit_code == 0
    assert json.loads(a.stdout)["units"] == json.loads(b.stdout)["units"] == 1
