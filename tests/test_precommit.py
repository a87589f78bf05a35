"""`.pre-commit-hooks.yaml` works with the real pre-commit tool: another repository uses the
`segmenter-check` hook, which passes on a clean corpus and fails on a dirty one.

pre-commit installs segmenter into its own virtualenv with pip, so this needs the package index
(as `make test` does); it is marked slow.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, need

pytestmark = pytest.mark.slow


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          env=GIT_ENV)
    return proc.stdout.strip()


GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def hook_repo(folder: Path) -> str:
    """A git repository holding this checkout's package and hook manifest; returns its commit."""
    folder.mkdir()
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "segmenter", folder / "segmenter",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "segmenter")
    return git(folder, "rev-parse", "HEAD")


def test_precommit_hook_in_another_repository(tmp_path: Path) -> None:
    need(shutil.which("git") is not None, "git is not installed")
    need(importlib.util.find_spec("pre_commit") is not None,
         "pre-commit is not installed (pip install -e '.[dev]')")
    rev = hook_repo(tmp_path / "segmenter")
    corpus = tmp_path / "corpus-repo"
    corpus.mkdir()
    shutil.copytree(FIXTURES / "check" / "clean", corpus / "corpus")
    (corpus / "segmenter.toml").write_text(
        '[check]\npaths = ["corpus"]\nmax_duplicate_rate = 0.0\nmax_mojibake_rate = 0.0\n',
        "utf-8")
    (corpus / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {tmp_path / 'segmenter'}\n    rev: {rev}\n    hooks:\n"
        "      - id: segmenter-check\n", "utf-8")
    git(corpus, "init", "-q")
    git(corpus, "add", ".")
    git(corpus, "commit", "-q", "-m", "corpus")

    env = {**GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "PRE_COMMIT_COLOR": "never"}

    def pre_commit() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"],
                              cwd=corpus, capture_output=True, text=True, env=env, timeout=300)

    passed = pre_commit()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "segmenter check (corpus quality gate)" in passed.stdout
    assert "Passed" in passed.stdout

    # a duplicate and a mojibake document creep in: the hook fails and says where
    shutil.copy(FIXTURES / "check" / "dirty" / "a.jsonl", corpus / "corpus" / "new.jsonl")
    git(corpus, "add", ".")
    failed = pre_commit()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "duplicate_rate" in failed.stdout and "exceeds the limit 0" in failed.stdout
    assert "corpus/new.jsonl:3: document library-mojibake has mojibake" in failed.stdout
