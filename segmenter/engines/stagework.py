"""What a ``--jobs`` worker does with a batch of documents: the per-document stage, signing,
and the output records, returned in compact form.

A batch crosses the process boundary twice: the documents in (as read: id, text, source, line,
meta), and a :class:`StageBatch` out: the units (ids and kinds; their texts only to explain),
their signatures, lengths, text digests, shingle sets and block containment's inputs
(:meth:`~segmenter.signing.BatchSigner.prepare`: numpy arrays, pickled as flat buffers) and the
batch's counters. The output records (``segmenter run``) do not cross it: each process appends
them, encoded as UTF-8 JSON, to a spool file of its own (:class:`Spooled` says where), which
the process that writes the output reads when the assignments are known. Nothing a worker
returns is a Python object per shingle, and the process that dedups does no per-unit work that
needs no shared state.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import IO, TYPE_CHECKING, Any, TypeVar

from ..config import Config, DedupConfig
from ..counters import Counters
from ..errors import ConfigError, InputError, SegmenterError
from ..io import RawLines, ReadStats, raw_document
from ..model import Document, Story, Unit
from ..records import clean_record, dumps, plain_records, story_record, unit_record
from ..stage import Analysed, DocumentStage

if TYPE_CHECKING:  # imported where used: `segmenter split` needs no numpy nor signing, and a
    import numpy as np  # command that does not clean no ftfy

    from ..signing import BatchSigner, SignedBatch

__all__ = ["Spooled", "StageBatch", "StageTask", "batch_documents", "clean_lines", "close_spool",
           "split_lines"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Spooled:
    """Where a batch's records are: ``lengths[i]`` bytes for its ``i``-th unit, one after the
    other (no separator) from ``offset`` in the spool file ``path``."""

    path: str
    offset: int
    lengths: np.ndarray  # int64, one per unit


@dataclass(frozen=True, slots=True)
class StageBatch:
    """A worker's result for one batch of documents, in input order."""

    counters: Counters
    units: list[Unit]  # texts left out ("") unless explain: signed.lengths has their lengths
    records: Spooled | None  # its stories.jsonl records (no cluster fields), when asked
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
    spool: str | None = None  # the folder of the records' spool files (with ``records``)

    @property
    def preload(self) -> list[str]:
        """The modules a worker needs (imported once by the fork server)."""
        return worker_modules(clean=self.clean, split=self.split, sign=self.sign)

    def __call__(self, items: list[Document | RawLines]) -> StageBatch:
        counters = Counters()
        stage = DocumentStage(self.config, clean=self.clean, split=self.split,
                              counters=counters)
        units: list[Unit] = []
        records: Spooled | None = None
        observed: list[Analysed] = []
        doc_ids: list[str] = []
        done: list[tuple[Document, list[Story], tuple[str, ...] | None, int]] = []
        for doc in batch_documents(items, self.config, counters.read):
            doc_ids.append(doc.id)
            analysed = _located(stage, doc)
            units.extend(analysed.units)
            if self.records:  # (not the units: their texts go once signed)
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
        if self.records:  # after signing: a long page's record and its signing work space
            records = self._spool(done, units)  # are not held at once
            done.clear()
        return StageBatch(counters, units, records, signed, doc_ids, observed)

    def _spool(self, done: list[tuple[Document, list[Story], tuple[str, ...] | None, int]],
               units: list[Unit]) -> Spooled:
        """Append the records of the ``units`` of the pages ``done`` to this process's spool
        file, one at a time (each is held while it is written)."""
        if self.spool is None:
            raise ConfigError("records need a spool folder")
        path, out = _spool_file(self.spool)
        offset = out.tell()
        lengths: list[int] = []
        at = 0
        for page, stories, steps, count in done:
            plain = plain_records(page, source=True)
            for unit in units[at : at + count]:
                record = dumps({"id": unit.id, **unit_record(
                    page, stories, steps, unit, explain=self.explain)}, plain)
                lengths.append(out.write(record.encode("utf-8")))
                del record
            at += count
        out.flush()  # read by the process that writes the output
        import numpy as np

        return Spooled(path, offset, np.asarray(lengths, dtype=np.int64))


_spools: dict[str, tuple[str, IO[bytes]]] = {}
"""This process's spool file (path, stream) in each spool folder."""


def _spool_file(folder: str) -> tuple[str, IO[bytes]]:
    if folder not in _spools:
        fd, path = tempfile.mkstemp(prefix=f"records-{os.getpid()}-", dir=folder)
        _spools[folder] = (path, os.fdopen(fd, "wb"))
    return _spools[folder]


def close_spool(folder: str) -> None:
    """Close this process's spool file in ``folder`` (the file stays)."""
    spool = _spools.pop(folder, None)
    if spool is not None:
        spool[1].close()


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


def batch_documents(items: list[Document | RawLines], config: Config, stats: ReadStats
                    ) -> Iterator[Document]:
    """The documents of a batch, JSON lines parsed here (and counted into ``stats``)."""
    for item in items:
        if isinstance(item, Document):
            yield item
            continue
        for line in item:
            doc = raw_document(line, config.read, stats)
            if doc is not None:
                yield doc


def worker_modules(*, clean: bool = False, split: bool = False, sign: bool = False) -> list[str]:
    """The modules this module imports where it uses them, for the work named (what a fork
    server preloads for the workers)."""
    return ((["segmenter.clean"] if clean else [])
            + (["segmenter.split.features", "segmenter.split.rules"] if split else [])
            + (["numpy", "segmenter.signing"] if sign else []))


_signers: dict[DedupConfig, BatchSigner] = {}


def _signer(config: DedupConfig) -> BatchSigner:
    """One signer per configuration and process (its permutations are drawn once)."""
    if config not in _signers:
        from ..signing import BatchSigner

        _signers[config] = BatchSigner(config)
    return _signers[config]


@dataclass(frozen=True)
class clean_lines:  # noqa: N801 - used like a function
    """``segmenter clean`` on a batch: ``(lines, repaired, read stats of the lines parsed
    here)``, one JSON line per document."""

    config: Config

    @property
    def preload(self) -> list[str]:
        """The modules a worker needs (imported once by the fork server)."""
        return worker_modules(clean=True)

    def __call__(self, items: list[Document | RawLines]) -> tuple[list[str], int, ReadStats]:
        lines = []
        repaired = 0
        stats = ReadStats()
        from ..clean import clean as clean_document

        for doc in batch_documents(items, self.config, stats):
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

    @property
    def preload(self) -> list[str]:
        """The modules a worker needs (imported once by the fork server)."""
        return worker_modules(clean=self.clean, split=True)

    def __call__(self, items: list[Document | RawLines]
                 ) -> tuple[list[str], dict[str, int], ReadStats]:
        lines = []
        counts: dict[str, int] = {}
        stats = ReadStats()
        analyse = self._stories()
        for item in batch_documents(items, self.config, stats):
            doc, stories = _located(analyse, item)
            plain = plain_records(doc)
            for story in stories:
                counts[story.kind] = counts.get(story.kind, 0) + 1
                lines.append(dumps(story_record(doc, story, explain=self.explain), plain))
        return lines, counts, stats

    def _stories(self) -> Callable[[Document], tuple[Document, list[Story]]]:
        """What makes a document's stories: ``doc`` -> ``doc`` cleaned (unless ``clean`` is
        off), and its stories. Its functions are imported here, once a batch (an import
        statement in it cost ~3% of ``segmenter split``'s CPU: one a document)."""
        from ..split import split as split_text

        clean_config, split_config = self.config.clean, self.config.split
        if not self.clean:
            return lambda doc: (doc, split_text(doc.text, split_config))
        from ..clean import clean as clean_document

        def stories(doc: Document) -> tuple[Document, list[Story]]:
            doc, _ = clean_document(doc, clean_config)
            return doc, split_text(doc.text, split_config)

        return stories
