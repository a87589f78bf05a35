"""Engines: where the units of a run are analysed and assigned to clusters.

Every engine implements one interface, :class:`Engine`: ``assign(job)`` yields each unit's
:class:`~segmenter.model.Assignment` (and, when the job asks for records, the unit's
``stories.jsonl`` record without the cluster fields), in input order. Engines read through
:mod:`segmenter.io`, map :class:`~segmenter.stage.DocumentStage` over the documents and count
into the job's :class:`~segmenter.counters.Counters`; they write nothing and keep no counters of
their own. :mod:`segmenter.pipeline` owns the output files and the duplicate counts.

``local`` (:class:`~segmenter.engines.local.LocalEngine`)
    this process: the streaming :class:`~segmenter.dedup.Deduplicator`, with an in-memory or a
    persistent index.
``ray`` (:class:`~segmenter.engines.ray.RayEngine`)
    a Ray cluster (``pip install 'segmenter[ray]'``): shards are read, cleaned, split and signed
    in parallel; LSH buckets, verification and connected components are distributed
    (:mod:`.plan`, :mod:`.driver`); the outputs are the local engine's, byte for byte.

With ``jobs > 1`` the local engine keeps the same interface: worker processes
(:mod:`.pool`) map the stage and signing (:mod:`.stagework`) over bounded, ordered batches of
documents and the deduplicator assigns in this process.

Importing this package (or ``segmenter``) never imports Ray.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config
from ..counters import Counters
from ..io import RejectSink
from ..model import Assignment

if TYPE_CHECKING:
    from ..stage import Analysed

__all__ = ["Assigned", "Engine", "Job"]

Assigned = tuple[Assignment, dict[str, Any] | str | bytes | memoryview | None]
"""A unit's assignment and (when the job asks for records) its record without cluster fields:
a dict, or the record already encoded as one JSON object (``{"id":...}``, no newline): a
string, or its UTF-8 bytes (``bytes`` or a view of them)."""


@dataclass(frozen=True)
class Job:
    """What an engine is asked to do: the inputs and how to treat them, and where its counts,
    rejects and progress go.

    ``records``: also give each unit's ``stories.jsonl`` record (``segmenter run``);
    ``spool``: a folder for records an engine must hold until the assignments are known
    (the run's staging folder, so they stay on the output's disk); ``observe``: called with
    every analysed document in input order (``check`` reads its findings there; engines that
    analyse elsewhere refuse it); ``run_id``: the job's identity for a persistent index
    (``None``: derived from the inputs and the config, :func:`~segmenter.run_id.derive_run_id`).
    """

    inputs: tuple[str, ...]
    config: Config
    clean: bool = True
    split: bool = True
    explain: bool = False
    records: bool = False
    counters: Counters = field(default_factory=Counters)
    rejects: RejectSink | None = None
    progress: Callable[[Counters], None] | None = None
    spool: Path | None = None
    observe: Callable[[Analysed], None] | None = None
    run_id: str | None = None


class Engine(Protocol):
    """Assigns every unit of a job to its cluster."""

    def assign(self, job: Job) -> Iterator[Assigned]:
        """Each unit's assignment (and record, with ``job.records``), in input order."""
        ...
