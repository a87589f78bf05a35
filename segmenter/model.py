"""Records that flow between the stages. Frozen and slotted; this module imports nothing of ours."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

StoryKind = Literal["article", "teaser"]
Relation = Literal["exact", "near", "contained", "seen"]
"""How a unit relates to the unit it duplicates; ``seen``: it *is* a unit an earlier run indexed
(same id and text), met again."""


@dataclass(frozen=True, slots=True)
class Document:
    """One input document: an id, its text and where it came from."""

    id: str
    text: str
    source: str | None = None  # file path (or "-" for stdin)
    line: int | None = None  # 1-based line in the source (JSONL) or None for whole-file documents
    meta: Mapping[str, Any] = field(default_factory=dict)  # the other fields of a JSONL record


@dataclass(frozen=True, slots=True)
class CleanReport:
    """What cleaning did to one text: the ftfy steps applied (empty when it needed no repair)."""

    steps: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be processed and was skipped (``--on-error skip``)."""

    source: str
    line: int | None
    reason: str
    message: str
    offset: int | None = None
    raw: str | None = None  # the offending line (truncated), when there is one


@dataclass(frozen=True, slots=True)
class Boilerplate:
    """A non-story line inside a story: ``[start, end)`` offsets into the document text."""

    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class Story:
    """One story of a document. ``text[start:end]`` of the (cleaned) document text is the story."""

    index: int
    start: int
    end: int
    kind: StoryKind
    truncated: bool
    kicker: str | None
    boilerplate: tuple[Boilerplate, ...]
    score: float
    reasons: tuple[str, ...]
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Match:
    """A verified link from a unit to the unit it duplicates."""

    id: str
    duplicate_of: str
    relation: Relation
    similarity: float
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cluster:
    """A set of duplicate units with the keeper (the copy to keep) first in ``members``."""

    id: str
    keeper: str
    members: tuple[str, ...]
    matches: tuple[Match, ...] = ()


@dataclass(frozen=True, slots=True)
class Unit:
    """What the deduplicator compares: a story of a document (``id`` = ``docid#story``) or a whole
    document (``id`` = the document id, with ``--no-split``)."""

    id: str
    text: str
    kind: StoryKind | None = None  # None for whole documents
    truncated: bool = False
    doc_id: str | None = None
    story: int | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """The dedup verdict for one unit, as written in the output (see the README's formats)."""

    id: str
    cluster: str
    duplicate_of: str | None  # the keeper it duplicates; None for a keeper or a unique unit
    relation: Relation | None
    similarity: float | None
    keeper: bool
    evidence: Mapping[str, Any] = field(default_factory=dict)
    earlier: bool = False  # duplicate_of is a unit of an earlier run (persistent index)
