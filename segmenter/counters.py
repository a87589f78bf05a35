"""The counters of a run: one mergeable type filled by the per-document stage, the engines and
the writer alike, and shown as ``report.json``.

Every engine counts into a :class:`Counters`; a worker (a Ray shard task, later a ``--jobs``
process) fills its own and the driver adds it with :meth:`Counters.merge`, so each count is
written once, whoever ran the work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .io import ReadStats
from .model import Assignment, CleanReport, Story

__all__ = ["STAGES", "Counters"]

STAGES = ("read", "clean", "split", "dedup", "write")
"""The stages whose seconds a run reports."""


def _add(into: dict[str, Any], other: dict[str, Any]) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


@dataclass
class Counters:
    """Counts per stage and seconds per stage."""

    read: ReadStats = field(default_factory=ReadStats)
    renamed_ids: int = 0
    repaired: int = 0
    clean_steps: dict[str, int] = field(default_factory=dict)
    stories: dict[str, int] = field(default_factory=lambda: {"article": 0, "teaser": 0})
    truncated: int = 0
    kickers: int = 0
    boilerplate_lines: int = 0
    boilerplate_labels: dict[str, int] = field(default_factory=dict)
    units: int = 0
    empty_units: int = 0
    duplicates: dict[str, int] = field(default_factory=lambda: {"exact": 0, "near": 0,
                                                                 "contained": 0})
    clusters: int = 0
    unique: int = 0
    # with a persistent index: which one, this run's id, and the units met in earlier runs
    index: str | None = None
    run_id: str | None = None
    seen: int = 0  # units an earlier run indexed (same id and text): relation "seen"
    earlier_duplicates: int = 0  # duplicates of a unit of an earlier run
    inserted: int = 0  # units added to the index
    rerun: int = 0  # units this run id had indexed before (the same job run again)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    # ------------------------------------------------------------------ counting
    def count_clean(self, report: CleanReport) -> None:
        """One document through ftfy."""
        if report.changed:
            self.repaired += 1
            for step in report.steps:
                self.clean_steps[step] = self.clean_steps.get(step, 0) + 1

    def count_stories(self, stories: Iterable[Story]) -> None:
        """One document's stories."""
        for s in stories:
            self.stories[s.kind] = self.stories.get(s.kind, 0) + 1
            self.truncated += s.truncated
            self.kickers += s.kicker is not None
            self.boilerplate_lines += len(s.boilerplate)
            for b in s.boilerplate:
                self.boilerplate_labels[b.label] = self.boilerplate_labels.get(b.label, 0) + 1

    def count_assignment(self, a: Assignment) -> bool:
        """One unit's verdict; True when it duplicates another unit (``seen`` units, met
        again, are counted apart: neither duplicates nor unique)."""
        if a.relation == "seen":
            self.seen += 1
            return False
        if a.relation is not None and a.duplicate_of is not None:
            self.duplicates[a.relation] = self.duplicates.get(a.relation, 0) + 1
            self.earlier_duplicates += a.earlier
            return True
        self.unique += 1
        return False

    def merge(self, other: Counters) -> None:
        """Add another part's counters (a shard's, a worker's) to these."""
        self.read.merge(other.read)
        self.renamed_ids += other.renamed_ids
        self.repaired += other.repaired
        _add(self.clean_steps, other.clean_steps)
        _add(self.stories, other.stories)
        self.truncated += other.truncated
        self.kickers += other.kickers
        self.boilerplate_lines += other.boilerplate_lines
        _add(self.boilerplate_labels, other.boilerplate_labels)
        self.units += other.units
        self.empty_units += other.empty_units
        _add(self.duplicates, other.duplicates)
        self.clusters += other.clusters
        self.unique += other.unique
        self.index = self.index or other.index
        self.run_id = self.run_id or other.run_id
        self.seen += other.seen
        self.earlier_duplicates += other.earlier_duplicates
        self.inserted += other.inserted
        self.rerun += other.rerun
        _add(self.seconds, other.seconds)

    # ------------------------------------------------------------------ report
    def as_dict(self) -> dict[str, Any]:
        """The counters as ``report.json`` holds them (without ``config`` and ``inputs``);
        ``index`` only with a persistent index."""
        out = {
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
        if self.index is not None:
            out["index"] = self.index_dict()
        return out

    def index_dict(self) -> dict[str, Any]:
        """What a run with a persistent index says about earlier runs: ``new`` units (neither
        ``seen`` nor a duplicate of an earlier run's unit), ``seen`` ones, duplicates of earlier
        runs' units; units ``inserted`` into the index, and ``rerun`` (units this run id had
        indexed before: the same job run again)."""
        return {
            "url": self.index,
            "run_id": self.run_id,
            "units": self.units,
            "new": self.units - self.seen - self.earlier_duplicates,
            "seen": self.seen,
            "duplicates_of_earlier_runs": self.earlier_duplicates,
            "inserted": self.inserted,
            "rerun": self.rerun,
        }
