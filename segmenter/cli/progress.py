"""The progress bar every long command shows on stderr when it is a terminal (and never
otherwise): bytes read of the inputs' total when it is known (local files), documents, the rate
and the time left; cleared before the command prints its summary."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from ..config import ReadConfig
from ..errors import SegmenterError

__all__ = ["ProgressBar", "input_bytes", "progress_bar"]

_CLEAR = "\r\x1b[K"  # back to the start of the line, erase it


def input_bytes(inputs: Iterable[str], config: ReadConfig) -> int | None:
    """The size of every input file, or None when it cannot be known (stdin, URLs)."""
    from ..io import list_inputs

    try:
        files = list_inputs(list(inputs), config)
    except SegmenterError:
        return None  # reading reports it
    if any(f.remote or f.path == "-" for f in files):
        return None
    try:
        return sum(os.path.getsize(f.path) for f in files)
    except OSError:
        return None


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover - the loop returns at GB


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    """A one-line bar redrawn at most every ``every`` seconds. ``position`` says how much of
    ``total`` is done (bytes read by default); ``noun`` is what :meth:`update` counts. Drawn
    only when ``stream`` is a terminal; :meth:`close` erases it."""

    def __init__(self, command: str, total: int | None, *, noun: str = "docs",
                 position: Callable[[], int] | None = None, stream: IO[str] | None = None,
                 every: float = 0.2) -> None:
        from ..io.streams import POSITION

        self.command = command
        self.total = total or None
        self.noun = noun
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        start = POSITION.bytes_read()
        self.position = position or (lambda: POSITION.bytes_read() - start)
        self.bytes = position is None
        self.started = time.monotonic()
        self.last = 0.0
        self.drawn = False
        self.count = 0

    def __call__(self, counters: Any) -> None:
        """The progress callback of the pipeline (called with its counters per document)."""
        self.update(counters.read.documents)

    def update(self, count: int) -> None:
        """Record ``count`` items done; redraw when the bar is shown and due."""
        self.count = count
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        self.draw(now)

    def line(self, now: float) -> str:
        """The bar's text at time ``now``: amount, share, rate and ETA."""
        elapsed = max(now - self.started, 1e-6)
        rate = f"{self.count / elapsed:,.0f} {self.noun}/s"
        done = self.position()
        amount = _size(done) if self.bytes else f"{done:,}"
        parts = [f"segmenter {self.command}"]
        if self.total:
            fraction = min(done / self.total, 1.0)
            width = 24
            filled = int(fraction * width)
            total = _size(self.total) if self.bytes else f"{self.total:,}"
            parts += ["[" + "#" * filled + "-" * (width - filled) + "]", f"{fraction:4.0%}",
                      f"{amount}/{total}"]
            if self.bytes:
                parts.append(f"{self.count:,} {self.noun}")
            parts.append(rate)
            if fraction > 0:
                parts.append("ETA " + _clock(elapsed * (1 - fraction) / fraction))
        else:
            parts += [f"{self.count:,} {self.noun}", rate] + ([f"{amount} read"]
                                                               if self.bytes else [])
        return "  ".join(parts)

    def columns(self) -> int:
        """The terminal's width."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            columns = 0
        return columns or shutil.get_terminal_size((100, 24)).columns

    def draw(self, now: float) -> None:
        """Write the bar over the current terminal line."""
        self.stream.write(_CLEAR + self.line(now)[: max(self.columns() - 1, 10)])
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        """Erase the bar, so that the summary starts on a clean line."""
        if self.drawn:
            self.stream.write(_CLEAR)
            self.stream.flush()
            self.drawn = False


@contextlib.contextmanager
def progress_bar(command: str, inputs: Iterable[str] | None = None,
                 config: ReadConfig | None = None, **kwargs: Any) -> Iterator[ProgressBar]:
    """A :class:`ProgressBar` for reading ``inputs`` (its total: their size), erased on exit,
    however the command ends. The total is only worked out when stderr is a terminal."""
    total = kwargs.pop("total", None)
    if total is None and inputs is not None and sys.stderr.isatty():
        total = input_bytes(inputs, config or ReadConfig())
    bar = ProgressBar(command, total, **kwargs)
    try:
        yield bar
    finally:
        bar.close()
