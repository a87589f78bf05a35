"""The ``segmenter`` command line. Thin: it builds a :class:`Config`, calls the library, writes
records, and is the only place that turns :class:`SegmenterError` into click errors.

Exit codes: 0 ok, 1 data error (or a failed check), 2 usage or configuration error.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from . import __version__
from .config import Config, load_config_file, replace_checked
from .errors import SegmenterError

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --------------------------------------------------------------------------- error mapping


class DataError(click.ClickException):
    exit_code = 1


class ConfigUsageError(click.ClickException):
    exit_code = 2


@contextlib.contextmanager
def _library_errors() -> Iterator[None]:
    """Turn library errors into click errors and print library warnings as ``warning: ...``."""

    def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
        click.echo(f"warning: {message}", err=True)

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds like Ctrl-C: temporary outputs are removed

    previous = None
    with contextlib.suppress(ValueError):  # not in the main thread
        previous = signal.signal(signal.SIGTERM, terminate)
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
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- shared options


def input_options(func: F) -> F:
    """INPUT arguments and the reader's options."""
    options = [
        click.argument("inputs", metavar="INPUT...", nargs=-1, required=True),
        click.option(
            "--format", "fmt", type=click.Choice(["auto", "txt", "jsonl"]), default=None,
            help="Input format; auto tells it from the file name (.txt, .jsonl, +.gz/.zst) "
            "and, on stdin, from the first byte.  [default: auto]",
        ),
        click.option("--id-field", default=None, help="JSONL field holding the id.  [default: id]"),
        click.option(
            "--text-field", default=None, help="JSONL field holding the text.  [default: text]"
        ),
        click.option(
            "--glob", default=None, help="Files to read inside directories.  [default: *]"
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


def build_config(opts: dict[str, Any]) -> Config:
    """Config file (segmenter.toml / [tool.segmenter]) overridden by the options given."""
    data, source = load_config_file()
    config = Config.from_mapping(data, source or "<config>")
    read = replace_checked(config.read, _given(
        format=opts.get("fmt"), id_field=opts.get("id_field"), text_field=opts.get("text_field"),
        glob=opts.get("glob"), encoding_errors=opts.get("encoding_errors"),
        on_error=opts.get("on_error"),
    ))
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


@contextlib.contextmanager
def _reject_sink(path: str | None) -> Iterator[Any]:
    from .io import reject_sink

    with reject_sink(path) as sink:
        yield sink


def _summary(command: str, parts: list[str]) -> None:
    click.echo(f"segmenter {command}: " + ", ".join(parts), err=True)


# --------------------------------------------------------------------------- commands


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, prog_name="segmenter")
def main() -> None:
    """Clean, split and deduplicate scraped news dumps.

    \b
    segmenter clean  INPUT...          repair text with ftfy (conservatively)
    segmenter split  INPUT...          split pages into stories (articles, teasers)
    segmenter dedup  INPUT...          find near-duplicate stories with MinHash LSH
    segmenter run    INPUT... -o DIR   the whole pipeline: clean, split, dedup

    INPUT is a .txt file (one document), a .jsonl file (one document per line), either
    optionally .gz or .zst, a directory (read recursively) or '-' for stdin.
    """


@main.command(context_settings=CONTEXT)
@input_options
@clean_options
@output_option
def clean(inputs: tuple[str, ...], output: str, rejects: str | None, **opts: Any) -> None:
    """Repair mojibake, HTML entities, control characters and line breaks with ftfy.

    Writes one JSONL record per document: the input's other fields, then id, text (cleaned)
    and clean_steps (the ftfy steps applied; empty when the text needed no repair).
    """
    from .clean import clean_documents
    from .io import ReadStats, atomic_output, read_documents, write_jsonl
    from .records import clean_record

    with _library_errors():
        config = build_config(opts)
        stats = ReadStats()
        repaired = 0
        with _reject_sink(rejects) as sink, atomic_output(output) as out:
            docs = read_documents(inputs, config.read, rejects=sink, stats=stats)
            for doc, report in clean_documents(docs, config.clean):
                repaired += report.changed
                write_jsonl(out, [clean_record(doc, report)])
    _summary("clean", [f"{stats.documents} documents", f"{repaired} repaired",
                       f"{stats.rejected} rejected"]
             + ([f"{stats.decode_replacements} invalid bytes replaced"]
                if stats.decode_replacements else []))


@main.command(context_settings=CONTEXT)
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
    from .clean import clean as clean_doc
    from .io import ReadStats, atomic_output, read_documents, write_jsonl
    from .records import story_record
    from .split import split as split_text

    with _library_errors():
        config = build_config(opts)
        stats = ReadStats()
        counts = {"article": 0, "teaser": 0}
        with _reject_sink(rejects) as sink, atomic_output(output) as out:
            for doc in read_documents(inputs, config.read, rejects=sink, stats=stats):
                if not no_clean:
                    doc, _ = clean_doc(doc, config.clean)
                for story in split_text(doc.text, config.split):
                    counts[story.kind] = counts.get(story.kind, 0) + 1
                    write_jsonl(out, [story_record(doc, story, explain=explain)])
    _summary("split", [f"{stats.documents} documents", f"{counts['article']} articles",
                       f"{counts['teaser']} teasers", f"{stats.rejected} rejected"])


from . import cli_check  # noqa: E402, F401, I001  (registers `check` and `report` on `main`)
from . import cli_dedup  # noqa: E402, F401  (registers `dedup` and `run` on `main`)
from . import cli_index  # noqa: E402, F401


if __name__ == "__main__":  # pragma: no cover
    main()
