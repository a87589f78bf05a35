"""The code stays ruff-clean and mypy-clean (run in the normal suite, so CI enforces it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, need

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    need(found is not None, f"{name} is not installed (pip install -e '.[dev]')")
    assert found is not None
    return found


def test_ruff() -> None:
    result = subprocess.run([tool("ruff"), "check", "segmenter", "tests", "bench"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy() -> None:
    result = subprocess.run([tool("mypy"), "segmenter"], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
