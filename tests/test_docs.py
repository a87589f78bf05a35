"""Docs are tested: every command has --help, and the README's Python example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from segmenter.cli import main

from .conftest import FIXTURES, ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _commands(group: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, cmd in getattr(group, "commands", {}).items():
        found.append((*prefix, name))
        found.extend(_commands(cmd, (*prefix, name)))
    return found


@pytest.mark.parametrize("command", _commands(main), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 4


@pytest.mark.parametrize("command", [c for c in _commands(main) if len(c) == 1], ids=" ".join)
def test_every_command_is_in_the_readme(command: tuple[str, ...]) -> None:
    assert f"segmenter {command[0]}" in README


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", README, re.S)
                if "from segmenter import" in b]
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "news.jsonl").write_bytes((FIXTURES / "dedup" / "news.jsonl").read_bytes())
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert (tmp_path / "out" / "stories.jsonl").exists()
