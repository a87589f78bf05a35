"""The stages chained: read -> clean -> split -> dedup, with counts and seconds per stage.

``run()`` is the main job (``segmenter run``): it writes ``stories.jsonl`` (every unit with its
cluster fields), ``unique.jsonl`` (the keepers) and ``report.json`` into an output folder.
Stories stream through a spool file while the deduplicator builds its clusters, so memory holds
the deduplicator's compact state, not the texts.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .clean import clean as clean_doc
from .config import Config
from .io import ReadStats, RejectSink, read_documents, staged_folder, write_jsonl
from .model import Assignment, CleanReport, Document, Story, Unit
from .records import story_record

__all__ = ["RunStats", "analyse", "dedup_records", "run", "units_of", "write_run_report"]


@dataclass
class RunStats:
    """Counts per stage and seconds per stage."""

    read: ReadStats = field(default_factory=ReadStats)
    repaired: int = 0
    clean_steps: dict[str, int] = field(default_factory=dict)
    stories: dict[str, int] = field(default_factory=lambda: {"article": 0, "teaser": 0})
    truncated: int = 0
    kickers: int = 0
    boilerplate_lines: int = 0
    boilerplate_labels: dict[str, int] = field(default_factory=dict)
    renamed_ids: int = 0
    units: int = 0
    empty_units: int = 0
    duplicates: dict[str, int] = field(default_factory=lambda: {"exact": 0, "near": 0,
                                                                 "contained": 0})
    clusters: int = 0
    unique: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: {
        "read": 0.0, "clean": 0.0, "split": 0.0, "dedup": 0.0, "write": 0.0})

    def as_dict(self) -> dict[str, Any]:
        return {
            "documents": self.read.documents,
            "read": {**self.read.as_dict(), "renamed_ids": self.renamed_ids},
            "clean": {"repaired": self.repaired, "steps": dict(sorted(self.clean_steps.items()))},
            "split": {
                "stories": dict(self.stories),
                "stories_total": sum(self.stories.values()),
                "truncated": self.truncated,
                "kickers": self.kickers,
                "boilerplate_lines": self.boilerplate_lines,
                "boilerplate_labels": dict(sorted(self.boilerplate_labels.items())),
            },
            "dedup": {
                "units": self.units,
                "empty_units": self.empty_units,
                "duplicates": dict(self.duplicates),
                "duplicates_total": sum(self.duplicates.values()),
                "clusters": self.clusters,
                "unique": self.unique,
            },
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


class _Timer:
    """Adds the time spent in each stage of a generator chain to ``stats.seconds``."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + (now - self.last)
        self.last = now


def analyse(
    inputs: Iterable[str],
    config: Config,
    *,
    clean: bool = True,
    split: bool = True,
    stats: RunStats | None = None,
    rejects: RejectSink | None = None,
) -> Iterator[tuple[Document, CleanReport, list[Story]]]:
    """Read, clean and split, streaming. Without ``split`` each document is one story."""
    from .split import split as split_text

    stats = stats if stats is not None else RunStats()
    timer = _Timer(stats.seconds)
    docs = read_documents(list(inputs), config.read, rejects=rejects, stats=stats.read)
    seen: dict[str, int] = {}
    for doc in docs:
        if doc.id in seen:
            doc = _renamed(doc, seen)
            stats.renamed_ids += 1
        seen[doc.id] = 1
        timer.lap("read")
        report = CleanReport()
        if clean:
            doc, report = clean_doc(doc, config.clean)
            if report.changed:
                stats.repaired += 1
                for step in report.steps:
                    stats.clean_steps[step] = stats.clean_steps.get(step, 0) + 1
        timer.lap("clean")
        if split:
            stories = split_text(doc.text, config.split)
        else:
            stories = _whole(doc.text)
        for s in stories:
            stats.stories[s.kind] = stats.stories.get(s.kind, 0) + 1
            stats.truncated += s.truncated
            stats.kickers += s.kicker is not None
            stats.boilerplate_lines += len(s.boilerplate)
            for b in s.boilerplate:
                stats.boilerplate_labels[b.label] = stats.boilerplate_labels.get(b.label, 0) + 1
        timer.lap("split")
        yield doc, report, stories
        timer.last = time.perf_counter()  # the consumer's time is not ours


def _renamed(doc: Document, seen: dict[str, int]) -> Document:
    """A document whose id was seen before gets ``id~N`` (warned with its file and line):
    units must have unique ids, and nothing is dropped."""
    n = seen[doc.id]
    new = doc.id
    while new in seen:
        n += 1
        new = f"{doc.id}~{n}"
    seen[doc.id] = n
    where = f"{doc.source}:{doc.line}" if doc.line is not None else str(doc.source)
    warnings.warn(f"{where}: duplicate id {doc.id!r}; renamed to {new!r}", DuplicateIdWarning,
                  stacklevel=3)
    return Document(new, doc.text, doc.source, doc.line, doc.meta)


class DuplicateIdWarning(UserWarning):
    """Two input documents had the same id; the later one was renamed."""


def _whole(text: str) -> list[Story]:
    if not text.strip():
        return []
    return [Story(0, 0, len(text), "article", False, None, (), 1.0, ("no_split",))]


def units_of(doc: Document, stories: list[Story], *, split: bool = True) -> list[Unit]:
    """The units the deduplicator compares. A story's unit text leaves out its boilerplate lines
    and its kicker (credits and labels differ between copies of one story)."""
    if not split:
        return [Unit(doc.id, doc.text, None, False, doc.id, None, doc.source)]
    units = []
    for s in stories:
        cuts = sorted((b.start, b.end) for b in s.boilerplate)
        parts: list[str] = []
        pos = s.start
        for a, b in cuts:
            parts.append(doc.text[pos:a])
            pos = max(pos, b)
        parts.append(doc.text[pos:s.end])
        text = "".join(parts)
        if s.kicker:
            head = text.lstrip()
            if head.startswith(s.kicker):
                text = head[len(s.kicker):].lstrip().removeprefix(":").lstrip()
        units.append(Unit(f"{doc.id}#{s.index}", text, s.kind, s.truncated, doc.id, s.index,
                          doc.source))
    return units


def _assignment_fields(a: Assignment, explain: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "cluster": a.cluster,
        "duplicate_of": a.duplicate_of,
        "relation": a.relation,
        "similarity": None if a.similarity is None else round(float(a.similarity), 4),
        "keeper": a.keeper,
    }
    if explain and a.evidence:
        out["dedup_evidence"] = dict(a.evidence)
    return out


def _dedup_pass(
    inputs: Iterable[str],
    config: Config,
    spool: IO[str],
    *,
    clean: bool,
    split: bool,
    explain: bool,
    stats: RunStats,
    rejects: RejectSink | None,
    index: Any = None,
    progress: Callable[[RunStats], None] | None = None,
) -> Iterator[Assignment]:
    """Feed every unit to the deduplicator while spooling its record; yield assignments."""
    from .dedup import Deduplicator

    dedup = Deduplicator(config.dedup, index=index)
    for doc, report, stories in analyse(inputs, config, clean=clean, split=split, stats=stats,
                                        rejects=rejects):
        t0 = time.perf_counter()
        by_index = {s.index: s for s in stories}
        for unit in units_of(doc, stories, split=split):
            stats.units += 1
            if split:
                story = by_index[unit.story if unit.story is not None else 0]
                record = story_record(doc, story, explain=explain)
            else:
                record = {"doc_id": doc.id, "text": doc.text}
            record = {"id": unit.id, **record}
            if clean:
                record["clean_steps"] = list(report.steps)
            if doc.source:
                record["source"] = doc.source
            spool.write(json.dumps(record, ensure_ascii=False))
            spool.write("\n")
            dedup.add(unit)
        stats.seconds["dedup"] += time.perf_counter() - t0
        if progress is not None:
            progress(stats)
    t0 = time.perf_counter()
    results = list(dedup.results())
    stats.seconds["dedup"] += time.perf_counter() - t0
    for a in results:
        if a.relation is not None and a.duplicate_of is not None:
            stats.duplicates[a.relation] = stats.duplicates.get(a.relation, 0) + 1
        else:
            stats.unique += 1
    stats.clusters = len({a.cluster for a in results if a.duplicate_of is not None})
    yield from results


def dedup_records(
    inputs: Iterable[str],
    config: Config,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    stats: RunStats | None = None,
    rejects: RejectSink | None = None,
    index: Any = None,
) -> Iterator[dict[str, Any]]:
    """``segmenter dedup``: one record per unit: id, cluster, duplicate_of, relation,
    similarity (and, with ``explain``, the evidence)."""
    stats = stats if stats is not None else RunStats()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for a in _dedup_pass(inputs, config, spool, clean=clean, split=split, explain=explain,
                             stats=stats, rejects=rejects, index=index):
            record = {"id": a.id, **_assignment_fields(a, explain)}
            yield record


def run(
    inputs: Iterable[str] | str,
    out_dir: str | os.PathLike[str],
    config: Config | None = None,
    *,
    clean: bool = True,
    split: bool = True,
    explain: bool = False,
    rejects: RejectSink | None = None,
    index: Any = None,
    progress: Callable[[RunStats], None] | None = None,
) -> dict[str, Any]:
    """The main job: clean, split and dedup ``inputs``; write ``stories.jsonl``,
    ``unique.jsonl`` and ``report.json`` into ``out_dir``; return the report."""
    config = config or Config()
    if isinstance(inputs, str):
        inputs = [inputs]
    out = Path(out_dir)
    stats = RunStats()
    started = time.perf_counter()
    with staged_folder(out) as stage:
        with open(stage / ".spool.jsonl", "w+", encoding="utf-8") as spool:
            assignments = list(_dedup_pass(inputs, config, spool, clean=clean, split=split,
                                           explain=explain, stats=stats, rejects=rejects,
                                           index=index, progress=progress))
            t0 = time.perf_counter()
            spool.seek(0)
            with open(stage / "stories.jsonl", "w", encoding="utf-8") as stories_out, \
                    open(stage / "unique.jsonl", "w", encoding="utf-8") as unique_out:
                for line, a in zip(spool, assignments, strict=True):
                    record = json.loads(line)
                    if record["id"] != a.id:  # pragma: no cover - a broken invariant
                        raise RuntimeError(f"unit order mismatch: {record['id']} != {a.id}")
                    record.update(_assignment_fields(a, explain))
                    write_jsonl(stories_out, [record])
                    if a.duplicate_of is None:
                        write_jsonl(unique_out, [record])
            stats.seconds["write"] += time.perf_counter() - t0
        os.unlink(stage / ".spool.jsonl")
        report = write_run_report(stage, stats, config, inputs, clean=clean, split=split,
                                  started=started)
    return report


def write_run_report(
    folder: Path, stats: RunStats, config: Config, inputs: Iterable[str], *, clean: bool,
    split: bool, started: float,
) -> dict[str, Any]:
    """Write ``report.json`` of a run into ``folder`` and return it (any engine)."""
    report = stats.as_dict()
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


def terminal_progress(every: float = 1.0) -> Callable[[RunStats], None] | None:
    """A progress callback for stderr, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    last = [0.0]

    def show(stats: RunStats) -> None:
        now = time.perf_counter()
        if now - last[0] >= every:
            last[0] = now
            sys.stderr.write(f"\r{stats.read.documents} documents, {stats.units} stories ...")
            sys.stderr.flush()

    return show
