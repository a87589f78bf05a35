"""What the HTML report shows, gathered from a run folder (``report.json`` + ``stories.jsonl``).

``stories.jsonl`` is streamed twice: once for counts (kinds, similarities, per-file duplicate
rates, cluster sizes: memory grows with the number of duplicates and files, not with the text),
and once to collect the members of the largest clusters.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..io.streams import open_binary
from ..io.writers import COMPRESS

__all__ = ["ClusterView", "Member", "RunData", "SourceRate", "load_run"]

SIMILARITY_BINS = 20


@dataclass(frozen=True, slots=True)
class Member:
    """One story of a cluster as the report shows it."""

    id: str
    doc_id: str | None
    source: str | None
    kind: str | None
    text: str
    keeper: bool
    duplicate_of: str | None
    relation: str | None
    similarity: float | None
    truncated: bool
    kicker: str | None


@dataclass(frozen=True, slots=True)
class ClusterView:
    id: str
    size: int
    members: tuple[Member, ...]  # the keeper first, then in input order (maybe not all)


@dataclass(frozen=True, slots=True)
class SourceRate:
    source: str
    units: int
    duplicates: int

    @property
    def rate(self) -> float:
        return self.duplicates / self.units if self.units else 0.0


@dataclass(frozen=True, slots=True)
class RunData:
    report: Mapping[str, Any]
    units: int
    kinds: Mapping[str, int]
    relations: Mapping[str, int]
    # similarity histogram: per bin (SIMILARITY_BINS over [0, 1]) the count per relation
    similarity_bins: tuple[Mapping[str, int], ...]
    sources: tuple[SourceRate, ...]  # highest duplicate rate first
    cluster_sizes: Mapping[int, int]  # size -> number of clusters (clusters of 2 or more)
    clusters: tuple[ClusterView, ...]  # the largest clusters
    clusters_total: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def _stories_file(folder: Path) -> Path:
    """``stories.jsonl``, or the ``.gz`` / ``.zst`` one of ``run --compress``."""
    for suffix in ("", *COMPRESS.values()):
        path = folder / f"stories.jsonl{suffix}"
        if path.exists():
            return path
    return folder / "stories.jsonl"


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.exists():
        raise InputError("cannot read: no such file; is this a `segmenter run` folder?",
                         str(path), reason="unreadable")
    with open_binary(str(path)) as raw, io.TextIOWrapper(raw, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"malformed JSON: {exc.msg}", str(path), lineno,
                                 reason="bad_json") from exc
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                raise InputError("expected a story record with an 'id'", str(path), lineno,
                                 reason="not_object")
            yield lineno, record


def _float(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _is_duplicate(record: Mapping[str, Any]) -> bool:
    return record.get("duplicate_of") is not None


def load_run(run_dir: str | os.PathLike[str], *, max_clusters: int = 12,
             max_members: int = 6) -> RunData:
    """Read a ``segmenter run`` folder into what the report shows."""
    folder = Path(run_dir)
    report_path = folder / "report.json"
    stories_path = _stories_file(folder)
    try:
        report = json.loads(report_path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise InputError("no report.json; is this a `segmenter run` folder?",
                         str(report_path), reason="not_found") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"unreadable report.json ({exc})", str(report_path),
                         reason="bad_json") from exc
    if not isinstance(report, dict):
        raise InputError("report.json is not a JSON object", str(report_path), reason="bad_json")

    # pass 1: counts
    units = 0
    kinds: dict[str, int] = {}
    relations: dict[str, int] = {}
    bins: list[dict[str, int]] = [{} for _ in range(SIMILARITY_BINS)]
    per_source: dict[str, list[int]] = {}
    dup_count: dict[str, int] = {}  # cluster -> duplicates in it
    first_seen: dict[str, int] = {}
    for lineno, r in _records(stories_path):
        units += 1
        kind = _str(r.get("kind")) or "document"
        kinds[kind] = kinds.get(kind, 0) + 1
        src = per_source.setdefault(_str(r.get("source")) or "<input>", [0, 0])
        src[0] += 1
        if not _is_duplicate(r):
            continue
        src[1] += 1
        relation = _str(r.get("relation")) or "unknown"
        relations[relation] = relations.get(relation, 0) + 1
        sim = _float(r.get("similarity"))
        if sim is not None:
            b = min(SIMILARITY_BINS - 1, max(0, int(sim * SIMILARITY_BINS)))
            bins[b][relation] = bins[b].get(relation, 0) + 1
        cluster = str(r.get("cluster"))
        dup_count[cluster] = dup_count.get(cluster, 0) + 1
        first_seen.setdefault(cluster, lineno)

    sizes: dict[int, int] = {}
    for n in dup_count.values():
        sizes[n + 1] = sizes.get(n + 1, 0) + 1
    largest = sorted(dup_count, key=lambda c: (-dup_count[c], first_seen[c]))[:max_clusters]

    # pass 2: members of the largest clusters
    wanted = set(largest)
    members: dict[str, list[Member]] = {c: [] for c in largest}
    keepers: dict[str, Member] = {}
    for _, r in _records(stories_path):
        cluster = str(r.get("cluster"))
        if cluster not in wanted:
            continue
        m = Member(
            id=r["id"],
            doc_id=_str(r.get("doc_id")),
            source=_str(r.get("source")),
            kind=_str(r.get("kind")),
            text=_str(r.get("text")) or "",
            keeper=not _is_duplicate(r),
            duplicate_of=_str(r.get("duplicate_of")),
            relation=_str(r.get("relation")),
            similarity=_float(r.get("similarity")),
            truncated=bool(r.get("truncated")),
            kicker=_str(r.get("kicker")),
        )
        if m.keeper and cluster not in keepers:
            keepers[cluster] = m
        elif len(members[cluster]) < max_members - 1:
            members[cluster].append(m)
    views = []
    for c in largest:
        shown = ([keepers[c]] if c in keepers else []) + members[c]
        views.append(ClusterView(c, dup_count[c] + 1, tuple(shown)))

    sources = sorted(
        (SourceRate(s, n, d) for s, (n, d) in per_source.items()),
        key=lambda s: (-s.rate, -s.duplicates, s.source),
    )
    return RunData(
        report=report,
        units=units,
        kinds=kinds,
        relations=relations,
        similarity_bins=tuple(bins),
        sources=tuple(sources),
        cluster_sizes=dict(sorted(sizes.items())),
        clusters=tuple(views),
        clusters_total=len(dup_count),
    )
