"""``segmenter clean``: repair text with ftfy."""

from __future__ import annotations

from typing import Any

import click

from ..words import count
from .options import (
    CONTEXT,
    build_config,
    clean_options,
    input_options,
    library_errors,
    output_option,
    summary,
)
from .progress import progress_bar


@click.command(context_settings=CONTEXT)
@input_options
@clean_options
@output_option
def clean(inputs: tuple[str, ...], output: str, rejects: str | None, **opts: Any) -> None:
    """Repair mojibake, HTML entities, control characters and line breaks with ftfy.

    Writes one JSONL record per document: the input's other fields, then id, text (cleaned)
    and clean_steps (the ftfy steps applied; empty when the text needed no repair).
    """
    from ..engines.pool import map_documents
    from ..engines.stagework import clean_lines
    from ..io import ReadStats, atomic_output, read_items, reject_sink, write_lines

    with library_errors():
        config = build_config(opts)
        stats = ReadStats()
        repaired = 0
        with reject_sink(rejects) as sink, atomic_output(output) as out, \
                progress_bar("clean", inputs, config.read) as bar:
            docs = read_items(inputs, config.read, rejects=sink, stats=stats)
            task = clean_lines(config)
            for lines, changed, parsed in map_documents(task, docs, config.read.jobs):
                repaired += changed
                write_lines(out, lines)
                stats.merge(parsed)  # the JSON lines parsed in the workers
                bar.update(stats.documents)
    summary("clean", [count(stats.documents, "document"), f"{repaired} repaired",
                       f"{stats.rejected} rejected"]
             + ([f"{stats.decode_replacements} invalid bytes replaced"]
                if stats.decode_replacements else []))
