"""A persistent index in Redis, for a fleet of scrapers feeding one index.

URL: ``redis://host:port/db[?prefix=NAME]`` (``rediss://`` for TLS; the key prefix defaults to
``segmenter``). Every batch is one Lua script call (``EVALSHA``): the digest lookups, band
queries and inserts of up to ``batch_size`` units run atomically in one round trip, so
concurrent writers never interleave inside a batch and a killed client leaves whole batches.

Keys (``P`` = prefix)::

    P:meta            hash   the index's parameters
    P:next            string the last unit key handed out (INCR)
    P:h               hash   content digest -> "key<TAB>id", or "key:run<TAB>id" (the run id
                             that indexed it; without one: indexed before run ids)
    P:u:<key//512>    hash   key -> packed unit record (sizes, time, id, source, 16-bit
                             signature, run id)
    P:c               hash   "digest<TAB>id" -> "time<TAB>run": another id an indexed text was
                             met with, and the job that met it first
    P:b:<band>>27>    hash   47-bit band key -> "key,key,..." (at most max_bucket keys)
    P:f:<fp>>12>      hash   block fingerprint -> "key:code,key:code,..." (at most
                             block_max_df units, the first ones: template text beyond; code:
                             the unit's fingerprint count << 1 | one-line flag)

Hashes are bucketed so Redis keeps them in its compact listpack encoding. Needs the ``redis``
client (``pip install 'segmenter[redis]'``) and Redis >= 6.
"""

from __future__ import annotations

import fnmatch
import struct
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, IndexError_
from . import (
    BatchResult,
    LSHParams,
    PersistentIndex,
    Status,
    StoredUnit,
    UnitInfo,
    added_meta,
    backend_call,
    batch_rows,
    check_meta,
    table_keys,
)
from .sqlite import lsh_meta, params_from_meta

if TYPE_CHECKING:
    from ..blockindex import BlockRows

__all__ = ["RedisIndex", "open"]

FORMAT = "1"  # the Redis layout (run ids were added without a change older records can't read)
_SAME_LAYOUT = ("2",)  # written by versions that took the SQLite format number for Redis's
_UNIT_SHARD = 512
_BAND_SHIFT = 27
_HEAD = struct.Struct("<qIIBIH")  # digest, time, length, complete, shingles, len(id)

_ADD = """
local p, cap, n, nt, nb, run, now = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]),
    tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
local bcap = tonumber(ARGV[8])
local tag = ''
if run ~= '' then tag = ':' .. run end
local pos = 9
local blen = {}
local out, buckets, dirty = {}, {}, {}
for i = 1, n do
  local digest, id, blob = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2]
  pos = pos + 3
  local status, rowid
  local erun, etime = '', 0
  local hit = redis.call('HGET', p .. ':h', digest)
  if hit then
    local tab = string.find(hit, '\\t', 1, true)
    local head, mrun = string.sub(hit, 1, tab - 1), ''
    local colon = string.find(head, ':', 1, true)
    if colon then
      mrun = string.sub(head, colon + 1)
      head = string.sub(head, 1, colon - 1)
    end
    rowid = tonumber(head)
    local mine = string.sub(hit, tab + 1) == id
    local met = mine
    local ck = digest .. '\\t' .. id
    local copy = nil
    if not mine then copy = redis.call('HGET', p .. ':c', ck) end
    if copy then
      local t2 = string.find(copy, '\\t', 1, true)
      met, mrun = true, string.sub(copy, t2 + 1)
      etime = tonumber(string.sub(copy, 1, t2 - 1))
    end
    if not met then
      status = 'exact'
      redis.call('HSET', p .. ':c', ck, now .. '\\t' .. run)
    elseif run ~= '' and mrun ~= run then
      status, erun = 'seen', mrun
      if mine then
        local rec = redis.call('HGET', p .. ':u:' .. math.floor(rowid / 512), rowid)
        if rec then
          local b1, b2, b3, b4 = string.byte(rec, 9, 12)
          etime = b1 + b2 * 256 + b3 * 65536 + b4 * 16777216
        end
      end
    elseif mine then status = 'indexed'
    else status = 'exact' end
  else
    status = 'new'
    rowid = redis.call('INCR', p .. ':next')
    redis.call('HSET', p .. ':h', digest, rowid .. tag .. '\\t' .. id)
    redis.call('HSET', p .. ':u:' .. math.floor(rowid / 512), rowid, blob)
  end
  local res = {status, rowid, erun, etime}
  for t = 1, nt do
    local cands, seen = {}, {}
    for b = 1, nb do
      local hk, f = ARGV[pos], ARGV[pos + 1]
      pos = pos + 2
      if status == 'new' or status == 'indexed' then
        local ck = hk .. '|' .. f
        local lst = buckets[ck]
        if lst == nil then
          lst = {}
          local v = redis.call('HGET', hk, f)
          if v then for x in string.gmatch(v, '%d+') do lst[#lst + 1] = tonumber(x) end end
          buckets[ck] = lst
        end
        for _, u in ipairs(lst) do
          if u < rowid and not seen[u] then seen[u] = true; cands[#cands + 1] = u end
        end
        if status == 'new' and #lst < cap and lst[#lst] ~= rowid then
          lst[#lst + 1] = rowid
          dirty[ck] = {hk, f}
        end
      end
    end
    res[#res + 1] = cands
  end
  if bcap > 0 then
    -- block fingerprints: the units stored before this batch, then this unit if new
    local nf, post = tonumber(ARGV[pos]), rowid .. ':' .. ARGV[pos + 1]
    pos = pos + 2
    local hits = {}
    for j = 1, nf do
      local fp = ARGV[pos]
      pos = pos + 1
      if status == 'new' or status == 'indexed' then
        local hk = p .. ':f:' .. math.floor(tonumber(fp) / 4096)
        local ck = hk .. '|' .. fp
        local lst = buckets[ck]
        if lst == nil then
          lst = {}
          local v = redis.call('HGET', hk, fp)
          if v then for x in string.gmatch(v, '[^,]+') do lst[#lst + 1] = x end end
          buckets[ck], blen[ck] = lst, #lst
        end
        if blen[ck] < bcap then
          for k = 1, blen[ck] do hits[#hits + 1] = j; hits[#hits + 1] = lst[k] end
        end
        if status == 'new' and #lst < bcap then
          lst[#lst + 1] = post
          dirty[ck] = {hk, fp}
        end
      end
    end
    res[#res + 1] = hits
  end
  out[#out + 1] = res
end
for ck, kf in pairs(dirty) do redis.call('HSET', kf[1], kf[2], table.concat(buckets[ck], ',')) end
return out
"""

_INSERT = """
local cap = tonumber(ARGV[1])
for pos = 2, #ARGV, 3 do
  local hk, f, key = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2]
  local v = redis.call('HGET', hk, f)
  if not v then
    redis.call('HSET', hk, f, key)
  else
    local count, found = 0, false
    for x in string.gmatch(v, '%d+') do
      count = count + 1
      if x == key then found = true end
    end
    if not found and count < cap then redis.call('HSET', hk, f, v .. ',' .. key) end
  end
end
return 1
"""

_BIND = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  for pos = 1, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[pos], ARGV[pos + 1]) end
  return {}
end
return redis.call('HGETALL', KEYS[1])
"""


def open(url: str, params: LSHParams | None = None) -> RedisIndex:  # noqa: A001
    """The index at ``redis://HOST:PORT/DB`` (what :func:`~segmenter.index.open_index` calls)."""
    return RedisIndex(url, params)


def _without_password(url: str) -> str:
    """``url`` with its password (``redis://:SECRET@host``) replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _pack(u: UnitInfo, now: int, sig: np.ndarray, run: str | None) -> bytes:
    ident = u.id.encode("utf-8", "surrogatepass")
    src = b"\xff" if u.source is None else b"\x00" + u.source.encode("utf-8", "surrogatepass")
    head = _HEAD.pack(u.digest, now, u.length, int(u.complete), u.shingles, len(ident))
    tail = run.encode("ascii") if run else b""  # records of older versions end at the sig
    return head + ident + struct.pack("<H", len(src)) + src + sig.astype("<u2").tobytes() + tail


def _unpack(rowid: int, blob: bytes, num_perm: int) -> StoredUnit:
    digest, t, length, complete, shingles, n = _HEAD.unpack_from(blob)
    pos = _HEAD.size
    ident = blob[pos : pos + n].decode("utf-8", "surrogatepass")
    pos += n
    (m,) = struct.unpack_from("<H", blob, pos)
    pos += 2
    src = blob[pos : pos + m]
    pos += m
    source = None if src == b"\xff" else src[1:].decode("utf-8", "surrogatepass")
    end = pos + 2 * num_perm
    sig = np.frombuffer(blob[pos:end], dtype="<u2")
    run = blob[end:].decode("ascii") or None
    return StoredUnit(rowid, ident, digest, length, bool(complete), shingles, source, t, sig, run)


class RedisIndex(PersistentIndex):
    """A persistent LSH index in Redis (see the module docstring)."""

    store = "Redis"

    def __init__(self, url: str, params: LSHParams | None = None) -> None:
        try:
            import redis
        except ImportError as exc:
            raise ConfigError(
                "the Redis index needs the redis client: pip install 'segmenter[redis]'"
            ) from exc
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        self.prefix = (query.pop("prefix", ["segmenter"]) or ["segmenter"])[0]
        rest = urllib.parse.urlencode({k: v[-1] for k, v in query.items()})
        self.url = _without_password(url)  # shown in messages, stats and report.json
        clean = urllib.parse.urlunsplit(parts._replace(query=rest))
        self.backend_errors = (redis.RedisError,)
        try:
            self._r: Any = redis.Redis.from_url(clean, socket_timeout=60)
            self._r.ping()
            self._add = self._r.register_script(_ADD)
            self._insert = self._r.register_script(_INSERT)
            self._bind = self._r.register_script(_BIND)
            stored = self.meta()
        except redis.RedisError as exc:
            raise IndexError_(
                f"cannot use the Redis index {self.url} ({exc}); check that redis-server runs "
                "there and the URL (redis://HOST:PORT/DB)"
            ) from exc
        if params is None:
            params = params_from_meta(stored) if stored else LSHParams()
        elif stored:
            check_meta(stored, lsh_meta(params), self.url)
        self.params = params

    def _k(self, *parts: object) -> str:
        return ":".join((self.prefix, *map(str, parts)))

    def close(self) -> None:
        self._r.close()

    # ------------------------------------------------------------------ metadata
    @backend_call
    def meta(self) -> dict[str, str]:
        raw = self._r.hgetall(self._k("meta"))
        return {k.decode(): v.decode() for k, v in raw.items()}

    @backend_call
    def bind(self, meta: Mapping[str, str]) -> None:
        wanted = {"format": FORMAT, **lsh_meta(self.params), **meta}
        args: list[Any] = []
        for k, v in sorted({**wanted, "created": str(int(time.time()))}.items()):
            args += [k, v]
        got = self._bind(keys=[self._k("meta")], args=args)
        if got:
            stored = {got[i].decode(): got[i + 1].decode() for i in range(0, len(got), 2)}
            if stored.get("format") in _SAME_LAYOUT:
                stored["format"] = FORMAT
            for k, v in added_meta(stored, wanted).items():  # settings it did not record
                self._r.hsetnx(self._k("meta"), k, v)
                stored[k] = (self._r.hget(self._k("meta"), k) or b"").decode()
            check_meta(stored, wanted, self.url)

    # ------------------------------------------------------------------ band tables
    def _band_args(self, keys: np.ndarray) -> list[tuple[str, str]]:
        return [(self._k("b", k >> _BAND_SHIFT), str(k)) for k in keys.tolist()]

    @backend_call
    def insert(self, table: str, keys: Sequence[int], signatures: np.ndarray) -> None:
        tk = table_keys(signatures, self.params, table)
        args: list[Any] = [self.params.max_bucket]
        for key, row in zip(keys, tk, strict=True):
            for hk, f in self._band_args(row):
                args += [hk, f, int(key)]
        self._insert(args=args)

    @backend_call
    def query(self, table: str, signatures: np.ndarray) -> list[list[int]]:
        tk = table_keys(signatures, self.params, table)
        pipe = self._r.pipeline(transaction=False)
        for row in tk:
            for hk, f in self._band_args(row):
                pipe.hget(hk, f)
        values = iter(pipe.execute())
        out = []
        for _row in tk:
            found: list[int] = []
            seen: set[int] = set()
            for _ in range(tk.shape[1]):
                v = next(values)
                for x in (v.split(b",") if v else ()):
                    u = int(x)
                    if u not in seen:
                        seen.add(u)
                        found.append(u)
            out.append(found)
        return out

    # ------------------------------------------------------------------ units
    @backend_call
    def add_batch(
        self, units: Sequence[UnitInfo], signatures: Mapping[str, np.ndarray],
        run: str | None = None, blocks: BlockRows | None = None,
    ) -> BatchResult:
        if not units:
            return BatchResult([], [], {t: [] for t in signatures})
        tables, keys, sig16 = batch_rows(signatures, self.params)
        now = int(time.time())
        args: list[Any] = [self.prefix, self.params.max_bucket, len(units), len(tables),
                           self.params.bands, run or "", now,
                           0 if blocks is None else blocks.config.max_df]
        if blocks is not None:
            bounds = np.searchsorted(blocks.row, np.arange(len(units) + 1))
            fps, codes = blocks.fps.tolist(), blocks.code().tolist()
        for i, u in enumerate(units):
            args += [str(u.digest), u.id, _pack(u, now, sig16[i], run)]
            for t in tables:
                for hk, f in self._band_args(keys[t][i]):
                    args += [hk, f]
            if blocks is not None:
                args += [int(bounds[i + 1] - bounds[i]), codes[i], *fps[bounds[i]:bounds[i + 1]]]
        got = self._add(args=args)
        status: list[Status] = []
        rowids: list[int] = []
        cands: dict[str, list[list[int]]] = {t: [] for t in tables}
        earlier: dict[int, tuple[str | None, int]] = {}
        for i, res in enumerate(got):
            status.append(res[0].decode())
            rowids.append(int(res[1]))
            if status[-1] == "seen":
                earlier[i] = (res[2].decode() or None, int(res[3]))
            for t, c in zip(tables, res[4 : 4 + len(tables)], strict=True):
                cands[t].append([int(x) for x in c])
        if blocks is not None:
            cands["block"] = self._block_candidates(blocks, rowids, status, got, len(tables))
        return BatchResult(status, rowids, cands, earlier)

    @staticmethod
    def _block_candidates(blocks: BlockRows, rowids: list[int], status: list[Status],
                          got: list[Any], at: int) -> list[list[int]]:
        """The block candidates from the script's replies (fingerprint number, "key:code")."""
        from ..blockindex import stored_candidates

        bounds = np.searchsorted(blocks.row, np.arange(len(rowids) + 1))
        hit: list[int] = []
        key: list[int] = []
        code: list[int] = []
        for i, res in enumerate(got):
            flat = res[4 + at]
            for j in range(0, len(flat), 2):
                k, c = flat[j + 1].split(b":")
                hit.append(int(bounds[i]) + int(flat[j]) - 1)
                key.append(int(k))
                code.append(int(c))
        found = stored_candidates(blocks, np.asarray(rowids, dtype=np.int64),
                                  np.asarray(hit, dtype=np.int64), np.asarray(key, np.int64),
                                  np.asarray(code, dtype=np.int64))
        return [c if s in ("new", "indexed") else [] for c, s in zip(found, status, strict=True)]

    @backend_call
    def fetch(self, rowids: Sequence[int]) -> dict[int, StoredUnit]:
        if not rowids:
            return {}
        pipe = self._r.pipeline(transaction=False)
        for r in rowids:
            pipe.hget(self._k("u", r // _UNIT_SHARD), r)
        return {
            r: _unpack(r, blob, self.params.num_perm)
            for r, blob in zip(rowids, pipe.execute(), strict=True)
            if blob is not None
        }

    def _scan(self, kind: str) -> Iterator[bytes]:
        yield from self._r.scan_iter(match=self._k(kind, "*"), count=1000)

    @backend_call
    def export(self) -> Iterator[StoredUnit]:
        shards = sorted(int(k.rsplit(b":", 1)[1]) for k in self._scan("u"))
        for shard in shards:
            raw = self._r.hgetall(self._k("u", shard))
            for r in sorted(int(k) for k in raw):
                yield _unpack(r, raw[str(r).encode()], self.params.num_perm)

    @backend_call
    def __len__(self) -> int:
        return int(self._r.hlen(self._k("h")))

    @backend_call
    def stats(self) -> dict[str, Any]:
        units = 0
        sources: dict[str, int] = {}
        times: list[int] = []
        for u in self.export():
            units += 1
            sources[u.source or ""] = sources.get(u.source or "", 0) + 1
            times.append(u.time)
        first = min(times) if times else None
        last = max(times) if times else None
        used = 0
        entries = 0
        band_prefix = self._k("b", "").encode()
        keys: list[bytes] = []

        def measure(batch: list[bytes]) -> None:  # one round trip per 1,000 keys
            nonlocal used, entries
            pipe = self._r.pipeline(transaction=False)
            for key in batch:
                pipe.memory_usage(key, samples=0)
                if key.startswith(band_prefix):
                    pipe.hlen(key)
            replies = iter(pipe.execute())
            for key in batch:
                used += int(next(replies) or 0)
                if key.startswith(band_prefix):
                    entries += int(next(replies))

        for key in self._r.scan_iter(match=self._k("*"), count=1000):
            keys.append(key)
            if len(keys) >= 1000:
                measure(keys)
                keys = []
        if keys:
            measure(keys)
        top = dict(sorted(sources.items(), key=lambda kv: -kv[1])[:20])
        return {
            "backend": "redis",
            "url": self.url,
            "units": units,
            "band_entries": entries,
            "copies": int(self._r.hlen(self._k("c"))),
            "sources": top,
            "first_inserted": first,
            "last_inserted": last,
            "bytes_used": used,
            "bytes_per_unit": round(used / units, 1) if units else None,
            "meta": self.meta(),
        }

    @backend_call
    def prune(self, before: float | None = None, source: str | None = None) -> int:
        """Not atomic with respect to concurrent writers: prune while no run is adding."""
        if before is None and source is None:
            raise IndexError_("prune needs --before and/or --source (refusing to empty the index)")
        doomed: dict[int, StoredUnit] = {}
        for u in self.export():
            if before is not None and not u.time < before:
                continue
            if source is not None and not fnmatch.fnmatchcase(u.source or "", source):
                continue
            doomed[u.rowid] = u
        self._prune_copies(before, {str(u.digest).encode() for u in doomed.values()})
        if not doomed:
            return 0
        gone = {str(r).encode() for r in doomed}
        for key in [*self._scan("b"), *self._scan("f")]:
            raw = self._r.hgetall(key)
            pipe = self._r.pipeline(transaction=True)
            for f, v in raw.items():  # band entries "key", block postings "key:code"
                keep = [x for x in v.split(b",") if x.split(b":", 1)[0] not in gone]
                if len(keep) == len(v.split(b",")):
                    continue
                if keep:
                    pipe.hset(key, f, b",".join(keep))
                else:
                    pipe.hdel(key, f)
            pipe.execute()
        pipe = self._r.pipeline(transaction=True)
        for r, u in doomed.items():
            pipe.hdel(self._k("u", r // _UNIT_SHARD), r)
            pipe.hdel(self._k("h"), str(u.digest))
        pipe.execute()
        return len(doomed)

    def _prune_copies(self, before: float | None, digests: set[bytes]) -> None:
        """Forget the copies met before ``before`` or of these texts."""
        key = self._k("c")
        doomed = []
        for field, value in self._r.hscan_iter(key, count=1000):
            digest = field.split(b"\t", 1)[0]
            t = int(value.split(b"\t", 1)[0])
            if digest in digests or (before is not None and t < before):
                doomed.append(field)
        for i in range(0, len(doomed), 1000):
            self._r.hdel(key, *doomed[i : i + 1000])

    @backend_call
    def drop(self) -> int:
        """Delete every key of this index (its prefix). Returns how many keys."""
        keys = list(self._r.scan_iter(match=self._k("*"), count=1000))
        for i in range(0, len(keys), 1000):
            self._r.delete(*keys[i : i + 1000])
        return len(keys)
