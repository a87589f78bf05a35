"""``segmenter dedup`` and ``segmenter run``: commands that need the deduplicator."""

from __future__ import annotations

from typing import Any

import click

from .cli import (
    CONTEXT,
    F,
    _library_errors,
    _reject_sink,
    _summary,
    build_config,
    clean_options,
    input_options,
    main,
    output_option,
)
from .config import Config, DedupConfig, replace_checked
from .errors import ConfigError

_D = DedupConfig()


def dedup_options(func: F) -> F:
    options = [
        click.option("--no-split", is_flag=True,
                     help="Compare whole documents instead of their stories."),
        click.option("--no-clean", is_flag=True, help="Do not repair the text first."),
        click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), default=None,
                     help=f"Jaccard similarity for a near duplicate.  [default: {_D.threshold}]"),
        click.option("--containment", type=click.FloatRange(0.0, 1.0, min_open=True),
                     default=None, help="Share of a shorter copy's shingles found in a longer "
                     "one for it to be 'contained' (teasers, abridged copies).  "
                     f"[default: {_D.containment}]"),
        click.option("--num-perm", type=click.IntRange(16, 1024), default=None,
                     help=f"MinHash permutations.  [default: {_D.num_perm}]"),
        click.option("--shingle", default=None, metavar="word:N|char:N",
                     help="Shingles: word n-grams, or character n-grams (used automatically "
                     f"for text without spaces).  [default: {_D.shingle}]"),
        click.option("--keep", type=click.Choice(["complete", "longest", "first"]), default=None,
                     help="Which copy a cluster keeps: the most complete (an article over its "
                     "teasers, then the longest, then the first seen), the longest, or the "
                     f"first seen.  [default: {_D.keep}]"),
        click.option("--explain", is_flag=True, help="Add the evidence behind each decision."),
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
                     show_default=True,
                     help="Run here, or on a Ray cluster (pip install 'segmenter[ray]'); "
                     "both give the same clusters and keepers."),
        click.option("--address", default=None, metavar="auto|ray://HOST:PORT",
                     help="The Ray cluster for --engine ray: 'auto' joins this machine's "
                     "cluster, ray://HOST:PORT connects through Ray Client; default: start a "
                     "local Ray runtime."),
        click.option("--index", "index", default=None, metavar="PATH|redis://HOST:PORT/DB",
                     help="A persistent index: an SQLite file PATH or a Redis URL. The run is "
                     "compared with every unit earlier runs indexed and adds its new units. A "
                     "unit already indexed (same id and text) is not added again and is "
                     "compared only with units indexed before it, so re-running the same "
                     "input gives the same verdicts and adds nothing; a text indexed under "
                     "another id is an exact duplicate of it. See `segmenter index`."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _engine(opts: dict[str, Any]) -> bool:
    """True for --engine ray; usage errors for options that do not go with the engine."""
    ray = opts.get("engine") == "ray"
    if opts.get("address") and not ray:
        raise ConfigError("--address needs --engine ray")
    if ray and opts.get("index"):
        raise ConfigError("--index works with the local engine only; drop --engine ray, or "
                          "dedup on Ray without a persistent index")
    return ray


def _config(opts: dict[str, Any]) -> Config:
    config = build_config(opts)
    changes = {k: opts[k] for k in ("threshold", "containment", "num_perm", "shingle", "keep")
               if opts.get(k) is not None}
    if opts.get("explain"):
        changes["explain"] = True
    if not changes:
        return config
    return Config(config.read, config.clean, config.split,
                  replace_checked(config.dedup, changes, "dedup options"))


@main.command(context_settings=CONTEXT)
@input_options
@clean_options
@output_option
@dedup_options
def dedup(inputs: tuple[str, ...], output: str, rejects: str | None, no_split: bool,
          no_clean: bool, **opts: Any) -> None:
    """Find near-duplicate stories (or documents) across every input with MinHash LSH.

    Writes one JSONL record per unit: id (the document id, or docid#story when split),
    cluster, duplicate_of (the copy it duplicates; null for a keeper), relation
    (exact | near | contained) and similarity.
    """
    from .io import atomic_output, write_jsonl
    from .pipeline import RunStats, dedup_records

    explain = bool(opts.get("explain"))
    with _library_errors():
        config = _config(opts)
        stats = RunStats()
        produce: Any = dedup_records
        extra: dict[str, Any] = {"index": opts.get("index")}
        if _engine(opts):
            from .engines.ray import ray_dedup_records

            produce, extra = ray_dedup_records, {"address": opts.get("address")}
        with _reject_sink(rejects) as sink, atomic_output(output) as out:
            write_jsonl(out, produce(inputs, config, clean=not no_clean, split=not no_split,
                                     explain=explain, stats=stats, rejects=sink, **extra))
    dups = stats.duplicates
    _summary("dedup", [f"{stats.read.documents} documents", f"{stats.units} units",
                       f"{sum(dups.values())} duplicates ({dups['exact']} exact, "
                       f"{dups['near']} near, {dups['contained']} contained)",
                       f"{stats.clusters} clusters", f"{stats.read.rejected} rejected"])


@main.command(context_settings=CONTEXT)
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
    from .pipeline import run as run_pipeline
    from .pipeline import terminal_progress

    explain = bool(opts.get("explain"))
    with _library_errors():
        config = _config(opts)
        produce: Any = run_pipeline
        extra: dict[str, Any] = {"index": opts.get("index")}
        if _engine(opts):
            from .engines.ray import ray_run

            produce, extra = ray_run, {"address": opts.get("address")}
        with _reject_sink(rejects) as sink:
            report = produce(inputs, out_dir, config, clean=not no_clean, split=not no_split,
                             explain=explain, rejects=sink, progress=terminal_progress(),
                             **extra)
        if report_path:
            from .report import write_report

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
