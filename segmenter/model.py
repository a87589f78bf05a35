"""Records that flow between the stages. Frozen and slotted; this module imports nothing of ours."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

_C = TypeVar("_C")


def pickled_by_fields(cls: type[_C]) -> type[_C]:
    """A dataclass decorator: instances pickle as ``cls(*fields)``. For a frozen, slotted
    dataclass this is 2-3x faster than the ``__getstate__``/``__setstate__`` dataclasses adds
    (they call ``fields()`` for every object), which counts for the records ``--jobs`` workers
    exchange by the hundred thousand. Every field must be an ``__init__`` argument."""
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    if len(names) < 2 or not all(f.init for f in dataclasses.fields(cls)):  # type: ignore
        raise TypeError(f"{cls.__name__}: pickled_by_fields needs 2+ fields, all in __init__")
    get: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names)

    def __reduce__(self: Any) -> tuple[Any, tuple[Any, ...]]:  # noqa: N807
        return cls, get(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment, method-assign]
    return cls

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


@pickled_by_fields
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
