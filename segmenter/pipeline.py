"""The main job: read -> clean -> split -> dedup -> write, with counts and seconds per stage.

An engine (:mod:`segmenter.engines`; the local one by default) reads the inputs through
:mod:`segmenter.io`, maps the per-document stage (:mod:`segmenter.stage`) and assigns every unit
to its cluster; this module writes the outputs and counts the verdicts, once for every engine:

* :func:`run` (``segmenter run``) writes ``stories.jsonl`` (every unit with its cluster fields),
  ``unique.jsonl`` (the keepers) and ``report.json`` into an output folder, replaced as a whole;
* :func:`dedup_records` (``segmenter dedup``) streams one record per unit.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .config import Config
from .counters import Counters
from .engines import Assigned, Engine, Job
from .index import Index
from .io import RejectSink, staged_folder
from .io.writers import BackgroundWriter, compressed_binary_writer, run_file
from .records import assignment_fields, assignment_tail, dumps

__all__ = ["assignments", "dedup_records", "run", "write_report_json"]


def _engine(engine: Engine | None, index: Index | str | None, config: Config) -> Engine:
    if engine is None:
        from .engines.local import LocalEngine

        return LocalEngine(index, jobs=config.read.jobs)
    if index is not None:
        from .errors import ConfigError

        raise ConfigError("pass the index to the engine (LocalEngine(index)), not to the run")
    return engine


def assignments(job: Job, engine: Engine) -> Iterator[Assigned]:
    """The engine's assignments (and records) in input order, with the verdicts counted into
    ``job.counters``: duplicates by relation, unique units, clusters with a duplicate."""
    counters = job.counters
    clusters: set[str] = set()
    for a, record in engine.assign(job):
        if counters.count_assignment(a):
            clusters.add(a.cluster)
        yield a, record
    counters.clusters = len(clusters)


def dedup_records(
    inputs: Iterable[str],
    config: Config,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    counters: Counters | None = None,
    rejects: RejectSink | None = None,
    index: Index | str | None = None,
    engine: Engine | None = None,
    progress: Callable[[Counters], None] | None = None,
    run_id: str | None = None,
) -> Iterator[dict[str, Any]]:
    """``segmenter dedup``: one record per unit: id, cluster, duplicate_of, relation,
    similarity, keeper (and, with ``explain``, the evidence). ``counters`` are filled as a
    run's. ``engine``: where to dedup (default: this process, with ``index`` if given).
    ``progress`` is called with the counters after each document read. ``run_id``: the job's
    identity for a persistent index (default: derived from the inputs and the config)."""
    job = Job(tuple(inputs), config, clean, split, explain,
              counters=counters if counters is not None else Counters(), rejects=rejects,
              progress=progress, run_id=run_id)
    for a, _ in assignments(job, _engine(engine, index, config)):
        yield {"id": a.id, **assignment_fields(a, explain)}


def run(
    inputs: Iterable[str] | str,
    out_dir: str | os.PathLike[str],
    config: Config | None = None,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    rejects: RejectSink | None = None,
    index: Index | str | None = None,
    progress: Callable[[Counters], None] | None = None,
    engine: Engine | None = None,
    compress: str | None = None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """The main job: clean, split and dedup ``inputs``; write ``stories.jsonl``,
    ``unique.jsonl`` (``.gz`` or ``.zst`` with ``compress="gz"|"zst"``) and ``report.json``
    into ``out_dir``; return the report.
    ``engine``: where to dedup (default: this process, with ``index`` if given). ``run_id``:
    the job's identity for a persistent index (default: derived from the inputs and the
    config; see :mod:`segmenter.run_id`)."""
    config = config or Config()
    items = (inputs,) if isinstance(inputs, str) else tuple(inputs)
    out = Path(out_dir)
    own = (str(out),) + ((index,) if isinstance(index, str) else ())
    config = dataclasses.replace(config, read=dataclasses.replace(  # never read as input
        config.read, exclude=config.read.exclude + own))
    counters = Counters()
    started = time.perf_counter()
    chosen = _engine(engine, index, config)
    with staged_folder(out) as stage:
        job = Job(items, config, clean, split, explain, records=True, counters=counters,
                  rejects=rejects, progress=progress, spool=stage, run_id=run_id)
        with compressed_binary_writer(stage / run_file("stories.jsonl", compress)) as stories, \
                compressed_binary_writer(stage / run_file("unique.jsonl", compress)) as unique:
            rows = assignments(job, chosen)
            while True:
                row = next(rows, None)
                t0 = time.perf_counter()
                if row is None:
                    break
                a, record = row
                if record is None:  # pragma: no cover - an engine that ignores job.records
                    raise RuntimeError("the engine gave no record for a run")
                if isinstance(record, dict):  # (its fields are not cluster fields)
                    record = dumps(record).encode("utf-8")
                elif isinstance(record, str):
                    record = record.encode("utf-8")
                # as UTF-8 bytes (the local engine's are written as they are) + the fields' JSON
                _write_record(stories, unique if a.duplicate_of is None else None, record,
                              assignment_tail(a, explain))
                del row, record  # a long record is not held while the next one is read
                counters.seconds["write"] += time.perf_counter() - t0
        report = write_report_json(stage, counters, config, items, clean=clean, split=split,
                                  started=started)
    return report


_JOINED = 1 << 16  # records up to this size are written joined to their fields


def _write_record(stories: BackgroundWriter, unique: BackgroundWriter | None,
                  record: bytes | memoryview, tail: bytes) -> None:
    """A unit's record (UTF-8 as it was made: never decoded; a long one never copied) with its
    cluster fields ``tail`` in place of its closing brace, into ``stories`` and (a keeper)
    ``unique``."""
    view = memoryview(record)
    head = view[: len(view) - 1]
    if len(view) > _JOINED:  # (a long record: its bytes given to the writer as they are)
        stories.write(head)
        stories.write(tail)
        if unique is not None:
            unique.write(head)
            unique.write(tail)
        return
    line = b"".join((head, tail))  # (one write for each file: a short copy costs less)
    stories.write(line)
    if unique is not None:
        unique.write(line)


def write_report_json(
    folder: Path, counters: Counters, config: Config, inputs: Iterable[str], *, clean: bool,
    split: bool, started: float,
) -> dict[str, Any]:
    """Write ``report.json`` of a run into ``folder`` and return it."""
    report = counters.as_dict()
    report["seconds"]["total"] = round(time.perf_counter() - started, 3)
    report["config"] = {
        "clean": clean, "split": split, "threshold": config.dedup.threshold,
        "containment": config.dedup.containment, "num_perm": config.dedup.num_perm,
        "shingle": config.dedup.shingle, "keep": config.dedup.keep,
    }
    report["inputs"] = [str(p) for p in inputs]
    with open(folder / "report.json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return report
