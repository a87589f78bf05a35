"""A persistent index in one SQLite file: the embedded default for incremental dedup.

Layout (``PRAGMA journal_mode=WAL``; every batch is one ``BEGIN IMMEDIATE`` transaction, so
several processes can add to one file at once and a killed run leaves only whole batches)::

    meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID    the index's parameters
    sources(id INTEGER PRIMARY KEY, name TEXT UNIQUE)       where units came from
    units(n INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT, digest INTEGER UNIQUE, t INTEGER,
          source INTEGER, length INTEGER, complete INTEGER, shingles INTEGER, sig BLOB)
    bands(key INTEGER, unit INTEGER, PRIMARY KEY (key, unit)) WITHOUT ROWID

``bands.key`` is a 47-bit band key (:func:`~segmenter.index.table_keys`: band digest mixed with
the table name, a 6-byte integer) and ``bands.unit`` the unit's ``n``; a bucket keeps at most
``max_bucket`` units (the first inserted). ``units.sig`` is the low 16 bits of each value of
the unit's full signature (``num_perm * 2`` bytes: 256 at 128 permutations): enough for later
runs to estimate Jaccard similarity and containment against a new unit's exact shingle set
(see :mod:`segmenter.dedup`).
"""

from __future__ import annotations

import fnmatch
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexError_
from . import (
    BatchResult,
    LSHParams,
    PersistentIndex,
    Status,
    StoredUnit,
    UnitInfo,
    batch_rows,
    check_meta,
    table_keys,
)

__all__ = ["SQLiteIndex", "lsh_meta", "open"]

FORMAT = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS units(
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    digest INTEGER NOT NULL UNIQUE,
    t INTEGER NOT NULL,
    source INTEGER,
    length INTEGER NOT NULL,
    complete INTEGER NOT NULL,
    shingles INTEGER NOT NULL,
    sig BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS bands(
    key INTEGER NOT NULL, unit INTEGER NOT NULL, PRIMARY KEY (key, unit)
) WITHOUT ROWID;
"""

_IN = "(SELECT value FROM json_each(?))"


def lsh_meta(params: LSHParams) -> dict[str, str]:
    """The LSH parameters as recorded in an index's metadata."""
    return {
        "num_perm": str(params.num_perm),
        "bands": str(params.bands),
        "rows": str(params.rows),
        "max_bucket": str(params.max_bucket),
        "seed": str(params.seed),
    }


def params_from_meta(meta: Mapping[str, str]) -> LSHParams:
    return LSHParams(
        num_perm=int(meta["num_perm"]),
        bands=int(meta["bands"]),
        rows=int(meta["rows"]),
        max_bucket=int(meta["max_bucket"]),
        seed=int(meta["seed"]),
    )


def path_of(url: str) -> str:
    """``sqlite:///rel/path`` -> ``rel/path``, ``sqlite:////abs/path`` -> ``/abs/path``."""
    rest = url.split("://", 1)[1] if "://" in url else url
    if rest.startswith("/"):
        rest = rest[1:]
    if not rest:
        raise IndexError_(f"no file in index URL {url!r}; use --index PATH or sqlite:///PATH")
    return rest


def open(url: str, params: LSHParams | None = None) -> SQLiteIndex:  # noqa: A001
    return SQLiteIndex(path_of(url), params)


class SQLiteIndex(PersistentIndex):
    """A persistent LSH index in one SQLite file (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str], params: LSHParams | None = None) -> None:
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        if not self.path.parent.is_dir():
            raise IndexError_(
                f"cannot create index {self.path}: folder {self.path.parent} does not exist; "
                "create it first"
            )
        try:
            self._db = sqlite3.connect(str(self.path), timeout=120.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            # The band table takes ~515 B per unit and every batch touches pages all over it:
            # a page cache that holds it (up to ~1M units; pages are only allocated as used)
            # keeps commits from re-reading it. Memory-mapped reads avoid another copy.
            self._db.execute("PRAGMA cache_size=-524288")
            self._db.execute("PRAGMA mmap_size=1073741824")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise IndexError_(
                f"{self.path} is not a usable SQLite index ({exc}); pass a new path or a "
                "segmenter index file"
            ) from exc
        stored = self.meta()
        if params is None:
            params = params_from_meta(stored) if stored else LSHParams()
        elif stored:
            check_meta(stored, lsh_meta(params), str(self.path))
        self.params = params
        self._bucket_cap = params.max_bucket

    # ------------------------------------------------------------------ transactions
    def _begin(self) -> None:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise IndexError_(f"index {self.path} is locked or unwritable ({exc})") from exc

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ metadata
    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def bind(self, meta: Mapping[str, str]) -> None:
        wanted = {"format": FORMAT, **lsh_meta(self.params), **meta}
        self._begin()
        try:
            stored = self.meta()
            if not stored:
                wanted["created"] = str(int(time.time()))
                self._db.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)", sorted(wanted.items())
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        if stored:
            check_meta(stored, wanted, str(self.path))

    # ------------------------------------------------------------------ band tables
    def _buckets(self, keys: np.ndarray) -> dict[int, list[int]]:
        flat = np.unique(keys.ravel())
        out: dict[int, list[int]] = {}
        if len(flat) == 0:
            return out
        rows = self._db.execute(
            f"SELECT key, unit FROM bands WHERE key IN {_IN} ORDER BY key, unit",
            (json.dumps(flat.tolist()),),
        )
        for key, unit in rows:
            out.setdefault(key, []).append(unit)
        return out

    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        tk = table_keys(signatures, self.params, table)
        self._begin()
        try:
            buckets = self._buckets(tk)
            new: list[tuple[int, int]] = []
            for key, row in zip(keys, tk.tolist(), strict=True):
                for k in row:
                    self._put(buckets, k, int(key), new)
            self._db.executemany("INSERT OR IGNORE INTO bands(key, unit) VALUES (?, ?)", new)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _put(
        self, buckets: dict[int, list[int]], k: int, unit: int, new: list[tuple[int, int]]
    ) -> None:
        b = buckets.get(k)
        if b is None:
            buckets[k] = [unit]
        elif len(b) < self._bucket_cap and unit not in b:
            b.append(unit)
        else:
            return
        new.append((k, unit))

    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        tk = table_keys(signatures, self.params, table)
        buckets = self._buckets(tk)
        return [_collect(buckets, row, None) for row in tk.tolist()]

    # ------------------------------------------------------------------ units
    def add_batch(
        self, units: Sequence[UnitInfo], signatures: Mapping[str, np.ndarray]
    ) -> BatchResult:
        if not units:
            return BatchResult([], [], {t: [] for t in signatures})
        tables, keys, sig16 = batch_rows(signatures, self.params)
        now = int(time.time())
        self._begin()
        try:
            known = {
                d: (n, i)
                for n, i, d in self._db.execute(
                    f"SELECT n, id, digest FROM units WHERE digest IN {_IN}",
                    (json.dumps([u.digest for u in units]),),
                )
            }
            buckets = self._buckets(np.concatenate([keys[t] for t in tables], axis=1))
            row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name='units'").fetchone()
            top = self._db.execute("SELECT COALESCE(MAX(n), 0) FROM units").fetchone()[0]
            nxt = max(top, row[0] if row else 0) + 1
            status: list[Status] = []
            rowids: list[int] = []
            cands: dict[str, list[list[int]]] = {t: [] for t in tables}
            new_units: list[tuple[Any, ...]] = []
            new_bands: list[tuple[int, int]] = []
            sources: dict[str | None, int | None] = {None: None}
            for i, u in enumerate(units):
                hit = known.get(u.digest)
                if hit is not None and hit[1] != u.id:
                    status.append("exact")
                    rowids.append(hit[0])
                    for t in tables:
                        cands[t].append([])
                    continue
                if hit is not None:
                    status.append("indexed")
                    rowids.append(hit[0])
                    for t in tables:
                        cands[t].append(_collect(buckets, keys[t][i].tolist(), hit[0]))
                    continue
                n = nxt
                nxt += 1
                known[u.digest] = (n, u.id)
                status.append("new")
                rowids.append(n)
                for t in tables:
                    row_keys = keys[t][i].tolist()
                    cands[t].append(_collect(buckets, row_keys, n))
                    for k in row_keys:
                        self._put(buckets, k, n, new_bands)
                if u.source not in sources:
                    sources[u.source] = self._source_id(u.source)
                new_units.append(
                    (n, u.id, u.digest, now, sources[u.source], u.length, int(u.complete),
                     u.shingles, sig16[i].tobytes())
                )
            self._db.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", new_units)
            self._db.executemany("INSERT INTO bands(key, unit) VALUES (?, ?)", new_bands)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return BatchResult(status, rowids, cands)

    def _source_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        self._db.execute("INSERT OR IGNORE INTO sources(name) VALUES (?)", (name,))
        return int(self._db.execute("SELECT id FROM sources WHERE name = ?", (name,)).fetchone()[0])

    _COLUMNS = "u.n, u.id, u.digest, u.length, u.complete, u.shingles, s.name, u.t, u.sig"

    @staticmethod
    def _stored(r: tuple[Any, ...]) -> StoredUnit:
        return StoredUnit(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], r[7],
                          np.frombuffer(r[8], dtype="<u2"))

    def fetch(self, rowids: Sequence[int]) -> dict[int, StoredUnit]:
        if not rowids:
            return {}
        rows = self._db.execute(
            f"SELECT {self._COLUMNS} FROM units u LEFT JOIN sources s ON s.id = u.source "
            f"WHERE u.n IN {_IN}",
            (json.dumps([int(r) for r in rowids]),),
        )
        return {r[0]: self._stored(r) for r in rows}

    def export(self) -> Iterator[StoredUnit]:
        rows = self._db.execute(
            f"SELECT {self._COLUMNS} FROM units u LEFT JOIN sources s ON s.id = u.source "
            "ORDER BY u.n"
        )
        for r in rows:
            yield self._stored(r)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM units").fetchone()[0])

    def stats(self) -> dict[str, Any]:
        db = self._db
        units = len(self)
        first, last = db.execute("SELECT MIN(t), MAX(t) FROM units").fetchone()
        by_source = db.execute(
            "SELECT COALESCE(s.name, ''), COUNT(*) FROM units u LEFT JOIN sources s "
            "ON s.id = u.source GROUP BY u.source ORDER BY COUNT(*) DESC LIMIT 20"
        ).fetchall()
        page = db.execute("PRAGMA page_size").fetchone()[0]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        tables: dict[str, int] = {}
        try:
            for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
                tables[name] = int(size)
        except sqlite3.DatabaseError:  # pragma: no cover - SQLite without dbstat
            pass
        wal = Path(str(self.path) + "-wal")
        size = self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        used = (pages - free) * page
        return {
            "backend": "sqlite",
            "path": str(self.path),
            "units": units,
            "band_entries": int(db.execute("SELECT COUNT(*) FROM bands").fetchone()[0]),
            "sources": {name: n for name, n in by_source},
            "first_inserted": first,
            "last_inserted": last,
            "bytes_on_disk": size,
            "bytes_used": used,
            "bytes_per_unit": round(used / units, 1) if units else None,
            "bytes_by_table": tables,
            "meta": self.meta(),
        }

    def prune(self, before: float | None = None, source: str | None = None) -> int:
        if before is None and source is None:
            raise IndexError_("prune needs --before and/or --source (refusing to empty the index)")
        where, args = [], []
        if before is not None:
            where.append("u.t < ?")
            args.append(int(before))
        if source is not None:
            names = [
                sid for sid, name in self._db.execute("SELECT id, name FROM sources")
                if fnmatch.fnmatchcase(name, source)
            ]
            where.append(f"u.source IN {_IN}")
            args.append(json.dumps(names))  # type: ignore[arg-type]
        self._begin()
        try:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS doomed(n INTEGER PRIMARY KEY)")
            self._db.execute("DELETE FROM doomed")
            self._db.execute(
                f"INSERT INTO doomed SELECT u.n FROM units u WHERE {' AND '.join(where)}", args
            )
            count = int(self._db.execute("SELECT COUNT(*) FROM doomed").fetchone()[0])
            if count:
                self._db.execute("DELETE FROM bands WHERE unit IN (SELECT n FROM doomed)")
                self._db.execute("DELETE FROM units WHERE n IN (SELECT n FROM doomed)")
            self._db.execute("DELETE FROM doomed")
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return count

    def vacuum(self) -> None:
        """Rebuild the file compactly (after a prune)."""
        self._db.execute("VACUUM")
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _collect(buckets: dict[int, list[int]], keys: list[int], below: int | None) -> list[int]:
    """The units in these buckets (band order, then insertion order), each once, only those
    with a key below ``below`` when it is given."""
    found: list[int] = []
    seen: set[int] = set()
    for k in keys:
        for unit in buckets.get(k, ()):
            if unit not in seen and (below is None or unit < below):
                seen.add(unit)
                found.append(unit)
    return found
