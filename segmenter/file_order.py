"""Which of two input files came first: the order ``segmenter check`` blames duplicates by.

A file's age is the time of the git commit that added it when it lies in a git work tree
(checkouts set every file's mtime to the checkout time, so mtimes say nothing in CI); a file
git has not committed yet (being added in this change) is newer than every committed one;
outside git the modification time decides. Files added by one commit are equally old.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

__all__ = ["file_ages"]

_GIT_TIMEOUT = 60.0


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=cwd,
                              capture_output=True, text=True, timeout=_GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _added_times(top: Path) -> dict[str, float]:
    """Repository-relative path -> Unix time of the first commit that added it."""
    out = _git(["log", "--diff-filter=A", "--no-renames", "--format=@%ct", "--name-only"], top)
    added: dict[str, float] = {}
    when = math.inf
    for line in (out or "").splitlines():
        if line.startswith("@"):
            when = float(line[1:])
        elif line:
            added[line] = when  # the log runs newest first: the oldest addition wins
    return added


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return math.inf


def file_ages(sources: Iterable[str]) -> dict[str, tuple[float, float]]:
    """A sort key per local file: smaller is older. Committed files get ``(time of the commit
    that added it, 0)``, files git has not committed ``(inf, mtime)``, files outside git
    ``(0, mtime)``. Equal keys (files of one commit) leave the deduplicator's choice alone."""
    keys: dict[str, tuple[float, float]] = {}
    top_of: dict[Path, Path | None] = {}  # folder -> its work tree's top (None: not in git)
    added: dict[Path, dict[str, float]] = {}
    for source in sources:
        path = Path(source).resolve()
        mtime = _mtime(source)
        if path.parent not in top_of:
            text = _git(["rev-parse", "--show-toplevel"], path.parent) \
                if path.parent.is_dir() else None
            top_of[path.parent] = Path(text.strip()).resolve() if text else None
        top = top_of[path.parent]
        if top is None:
            keys[source] = (0.0, mtime)
            continue
        if top not in added:
            added[top] = _added_times(top)
        when = added[top].get(path.relative_to(top).as_posix())
        # committed files: the commit decides (a checkout's mtimes are meaningless); files
        # being added: after every committed one, in modification order
        keys[source] = (when, 0.0) if when is not None else (math.inf, mtime)
    return keys
