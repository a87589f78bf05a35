"""What every command shares: option decorators, building the :class:`Config` from the config
file and the options, the mapping of library errors to exit codes, and the summary line.

Exit codes: 0 ok, 1 data error (or a failed check), 2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from ..config import Config, DedupConfig, load_config_file, replace_checked
from ..errors import ConfigError, SegmenterError
from ..io import SkippedFilesWarning

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --------------------------------------------------------------------------- error mapping


class DataError(click.ClickException):
    exit_code = 1


class ConfigUsageError(click.ClickException):
    exit_code = 2


@contextlib.contextmanager
def library_errors() -> Iterator[None]:
    """Turn library errors into click errors and print library warnings as ``warning: ...``."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        click.echo(f"warning: {message}", err=True)
        if isinstance(message, SkippedFilesWarning) and _param("verbose"):
            for path, why in message.skipped:
                click.echo(f"  skipped {path} ({why})", err=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = show
        try:
            yield
        except SegmenterError as exc:  # each error class carries its exit code (1 data, 2 usage)
            error = ConfigUsageError if exc.exit_code == 2 else DataError
            raise error(str(exc)) from exc
        except BrokenPipeError:  # `segmenter ... | head`
            sys.stderr.close()
            raise SystemExit(0) from None


# --------------------------------------------------------------------------- shared options


INPUT_FORMAT = click.Choice(["auto", "txt", "jsonl", "parquet"])
INPUT_FORMAT_HELP = (
    "Input format; auto tells it from the file name (.txt; .jsonl/.ndjson/.json holding JSON "
    "Lines or a JSON array of records; either +.gz/.zst; .parquet) and, on stdin, from the "
    "first bytes. A named file of another name needs --format.  [default: auto]"
)


def input_options(func: F) -> F:
    """INPUT arguments and the reader's options."""
    options = [
        click.argument("inputs", metavar="INPUT...", nargs=-1, required=True),
        click.option(
            "--format", "fmt", type=INPUT_FORMAT, default=None, help=INPUT_FORMAT_HELP,
        ),
        click.option("--id-field", default=None, help="JSONL field (Parquet column) holding "
                     "the id; a dotted name reads a nested field.  [default: id]"),
        click.option(
            "--text-field", default=None, help="JSONL field (Parquet column) holding the text; "
            "a dotted name such as article.body reads a nested field.  [default: text]"
        ),
        click.option(
            "--id-from", type=click.Choice(["name", "path"]), default=None,
            help="Id of a .txt document: its file name, or its path relative to the folder "
            "given (a named file: its path as given); known extensions are dropped "
            "(www.bbc.co.uk.txt.gz -> www.bbc.co.uk).  [default: name]",
        ),
        click.option(
            "--glob", default=None, help="Files to read inside directories.  [default: *]"
        ),
        click.option(
            "-v", "--verbose", is_flag=True, default=False,
            help="List the files skipped inside directories (unknown format, or written by "
            "this command).",
        ),
        click.option(
            "--encoding-errors", type=click.Choice(["strict", "replace"]), default=None,
            help="Invalid UTF-8: fail, or replace with U+FFFD (counted and warned with "
            "file:line).  [default: replace]",
        ),
        click.option(
            "--on-error", type=click.Choice(["fail", "skip"]), default=None,
            help="Bad record (malformed JSON, missing or non-string text, empty or binary "
            "file): stop with exit 1, or skip it (see --rejects).  [default: fail]",
        ),
        click.option(
            "--rejects", type=click.Path(dir_okay=False, writable=True), default=None,
            help="Write skipped records here (JSONL, with file, line and reason).",
        ),
        click.option(
            "-j", "--jobs", type=click.IntRange(0), default=None, metavar="N",
            help="Worker processes that clean, split and sign; reading, dedup and writing "
            "stay in this one and the output is the same for every N. 0: every core this "
            "process may use.  [default: 0, or jobs in [read] of segmenter.toml]",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def clean_options(func: F) -> F:
    """Options that change ftfy's conservative defaults."""
    options = [
        click.option("--uncurl-quotes", is_flag=True, default=None,
                     help="Replace curly quotes with straight ones."),
        click.option("--fix-width", "fix_character_width", is_flag=True, default=None,
                     help="Fold full-width characters (changes CJK punctuation)."),
        click.option("--fix-ligatures", "fix_latin_ligatures", is_flag=True, default=None,
                     help="Expand Latin ligatures such as 'ﬁ'."),
        click.option("--normalization", type=click.Choice(["NFC", "NFKC", "none"]),
                     default=None, help="Unicode normal form.  [default: NFC]"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def output_option(func: F) -> F:
    return click.option(
        "-o", "--output", default="-", show_default=True,
        help="Output JSONL file (.gz/.zst compress), written atomically; '-' is stdout.",
    )(func)


def _given(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _param(name: str) -> Any:
    """A parameter of the running command (None outside a command)."""
    ctx = click.get_current_context(silent=True)
    return ctx.params.get(name) if ctx is not None else None


WRITTEN = ("output", "out_dir", "rejects", "report_path", "index", "baseline")
"""The parameters naming what a command writes: never read as its input."""


def _written() -> tuple[str, ...]:
    values = (_param(name) for name in WRITTEN)
    return tuple(str(v) for v in values if isinstance(v, str) and v != "-")


def _jobs(opts: dict[str, Any], data: dict[str, Any]) -> int | None:
    """``--jobs``, else ``jobs`` of the config file, else 0: a command uses every core (the
    library's default is one process)."""
    if opts.get("jobs") is not None:
        return int(opts["jobs"])
    read = data.get("read")
    return None if isinstance(read, dict) and "jobs" in read else 0


def build_config(opts: dict[str, Any]) -> Config:
    """Config file (segmenter.toml / [tool.segmenter]) overridden by the options given; the
    files the command writes (-o, --rejects, --report, --index, --baseline) are excluded from
    its inputs (``segmenter run . -o out`` twice does not read ``out/`` the second time)."""
    data, source = load_config_file()
    config = Config.from_mapping(data, source or "<config>")
    read = replace_checked(config.read, _given(
        format=opts.get("fmt"), id_field=opts.get("id_field"), text_field=opts.get("text_field"),
        glob=opts.get("glob"), encoding_errors=opts.get("encoding_errors"),
        on_error=opts.get("on_error"), id_from=opts.get("id_from"), jobs=_jobs(opts, data),
    ))
    if _written():
        read = replace_checked(read, {"exclude": read.exclude + _written()})
    clean_changes = _given(
        uncurl_quotes=opts.get("uncurl_quotes"),
        fix_character_width=opts.get("fix_character_width"),
        fix_latin_ligatures=opts.get("fix_latin_ligatures"),
        normalization=opts.get("normalization"),
    )
    if clean_changes.get("normalization") == "none":
        clean_changes["normalization"] = None  # --normalization none: no normal form
    clean = replace_checked(config.clean, clean_changes)
    return Config(read=read, clean=clean, split=config.split, dedup=config.dedup)


def seen_summary(index: dict[str, Any] | None) -> str:
    """What the summary line says about earlier runs (empty without a persistent index)."""
    if not index:
        return ""
    return (f"; index: {index['new']} new, {index['seen']} seen, "
            f"{index['duplicates_of_earlier_runs']} duplicates of earlier runs "
            f"(run id {index['run_id']})")


def summary(command: str, parts: list[str]) -> None:
    """The one line a command prints on stderr when it is done."""
    click.echo(f"segmenter {command}: " + ", ".join(parts), err=True)


_D = DedupConfig()


def similarity_options(func: F) -> F:
    """When two stories are duplicates: ``dedup``, ``run`` and ``check`` take the same."""
    options = [
        click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), default=None,
                     help=f"Jaccard similarity for a near duplicate.  [default: {_D.threshold}]"),
        click.option("--containment", type=click.FloatRange(0.0, 1.0, min_open=True),
                     default=None, help="Share of a shorter copy's shingles found in a longer "
                     "one for it to be 'contained' (teasers, abridged copies).  "
                     f"[default: {_D.containment}]"),
        click.option("--copy-share", "copy_share",
                     type=click.FloatRange(0.0, 1.0, min_open=True), default=None,
                     help="Share of a shorter unit's story text that a block shared with a "
                     "longer one must cover for it to be 'contained' (an own lede over wire "
                     f"copy, a quoted middle).  [default: {_D.copy_share}]"),
        click.option("--shingle", default=None, metavar="word:N|char:N",
                     help="Shingles: word n-grams, or character n-grams (used automatically "
                     f"for text without spaces).  [default: {_D.shingle}]"),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def dedup_options(func: F) -> F:
    """The options of the commands that dedup (``dedup`` and ``run``)."""
    options = [
        click.option("--no-split", is_flag=True,
                     help="Compare whole documents instead of their stories."),
        click.option("--no-clean", is_flag=True, help="Do not repair the text first."),
        click.option("--num-perm", type=click.IntRange(16, 1024), default=None,
                     help=f"MinHash permutations.  [default: {_D.num_perm}]"),
        click.option("--keep", type=click.Choice(["complete", "longest", "first"]), default=None,
                     help="Which copy a cluster keeps: the most complete (an article over its "
                     "teasers, then the longest, then the first seen), the longest, or the "
                     f"first seen.  [default: {_D.keep}]"),
        click.option("--explain", is_flag=True, help="Add the evidence behind each decision."),
        click.option("--no-block", "no_block", is_flag=True,
                     help="Containment of prefix copies only (no block containment)."),
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
                     "unit an earlier run indexed (same id and text) is 'seen' and left out "
                     "of unique.jsonl; a text indexed under another id is an exact duplicate "
                     "of it. Running the same job again (same --run-id) gives its first "
                     "verdicts and adds nothing. See `segmenter index`."),
        click.option("--run-id", "run_id", default=None, metavar="ID",
                     help="This job's identity in the --index: a run with the same id is the "
                     "same job again (its own units are not 'seen'), e.g. after a crash. "
                     "[default: a digest of the input files' paths, sizes and modification "
                     "times and the settings; a new id for stdin]"),
    ]
    for option in reversed(options):
        func = option(func)
    return similarity_options(func)


def engine_for(opts: dict[str, Any], config: Config | None = None) -> Any:
    """The engine the options choose (``--engine``, ``--address``, ``--index``); usage errors
    for options that do not go with it."""
    ray = opts.get("engine") == "ray"
    if opts.get("address") and not ray:
        raise ConfigError("--address needs --engine ray")
    if opts.get("run_id") and not opts.get("index"):
        raise ConfigError("--run-id names a job in a persistent index: it needs --index")
    if ray and opts.get("index"):
        raise ConfigError("--index works with the local engine only; drop --engine ray, or "
                          "dedup on Ray without a persistent index")
    if ray:
        from ..engines.ray import RayEngine

        return RayEngine(opts.get("address"))
    from ..engines.local import LocalEngine

    return LocalEngine(opts.get("index"), jobs=config.read.jobs if config is not None else 1)


def start_workers_early(inputs: tuple[str, ...], opts: dict[str, Any], config: Config, *,
                        clean: bool, split: bool) -> None:
    """With the local engine, ``--jobs`` over 1 and more than a batch or two of input, start
    the workers' fork server now: it imports numpy, ftfy and the splitter while this process
    imports the pipeline and reads the first batches."""
    if opts.get("engine") == "ray":
        return
    from ..engines.pool import BATCH_CHARS, resolve_jobs, start_fork_server

    if resolve_jobs(config.read.jobs) < 2 or _input_bytes(inputs) < 2 * BATCH_CHARS:
        return
    from ..engines.stagework import worker_modules

    start_fork_server(worker_modules(clean=clean, split=split, sign=True))


def _input_bytes(inputs: tuple[str, ...]) -> float:
    """The inputs' size on disk (infinite for stdin or a folder: unknown, maybe large)."""
    import os

    total = 0.0
    for path in inputs:
        try:
            total += os.stat(path).st_size if os.path.isfile(path) else float("inf")
        except OSError:  # reported where the input is read
            continue
    return total


def dedup_config(opts: dict[str, Any]) -> Config:
    """:func:`build_config` with the dedup options given."""
    config = build_config(opts)
    changes = {k: opts[k] for k in ("threshold", "containment", "num_perm", "shingle", "keep",
                                    "copy_share") if opts.get(k) is not None}
    if opts.get("explain"):
        changes["explain"] = True
    if opts.get("no_block"):
        changes["block"] = False
    if not changes:
        return config
    return Config(config.read, config.clean, config.split,
                  replace_checked(config.dedup, changes, "dedup options"))
