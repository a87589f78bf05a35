"""The ``segmenter`` command line (entry point ``segmenter.cli:main``).

Thin: each command builds a :class:`~segmenter.config.Config`, calls the library and writes
records; :mod:`.options` holds what the commands share and is the only place that turns
:class:`~segmenter.errors.SegmenterError` into click errors. Each command lives in its own
module and is attached to the group here; no command module imports this one.

Exit codes: 0 ok, 1 data error (or a failed check), 2 usage or configuration error, 130
interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM).
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any

import click

from .. import __version__
from . import check, clean, dedup, index, report, run, split
from .options import CONTEXT

__all__ = ["main"]


class _Terminated(KeyboardInterrupt):
    """SIGTERM, unwound like Ctrl-C so that temporary outputs are removed."""


def _terminate(signum: int, frame: Any) -> None:
    raise _Terminated


class _Main(click.Group):
    """The group: SIGINT and SIGTERM end any command with 130 and 143 (128 + the signal, as
    shells report them), after its temporary files are removed, never click's "Aborted!" 1."""

    def invoke(self, ctx: click.Context) -> Any:
        previous = None
        with contextlib.suppress(ValueError):  # not in the main thread
            previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            signum = signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT
            click.echo(f"\nsegmenter: {signal.Signals(signum).name}: stopped; no output was "
                       "replaced", err=True)
            raise click.exceptions.Exit(128 + signum) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


@click.group(cls=_Main, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="segmenter")
def main() -> None:
    """Clean, split and deduplicate scraped news dumps.

    \b
    segmenter clean  INPUT...           repair text with ftfy (conservatively)
    segmenter split  INPUT...           split pages into stories (articles, teasers)
    segmenter dedup  INPUT...           find near-duplicate stories with MinHash LSH
    segmenter run    INPUT... -o DIR    the whole pipeline: clean, split, dedup
    segmenter check  PATHS...           the corpus-quality gate for CI (exit 1 on failure)
    segmenter report RUN_DIR            the HTML report of a run folder
    segmenter index  stats|export|prune  inspect and prune a persistent dedup index

    INPUT is a .txt file (one document), a .jsonl file (one document per line), either
    optionally .gz or .zst, a directory (read recursively) or '-' for stdin.
    """


for _command in (clean.clean, split.split, dedup.dedup, run.run, check.check, report.report,
                 index.index):
    main.add_command(_command)
