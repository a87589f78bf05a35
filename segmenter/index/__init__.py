"""Candidate indexes over MinHash signatures: one small interface, several backends.

An index holds banded LSH tables. Each *table* (a short name such as ``"full"`` or ``"head"``)
is an independent LSH over signatures of ``num_perm`` uint32 values cut into ``bands`` bands of
``rows`` values (``hashvalues[i*rows:(i+1)*rows]``, as ``datasketch.MinHashLSH`` does with
``params=(bands, rows)``). Two signatures are candidates when they agree on every value of at
least one band of the same table. Keys are non-negative ints (the deduplicator's unit ordinals).

Backends (chosen by :func:`open_index`):

``None`` / ``"memory"``
    :class:`~segmenter.index.memory.MemoryIndex`, our own band tables: numpy open-addressing
    hash tables keyed by a 64-bit digest of each band, worked a batch at a time (about 35 bytes
    per band entry at 1M units).
``"datasketch"`` / ``"memory+datasketch"``
    :class:`~segmenter.index.memory.DatasketchIndex`, one ``datasketch.MinHashLSH`` per table,
    fed :class:`datasketch.LeanMinHash` objects built from the same signatures (slower, bigger;
    kept for compatibility and as the reference).

``PATH`` / ``sqlite:///PATH``
    :class:`~segmenter.index.sqlite.SQLiteIndex`, a persistent index in one SQLite file (WAL).
``redis://host:port/db``
    :class:`~segmenter.index.redis.RedisIndex`, a persistent index shared by a fleet.

Persistent backends subclass :class:`PersistentIndex`: besides the band tables they keep one
:class:`StoredUnit` per indexed unit (its id, content digest, sizes, a 16-bit-per-value copy
of its signature, for verification by later runs, and the id of the run that indexed it), the
index's parameters, and they add whole batches atomically (:meth:`PersistentIndex.add_batch`).

A *run id* (:func:`check_run_id`) names a job: running the same job again (after a crash)
passes the same run id, and the units it indexed the first time are its own (``"indexed"``);
a later job that meets them passes another run id, and they are ``"seen"``.

Writing a backend: subclass :class:`Index` and implement :meth:`Index.insert` and
:meth:`Index.query`; :meth:`Index.query_insert` (the deduplicator's streaming primitive) has a
correct default built on them. Band digests for key-value stores come from :func:`band_digests`.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from ..errors import ConfigError, IndexError_, IndexMismatchError

if TYPE_CHECKING:
    from ..blockindex import BlockRows

__all__ = [
    "BatchResult",
    "Index",
    "LSHParams",
    "PersistentIndex",
    "StoredUnit",
    "UnitInfo",
    "band_digests",
    "added_meta",
    "check_meta",
    "check_run_id",
    "new_run_id",
    "open_index",
    "table_keys",
]


@dataclass(frozen=True, slots=True)
class LSHParams:
    """Banding of the signatures: ``bands * rows <= num_perm``.

    ``max_bucket`` caps how many keys one band bucket keeps (the first ones inserted), so a
    template shared by thousands of units cannot make every query return thousands of candidates.
    """

    num_perm: int = 128
    bands: int = 16
    rows: int = 3
    max_bucket: int = 64
    seed: int = 1

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ConfigError(f"LSH bands and rows must be >= 1, got {self.bands}x{self.rows}")
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(
                f"LSH bands*rows ({self.bands}*{self.rows}) must not exceed num_perm "
                f"({self.num_perm}); lower bands or rows, or raise num_perm"
            )
        if self.max_bucket < 1:
            raise ConfigError(f"max_bucket must be >= 1, got {self.max_bucket}")

    def ranges(self) -> list[tuple[int, int]]:
        """``[start, end)`` of every band, as ``MinHashLSH.hashranges``."""
        return [(i * self.rows, (i + 1) * self.rows) for i in range(self.bands)]

    def collision_probability(self, similarity: float) -> float:
        """Probability that two signatures with this Jaccard similarity become candidates."""
        return float(1.0 - (1.0 - similarity**self.rows) ** self.bands)


# Odd 64-bit multipliers for the band digests (fixed, never Python's randomised hash()).
_BAND_MULT = np.random.RandomState(0xB4D).randint(0, 1 << 62, size=64, dtype=np.int64).astype(
    np.uint64
) * np.uint64(2) + np.uint64(1)


def band_digests(signatures: np.ndarray, params: LSHParams) -> np.ndarray:
    """A ``(units, bands)`` uint64 array: a 64-bit digest of each band of each signature.

    The band number is part of the digest, so one flat key space can hold all bands of a table.
    Deterministic across processes and platforms.
    """
    sig = np.asarray(signatures, dtype=np.uint32)
    if sig.ndim == 1:
        sig = sig[None, :]
    n = sig.shape[0]
    used = sig[:, : params.bands * params.rows].astype(np.uint64)
    cube = used.reshape(n, params.bands, params.rows)
    acc = np.zeros((n, params.bands), dtype=np.uint64)
    for j in range(params.rows):
        acc = (acc + cube[:, :, j]) * _BAND_MULT[j]
        acc ^= acc >> np.uint64(29)
    acc += np.arange(params.bands, dtype=np.uint64) * _BAND_MULT[63]
    acc *= _BAND_MULT[62]
    acc ^= acc >> np.uint64(32)
    return acc


class Index(ABC):
    """Banded LSH tables over MinHash signatures. Keys are non-negative ints."""

    params: LSHParams

    @abstractmethod
    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        """Add ``keys[i]`` with ``signatures[i]`` (a ``(len(keys), num_perm)`` uint32 array)."""

    @abstractmethod
    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        """For each signature, the keys sharing at least one band with it (order of first
        insertion, no duplicates)."""

    def query_insert(
        self, table: str, keys: Sequence[int], signatures: np.ndarray
    ) -> list[list[int]]:
        """Streaming primitive: for each row in order, the candidates among everything inserted
        before it (earlier rows of this call included), then insert the row."""
        out: list[list[int]] = []
        for i, key in enumerate(keys):
            row = signatures[i : i + 1]
            out.append(self.query(table, row)[0])
            self.insert(table, [key], row)
        return out

    def close(self) -> None:  # noqa: B027 - optional hook
        """Flush and release resources (a no-op in memory)."""

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------ persistent
KEY_BITS = 47
"""Band keys of persistent backends are 47-bit integers (a 6-byte SQLite integer)."""
_KEY_MASK = np.uint64((1 << KEY_BITS) - 1)


def table_keys(signatures: np.ndarray, params: LSHParams, table: str) -> np.ndarray:
    """``(units, bands)`` int64 band keys for one table of a persistent index: the band digest
    mixed with the table name, cut to :data:`KEY_BITS` bits (one flat key space for all tables).
    """
    salt = int.from_bytes(table.encode("utf-8")[:8].ljust(8, b"\0"), "little")
    salt = (salt * 0x9E3779B97F4A7C15 + len(table)) & 0xFFFFFFFFFFFFFFFF
    d = band_digests(signatures, params) ^ np.uint64(salt)
    d *= np.uint64(0xBF58476D1CE4E5B9)
    d ^= d >> np.uint64(31)
    return (d & _KEY_MASK).astype(np.int64)


def batch_rows(
    signatures: Mapping[str, np.ndarray], params: LSHParams
) -> tuple[list[str], dict[str, np.ndarray], np.ndarray]:
    """What a persistent backend stores for a batch: its table names, each table's band keys
    (:func:`table_keys`), and the low 16 bits of every unit's first (full) signature."""
    tables = list(signatures)
    keys = {t: table_keys(signatures[t], params, t) for t in tables}
    full = np.asarray(signatures[tables[0]], dtype=np.uint32)
    return tables, keys, (full & np.uint32(0xFFFF)).astype("<u2")


@dataclass(frozen=True, slots=True)
class UnitInfo:
    """What the deduplicator tells a persistent index about a unit it adds."""

    id: str
    digest: int  # signed 64-bit content digest (identical texts have equal digests)
    length: int  # characters
    complete: bool  # an article / whole document that is not truncated
    shingles: int  # size of the unit's shingle set
    source: str | None = None


@dataclass(frozen=True, slots=True)
class StoredUnit:
    """A unit as a persistent index keeps it."""

    rowid: int  # the index's own key for the unit (insertion order)
    id: str
    digest: int
    length: int
    complete: bool
    shingles: int
    source: str | None
    time: int  # insertion time, Unix seconds
    sig: np.ndarray = field(repr=False)  # the low 16 bits of each full-signature value (uint16)
    run: str | None = None  # the run id that indexed it (None: indexed before run ids)


Status = Literal["new", "indexed", "seen", "exact"]

_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}")


def check_run_id(run_id: str) -> str:
    """``run_id`` if it is a valid run id (1 to 128 letters, digits and ``._:@+-``, starting
    with a letter or digit), else :class:`ConfigError` saying so."""
    if not isinstance(run_id, str) or not _RUN_ID.fullmatch(run_id):
        raise ConfigError(
            f"bad run id {run_id!r}: use 1 to 128 letters, digits and . _ : @ + - (starting "
            "with a letter or digit), e.g. --run-id 2024-06-01T10"
        )
    return run_id


def new_run_id() -> str:
    """A run id no other run has: for a job that cannot be recognised when it runs again."""
    return "once-" + uuid.uuid4().hex[:16]


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What :meth:`PersistentIndex.add_batch` did with each unit of a batch.

    ``status[i]``: ``"new"`` (inserted now with key ``rowid[i]``), ``"indexed"`` (this run
    indexed the same id with the same content before, as ``rowid[i]``: nothing inserted,
    candidates only among units indexed before it), ``"seen"`` (another run met the same id
    with the same content: indexed it as ``rowid[i]``, or met it as a copy of ``rowid[i]``;
    nothing inserted, no candidates) or ``"exact"`` (another unit with identical content is
    indexed as ``rowid[i]``: nothing inserted, no candidates; the index remembers the id as a
    copy of it). ``candidates[table][i]``: keys of the units sharing a band with it, in band
    order then insertion order. ``earlier[i]`` for a ``"seen"`` row: the run id that met it
    first (None: before run ids) and when (Unix seconds).
    """

    status: list[Status]
    rowid: list[int]
    candidates: dict[str, list[list[int]]]
    earlier: dict[int, tuple[str | None, int]] = field(default_factory=dict)


ADDED_META = ("block_sample", "block_anchors", "block_max_df")
"""Parameters an index made before they existed may lack: the first run that has them records
them (units indexed before are found without them, e.g. no block fingerprints)."""


def added_meta(stored: Mapping[str, str], wanted: Mapping[str, str]) -> dict[str, str]:
    """The :data:`ADDED_META` entries of ``wanted`` that an existing index does not record."""
    if not stored:
        return {}
    return {k: wanted[k] for k in ADDED_META if k in wanted and k not in stored}


def check_meta(stored: Mapping[str, str], wanted: Mapping[str, str], where: str) -> None:
    """Raise :class:`IndexMismatchError` naming every parameter on which an existing index and
    this run disagree, and how to fix it."""
    bad = [k for k in wanted if k in stored and stored[k] != wanted[k]]
    missing = [k for k in wanted if k not in stored]
    if not bad and not missing:
        return
    parts = [f"{k}={stored[k]} (this run: {wanted[k]})" for k in bad]
    parts += [f"{k} (not recorded; this run: {wanted[k]})" for k in missing]
    fixes = {
        "num_perm": "--num-perm", "shingle": "--shingle", "char_size": "[dedup] char_size",
        "head": "[dedup] head", "bands": "[dedup] bands", "rows": "[dedup] rows",
        "max_bucket": "[dedup] max_bucket", "seed": "[dedup] seed", "scheme": None,
        "block_sample": "[dedup] block_sample", "block_anchors": None, "block_max_df": None,
        "format": None,
    }
    how = [f"{fixes[k]} {stored[k]}" for k in bad if fixes.get(k)]
    hint = (f"run with the index's settings ({', '.join(how)}), or " if how else "")
    raise IndexMismatchError(
        f"index {where} was built with incompatible parameters: {'; '.join(parts)}. "
        f"Fix: {hint}use a new index path/URL (or a new key prefix)"
    )


class PersistentIndex(Index):
    """An index that outlives the run: SQLite file or Redis. Keys are its own row ids.

    A backend's errors (a full disk, the server gone) leave its methods as
    :class:`~segmenter.errors.IndexError_` naming the index: methods that talk to the store are
    decorated with :func:`backend_call`, and ``backend_errors`` lists the errors it converts."""

    url: str
    store = "persistent"  # the kind of store, in messages ("SQLite", "Redis")
    backend_errors: tuple[type[BaseException], ...] = ()

    def backend_error(self, exc: BaseException) -> IndexError_:
        """The error a method raises for the backend's ``exc``."""
        return IndexError_(f"{self.store} index {self.url}: {exc}")

    @abstractmethod
    def bind(self, meta: Mapping[str, str]) -> None:
        """Record ``meta`` (the run's parameters) in an empty index, or check that an existing
        index was built with the same ones (:func:`check_meta`)."""

    @abstractmethod
    def meta(self) -> dict[str, str]:
        """The recorded parameters (empty for a new index)."""

    @abstractmethod
    def add_batch(
        self, units: Sequence[UnitInfo], signatures: Mapping[str, np.ndarray],
        run: str | None = None, blocks: BlockRows | None = None,
    ) -> BatchResult:
        """Atomically (all of the batch or none of it): for every unit in order, look it up by
        content digest, query its bands in every table of ``signatures`` (``"full"`` first:
        its values are what is stored for verification) and insert it when it is new, recorded
        as indexed by ``run`` (a :func:`check_run_id`). A unit whose id and content were met
        before (indexed, or as a copy of an indexed text) is ``"seen"`` when another run met
        them, else (or when ``run`` is None: no identity) ``"indexed"`` or ``"exact"`` as the
        first time. A copy met for the first time is remembered with ``run``.

        ``blocks`` (one row per unit): the units' block fingerprints. The index stores those of
        new units (at most ``block_max_df`` units per fingerprint, the first ones) and returns
        ``candidates["block"]``: for each unit, the earlier stored units that are its block
        candidates (:func:`segmenter.blockindex.stored_candidates`)."""

    @abstractmethod
    def fetch(self, rowids: Sequence[int]) -> dict[int, StoredUnit]:
        """The stored units for these keys (pruned ones are missing)."""

    @abstractmethod
    def stats(self) -> dict[str, Any]:
        """Counts and sizes for ``segmenter index stats``."""

    @abstractmethod
    def export(self) -> Iterator[StoredUnit]:
        """Every stored unit, in insertion order."""

    @abstractmethod
    def prune(self, before: float | None = None, source: str | None = None) -> int:
        """Delete the units inserted before ``before`` (Unix time) and/or whose source matches
        the glob ``source``, with their band entries. Returns how many were deleted."""


_F = TypeVar("_F", bound=Callable[..., Any])


def backend_call(method: _F) -> _F:
    """A :class:`PersistentIndex` method whose backend errors (``self.backend_errors``: a full
    disk, a lock timeout, the server gone) become ``self.backend_error(exc)``, wherever in a run
    they happen (a generator's while it is iterated): the CLI prints them as errors naming
    the index, not as tracebacks."""
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def iterate(self: PersistentIndex, *args: Any, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from method(self, *args, **kwargs)
            except self.backend_errors as exc:
                raise self.backend_error(exc) from exc

        return iterate  # type: ignore[return-value]

    @functools.wraps(method)
    def call(self: PersistentIndex, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except self.backend_errors as exc:
            raise self.backend_error(exc) from exc

    return call  # type: ignore[return-value]


def _is_path(url: str) -> bool:
    return "://" not in url and url not in ("memory", "datasketch", "memory+datasketch")


def open_index(
    url: str | os.PathLike[str] | None = None,
    params: LSHParams | Mapping[str, Any] | None = None,
) -> Index:
    """Open an index by URL: ``None`` or ``"memory"`` (default, our band tables),
    ``"datasketch"`` (``datasketch.MinHashLSH`` in memory), a file path or ``sqlite:///PATH``
    (a persistent SQLite index), ``redis://host:port/db[?prefix=NAME]`` (a persistent Redis
    index). ``params``: :class:`LSHParams` or a mapping of its fields; ``None`` means the
    defaults, or for an existing persistent index its recorded parameters."""
    if url is not None and not isinstance(url, str):
        url = os.fspath(url)
    if params is None:
        p = None
    elif isinstance(params, LSHParams):
        p = params
    else:
        try:
            p = LSHParams(**dict(params))
        except TypeError as exc:
            raise ConfigError(f"bad index parameters {dict(params)!r}: {exc}") from exc
    if url and _is_path(url):
        url = "sqlite:///" + url  # SQLAlchemy style: sqlite:///rel/path, sqlite:////abs/path
    scheme = (url or "memory").split("://", 1)[0].lower()
    if scheme == "memory":
        from .memory import MemoryIndex

        return MemoryIndex(p or LSHParams())
    if scheme in ("datasketch", "memory+datasketch"):
        from .memory import DatasketchIndex

        return DatasketchIndex(p or LSHParams())
    if scheme in ("sqlite", "redis"):
        # Backends added later live in segmenter/index/<scheme>.py as open(url, params) -> Index.
        import importlib

        try:
            module = importlib.import_module(f".{scheme}", __name__)
        except ImportError as exc:
            raise ConfigError(
                f"index backend {scheme!r} is not available ({exc}); install it with "
                f"pip install 'segmenter[{scheme}]' or use 'memory'"
            ) from exc
        return module.open(url, p)  # type: ignore[no-any-return]
    raise ConfigError(
        f"unknown index {url!r}; use 'memory', 'datasketch', a file path, 'sqlite:///path' or "
        "'redis://host:port/db'"
    )
