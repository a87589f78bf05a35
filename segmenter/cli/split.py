"""``segmenter split``: pages into stories."""

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
@click.option("--no-clean", is_flag=True, help="Split the text as read (offsets index it).")
@click.option("--explain", is_flag=True, help="Add the evidence behind each boundary.")
def split(inputs: tuple[str, ...], output: str, rejects: str | None, no_clean: bool,
          explain: bool, **opts: Any) -> None:
    """Split each document into stories: articles and truncated "related stories" teasers.

    Writes one JSONL record per story: doc_id, story, kind (article|teaser), start, end, text,
    truncated, kicker, boilerplate ([{start, end, label}]), score and reasons. Offsets are
    code-point indices into the cleaned text (with --no-clean, into the text as read).
    """
    from ..engines.stagework import split_lines
    from ..io import ReadStats

    with library_errors():
        config = build_config(opts)
        stats = ReadStats()
        counts = {"article": 0, "teaser": 0}
        task = split_lines(config, clean=not no_clean, explain=explain)
        for kinds in mapped_to_output("split", inputs, output, rejects, config, task, stats):
            for kind, n in kinds.items():
                counts[kind] = counts.get(kind, 0) + n
    summary("split", [count(stats.documents, "document"), count(counts["article"], "article"),
                       count(counts["teaser"], "teaser"), f"{stats.rejected} rejected"])
