"""``segmenter report``: the HTML report of a run folder."""

from __future__ import annotations

from pathlib import Path

import click

from .options import CONTEXT, library_errors


@click.command(context_settings=CONTEXT)
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("-o", "--output", default=None, type=click.Path(dir_okay=False),
              help="The HTML file to write.  [default: RUN_DIR/report.html]")
@click.option("--clusters", "max_clusters", type=click.IntRange(0), default=12,
              show_default=True, help="How many of the largest clusters to show side by side.")
def report(run_dir: str, output: str | None, max_clusters: int) -> None:
    """Write a self-contained HTML report of a `segmenter run` folder.

    One file, no network needed: the summary, charts (story kinds, similarity histogram,
    duplicate rate per source file, cluster sizes) and the largest clusters with their members
    side by side and the shared text highlighted.
    """
    from ..report import write_report

    target = output or str(Path(run_dir) / "report.html")
    with library_errors():
        write_report(run_dir, target, max_clusters=max_clusters)
    click.echo(f"report: {target}", err=True)
