"""``segmenter dedup``: one record per unit with its cluster fields."""

from __future__ import annotations

from typing import Any

import click

from ..words import count
from .options import (
    CONTEXT,
    clean_options,
    dedup_config,
    dedup_options,
    engine_for,
    input_options,
    library_errors,
    output_option,
    seen_summary,
    start_workers_early,
    summary,
)
from .progress import progress_bar


@click.command(context_settings=CONTEXT)
@input_options
@clean_options
@output_option
@dedup_options
def dedup(inputs: tuple[str, ...], output: str, rejects: str | None, no_split: bool,
          no_clean: bool, **opts: Any) -> None:
    """Find near-duplicate stories (or documents) across every input with MinHash LSH.

    Writes one JSONL record per unit: id (the document id, or docid#story when split),
    cluster, duplicate_of (the copy it duplicates; null for a keeper), relation
    (exact | near | contained; seen: a unit an earlier run put in the --index) and
    similarity.
    """
    explain = bool(opts.get("explain"))
    with library_errors():
        config = dedup_config(opts)
        start_workers_early(inputs, opts, config, clean=not no_clean, split=not no_split)
        engine = engine_for(opts, config)
        from ..counters import Counters
        from ..io import atomic_output, reject_sink, write_jsonl
        from ..pipeline import dedup_records

        stats = Counters()
        with reject_sink(rejects) as sink, atomic_output(output) as out, \
                progress_bar("dedup", inputs, config.read) as bar:
            write_jsonl(out, dedup_records(inputs, config, clean=not no_clean, split=not no_split,
                                           explain=explain, counters=stats, rejects=sink,
                                           engine=engine, progress=bar,
                                           run_id=opts.get("run_id")))
    dups = stats.duplicates
    summary("dedup", [count(stats.read.documents, "document"), count(stats.units, "unit"),
                       f"{count(sum(dups.values()), 'duplicate')} ({dups['exact']} exact, "
                       f"{dups['near']} near, {dups['contained']} contained)",
                       count(stats.clusters, "cluster") + seen_summary(
                           stats.index_dict() if stats.index else None),
                       f"{stats.read.rejected} rejected"])
