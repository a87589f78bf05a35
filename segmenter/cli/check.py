"""``segmenter check``: the corpus-quality gate for CI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from ..errors import SegmenterError
from .options import (
    CONTEXT,
    F,
    clean_options,
    dedup_config,
    input_options,
    library_errors,
    similarity_options,
)
from .progress import progress_bar

_RATE = click.FloatRange(0.0, 1.0)


OUTPUT_FORMATS = ("text", "json", "github", "junit")


class _InputFormat(click.Choice):
    """The shared ``--format`` (the input format), which also takes the output formats it
    chose in earlier versions (``--format github``): deprecated, with a warning."""

    def __init__(self, shared: click.Choice) -> None:
        super().__init__(shared.choices)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in OUTPUT_FORMATS and value not in self.choices:
            click.echo(f"warning: check --format {value} is deprecated: the input format is "
                       f"--format now; use --output-format {value}", err=True)
            return f"output:{value}"
        return super().convert(value, param, ctx)


def _check_inputs(func: F) -> F:
    """The shared reader options, with one change for ``check``: PATHS may be left out (then
    ``paths`` of the ``[check]`` table is read). ``--input-format`` is a hidden, deprecated
    spelling of ``--format``."""
    func = input_options(func)
    params: list[click.Parameter] = func.__click_params__  # type: ignore[attr-defined]
    shared = None
    for p in params:
        if isinstance(p, click.Argument) and p.name == "inputs":
            p.required = False
            p.metavar = "[PATHS]..."
        elif isinstance(p, click.Option) and p.name == "fmt":
            assert isinstance(p.type, click.Choice)
            p.type = shared = _InputFormat(p.type)
    return click.option("--input-format", "old_input_format", type=shared, default=None,
                        hidden=True)(func)


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
        click.option("--output-format", "out_format", type=click.Choice(OUTPUT_FORMATS),
                     default=None, help="text for people, json for scripts, github for GitHub "
                     "Actions annotations at the offending file and line, junit XML for CI "
                     "systems.  [default: text]"),
        click.option("--json", "as_json", is_flag=True, help="Short for --output-format json."),
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
@similarity_options
@threshold_options
def check(inputs: tuple[str, ...], rejects: str | None, out_format: str | None, as_json: bool,
          output: str, baseline: str | None, update_baseline: bool, **opts: Any) -> None:
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
    segmenter check corpus/ --baseline quality.json --output-format github
    segmenter check corpus/ --format jsonl --json
    """
    from ..check import (
        baseline_json,
        decide,
        format_github,
        format_json,
        format_junit,
        format_text,
        github_error,
        junit_error,
        load_baseline,
        load_check_config,
        measure,
    )
    from ..io import atomic_output, reject_sink

    started = time.perf_counter()
    if str(opts.get("fmt")).startswith("output:"):  # deprecated: --format github
        out_format = out_format or opts.pop("fmt").split(":", 1)[1]
    old_input_format = opts.pop("old_input_format")
    if old_input_format is not None:  # the earlier spelling
        click.echo("warning: check --input-format is deprecated; use --format", err=True)
        opts["fmt"] = opts.get("fmt") or old_input_format
    if as_json:
        if out_format not in (None, "json"):
            raise click.UsageError(f"--json conflicts with --output-format {out_format}")
        out_format = "json"
    out_format = out_format or "text"
    with library_errors():
        config = dedup_config(opts)
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
        try:
            with reject_sink(rejects) as sink, progress_bar("check", paths, config.read) as bar:
                measurement = measure(paths, config, settings, rejects=sink, progress=bar)
        except SegmenterError as exc:  # CI shows the failure where users look
            if out_format == "github":
                with atomic_output(output) as fh:
                    fh.write(github_error(exc, Path.cwd()))
            elif out_format == "junit":
                with atomic_output(output) as fh:
                    fh.write(junit_error(exc, time.perf_counter() - started))
            raise
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
