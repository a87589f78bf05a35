"""What a ``--jobs`` worker does with a batch of documents: the per-document stage, signing,
and the output records, returned in compact form.

A batch crosses the process boundary twice: the documents in (as read: id, text, source, line,
meta), and a :class:`StageBatch` out: the units (ids and kinds; their texts only to explain),
their signatures, lengths, text digests, shingle sets and block containment's inputs
(:meth:`~segmenter.signing.BatchSigner.prepare`: numpy arrays, pickled as flat buffers), the
records already encoded as JSON lines and the batch's counters. Nothing a worker returns is a
Python object per shingle, and the process that dedups does no per-unit work that needs no
shared state.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from ..clean import clean as clean_document
from ..config import Config, DedupConfig
from ..counters import Counters
from ..errors import InputError, SegmenterError
from ..io import RawLine, ReadStats, raw_document
from ..model import Document, Story, Unit
from ..records import clean_record, story_record, unit_record
from ..signing import BatchSigner, SignedBatch
from ..stage import Analysed, DocumentStage

__all__ = ["StageBatch", "StageTask", "clean_lines", "dumps", "split_lines"]

T = TypeVar("T")


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# json escapes a string ~2.6x faster with ensure_ascii on; both settings write the same bytes for
# a record whose strings hold only ASCII characters other than DEL (which ensure_ascii escapes).
_ENCODE_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def dumps(record: object, plain: bool = False) -> str:
    """One record as a JSON line (without the newline), as :mod:`segmenter.io` writes it.
    ``plain``: the caller knows every string in the record is :func:`plain_ascii` (a faster
    escaper, the same bytes)."""
    return _ENCODE_ASCII(record) if plain else _ENCODE(record)


def plain_ascii(text: str) -> bool:
    """ASCII without DEL: a string json writes the same with and without ``ensure_ascii``."""
    return text.isascii() and "\x7f" not in text


@dataclass(frozen=True, slots=True)
class StageBatch:
    """A worker's result for one batch of documents, in input order."""

    counters: Counters
    units: list[Unit]  # texts left out ("") unless explain: signed.lengths has their lengths
    records: list[str] | None  # stories.jsonl records (without cluster fields), JSON lines
    signed: SignedBatch | None  # signatures, digests and shingle sets; None when not signed
    doc_ids: list[str]  # the documents' ids as read (the parent renames repeated ones)
    analysed: list[Analysed] = field(default_factory=list)  # with ``observe`` only


@dataclass(frozen=True)
class StageTask:
    """Maps the stage over a batch (a picklable callable: the same in every worker)."""

    config: Config
    clean: bool = True
    split: bool = True
    explain: bool = False
    records: bool = False
    observe: bool = False
    sign: bool = True
    signing: dict[str, Any] | None = None  # BatchSigner.prepare's options (Deduplicator.signing)

    def __call__(self, items: list[Document | RawLine]) -> StageBatch:
        counters = Counters()
        stage = DocumentStage(self.config, clean=self.clean, split=self.split,
                              counters=counters)
        units: list[Unit] = []
        records: list[str] | None = [] if self.records else None
        observed: list[Analysed] = []
        doc_ids: list[str] = []
        done: list[tuple[Document, list[Story], tuple[str, ...] | None, int]] = []
        for item in items:
            doc = raw_document(item, self.config.read, counters.read) \
                if isinstance(item, RawLine) else item
            if doc is None:  # a blank line
                continue
            doc_ids.append(doc.id)
            analysed = _located(stage, doc)
            units.extend(analysed.units)
            if records is not None:  # (not the units: their texts go once signed)
                done.append((analysed.doc, analysed.stories,
                             analysed.report.steps if self.clean else None, len(analysed.units)))
            if self.observe:
                observed.append(analysed)
            del analysed
        signed = None
        if self.sign:
            t0 = time.perf_counter()
            options = self.signing or {}
            signed = _signer(self.config.dedup).prepare([u.text for u in units], **options)
            counters.seconds["dedup"] += time.perf_counter() - t0
            if not self.explain:  # the parent needs no texts: not sent back, nor held here
                units = [dataclasses.replace(u, text="") for u in units]
        if records is not None:  # after signing: a long page's record and its signing
            at = 0  # work space are not held at once
            for page, stories, steps, count in done:
                for unit in units[at : at + count]:
                    records.append(dumps({"id": unit.id, **unit_record(
                        page, stories, steps, unit, explain=self.explain)}))
                at += count
            done.clear()
        return StageBatch(counters, units, records, signed, doc_ids, observed)


def _located(work: Callable[[Document], T], doc: Document) -> T:
    """``work(doc)``; an unexpected error becomes an :class:`InputError` naming the document's
    file, line and id (the same message in a worker process as in this one)."""
    try:
        return work(doc)
    except (SegmenterError, MemoryError):
        raise
    except Exception as exc:
        raise InputError(f"document {doc.id!r} could not be processed: "
                         f"{type(exc).__name__}: {exc}", doc.source, doc.line,
                         reason="stage_failed") from exc


def _documents(items: list[Document | RawLine], config: Config, stats: ReadStats
               ) -> Iterator[Document]:
    """The documents of a batch, JSON lines parsed here (and counted into ``stats``)."""
    for item in items:
        doc = raw_document(item, config.read, stats) if isinstance(item, RawLine) else item
        if doc is not None:
            yield doc


_signers: dict[DedupConfig, BatchSigner] = {}


def _signer(config: DedupConfig) -> BatchSigner:
    """One signer per configuration and process (its permutations are drawn once)."""
    if config not in _signers:
        _signers[config] = BatchSigner(config)
    return _signers[config]


@dataclass(frozen=True)
class clean_lines:  # noqa: N801 - used like a function
    """``segmenter clean`` on a batch: ``(lines, repaired, read stats of the lines parsed
    here)``, one JSON line per document."""

    config: Config

    def __call__(self, items: list[Document | RawLine]) -> tuple[list[str], int, ReadStats]:
        lines = []
        repaired = 0
        stats = ReadStats()
        for doc in _documents(items, self.config, stats):
            cleaned, report = _located(partial(clean_document, config=self.config.clean), doc)
            repaired += report.changed
            lines.append(dumps(clean_record(cleaned, report)))
        return lines, repaired, stats


@dataclass(frozen=True)
class split_lines:  # noqa: N801 - used like a function
    """``segmenter split`` on a batch: ``(lines, counts by kind, read stats of the lines parsed
    here)``, one JSON line per story."""

    config: Config
    clean: bool = True
    explain: bool = False

    def __call__(self, items: list[Document | RawLine]
                 ) -> tuple[list[str], dict[str, int], ReadStats]:
        lines = []
        counts: dict[str, int] = {}
        stats = ReadStats()
        for item in _documents(items, self.config, stats):
            doc, stories = _located(self._stories, item)
            # a story record's strings: the id, slices of the text, and fixed names
            plain = plain_ascii(doc.text) and plain_ascii(doc.id)
            for story in stories:
                counts[story.kind] = counts.get(story.kind, 0) + 1
                lines.append(dumps(story_record(doc, story, explain=self.explain), plain))
        return lines, counts, stats

    def _stories(self, doc: Document) -> tuple[Document, list[Story]]:
        """``doc`` cleaned (unless ``clean`` is off), and its stories."""
        from ..split import split as split_text

        if self.clean:
            doc, _ = clean_document(doc, self.config.clean)
        return doc, split_text(doc.text, self.config.split)
