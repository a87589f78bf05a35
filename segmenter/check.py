"""The corpus-quality gate behind ``segmenter check``.

Four parts, each usable on its own:

* :func:`measure` runs the pipeline read-only (read, clean, split, dedup in memory; nothing is
  written) and returns :class:`Metrics` (counts and rates) and :class:`Findings` (the offending
  documents with their file and line).
* :func:`decide` is a pure function of the metrics, the thresholds (:class:`CheckConfig`) and an
  optional baseline: it returns a :class:`Decision` whose ``exit_code`` is 0 (pass) or 1 (fail).
* :func:`load_baseline` / :func:`baseline_json` read and write the stored report a run is
  compared with.
* :func:`format_text`, :func:`format_json`, :func:`format_github`, :func:`format_junit` render a
  decision for people, scripts, GitHub Actions annotations and JUnit-reading CI systems.

Metric definitions (every rate is in [0, 1]; with no denominator it is 0):

=============================  ====================================================================
``duplicate_rate``             stories that duplicate another story (exact, near or contained) /
                               stories
``duplicate_rate_within_files`` ... whose kept copy is in the same input file / stories
``duplicate_rate_across_files`` ... whose kept copy is in another input file / stories
``teaser_rate``                teaser stories / stories
``boilerplate_rate``           boilerplate lines / non-blank lines
``unsplit_rate``               documents the splitter finds hold more than one story (a page that
                               still needs splitting) / documents
``repaired_rate``              documents ftfy changed in any way / documents
``mojibake_rate``              documents ftfy had to repair for mojibake (an encoding fix) /
                               documents
``short_rate``                 empty or very short documents (fewer than ``short_chars``
                               non-space characters) / documents
``stories_per_document``       stories / documents (informational)
=============================  ====================================================================
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

from .config import Config, load_config_file
from .errors import ConfigError, InputError, SegmenterError
from .file_order import file_ages
from .io import RejectSink
from .model import Assignment, Document, Story
from .words import count

__all__ = [
    "BASELINE_METRICS",
    "THRESHOLDS",
    "CheckConfig",
    "Comparison",
    "Decision",
    "Finding",
    "Findings",
    "Measurement",
    "Metrics",
    "baseline_json",
    "decide",
    "format_github",
    "format_json",
    "format_junit",
    "format_text",
    "github_error",
    "junit_error",
    "load_baseline",
    "load_check_config",
    "measure",
]

# threshold option -> (metric, "max" | "min")
THRESHOLDS: dict[str, tuple[str, str]] = {
    "min_docs": ("documents", "min"),
    "max_duplicate_rate": ("duplicate_rate", "max"),
    "max_teaser_rate": ("teaser_rate", "max"),
    "max_unsplit_rate": ("unsplit_rate", "max"),
    "max_mojibake_rate": ("mojibake_rate", "max"),
    "max_short_rate": ("short_rate", "max"),
    "max_boilerplate_rate": ("boilerplate_rate", "max"),
}

# Rates where higher is worse: a baseline comparison fails when one rises beyond the tolerance.
BASELINE_METRICS: tuple[str, ...] = (
    "duplicate_rate",
    "duplicate_rate_within_files",
    "duplicate_rate_across_files",
    "teaser_rate",
    "boilerplate_rate",
    "unsplit_rate",
    "repaired_rate",
    "mojibake_rate",
    "short_rate",
)

# ftfy steps (as ``segmenter.clean`` names them) that repair mojibake rather than, say, line breaks
_MOJIBAKE_PREFIXES = ("encode:", "decode:", "transcode:")
_MOJIBAKE_STEPS = frozenset({"fix_c1_controls", "replace_lossy_sequences",
                             "decode_inconsistent_utf8", "restore_byte_a0"})

BASELINE_FORMAT = 1


# --------------------------------------------------------------------------- configuration


def _rate(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be a rate between 0.0 and 1.0, got {value!r}")


@dataclass(frozen=True, slots=True)
class CheckConfig:
    """Thresholds of the gate (``None`` = not checked) and how metrics are measured.

    Read from ``[tool.segmenter.check]`` in ``pyproject.toml`` or ``[check]`` in
    ``segmenter.toml``; command-line options override it.
    """

    max_duplicate_rate: float | None = None
    max_teaser_rate: float | None = None
    max_unsplit_rate: float | None = None
    max_mojibake_rate: float | None = None
    max_short_rate: float | None = None
    max_boilerplate_rate: float | None = None
    min_docs: int = 1
    tolerance: float = 0.005  # how far a rate may rise above the baseline's (absolute)
    short_chars: int = 100  # documents with fewer non-space characters are "short"
    max_findings: int = 50  # offending documents listed per failed metric
    paths: tuple[str, ...] = ()  # what to check when the command line names nothing
    baseline: str | None = None  # the stored report to compare with

    def __post_init__(self) -> None:
        for name in THRESHOLDS:
            if name.startswith("max_"):
                _rate(name, getattr(self, name))
        for name in ("min_docs", "short_chars", "max_findings"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be a whole number >= 0, got {value!r}")
        tol = self.tolerance
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0.0 <= tol <= 1.0:
            raise ConfigError(f"tolerance must be between 0.0 and 1.0, got {tol!r}")
        if isinstance(self.paths, str) or not all(isinstance(p, str) for p in self.paths):
            raise ConfigError(f"paths must be a list of file or folder names, got {self.paths!r}")
        if self.baseline is not None and not isinstance(self.baseline, str):
            raise ConfigError(f"baseline must be a file name, got {self.baseline!r}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "<config>") -> CheckConfig:
        """Build from a ``[check]`` table; unknown keys are errors that list the known ones."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: [check] must be a table")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"{source} [check]: unknown option(s) {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(names))}")
        values = dict(data)
        if "paths" in values:
            paths = values["paths"]
            if isinstance(paths, str):
                paths = [paths]
            if not isinstance(paths, list):
                raise ConfigError(f"{source} [check]: paths must be a list of file or folder "
                                  f"names, got {paths!r}")
            values["paths"] = tuple(paths)
        try:
            return cls(**values)
        except ConfigError as exc:
            raise ConfigError(f"{source} [check]: {exc}") from exc

    def replace(self, **changes: Any) -> CheckConfig:
        """A copy with the given (non-None) values changed, validated again."""
        given = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **given) if given else self

    def thresholds(self) -> dict[str, float | int | None]:
        """The threshold options by name (None: not checked)."""
        return {name: getattr(self, name) for name in THRESHOLDS}


def load_check_config(start: Path | None = None) -> CheckConfig:
    """The ``check`` table of ``segmenter.toml`` / ``[tool.segmenter]`` (defaults when absent)."""
    data, source = load_config_file(start)
    table = data.get("check")
    if table is None:
        return CheckConfig()
    return CheckConfig.from_mapping(table, source or "<config>")


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class Metrics:
    """Counts measured on a corpus; the rates are derived from them."""

    files: int = 0
    documents: int = 0
    rejected: int = 0
    stories: int = 0
    articles: int = 0
    teasers: int = 0
    duplicates: int = 0
    duplicates_within_files: int = 0
    duplicates_across_files: int = 0
    exact: int = 0
    near: int = 0
    contained: int = 0
    clusters: int = 0
    lines: int = 0  # non-blank lines
    boilerplate_lines: int = 0
    unsplit_documents: int = 0
    repaired_documents: int = 0
    mojibake_documents: int = 0
    empty_documents: int = 0
    short_documents: int = 0  # includes the empty ones

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return a / b if b else 0.0

    def rates(self) -> dict[str, float]:
        """Every rate by metric name (0 when its denominator is 0)."""
        r = self._ratio
        return {
            "duplicate_rate": r(self.duplicates, self.stories),
            "duplicate_rate_within_files": r(self.duplicates_within_files, self.stories),
            "duplicate_rate_across_files": r(self.duplicates_across_files, self.stories),
            "teaser_rate": r(self.teasers, self.stories),
            "boilerplate_rate": r(self.boilerplate_lines, self.lines),
            "unsplit_rate": r(self.unsplit_documents, self.documents),
            "repaired_rate": r(self.repaired_documents, self.documents),
            "mojibake_rate": r(self.mojibake_documents, self.documents),
            "short_rate": r(self.short_documents, self.documents),
            "stories_per_document": r(self.stories, self.documents),
        }

    def as_dict(self) -> dict[str, float | int]:
        """Counts and rates in one flat mapping (what :func:`decide` reads)."""
        out: dict[str, float | int] = dict(dataclasses.asdict(self))
        out.update({k: round(v, 6) for k, v in self.rates().items()})
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    """One offending story or document, located for an annotation."""

    metric: str  # the metric it counts toward, e.g. "duplicate_rate"
    source: str | None
    line: int | None
    id: str
    message: str

    @property
    def location(self) -> str:
        where = self.source or "<input>"
        return f"{where}:{self.line}" if self.line is not None else where

    def as_dict(self) -> dict[str, Any]:
        """The finding as ``--format json`` shows it."""
        return {"metric": self.metric, "file": self.source, "line": self.line, "id": self.id,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class Findings:
    """The first ``limit`` findings per metric, and how many there were in all."""

    shown: Mapping[str, tuple[Finding, ...]] = field(default_factory=dict)
    totals: Mapping[str, int] = field(default_factory=dict)

    def of(self, metric: str) -> tuple[Finding, ...]:
        """The findings shown for ``metric``."""
        return self.shown.get(metric, ())

    def total(self, metric: str) -> int:
        """How many findings ``metric`` had in all."""
        return self.totals.get(metric, 0)


class _FindingLog:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.shown: dict[str, list[Finding]] = {}
        self.totals: dict[str, int] = {}

    def add(self, metric: str, source: str | None, line: int | None, id_: str,
            message: str) -> None:
        self.totals[metric] = self.totals.get(metric, 0) + 1
        shown = self.shown.setdefault(metric, [])
        if len(shown) < self.limit:
            shown.append(Finding(metric, source, line, id_, message))

    def freeze(self) -> Findings:
        return Findings({k: tuple(v) for k, v in self.shown.items()}, dict(self.totals))


@dataclass(frozen=True, slots=True)
class Measurement:
    metrics: Metrics
    findings: Findings


def _line_of(doc: Document, offset: int) -> int | None:
    """The input line of a character: the record's line for JSONL, the text's line for .txt."""
    if doc.line is not None:
        return doc.line
    if doc.source in (None, "-"):
        return None
    return doc.text.count("\n", 0, offset) + 1


def _empty_folder(path: str, config: Config) -> bool:
    from .io import iter_input_files

    if not os.path.isdir(path):
        return False
    try:
        next(iter(iter_input_files([path], config.read)), None)
    except InputError as exc:
        if exc.reason == "no_files":
            return True
        raise
    return False


def _local(source: str | None) -> TypeGuard[str]:
    return source is not None and source != "-" and "://" not in source


def _is_mojibake(steps: Iterable[str]) -> bool:
    return any(s.startswith(_MOJIBAKE_PREFIXES) or s in _MOJIBAKE_STEPS for s in steps)


def measure(
    inputs: Iterable[str],
    config: Config | None = None,
    check: CheckConfig | None = None,
    *,
    rejects: RejectSink | None = None,
    index: Any = None,
    progress: Callable[[Any], None] | None = None,
) -> Measurement:
    """Read, clean, split and deduplicate ``inputs`` in memory and measure the corpus.

    Read-only: nothing is written (except skipped records to ``rejects``). Memory holds the
    deduplicator's state and, per story, its id, file and line. A folder with no files to
    read counts as no documents (``min_docs`` decides whether that fails).

    A duplicate is blamed on the copy in the newer file (:func:`~segmenter.file_order.file_ages`:
    the git commit that added it, else the modification time), whichever copy the
    deduplicator keeps, so a file added to a corpus is blamed, not the committed one.
    """
    from .counters import Counters
    from .engines import Job
    from .engines.local import LocalEngine
    from .pipeline import assignments
    from .stage import Analysed

    config = config or Config()
    check = check or CheckConfig()
    inputs = [p for p in inputs if not _empty_folder(p, config)]
    stats = Counters()
    log = _FindingLog(check.max_findings)
    sources: dict[str | None, int] = {}
    source_names: list[str | None] = []
    unit_source: list[int] = []
    unit_line: list[int | None] = []
    unit_pos: dict[str, int] = {}
    counts = dict.fromkeys(("documents", "unsplit", "repaired", "mojibake", "empty", "short",
                            "lines", "boilerplate"), 0)

    def observe(analysed: Analysed) -> None:
        doc, stories = analysed.doc, analysed.stories
        counts["documents"] += 1
        src = sources.setdefault(doc.source, len(sources))
        if src == len(source_names):
            source_names.append(doc.source)
        counts["lines"] += sum(1 for ln in doc.text.split("\n") if ln.strip())
        counts["boilerplate"] += sum(len(s.boilerplate) for s in stories)
        _document_findings(doc, analysed.report.steps, stories, check, counts, log)
        for unit, story in zip(analysed.units, stories, strict=True):
            unit_pos[unit.id] = len(unit_source)
            unit_source.append(src)
            unit_line.append(_line_of(doc, story.start))

    job = Job(tuple(inputs), config, counters=stats, rejects=rejects, observe=observe,
              progress=progress)
    within = across = 0
    duplicates: list[tuple[int, int, Assignment]] = []  # (copy, kept copy, assignment)
    for pos, (a, _) in enumerate(assignments(job, LocalEngine(index, jobs=config.read.jobs))):
        if a.duplicate_of is None or a.relation is None or a.relation == "seen":
            continue  # a unit an earlier run indexed is met again, not copied
        keeper = unit_pos[a.duplicate_of]
        if unit_source[keeper] == unit_source[pos]:
            within += 1
        else:
            across += 1
        duplicates.append((pos, keeper, a))
    ages = file_ages({name for pos, keeper, _ in duplicates
                      for name in (source_names[unit_source[pos]],
                                   source_names[unit_source[keeper]])
                      if unit_source[pos] != unit_source[keeper] and _local(name)})
    for pos, keeper, a in duplicates:
        blamed, other = (pos, a.id), (keeper, a.duplicate_of or "")
        kept_in = source_names[unit_source[keeper]]
        copy_in = source_names[unit_source[pos]]
        if kept_in in ages and copy_in in ages and ages[kept_in] > ages[copy_in]:
            blamed, other = other, blamed  # the kept copy is in the newer file: blame it
        at_name = source_names[unit_source[other[0]]] or "<input>"
        kline = unit_line[other[0]]
        at = f"{at_name}:{kline}" if kline is not None else at_name
        sim = "" if a.similarity is None else f", similarity {a.similarity:.2f}"
        log.add("duplicate_rate", source_names[unit_source[blamed[0]]], unit_line[blamed[0]],
                blamed[1], f"story {blamed[1]} duplicates {other[1]} ({a.relation}{sim}) at {at}")
    dups = stats.duplicates

    metrics = Metrics(
        files=stats.read.files,
        documents=counts["documents"],
        rejected=stats.read.rejected,
        stories=sum(stats.stories.values()),
        articles=stats.stories.get("article", 0),
        teasers=stats.stories.get("teaser", 0),
        duplicates=sum(dups.values()),
        duplicates_within_files=within,
        duplicates_across_files=across,
        exact=dups["exact"],
        near=dups["near"],
        contained=dups["contained"],
        clusters=stats.clusters,
        lines=counts["lines"],
        boilerplate_lines=counts["boilerplate"],
        unsplit_documents=counts["unsplit"],
        repaired_documents=counts["repaired"],
        mojibake_documents=counts["mojibake"],
        empty_documents=counts["empty"],
        short_documents=counts["short"],
    )
    return Measurement(metrics, log.freeze())


def _document_findings(doc: Document, steps: tuple[str, ...], stories: list[Story],
                       check: CheckConfig, counts: dict[str, int], log: _FindingLog) -> None:
    first = _line_of(doc, 0)
    if len(stories) > 1:
        counts["unsplit"] += 1
        kinds = ", ".join(s.kind for s in stories)
        log.add("unsplit_rate", doc.source, _line_of(doc, stories[1].start), doc.id,
                f"document {doc.id} holds {count(len(stories), 'story')} ({kinds}); split it")
    if steps:
        counts["repaired"] += 1
    if _is_mojibake(steps):
        counts["mojibake"] += 1
        log.add("mojibake_rate", doc.source, first, doc.id,
                f"document {doc.id} has mojibake; ftfy repaired it with {', '.join(steps)}")
    chars = len("".join(doc.text.split()))
    if chars < check.short_chars:
        counts["short"] += 1
        if chars == 0:
            counts["empty"] += 1
            log.add("short_rate", doc.source, first, doc.id, f"document {doc.id} is empty")
        else:
            log.add("short_rate", doc.source, first, doc.id,
                    f"document {doc.id} is very short ({chars} non-space characters, "
                    f"fewer than {check.short_chars})")
    for s in stories:
        if s.kind == "teaser":
            kicker = f" ({s.kicker})" if s.kicker else ""
            log.add("teaser_rate", doc.source, _line_of(doc, s.start), f"{doc.id}#{s.index}",
                    f"story {doc.id}#{s.index} is a teaser{kicker}, not a full article")
        for b in s.boilerplate:
            log.add("boilerplate_rate", doc.source, _line_of(doc, b.start),
                    f"{doc.id}#{s.index}", f"boilerplate line ({b.label}) in {doc.id}#{s.index}")


# --------------------------------------------------------------------------- the decision


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison: a threshold (``kind="threshold"``) or a baseline (``kind="baseline"``)."""

    name: str  # e.g. "max_duplicate_rate" or "baseline:duplicate_rate"
    metric: str
    kind: str  # "threshold" | "baseline"
    value: float
    limit: float
    passed: bool
    message: str


@dataclass(frozen=True, slots=True)
class Decision:
    checks: tuple[Comparison, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.checks if not c.passed)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def failed_metrics(self) -> list[str]:
        """The metrics with a failed check, in check order, each once."""
        seen: dict[str, None] = {}
        for c in self.failures:
            seen.setdefault(c.metric, None)
        return list(seen)


def _fmt(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and value > 1):
        return str(int(value))
    return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"


def decide(
    metrics: Mapping[str, float],
    check: CheckConfig,
    baseline: Mapping[str, float] | None = None,
) -> Decision:
    """Compare metrics with the thresholds and (optionally) a baseline. Pure: no I/O.

    A threshold check passes when the metric is within its limit (``<=`` for ``max_*``,
    ``>=`` for ``min_docs``). A baseline check passes unless a rate in
    :data:`BASELINE_METRICS` rose more than ``check.tolerance`` above the baseline's; metrics
    missing from either side are not compared.
    """
    checks: list[Comparison] = []
    for name, (metric, direction) in THRESHOLDS.items():
        limit = getattr(check, name)
        if limit is None:
            continue
        value = float(metrics.get(metric, 0.0))
        if direction == "max":
            ok = value <= limit + 1e-12
            msg = (f"{metric} {_fmt(value)} is within the limit {_fmt(limit)}" if ok else
                   f"{metric} {_fmt(value)} exceeds the limit {_fmt(limit)} ({name})")
        else:
            ok = value >= limit
            msg = (f"{metric} {_fmt(value)} meets the minimum {_fmt(limit)}" if ok else
                   f"{metric} {_fmt(value)} is below the minimum {_fmt(limit)} ({name})")
        checks.append(Comparison(name, metric, "threshold", value, float(limit), ok, msg))
    if baseline is not None:
        for metric in BASELINE_METRICS:
            if metric not in metrics or metric not in baseline:
                continue
            value = float(metrics[metric])
            before = float(baseline[metric])
            if not (math.isfinite(value) and math.isfinite(before)):
                continue
            limit = before + check.tolerance
            ok = value <= limit + 1e-12
            msg = (f"{metric} {_fmt(value)} vs baseline {_fmt(before)}: no regression" if ok else
                   f"{metric} rose from {_fmt(before)} (baseline) to {_fmt(value)}, more than "
                   f"the tolerance {_fmt(check.tolerance)}")
            checks.append(Comparison(f"baseline:{metric}", metric, "baseline", value, limit, ok,
                                     msg))
    return Decision(tuple(checks))


# --------------------------------------------------------------------------- baseline


def load_baseline(path: str | Path) -> dict[str, float]:
    """The metrics of a stored report (written by ``--update-baseline`` or ``--format json``)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: baseline not found; create it with --update-baseline") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{p}: not a readable baseline ({exc}); "
                          "recreate it with --update-baseline") from exc
    metrics = data.get("metrics") if isinstance(data, dict) else None
    if not isinstance(metrics, dict):
        raise ConfigError(f"{p}: no 'metrics' object; recreate it with --update-baseline")
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)}


def baseline_json(measurement: Measurement, check: CheckConfig) -> str:
    """What ``--update-baseline`` stores: the metrics and the settings they were measured with."""
    return json.dumps({
        "segmenter_check": BASELINE_FORMAT,
        "metrics": measurement.metrics.as_dict(),
        "short_chars": check.short_chars,
    }, indent=2, sort_keys=False) + "\n"


# --------------------------------------------------------------------------- formatters


_ROWS: tuple[tuple[str, str], ...] = (
    ("documents", "documents"),
    ("stories", "stories"),
    ("stories_per_document", "stories per document"),
    ("duplicate_rate", "duplicate stories"),
    ("duplicate_rate_within_files", "  within a file"),
    ("duplicate_rate_across_files", "  across files"),
    ("teaser_rate", "teaser stories"),
    ("boilerplate_rate", "boilerplate lines"),
    ("unsplit_rate", "unsplit documents"),
    ("repaired_rate", "documents ftfy repaired"),
    ("mojibake_rate", "documents with mojibake"),
    ("short_rate", "empty or short documents"),
)

_COUNT_OF = {
    "duplicate_rate": "duplicates", "duplicate_rate_within_files": "duplicates_within_files",
    "duplicate_rate_across_files": "duplicates_across_files", "teaser_rate": "teasers",
    "boilerplate_rate": "boilerplate_lines", "unsplit_rate": "unsplit_documents",
    "repaired_rate": "repaired_documents", "mojibake_rate": "mojibake_documents",
    "short_rate": "short_documents",
}


def _findings_for(decision: Decision, findings: Findings) -> list[tuple[str, tuple[Finding, ...]]]:
    return [(m, findings.of(m)) for m in decision.failed_metrics() if findings.of(m)]


def format_text(measurement: Measurement, decision: Decision) -> str:
    """A table of the metrics with their limits, the failures, and the offending documents."""
    m = measurement.metrics.as_dict()
    by_metric: dict[str, list[Comparison]] = {}
    for c in decision.checks:
        by_metric.setdefault(c.metric, []).append(c)
    lines = []
    verdict = "PASS" if decision.passed else f"FAIL ({len(decision.failures)} of " \
        f"{len(decision.checks)} checks failed)"
    lines.append(f"segmenter check: {verdict}")
    lines.append(f"  {'metric':<28} {'value':>10} {'count':>8}  limit")
    for key, label in _ROWS:
        value = m.get(key, 0)
        count = m.get(_COUNT_OF[key], "") if key in _COUNT_OF else ""
        limits = []
        for c in by_metric.get(key, []):
            op = ">=" if c.name == "min_docs" else "<="
            what = "baseline" if c.kind == "baseline" else ""
            mark = "ok" if c.passed else "FAIL"
            limits.append(f"{op} {_fmt(c.limit)} {what} {mark}".replace("  ", " "))
        text = _fmt(value) if isinstance(value, int) else f"{value:.4f}"
        lines.append(f"  {label:<28} {text:>10} {count!s:>8}  {'; '.join(limits)}".rstrip())
    if decision.failures:
        lines.append("failures:")
        lines.extend(f"  {c.message}" for c in decision.failures)
    for metric, shown in _findings_for(decision, measurement.findings):
        total = measurement.findings.total(metric)
        more = f" (first {len(shown)} of {total})" if total > len(shown) else ""
        lines.append(f"{metric}: offending documents{more}:")
        lines.extend(f"  {f.location}: {f.message}" for f in shown)
    if not decision.checks:
        lines.append("no thresholds set: see segmenter check --help")
    return "\n".join(lines) + "\n"


def format_json(measurement: Measurement, decision: Decision, check: CheckConfig) -> str:
    """One JSON object: passed, exit_code, metrics, thresholds, checks and findings."""
    findings = measurement.findings
    out = {
        "segmenter_check": BASELINE_FORMAT,
        "passed": decision.passed,
        "exit_code": decision.exit_code,
        "metrics": measurement.metrics.as_dict(),
        "thresholds": check.thresholds(),
        "tolerance": check.tolerance,
        "short_chars": check.short_chars,
        "checks": [dataclasses.asdict(c) for c in decision.checks],
        "findings": {
            metric: {"total": findings.total(metric),
                     "shown": [f.as_dict() for f in findings.of(metric)]}
            for metric in sorted(findings.totals)
        },
    }
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _relative(source: str, root: Path | None) -> str:
    """``source`` relative to ``root`` when it lies inside it (annotations need paths relative
    to the repository), else as it is."""
    if root is None or not Path(source).is_absolute():
        return source
    try:
        return Path(source).relative_to(root).as_posix()
    except ValueError:
        return source


def format_github(measurement: Measurement, decision: Decision,
                  root: Path | None = None) -> str:
    """GitHub Actions workflow commands: an ``::error`` per failed check and one at each
    offending document's file and line; a ``::notice`` summary. Absolute file names inside
    ``root`` (the repository; the CLI passes the current folder) are made relative to it."""
    out = []
    for c in decision.failures:
        out.append(f"::error title={_gh_prop('segmenter check ' + c.name)}::{_gh_data(c.message)}")
    for metric, shown in _findings_for(decision, measurement.findings):
        for f in shown:
            props = []
            if f.source and f.source != "-":
                props.append(f"file={_gh_prop(_relative(f.source, root))}")
                if f.line is not None:
                    props.append(f"line={f.line}")
            props.append(f"title={_gh_prop(metric)}")
            out.append(f"::error {','.join(props)}::{_gh_data(f.message)}")
    m = measurement.metrics
    rates = m.rates()
    summary = (f"segmenter check {'passed' if decision.passed else 'failed'}: "
               f"{count(m.documents, 'document')}, {count(m.stories, 'story')}, "
               f"duplicate rate {rates['duplicate_rate']:.4f}, "
               f"unsplit rate {rates['unsplit_rate']:.4f}, mojibake rate "
               f"{rates['mojibake_rate']:.4f}, teaser rate {rates['teaser_rate']:.4f}")
    out.append(f"::notice title=segmenter check::{_gh_data(summary)}")
    return "\n".join(out) + "\n"


def github_error(error: SegmenterError, root: Path | None = None) -> str:
    """An error that stopped the check (bad input, unreadable file) as an ``::error``
    annotation at its file and line."""
    props = []
    if isinstance(error, InputError) and error.path and error.path != "-":
        props.append(f"file={_gh_prop(_relative(error.path, root))}")
        if error.line is not None:
            props.append(f"line={error.line}")
    props.append(f"title={_gh_prop('segmenter check: input error')}")
    message = error.message if isinstance(error, InputError) else str(error)
    return f"::error {','.join(props)}::{_gh_data(message)}\n"


_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: characters it forbids (control characters) become U+FFFD."""
    return _XML_INVALID.sub("\ufffd", text)


def format_junit(measurement: Measurement, decision: Decision, seconds: float = 0.0) -> str:
    """JUnit XML: one test case per check, failures listing the offending files and lines."""
    suite_attrs = {
        "name": "segmenter check",
        "tests": str(max(len(decision.checks), 1)),
        "failures": str(len(decision.failures)),
        "errors": "0",
        "skipped": "0",
        "time": f"{seconds:.3f}",
    }
    root = ET.Element("testsuites", {k: suite_attrs[k] for k in
                                     ("name", "tests", "failures", "errors", "time")})
    suite = ET.SubElement(root, "testsuite", suite_attrs)
    props = ET.SubElement(suite, "properties")
    for key, value in measurement.metrics.as_dict().items():
        ET.SubElement(props, "property", {"name": key, "value": str(value)})
    findings = measurement.findings
    for c in decision.checks:
        case = ET.SubElement(suite, "testcase", {
            "classname": f"segmenter.check.{c.kind}", "name": _xml(c.name), "time": "0"})
        if c.passed:
            continue
        failure = ET.SubElement(case, "failure", {"message": _xml(c.message), "type": c.kind})
        shown = findings.of(c.metric)
        total = findings.total(c.metric)
        body = [c.message]
        if shown:
            more = f" (first {len(shown)} of {total})" if total > len(shown) else ""
            body.append(f"offending documents{more}:")
            body.extend(f"{f.location}: {f.message}" for f in shown)
        failure.text = _xml("\n".join(body))
    if not decision.checks:
        ET.SubElement(suite, "testcase", {"classname": "segmenter.check", "name": "measured",
                                          "time": "0"})
    out = ET.SubElement(suite, "system-out")
    out.text = _xml(format_text(measurement, decision))
    return _junit_text(root)


def junit_error(error: SegmenterError, seconds: float = 0.0) -> str:
    """JUnit XML for a check that could not measure (bad input, unreadable file): one test
    case, ``input``, with an error naming the file and line."""
    attrs = {"name": "segmenter check", "tests": "1", "failures": "0", "errors": "1",
             "time": f"{seconds:.3f}"}
    root = ET.Element("testsuites", attrs)
    suite = ET.SubElement(root, "testsuite", {**attrs, "skipped": "0"})
    case = ET.SubElement(suite, "testcase", {"classname": "segmenter.check", "name": "input",
                                             "time": "0"})
    where = getattr(error, "location", None)
    kind = getattr(error, "reason", type(error).__name__)
    err = ET.SubElement(case, "error", {"message": _xml(str(error)), "type": _xml(kind)})
    err.text = _xml(f"{where}: the corpus could not be read\n{error}" if where else str(error))
    return _junit_text(root)


def _junit_text(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
