"""The local engine: this machine reads, maps the stage and feeds the streaming
:class:`~segmenter.dedup.Deduplicator`; with ``jobs > 1`` the stage and signing run in worker
processes (:mod:`.pool`, :mod:`.stagework`)."""

from __future__ import annotations

import contextlib
import gc
import shutil
import tempfile
import time
import warnings
from collections.abc import Generator, Iterable, Iterator
from typing import IO

import numpy as np

from ..dedup import Deduplicator
from ..index import Index, PersistentIndex
from ..io import RawLines, read_items
from ..io.release import Freer, ReadOnce
from ..model import Document
from ..records import dumps
from ..stage import IdRenamer, read_renamed, timed_reads
from . import Assigned, Job
from .pool import OrderedPool, document_batches, map_documents, resolve_jobs
from .stagework import Spooled, StageBatch, StageTask, batch_documents, close_spool

__all__ = ["LocalEngine"]

_ID_PREFIX = b'{"id":'


class LocalEngine:
    """Dedup on this machine. ``index``: an :class:`~segmenter.index.Index`, an index URL (an
    SQLite path or ``redis://``: a persistent index earlier runs filled), or None (in memory).
    ``jobs``: the processes that clean, split, shingle and sign (0: every core this process
    may use; 1: this process alone). Reading, renaming, LSH lookups, verification and
    clustering stay in this process, so the output does not depend on ``jobs``.

    Assignments are known when every unit has been seen, so with ``job.records`` the records
    wait meanwhile in spool files (in a folder made in ``job.spool``), which each process that
    makes records appends to: memory holds the deduplicator's compact state, not the texts,
    and the records never pass through this process before they are written."""

    def __init__(self, index: Index | str | None = None, jobs: int = 1) -> None:
        self.index = index
        self.jobs = resolve_jobs(jobs)

    def assign(self, job: Job) -> Iterator[Assigned]:
        """Each unit's assignment (and record), in input order, computed here."""
        with _fewer_collections():
            yield from self._assign(job)

    def _assign(self, job: Job) -> Iterator[Assigned]:
        counters = job.counters
        seconds = counters.seconds
        run_id = job.run_id
        if run_id is None and self.index is not None and self.index != "memory":
            from ..run_id import derive_run_id

            run_id = derive_run_id(job.inputs, job.config, clean=job.clean, split=job.split)
        dedup = Deduplicator(job.config.dedup, index=self.index, run_id=run_id)
        if isinstance(dedup.index, PersistentIndex):
            counters.index, counters.run_id = dedup.index.url, dedup.run_id
        folder = tempfile.mkdtemp(prefix=".spool-", dir=job.spool) if job.records else None
        task = StageTask(job.config, job.clean, job.split, job.explain, job.records,
                         observe=job.observe is not None, signing=dedup.signing, spool=folder)
        spooled: list[Spooled] = []
        try:
            if self.jobs > 1:
                outs = self._in_workers(task, job)
            else:
                docs = read_renamed(job.inputs, job.config, counters, job.rejects)
                outs = map_documents(task, docs, 1)
            with contextlib.closing(outs) as batches:
                for out in batches:
                    counters.merge(out.counters)
                    if job.observe is not None:
                        for analysed in out.analysed:
                            job.observe(analysed)
                    t0 = time.perf_counter()
                    if out.records is not None:
                        spooled.append(out.records)
                    assert out.signed is not None
                    dedup.add_signed(out.units, out.signed)
                    seconds["dedup"] += time.perf_counter() - t0
                    if job.progress is not None:
                        job.progress(counters)
                    del out  # not held while the next batch is made
            t0 = time.perf_counter()
            results = dedup.finish()
            seconds["dedup"] += time.perf_counter() - t0
            counters.inserted += dedup.stats.inserted
            counters.rerun += dedup.stats.indexed
            if folder is None:
                for a in results:
                    yield a, None
                return
            close_spool(folder)  # (this process's records, if it made any)
            for a, (record, first) in zip(results, _spooled_records(spooled), strict=True):
                # the record as encoded where it was made: {"id":...,...}; not decoded again
                if first and not _starts_with_id(record, a.id):  # pragma: no cover
                    raise RuntimeError(f"unit order mismatch at {a.id!r}: "
                                       f"{bytes(record[:80])!r}")
                yield a, record
                del record  # (a long record is held once while it is written)
        finally:
            if folder is not None:
                close_spool(folder)
                shutil.rmtree(folder, ignore_errors=True)

    def _in_workers(self, task: StageTask, job: Job) -> Generator[StageBatch, None, None]:
        """The stage's batches from the workers, which also parse the JSON lines. Repeated ids
        are renamed in input order when the results come back; a batch that holds one is made
        again here, with the ids renamed as :func:`~segmenter.stage.read_renamed` does (so
        the output is the same as in one process)."""
        counters = job.counters
        renamer = IdRenamer()
        items = timed_reads(read_items(job.inputs, job.config.read, rejects=job.rejects,
                                       stats=counters.read), counters)
        with OrderedPool[list[Document | RawLines], StageBatch](task, self.jobs) as pool:
            for batch, out, caught in pool.map_batches(document_batches(items)):
                if renamer.renames_any(out.doc_ids):
                    yield task(self._renamed(batch, job, renamer))
                    continue
                for category, message in caught:
                    warnings.warn(message, category, stacklevel=2)
                for doc_id in out.doc_ids:
                    renamer.rename(doc_id, None, None)  # none is renamed: only recorded
                yield out

    @staticmethod
    def _renamed(batch: list[Document | RawLines], job: Job, renamer: IdRenamer
                 ) -> list[Document | RawLines]:
        counters = job.counters
        docs: list[Document | RawLines] = []
        for doc in batch_documents(batch, job.config, counters.read):
            new = renamer.rename(doc.id, doc.source, doc.line)
            if new is not None:
                doc = Document(new, doc.text, doc.source, doc.line, doc.meta)
                counters.renamed_ids += 1
            docs.append(doc)
        return docs


@contextlib.contextmanager
def _fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Python's cycle collector looks at the young objects when ``young`` of them were made
    (not 700): a run makes millions that live as long as it (the deduplicator's state, the
    assignments), and the collections that went through them again and again took 1.6 CPU s
    of the 27 the process that dedups spent on 200k documents (0.15 s with this; 200k
    --jobs 2 1.5-2 s faster, the same peak RSS). Garbage in cycles is still collected."""
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _starts_with_id(record: memoryview, unit_id: str) -> bool:
    prefix = _ID_PREFIX + dumps(unit_id).encode("utf-8")
    return record[: len(prefix)] == prefix


def _spooled_records(spooled: Iterable[Spooled]) -> Iterator[tuple[memoryview, bool]]:
    """The records of every batch in order, read back from the spool files: a batch's bytes
    at once, each record a view of them (not copied), and whether it is its batch's first
    (the one checked against its assignment's id). Each file's pages are freed, by a thread,
    as they are read (:mod:`segmenter.io.release`): the output written meanwhile takes them."""
    files: dict[str, tuple[IO[bytes], ReadOnce]] = {}
    freer = Freer()
    try:
        for part in spooled:
            if part.path not in files:
                spool: IO[bytes] = open(part.path, "r+b", buffering=0)  # noqa: SIM115
                files[part.path] = spool, ReadOnce(spool.fileno(), freer.free)
            spool, pages = files[part.path]
            ends = np.cumsum(part.lengths).tolist()
            size = ends[-1] if ends else 0
            data = _read_at(spool, size, part.offset)
            pages.read(part.offset, size)
            start = 0
            for end in ends:
                yield data[start:end], start == 0
                start = end
            del data
    finally:
        freer.close()  # (before the files it frees are closed)
        for spool, _ in files.values():
            spool.close()


def _read_at(file: IO[bytes], size: int, offset: int) -> memoryview:
    """``size`` bytes of ``file`` from ``offset``."""
    view = memoryview(bytearray(size))
    file.seek(offset)
    done = 0
    while done < size:
        n = file.readinto(view[done:])  # type: ignore[attr-defined]
        if not n:  # pragma: no cover - a spool file cut short
            raise RuntimeError(f"a spool file ended early, at {offset + done}")
        done += n
    return view
