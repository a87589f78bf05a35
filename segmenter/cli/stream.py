"""The loop ``clean`` and ``split`` share: read the inputs, map a per-document task over them
(in ``--jobs`` worker processes), write each result's JSONL lines to the output atomically, with
the progress bar on a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..config import Config
from ..io import ReadStats
from .progress import progress_bar

__all__ = ["mapped_to_output"]


def mapped_to_output(
    command: str, inputs: tuple[str, ...], output: str, rejects: str | None, config: Config,
    task: Callable[..., Any], stats: ReadStats,
) -> Iterator[Any]:
    """Run ``task`` over the documents of ``inputs`` and write its lines to ``output``
    (``-`` for stdout; rejected records to ``rejects``), counting the reads into ``stats``.
    Yields what each batch's result carries besides its lines and read counts, in input order;
    the output is in place once the iteration ends."""
    from ..engines.pool import map_documents
    from ..io import atomic_output, read_items, reject_sink, write_lines

    with reject_sink(rejects) as sink, atomic_output(output) as out, \
            progress_bar(command, inputs, config.read) as bar:
        docs = read_items(inputs, config.read, rejects=sink, stats=stats)
        for lines, carried, parsed in map_documents(task, docs, config.read.jobs):
            write_lines(out, lines)
            stats.merge(parsed)  # the JSON lines parsed in the workers
            bar.update(stats.documents)
            yield carried
