"""The local engine: this process reads, maps the stage and feeds the streaming
:class:`~segmenter.dedup.Deduplicator`."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from typing import IO, Any

from ..dedup import Deduplicator
from ..index import Index, PersistentIndex
from ..records import unit_record
from ..stage import analyse
from . import Assigned, Job

__all__ = ["LocalEngine"]


class LocalEngine:
    """Dedup in this process. ``index``: an :class:`~segmenter.index.Index`, an index URL (an
    SQLite path or ``redis://``: a persistent index earlier runs filled), or None (in memory).

    Assignments are known when every unit has been seen, so with ``job.records`` the records
    wait in a spool file (in ``job.spool``) meanwhile: memory holds the deduplicator's compact
    state, not the texts."""

    def __init__(self, index: Index | str | None = None) -> None:
        self.index = index

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
        spool: IO[str] | None = None
        if job.records:
            spool = tempfile.TemporaryFile("w+", encoding="utf-8", dir=job.spool)
        try:
            for analysed in analyse(job.inputs, job.config, clean=job.clean, split=job.split,
                                    counters=counters, rejects=job.rejects,
                                    progress=job.progress):
                if job.observe is not None:
                    job.observe(analysed)
                t0 = time.perf_counter()
                if spool is not None:
                    steps = analysed.report.steps if job.clean else None
                    for unit in analysed.units:
                        row = {"id": unit.id, **unit_record(
                            analysed.doc, analysed.stories, steps, unit, explain=job.explain)}
                        spool.write(json.dumps(row, ensure_ascii=False))
                        spool.write("\n")
                dedup.add_many(analysed.units)
                seconds["dedup"] += time.perf_counter() - t0
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
                record: dict[str, Any] = json.loads(line)
                if record["id"] != a.id:  # pragma: no cover - a broken invariant
                    raise RuntimeError(f"unit order mismatch: {record['id']} != {a.id}")
                yield a, record
        finally:
            if spool is not None:
                spool.close()
