"""The local engine: this machine reads, maps the stage and feeds the streaming
:class:`~segmenter.dedup.Deduplicator`; with ``jobs > 1`` the stage and signing run in worker
processes (:mod:`.pool`, :mod:`.stagework`)."""

from __future__ import annotations

import contextlib
import tempfile
import time
import warnings
from collections.abc import Generator, Iterator
from typing import IO

from ..dedup import Deduplicator
from ..index import Index, PersistentIndex
from ..io import RawLine, raw_document, read_items
from ..model import Document
from ..stage import IdRenamer, read_renamed, timed_reads
from . import Assigned, Job
from . import pool as pool_module
from .pool import OrderedPool, batched, map_documents, resolve_jobs
from .stagework import StageBatch, StageTask, dumps

__all__ = ["LocalEngine"]

_ID_PREFIX = '{"id":'


class LocalEngine:
    """Dedup on this machine. ``index``: an :class:`~segmenter.index.Index`, an index URL (an
    SQLite path or ``redis://``: a persistent index earlier runs filled), or None (in memory).
    ``jobs``: the processes that clean, split, shingle and sign (0: every core this process
    may use; 1: this process alone). Reading, renaming, LSH lookups, verification and
    clustering stay in this process, so the output does not depend on ``jobs``.

    Assignments are known when every unit has been seen, so with ``job.records`` the records
    wait in a spool file (in ``job.spool``) meanwhile: memory holds the deduplicator's compact
    state, not the texts."""

    def __init__(self, index: Index | str | None = None, jobs: int = 1) -> None:
        self.index = index
        self.jobs = resolve_jobs(jobs)

    def assign(self, job: Job) -> Iterator[Assigned]:
        """Each unit's assignment (and record), in input order, computed here."""
        counters = job.counters
        seconds = counters.seconds
        run_id = job.run_id
        if run_id is None and self.index is not None and self.index != "memory":
            from ..run_id import derive_run_id

            run_id = derive_run_id(job.inputs, job.config, clean=job.clean, split=job.split)
        dedup = Deduplicator(job.config.dedup, index=self.index, run_id=run_id)
        if isinstance(dedup.index, PersistentIndex):
            counters.index, counters.run_id = dedup.index.url, dedup.run_id
        task = StageTask(job.config, job.clean, job.split, job.explain, job.records,
                         observe=job.observe is not None, signing=dedup.signing)
        spool: IO[str] | None = None
        if job.records:
            spool = tempfile.TemporaryFile("w+", encoding="utf-8", dir=job.spool)
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
                    if spool is not None and out.records:
                        spool.write("\n".join(out.records))
                        spool.write("\n")
                        out.records.clear()  # spooled: not held while the batch is deduped
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
            if spool is None:
                for a in results:
                    yield a, None
                return
            spool.seek(0)
            for line, a in zip(spool, results, strict=True):
                # the record as encoded in the worker: {"id":...,...}; not decoded again
                if not line.startswith(_ID_PREFIX + dumps(a.id)):  # pragma: no cover
                    raise RuntimeError(f"unit order mismatch at {a.id!r}: {line[:80]!r}")
                record = line.rstrip("\n")
                del line  # (a long record is held once while it is written)
                yield a, record
                del record
        finally:
            if spool is not None:
                spool.close()

    def _in_workers(self, task: StageTask, job: Job) -> Generator[StageBatch, None, None]:
        """The stage's batches from the workers, which also parse the JSON lines. Repeated ids
        are renamed in input order when the results come back; a batch that holds one is made
        again here, with the ids renamed as :func:`~segmenter.stage.read_renamed` does (so
        the output is the same as in one process)."""
        counters = job.counters
        renamer = IdRenamer()
        items = timed_reads(read_items(job.inputs, job.config.read, rejects=job.rejects,
                                       stats=counters.read), counters)
        with OrderedPool[list[Document | RawLine], StageBatch](task, self.jobs) as pool:
            for batch, out, caught in pool.map_batches(batched(
                    items, pool_module.item_size, max_items=pool_module.BATCH_DOCS,
                    max_size=pool_module.BATCH_CHARS)):
                if renamer.renames_any(out.doc_ids):
                    yield task(self._renamed(batch, job, renamer))
                    continue
                for category, message in caught:
                    warnings.warn(message, category, stacklevel=2)
                for doc_id in out.doc_ids:
                    renamer.rename(doc_id, None, None)  # none is renamed: only recorded
                yield out

    @staticmethod
    def _renamed(batch: list[Document | RawLine], job: Job, renamer: IdRenamer
                 ) -> list[Document | RawLine]:
        counters = job.counters
        docs: list[Document | RawLine] = []
        for item in batch:
            doc = raw_document(item, job.config.read, counters.read) \
                if isinstance(item, RawLine) else item
            if doc is None:
                continue
            new = renamer.rename(doc.id, doc.source, doc.line)
            if new is not None:
                doc = Document(new, doc.text, doc.source, doc.line, doc.meta)
                counters.renamed_ids += 1
            docs.append(doc)
        return docs
