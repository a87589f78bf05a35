"""``segmenter run``: the whole pipeline into an output folder."""

from __future__ import annotations

from pathlib import Path
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
    seen_summary,
    start_workers_early,
)
from .progress import progress_bar

_OUTDIR_REPORT = "\0OUTDIR/report.html"  # --report given without a FILE


@click.command(context_settings=CONTEXT)
@input_options
@clean_options
@dedup_options
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Output folder for stories.jsonl, unique.jsonl and report.json.")
@click.option("--compress", type=click.Choice(["gz", "zst"]), default=None,
              help="Compress stories.jsonl and unique.jsonl (.gz or .zst; the zst one needs "
              "the zstandard package, installed with segmenter).")
@click.option("--report", "report_path", default=None,
              is_flag=False, flag_value=_OUTDIR_REPORT, metavar="[FILE]",
              help="Also write the HTML report (see `segmenter report`): to FILE, or to "
              "OUTDIR/report.html when no FILE is given.")
def run(inputs: tuple[str, ...], out_dir: str, rejects: str | None, no_split: bool,
        no_clean: bool, report_path: str | None, compress: str | None, **opts: Any) -> None:
    """The whole pipeline: clean, split, dedup.

    \b
    OUTDIR/stories.jsonl  every story with its cluster fields
    OUTDIR/unique.jsonl   the keepers (one copy of each story)
    OUTDIR/report.json    counts and seconds per stage

    The folder is checked before anything is read. It is replaced as a whole when the run
    succeeds; a mount point or a symlink to a folder is kept and its files are replaced.
    """
    from ..io.writers import run_file

    explain = bool(opts.get("explain"))
    if report_path == _OUTDIR_REPORT:
        report_path = str(Path(out_dir) / "report.html")
    with library_errors():
        config = dedup_config(opts)
        start_workers_early(inputs, opts, config, clean=not no_clean, split=not no_split)
        engine = engine_for(opts, config)
        from ..io import reject_sink
        from ..pipeline import run as run_pipeline

        with reject_sink(rejects) as sink, progress_bar("run", inputs, config.read) as bar:
            report = run_pipeline(inputs, out_dir, config, clean=not no_clean,
                                  split=not no_split, explain=explain, rejects=sink,
                                  progress=bar, engine=engine, compress=compress,
                                  run_id=opts.get("run_id"))
        if report_path:
            from ..report import write_report

            write_report(out_dir, report_path)
    split = report["split"]
    dd = report["dedup"]
    dups = dd["duplicates"]
    click.echo(
        f"{count(report['documents'], 'document')} ({report['read']['rejected']} rejected, "
        f"{report['clean']['repaired']} repaired) -> {count(split['stories_total'], 'story')} "
        f"({count(split['stories']['article'], 'article')}, "
        f"{count(split['stories']['teaser'], 'teaser')}, "
        f"{count(split['boilerplate_lines'], 'boilerplate line')}) -> {dd['unique']} unique, "
        f"{count(dd['duplicates_total'], 'duplicate')} ({dups['exact']} exact, "
        f"{dups['near']} near, {dups['contained']} contained) in "
        f"{count(dd['clusters'], 'cluster')}"
        f"{seen_summary(report.get('index'))}; "
        f"{report['seconds']['total']:.2f}s",
        err=True,
    )
    names = [run_file("stories.jsonl", compress), run_file("unique.jsonl", compress),
             "report.json"]
    click.echo("results: " + ", ".join(str(Path(out_dir) / n) for n in names)
               + (f", {report_path}" if report_path else ""), err=True)
