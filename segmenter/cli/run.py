"""``segmenter run``: the whole pipeline into an output folder."""

from __future__ import annotations

from typing import Any

import click

from .options import (
    CONTEXT,
    clean_options,
    dedup_config,
    dedup_options,
    engine_for,
    input_options,
    library_errors,
)


@click.command(context_settings=CONTEXT)
@input_options
@clean_options
@dedup_options
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output folder for stories.jsonl, unique.jsonl and report.json.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the HTML report here (see `segmenter report`), e.g. "
              "OUTDIR/report.html.")
def run(inputs: tuple[str, ...], out_dir: str, rejects: str | None, no_split: bool,
        no_clean: bool, report_path: str | None, **opts: Any) -> None:
    """The whole pipeline: clean, split, dedup.

    \b
    OUTDIR/stories.jsonl  every story with its cluster fields
    OUTDIR/unique.jsonl   the keepers (one copy of each story)
    OUTDIR/report.json    counts and seconds per stage
    """
    from ..io import reject_sink
    from ..pipeline import run as run_pipeline
    from ..pipeline import terminal_progress

    explain = bool(opts.get("explain"))
    with library_errors():
        config = dedup_config(opts)
        engine = engine_for(opts)
        with reject_sink(rejects) as sink:
            report = run_pipeline(inputs, out_dir, config, clean=not no_clean,
                                  split=not no_split, explain=explain, rejects=sink,
                                  progress=terminal_progress(), engine=engine)
        if report_path:
            from ..report import write_report

            write_report(out_dir, report_path)
    split = report["split"]
    dd = report["dedup"]
    dups = dd["duplicates"]
    click.echo(
        f"{report['documents']} documents ({report['read']['rejected']} rejected, "
        f"{report['clean']['repaired']} repaired) -> {split['stories_total']} stories "
        f"({split['stories']['article']} articles, {split['stories']['teaser']} teasers, "
        f"{split['boilerplate_lines']} boilerplate lines) -> {dd['unique']} unique, "
        f"{dd['duplicates_total']} duplicates ({dups['exact']} exact, {dups['near']} near, "
        f"{dups['contained']} contained) in {dd['clusters']} clusters; "
        f"{report['seconds']['total']:.2f}s",
        err=True,
    )
    click.echo(f"results: {out_dir}/stories.jsonl, {out_dir}/unique.jsonl, "
               f"{out_dir}/report.json" + (f", {report_path}" if report_path else ""), err=True)
