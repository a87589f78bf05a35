"""Worker processes for ``--jobs N``: an ordered map over bounded batches.

:class:`OrderedPool` maps a picklable function over batches of items in ``jobs`` worker
processes and yields the results in the order of the batches, with at most ``window`` batches
in flight (submitted and not yet consumed), so memory stays bounded however long the input
is. With ``jobs=1``, or when there is only one batch, the function runs in this process and
no worker is started.

The workers start from a ``forkserver`` (``spawn`` where there is none), never by a plain
``fork`` of a process that may hold threads; they ignore SIGINT (Ctrl-C reaches the whole
process group: the parent decides) and are terminated when the parent stops, for whatever
reason. An exception raised in a worker is raised again in the parent, when its batch's turn
comes (so everything before it has been consumed, as with one process); warnings a worker
emits are emitted again in the parent, with their batch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.pool
import os
import signal
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic, TypeVar

from ..errors import SegmenterError
from ..io import RawLines
from ..io.readers import RAW_BYTES, RAW_LINES
from ..model import Document

__all__ = ["BATCH_CHARS", "BATCH_DOCS", "OrderedPool", "WorkerDied", "available_cores",
           "batched", "document_batches", "item_count", "item_size", "map_documents",
           "resolve_jobs", "start_fork_server"]

T = TypeVar("T")
R = TypeVar("R")

_PRELOAD = ["segmenter.engines.stagework"]
"""Imported once by the fork server, with the modules the mapped function names in its
``preload`` attribute (numpy, ftfy, the splitter: what the work needs), so that no worker
imports them after it starts."""


BATCH_DOCS = RAW_LINES
"""Documents per batch sent to a worker (fewer when they add up to :data:`BATCH_CHARS`): as
many as the JSON lines the reader reads in one block (:class:`~segmenter.io.RawLines`), so that
a block fills a batch."""
BATCH_CHARS = RAW_BYTES
"""Characters per batch (bytes of JSON lines): with ``2 * jobs + 1`` batches in flight, a few MB
per worker."""


class WorkerDied(SegmenterError):
    """A ``--jobs`` worker process ended without a result (killed, out of memory)."""

    exit_code = 1


def available_cores() -> int:
    """The cores this process may use: ``os.process_cpu_count()`` (Python 3.13+), else the
    size of its CPU affinity mask, else ``os.cpu_count()``."""
    counter = getattr(os, "process_cpu_count", None)
    if counter is not None:
        n = counter()
    elif hasattr(os, "sched_getaffinity"):
        n = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - macOS, Windows
        n = os.cpu_count()
    return max(1, n or 1)


def resolve_jobs(jobs: int | None) -> int:
    """``jobs`` worker processes; 0 or None: :func:`available_cores`."""
    if not jobs:
        return available_cores()
    if jobs < 0:
        from ..errors import ConfigError

        raise ConfigError(f"jobs must be >= 0 (0: every core this process may use), got {jobs}")
    return jobs


def batched(items: Iterable[T], size: Callable[[T], int], *, max_items: int = 512,
            max_size: int = 1 << 20, count: Callable[[T], int] | None = None
            ) -> Iterator[list[T]]:
    """Consecutive batches of ``items``: at most ``max_items`` items (``count``: how many
    each one holds, default 1; an item that would take a batch past it starts the next one),
    and closed as soon as their ``size`` adds up to ``max_size`` (one large item is a batch
    of its own)."""
    batch: list[T] = []
    total = held = 0
    for item in items:
        n = 1 if count is None else count(item)
        if batch and held + n > max_items:
            yield batch
            batch, total, held = [], 0, 0
        batch.append(item)
        total += size(item)
        held += n
        if held >= max_items or total >= max_size:
            yield batch
            batch, total, held = [], 0, 0
    if batch:
        yield batch


def _init_worker(parent: Any, ready: Any) -> None:
    """Ctrl-C is the parent's to handle; SIGTERM (the parent's ``terminate``) ends a worker at
    once; so does the parent's death, even by SIGKILL: ``parent`` is the read end of a pipe
    only the parent writes to, whose end of file a thread waits for (a worker of a fork
    server would otherwise wait for tasks forever), and writing to the dead parent's pipe
    (SIGPIPE) ends a worker without a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    ready.send_bytes(b"1")


def _exit_with(parent: Any) -> None:
    with contextlib.suppress(EOFError, OSError):
        parent.recv_bytes()
    os._exit(1)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM received inside the block are handled when it ends (by the handlers
    in place before it). Outside the main thread, where handlers cannot be set, a no-op."""
    held: list[int] = []
    before: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        for name in (signal.SIGINT, signal.SIGTERM):
            before[name] = signal.signal(name, lambda signum, frame: held.append(signum))
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
        for number in dict.fromkeys(held):
            signal.raise_signal(number)


def _call(func: Callable[[Any], R], batch: Any) -> tuple[R, list[tuple[type[Warning], str]]]:
    """``func(batch)`` in a worker, with the warnings it emitted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(batch)
    return result, [(w.category, str(w.message)) for w in caught]


class _Pool(multiprocessing.pool.Pool):
    """:class:`multiprocessing.pool.Pool` whose worker-handler thread wakes when a worker ends
    or the pool changes (a task submitted, the cache emptied, closing, terminating: each puts
    to its change notifier), as :class:`multiprocessing.pool.ThreadPool`'s does, and not
    whenever a result waits in the result pipe: CPython's handler also waits on that pipe, so
    it spins for as long as the result thread takes to read a result (py-spy: 13% of the
    parent's samples on 200k documents at ``--jobs 2``)."""

    def _get_sentinels(self) -> list[Any]:
        notifier = getattr(self, "_change_notifier", None)
        if notifier is None:  # pragma: no cover - a Pool built otherwise: its own sentinels
            return list(super()._get_sentinels())  # type: ignore[misc]
        return [notifier._reader]


def start_fork_server(preload: Iterable[str] = ()) -> None:
    """Start the fork server now, importing :data:`_PRELOAD` and ``preload``: it imports on
    another core while this process goes on (importing, reading the first batches), so the
    first pool's workers start sooner. Nothing where it runs already or there is none."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        from multiprocessing import forkserver

        _context(_preload_names(preload))
        forkserver.ensure_running()


def _preload(func: Callable[..., Any]) -> list[str]:
    """What the fork server imports (once: it starts with the first pool of a process)."""
    return _preload_names(getattr(func, "preload", ()))


def _preload_names(preload: Iterable[str]) -> list[str]:
    names = [*_PRELOAD, *preload]
    script = getattr(sys.modules.get("__main__"), "__spec__", True) is None
    if script and "segmenter.cli" in sys.modules:  # the `segmenter` script: each worker runs
        names.append("segmenter.cli")  # the main script again (not a `python -m` main)
    return names


def _context(preload: list[str]) -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(preload)
        return ctx
    return multiprocessing.get_context("spawn")  # pragma: no cover - no fork server


class OrderedPool(Generic[T, R]):
    """``func`` over batches in ``jobs`` processes, results in order; a context manager (the
    workers end with it: closed after a clean exit, terminated after an exception or a
    signal). ``window``: batches in flight (default ``2 * jobs + 1``)."""

    def __init__(self, func: Callable[[T], R], jobs: int, window: int | None = None) -> None:
        self.func = func
        self.jobs = max(1, jobs)
        self.window = max(1, window or 2 * self.jobs + 1)
        self._pool: Any = None
        self._workers: list[Any] = []
        self._lifeline: Any = None
        self._started = 0
        self._in_flight: deque[tuple[T, Any]] = deque()

    def __enter__(self) -> OrderedPool[T, R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(failed=kind is not None)

    def _start(self) -> Any:
        """Start the workers (SIGINT and SIGTERM wait until the pool exists)."""
        if self._pool is not None:
            return self._pool
        ctx = _context(_preload(self.func))
        lifeline, ready = ctx.Pipe(duplex=False), ctx.Pipe(duplex=False)
        self._lifeline = (*lifeline, *ready)  # open while the pool may start a worker
        self._started = 0
        with _signals_held():
            self._pool = _Pool(self.jobs, initializer=_init_worker,
                               initargs=(lifeline[0], ready[1]), context=ctx)
            self._workers = list(getattr(self._pool, "_pool", ()))
        return self._pool

    def _wait_started(self, seconds: float = 10.0) -> None:
        """Wait (a while at most) until every worker has started: terminating one that is
        still starting makes it print a traceback."""
        if self._lifeline is None:
            return
        ready = self._lifeline[2]
        deadline = time.monotonic() + seconds
        with _signals_held():
            while self._started < self.jobs and ready.poll(max(0.0, deadline -
                                                               time.monotonic())):
                ready.recv_bytes()
                self._started += 1

    def close(self, failed: bool = True) -> None:
        """End the workers: wait for them after a clean exit, terminate them when ``failed``
        (``Pool.terminate`` also unblocks its feeding thread, so the process can exit)."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if failed:
            self._wait_started()
            self._drain()
            pool.terminate()
        else:
            pool.close()
        pool.join()
        for end in self._lifeline or ():
            end.close()
        self._lifeline = None

    def _drain(self, seconds: float = 30.0) -> None:
        """Wait (a while at most) for the batches in flight before the workers are terminated:
        a worker killed while it sends a result leaves the result pipe with half a message and
        its lock taken, and ``Pool.terminate`` then waits for ever (seen in CI: a run that lost
        its Redis index never exited). Not when a worker has died (its batch never comes)."""
        deadline = time.monotonic() + seconds
        with _signals_held():
            for _, waiting in self._in_flight:
                if any(w.exitcode is not None for w in self._workers):
                    break
                waiting.wait(max(0.0, deadline - time.monotonic()))
        self._in_flight.clear()

    def _result(self, pending: Any) -> Any:
        """A batch's result; :class:`WorkerDied` when a worker ended without one (a pool
        replaces a dead worker, but its batch would never come back)."""
        while True:
            try:
                return pending.get(timeout=0.5)
            except multiprocessing.TimeoutError:
                if any(w.exitcode is not None for w in self._workers):
                    raise WorkerDied("a worker process died (killed, or out of memory?); "
                                     "try fewer --jobs") from None

    def map(self, batches: Iterable[T]) -> Iterator[R]:
        """``func(batch)`` for every batch, in order. Batches are read from ``batches`` only as
        places in the window free up."""
        for _, result, caught in self.map_batches(batches):
            for category, message in caught:
                warnings.warn(message, category, stacklevel=2)
            yield result

    def map_batches(self, batches: Iterable[T]
                    ) -> Iterator[tuple[T, R, list[tuple[type[Warning], str]]]]:
        """:meth:`map`, each result with its batch and the warnings a worker emitted making it
        (not emitted again here; with no worker they were emitted as they came)."""
        source = iter(batches)
        first = next(source, None)
        second = next(source, None) if self.jobs > 1 else None
        if second is None:  # one process, or one batch: no workers to start
            if first is not None:
                yield first, self.func(first), []
            for batch in source:
                yield batch, self.func(batch), []
            return
        assert first is not None
        pool = self._start()
        pending: deque[tuple[T, Any]] = deque((b, pool.apply_async(_call, (self.func, b)))
                                              for b in (first, second))
        self._in_flight = pending  # what close() waits for after a failure
        exhausted = False
        while True:
            while not exhausted and len(pending) < self.window:
                more = next(source, None)
                if more is None:
                    exhausted = True
                    break
                pending.append((more, pool.apply_async(_call, (self.func, more))))
            if not pending:
                return
            batch, waiting = pending.popleft()
            result, caught = self._result(waiting)
            yield batch, result, caught


def map_documents(func: Callable[[list[Any]], R], docs: Iterable[Document | RawLines],
                  jobs: int | None) -> Generator[R, None, None]:
    """``func`` over consecutive batches of ``docs`` in ``jobs`` processes (0: every core), in
    order: what the commands that read documents map their per-document work with."""
    with OrderedPool[list[Document | RawLines], R](func, resolve_jobs(jobs)) as pool:
        yield from pool.map(document_batches(docs))


def document_batches(docs: Iterable[Document | RawLines]
                     ) -> Iterator[list[Document | RawLines]]:
    """``docs`` in the batches a worker gets: :data:`BATCH_DOCS` documents (or JSON lines)
    at most, closed when they reach :data:`BATCH_CHARS` characters (or bytes)."""
    return batched(docs, item_size, max_items=BATCH_DOCS, max_size=BATCH_CHARS,
                   count=item_count)


def item_size(item: Document | RawLines) -> int:
    """What a batch's size counts: a document's characters, JSON lines' bytes."""
    return len(item.text) if isinstance(item, Document) else len(item.data)


def item_count(item: Document | RawLines) -> int:
    """What a batch's document count counts: a document, or each of the JSON lines."""
    return 1 if isinstance(item, Document) else item.count
