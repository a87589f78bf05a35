"""A job's run id, derived from its inputs and configuration (``--run-id`` overrides it).

A persistent index records, for every unit, the run id that indexed it, so a job run again
after a crash (the same run id: its own units get the verdicts they got the first time) is told
apart from a later job that meets the same pages (another run id: those units are ``seen``).

The default run id is a digest of what makes a job: every input file as it will be read (its
real path or URL, its size and its modification time) and the configuration that decides the
verdicts (reading, cleaning, splitting and dedup settings; not ``--explain``, and not the paths
a command writes). Names, sizes and times, not the contents: they cost one ``stat`` per file
where a digest of the contents would read every input twice, and the id must be known before
the first batch reaches the index, long before the contents have all been read. A file that
changed (appended to, re-downloaded) makes another job; so does stdin, which cannot be
recognised at all: every run on stdin gets a new run id unless ``--run-id`` names it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from collections.abc import Iterable
from typing import Any

from .config import Config
from .index import new_run_id
from .io import InputFile, iter_input_files
from .io.files import STDIN, filesystem

__all__ = ["derive_run_id"]

_VERSION = "segmenter-run-id-1"


def _stat(item: InputFile) -> list[Any] | None:
    """``[path, size, mtime_ns]`` of one input, or None for stdin (no identity)."""
    if item.path == STDIN:
        return None
    if item.remote:
        fs, path = filesystem(item.path)
        info = fs.get_file_info(path)
        return [item.path, info.size, info.mtime_ns]
    st = os.stat(item.path)
    return [os.path.realpath(item.path), st.st_size, st.st_mtime_ns]


def _settings(config: Config, clean: bool, split: bool) -> dict[str, Any]:
    data = dataclasses.asdict(config)
    data["read"].pop("exclude", None)  # the command's own outputs (-o, --index, ...)
    data["dedup"].pop("explain", None)  # evidence only, no verdict changes
    return {"config": data, "clean": clean, "split": split}


def derive_run_id(inputs: Iterable[str], config: Config, *, clean: bool = True,
                  split: bool = True) -> str:
    """The default run id of a job (see the module docstring): 16 hex digits, or a new run id
    (:func:`~segmenter.index.new_run_id`) when an input is stdin."""
    h = hashlib.sha256(_VERSION.encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reading the inputs warns about skipped files
        files = [_stat(item) for item in iter_input_files(inputs, config.read)]
    if any(f is None for f in files):
        return new_run_id()
    h.update(json.dumps(files).encode())
    h.update(json.dumps(_settings(config, clean, split), sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]
