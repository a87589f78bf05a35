"""``segmenter check``: the corpus-quality gate for CI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from .options import CONTEXT, F, build_config, clean_options, input_options, library_errors

_RATE = click.FloatRange(0.0, 1.0)


def _check_inputs(func: F) -> F:
    """The shared reader options, with two changes for ``check``: PATHS may be left out (then
    ``paths`` of the ``[check]`` table is read) and the input format is ``--input-format``,
    because ``--format`` chooses the output format here."""
    func = input_options(func)
    params: list[click.Parameter] = func.__click_params__  # type: ignore[attr-defined]
    for p in list(params):
        if isinstance(p, click.Argument) and p.name == "inputs":
            p.required = False
            p.metavar = "[PATHS]..."
        elif isinstance(p, click.Option) and p.name == "fmt":
            params.remove(p)
    return click.option(
        "--input-format", "fmt", type=click.Choice(["auto", "txt", "jsonl"]), default=None,
        help="Input format; auto tells it from the file name.  [default: auto]",
    )(func)


def threshold_options(func: F) -> F:
    options = [
        click.option("--max-duplicate-rate", type=_RATE, default=None, metavar="R",
                     help="Fail when more than R of the stories duplicate another story "
                     "(exact, near or contained; within a file or across files)."),
        click.option("--max-teaser-rate", type=_RATE, default=None, metavar="R",
                     help="Fail when more than R of the stories are teasers (cut-off "
                     "'related stories' snippets)."),
        click.option("--max-unsplit-rate", type=_RATE, default=None, metavar="R",
                     help="Fail when more than R of the documents are unsplit: the splitter "
                     "finds more than one story in them (a page that still needs splitting)."),
        click.option("--max-mojibake-rate", type=_RATE, default=None, metavar="R",
                     help="Fail when ftfy had to repair mojibake (an encoding fix) in more "
                     "than R of the documents."),
        click.option("--max-short-rate", type=_RATE, default=None, metavar="R",
                     help="Fail when more than R of the documents are empty or very short "
                     "(fewer than short_chars non-space characters, default 100)."),
        click.option("--max-boilerplate-rate", type=_RATE, default=None, metavar="R",
                     help="Fail when more than R of the non-blank lines are boilerplate."),
        click.option("--min-docs", type=click.IntRange(0), default=None, metavar="N",
                     help="Fail with fewer than N documents.  [default: 1]"),
        click.option("--baseline", type=click.Path(dir_okay=False), default=None,
                     metavar="FILE", help="Compare with this stored report: fail when a rate "
                     "rose more than --tolerance above it."),
        click.option("--tolerance", type=_RATE, default=None, metavar="T",
                     help="How far a rate may rise above the baseline's.  [default: 0.005]"),
        click.option("--update-baseline", is_flag=True,
                     help="Write the metrics to the --baseline FILE instead of comparing "
                     "(thresholds still apply)."),
        click.option("--format", "out_format", type=click.Choice(
                     ["text", "json", "github", "junit"]), default="text", show_default=True,
                     help="text for people, json for scripts, github for GitHub Actions "
                     "annotations at the offending file and line, junit XML for CI systems."),
        click.option("-o", "--output", default="-", show_default=True,
                     help="Write the result here ('-' is stdout)."),
        click.option("--max-findings", type=click.IntRange(0), default=None, metavar="N",
                     help="Offending documents listed per failed metric.  [default: 50]"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command(context_settings=CONTEXT)
@_check_inputs
@clean_options
@threshold_options
def check(inputs: tuple[str, ...], rejects: str | None, out_format: str, output: str,
          baseline: str | None, update_baseline: bool, **opts: Any) -> None:
    """Corpus-quality gate for CI: fail when duplicates, unsplit pages or mojibake creep in.

    Reads PATHS read-only (they are never changed), cleans, splits and deduplicates them in
    memory and measures: the duplicate rate (within and across files), stories per document,
    the teaser and boilerplate rates, unsplit documents (the splitter finds more than one story
    in them: a page that still needs splitting), documents ftfy had to repair (any repair, and
    mojibake), and empty or very short documents.

    Thresholds come from the options or from [tool.segmenter.check] in pyproject.toml or
    [check] in segmenter.toml (keys: max_duplicate_rate, max_teaser_rate, max_unsplit_rate,
    max_mojibake_rate, max_short_rate, max_boilerplate_rate, min_docs, tolerance, short_chars,
    max_findings, paths, baseline); options win. Unset thresholds are not checked.

    \b
    Exit codes: 0 pass, 1 a check failed (or bad input), 2 usage or configuration error.

    \b
    segmenter check corpus/ --max-duplicate-rate 0.02 --max-mojibake-rate 0
    segmenter check corpus/ --baseline quality.json --update-baseline
    segmenter check corpus/ --baseline quality.json --format github
    """
    from ..check import (
        baseline_json,
        decide,
        format_github,
        format_json,
        format_junit,
        format_text,
        load_baseline,
        load_check_config,
        measure,
    )
    from ..io import atomic_output, reject_sink

    started = time.perf_counter()
    with library_errors():
        config = build_config(opts)
        settings = load_check_config().replace(
            max_duplicate_rate=opts.pop("max_duplicate_rate"),
            max_teaser_rate=opts.pop("max_teaser_rate"),
            max_unsplit_rate=opts.pop("max_unsplit_rate"),
            max_mojibake_rate=opts.pop("max_mojibake_rate"),
            max_short_rate=opts.pop("max_short_rate"),
            max_boilerplate_rate=opts.pop("max_boilerplate_rate"),
            min_docs=opts.pop("min_docs"),
            tolerance=opts.pop("tolerance"),
            max_findings=opts.pop("max_findings"),
            baseline=baseline,
        )
        paths = inputs or settings.paths
        if not paths:
            raise click.UsageError("name the PATHS to check, or set paths in the [check] table "
                                   "of segmenter.toml / [tool.segmenter.check]")
        if update_baseline and settings.baseline is None:
            raise click.UsageError("--update-baseline needs --baseline FILE")
        stored = None
        if settings.baseline is not None and not update_baseline:
            stored = load_baseline(settings.baseline)
        with reject_sink(rejects) as sink:
            measurement = measure(paths, config, settings, rejects=sink)
        decision = decide(measurement.metrics.as_dict(), settings, stored)
        if update_baseline and settings.baseline is not None:
            with atomic_output(settings.baseline) as fh:
                fh.write(baseline_json(measurement, settings))
        if out_format == "json":
            text = format_json(measurement, decision, settings)
        elif out_format == "github":
            text = format_github(measurement, decision, Path.cwd())
        elif out_format == "junit":
            text = format_junit(measurement, decision, time.perf_counter() - started)
        else:
            text = format_text(measurement, decision)
        with atomic_output(output) as fh:
            fh.write(text)
    if update_baseline:
        click.echo(f"segmenter check: baseline written to {settings.baseline}", err=True)
    if output != "-":
        verdict = "passed" if decision.passed else "failed: " + "; ".join(
            c.message for c in decision.failures)
        click.echo(f"segmenter check {verdict}", err=True)
    click.get_current_context().exit(decision.exit_code)
