"""The one per-document step: document -> cleaned document -> stories -> units, with counters.

:class:`DocumentStage` is what every engine maps over documents (the local engine in this
process, the Ray engine in its shard tasks, a later ``--jobs`` pool in worker processes), and
``check`` too; it counts into a :class:`~segmenter.counters.Counters`. :func:`analyse` reads the
inputs through :mod:`segmenter.io`, renames repeated ids (:class:`IdRenamer`) and maps the stage,
streaming.
"""

from __future__ import annotations

import dataclasses
import gc
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from .config import Config
from .counters import Counters
from .io import RejectSink, read_documents
from .model import CleanReport, Document, Story, Unit

__all__ = ["COLLECT_AFTER", "Analysed", "DocumentStage", "DuplicateIdWarning", "IdRenamer",
           "analyse", "fresh_copies", "read_renamed", "timed_reads", "units_of",
           "whole_document"]


T = TypeVar("T")

COLLECT_AFTER = 1 << 20
"""Characters of a document after whose splitting the garbage collector runs: the splitter
leaves its per-line objects in reference cycles, ~3 bytes for each byte of a long page, freed
only by a full collection (a 25 MB page: 56 MB less at its dedup peak)."""


def fresh_copies(stories: list[Story]) -> list[Story]:
    """Equal copies of ``stories`` made of new objects, ints and strings too (``copy.deepcopy``
    would share them). The splitter's stories hold numbers it made while it read the page's
    lines (a boilerplate line's offsets, the evidence), scattered over the allocator's 1 MiB
    arenas that the lines filled: kept, a few hundred of them pin most of those arenas once the
    lines are collected (a 25 MB page with 246 boilerplate lines: ~60 MB of its peak). The
    copies are made after the collection, the originals then let go."""
    return [_fresh(story) for story in stories]


def _fresh(value: Any) -> Any:
    """``value`` rebuilt of new objects: dataclasses, tuples, lists and dicts item by item; an
    int, float or str by an operation that makes a new object of the same value (CPython's
    small ints are static and shared anyway); anything else (None, bools) as it is."""
    kind = type(value)
    if kind is int:
        return value + 0
    if kind is float:
        return value + 0.0
    if kind is str:
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
    if kind is tuple or kind is list:
        return kind(_fresh(item) for item in value)
    if kind is dict:
        return {_fresh(k): _fresh(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return kind(**{f.name: _fresh(getattr(value, f.name)) for f in dataclasses.fields(value)})
    return value


class DuplicateIdWarning(UserWarning):
    """Two input documents had the same id; the later one was renamed."""


class IdRenamer:
    """Unit ids must be unique and nothing is dropped: a document whose id was seen before gets
    ``id~N`` (the first N that is free), with a warning naming its file and line."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def renames_any(self, doc_ids: Iterable[str]) -> bool:
        """Whether any of these ids, seen in this order after those seen so far, would be
        renamed (nothing is recorded)."""
        seen = self._seen
        here: set[str] = set()
        for doc_id in doc_ids:
            if doc_id in seen or doc_id in here:
                return True
            here.add(doc_id)
        return False

    def rename(self, doc_id: str, source: str | None, line: int | None) -> str | None:
        """The new id of a document seen in input order, or None when its id is new."""
        seen = self._seen
        if doc_id not in seen:
            seen[doc_id] = 1
            return None
        n = seen[doc_id]
        new = doc_id
        while new in seen:
            n += 1
            new = f"{doc_id}~{n}"
        seen[doc_id] = n
        seen[new] = 1
        where = f"{source}:{line}" if line is not None else str(source)
        warnings.warn(f"{where}: duplicate id {doc_id!r}; renamed to {new!r}", DuplicateIdWarning,
                      stacklevel=3)
        return new


def whole_document(text: str) -> list[Story]:
    """A document as one story (``--no-split``); none for a blank text."""
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


@dataclass(frozen=True, slots=True)
class Analysed:
    """One document after the stage: cleaned, its stories, its units (one per story, or the
    whole document with ``split=False``)."""

    doc: Document
    report: CleanReport
    stories: list[Story]
    units: list[Unit]


class DocumentStage:
    """Clean, split and cut one document into units, counting into ``counters`` (and their
    seconds under ``clean`` and ``split``). ``clean=False`` keeps the text as read;
    ``split=False`` makes the whole document one unit."""

    def __init__(self, config: Config, *, clean: bool = True, split: bool = True,
                 counters: Counters | None = None) -> None:
        from .split import split as split_text  # the package and the function share a name

        if clean:  # (not imported by a command that does not clean: ftfy takes a while)
            from .clean import clean as clean_document

            self._clean_document = clean_document
        self.config = config
        self.clean = clean
        self.split = split
        self.counters = counters if counters is not None else Counters()
        self._split_text = split_text

    def __call__(self, doc: Document) -> Analysed:
        counters, seconds = self.counters, self.counters.seconds
        t0 = time.perf_counter()
        report = CleanReport()
        if self.clean:
            doc, report = self._clean_document(doc, self.config.clean)
            counters.count_clean(report)
        t1 = time.perf_counter()
        if self.split:
            stories = self._split_text(doc.text, self.config.split)
            if len(doc.text) >= COLLECT_AFTER:
                gc.collect()  # the splitter's per-line garbage is in reference cycles
                stories = fresh_copies(stories)
        else:
            stories = whole_document(doc.text)
        counters.count_stories(stories)
        units = units_of(doc, stories, split=self.split)
        counters.units += len(units)
        t2 = time.perf_counter()
        seconds["clean"] += t1 - t0
        seconds["split"] += t2 - t1
        return Analysed(doc, report, stories, units)


def timed_reads(docs: Iterator[T], counters: Counters) -> Iterator[T]:
    """``docs`` with the time spent producing each one counted under ``read`` (the time the
    consumer spends between them is not)."""
    while True:
        t0 = time.perf_counter()
        doc = next(docs, None)
        counters.seconds["read"] += time.perf_counter() - t0
        if doc is None:
            return
        yield doc


def analyse(
    inputs: Iterable[str],
    config: Config,
    *,
    clean: bool = True,
    split: bool = True,
    counters: Counters | None = None,
    rejects: RejectSink | None = None,
    progress: Callable[[Counters], None] | None = None,
) -> Iterator[Analysed]:
    """Read ``inputs`` (through :mod:`segmenter.io`), rename repeated ids and map the stage,
    streaming; the time spent reading counts under ``read`` (the consumer's time is not
    counted). ``progress`` is called with the counters after each document."""
    counters = counters if counters is not None else Counters()
    stage = DocumentStage(config, clean=clean, split=split, counters=counters)
    for doc in read_renamed(inputs, config, counters, rejects):
        yield stage(doc)
        if progress is not None:
            progress(counters)


def read_renamed(inputs: Iterable[str], config: Config, counters: Counters,
                 rejects: RejectSink | None = None) -> Iterator[Document]:
    """The documents of ``inputs`` (through :mod:`segmenter.io`), repeated ids renamed
    (:class:`IdRenamer`), the time spent reading counted under ``read``: what every engine
    maps the stage over."""
    renamer = IdRenamer()
    docs = read_documents(list(inputs), config.read, rejects=rejects, stats=counters.read)
    for doc in timed_reads(docs, counters):
        new = renamer.rename(doc.id, doc.source, doc.line)
        if new is not None:
            doc = Document(new, doc.text, doc.source, doc.line, doc.meta)
            counters.renamed_ids += 1
        yield doc
