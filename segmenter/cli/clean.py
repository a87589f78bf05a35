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
from .stream import mapped_to_output


@click.command(context_settings=CONTEXT)
@input_options
@clean_options
@output_option
def clean(inputs: tuple[str, ...], output: str, rejects: str | None, **opts: Any) -> None:
    """Repair mojibake, HTML entities, control characters and line breaks with ftfy.

    Writes one JSONL record per document: the input's other fields, then id, text (cleaned)
    and clean_steps (the ftfy steps applied; empty when the text needed no repair).
    """
    from ..engines.stagework import clean_lines
    from ..io import ReadStats

    with library_errors():
        config = build_config(opts)
        stats = ReadStats()
        task = clean_lines(config)
        repaired = sum(mapped_to_output("clean", inputs, output, rejects, config, task, stats))
    summary("clean", [count(stats.documents, "document"), f"{repaired} repaired",
                       f"{stats.rejected} rejected"]
             + ([f"{stats.decode_replacements} invalid bytes replaced"]
                if stats.decode_replacements else []))
