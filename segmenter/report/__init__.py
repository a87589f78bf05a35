"""The HTML report of a ``segmenter run`` folder: one self-contained file.

>>> from segmenter.report import write_report
>>> write_report("out/run", "out/run/report.html")     # doctest: +SKIP

No JavaScript and no network: styles are inline, charts are inline SVG, and a
Content-Security-Policy forbids loading anything. Every string from the data is escaped.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..io import atomic_output
from .data import RunData, load_run
from .html import render

__all__ = ["RunData", "load_run", "render", "write_report"]


def write_report(
    run_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    max_clusters: int = 12,
    max_members: int = 6,
) -> Path:
    """Read ``run_dir`` (``report.json`` and ``stories.jsonl`` of ``segmenter run``) and write
    the HTML report to ``out_path`` atomically; return the path written.

    Shows the ``max_clusters`` largest clusters, each with up to ``max_members`` members.
    Raises :class:`~segmenter.errors.InputError` when the folder is not a run folder and
    :class:`~segmenter.errors.OutputError` when the file cannot be written.
    """
    data = load_run(run_dir, max_clusters=max_clusters, max_members=max_members)
    page = render(data, title=f"segmenter report: {Path(run_dir).name or run_dir}")
    with atomic_output(out_path) as fh:  # mode: the umask's, or the replaced report's
        fh.write(page)
    return Path(out_path)
