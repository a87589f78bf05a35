#!/usr/bin/env python3
"""Persistent index throughput and size: SQLite and Redis, beside datasketch's MinHashLSH with
Redis storage, on signatures of a make_corpus.py corpus.

    python bench/bench_index.py [--shared ../shared] [--n 20000] [--redis redis://127.0.0.1:6379/14]
                                [--baseline-n 2000] [--skip-redis] [--no-blocks]

Timed: "query plus insert" of every unit (both LSH tables, full and head, 16x3 bands, 128
permutations; batches of DedupConfig.index_batch_size), i.e. ``PersistentIndex.add_batch``:
digest lookup, band queries,
inserts, one transaction / Lua call per batch; with the block fingerprints a run's add_batch
passes (issue 13: the sampled shingles, queried and stored per batch; ``--no-blocks``: without
them). Signatures and fingerprints are computed beforehand (not timed).
The datasketch baseline does the same per unit with one ``MinHashLSH`` (full table only, so it
does half our work): ``query`` then ``insert`` inside an ``insertion_session`` per batch, on
``--baseline-n`` units. Size: bytes used per unit of the SQLite file (page count minus free
pages; per table from dbstat) and its extrapolation to 1M units, and the growth of the process's
peak resident set and what the index holds (SQLite keeps every band entry and block posting in
memory, as sorted arrays), and the CPU time and memory of opening the built index (its first
query loads the band entries); Redis ``MEMORY USAGE`` of the index's keys. Targets: >= 5,000
units/s and <= 600 B/unit SQLite (averaged over the build: ``--n 1000000`` for the 1M figure),
>= 2,000 units/s Redis. Signatures are cached under
/tmp/segmenter-bench (first run of a size: minutes).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from segmenter.blockindex import BlockRows, SampleConfig, block_rows  # noqa: E402
from segmenter.config import DedupConfig  # noqa: E402
from segmenter.fingerprint import Signer, shingle_batch  # noqa: E402
from segmenter.index import LSHParams, PersistentIndex, UnitInfo, open_index  # noqa: E402

BATCH = DedupConfig().index_batch_size  # what a run with --index uses


def texts_for(shared: Path, n: int) -> list[str]:
    gen = shared / "eval" / "make_corpus.py"
    if gen.is_file():
        from bench_dedup import corpus, read_texts

        return [t for _, t in read_texts(corpus(shared, n), n)]
    rng = random.Random(1)  # no shared data: random word soup
    words = [f"w{i}" for i in range(5000)]
    return [" ".join(rng.choice(words) for _ in range(400)) for _ in range(n)]


def sign(texts: list[str], cfg: DedupConfig) -> tuple[np.ndarray, np.ndarray, list[UnitInfo]]:
    signer = Signer(cfg.num_perm, cfg.seed)
    fulls, heads, infos = [], [], []
    for lo in range(0, len(texts), BATCH):
        chunk = texts[lo : lo + BATCH]
        sh = shingle_batch(chunk, cfg.shingle_kind, cfg.shingle_size, cfg.char_size)
        f, h = signer.sign(sh, cfg.head)
        assert h is not None
        fulls.append(f)
        heads.append(h)
        for i, t in enumerate(chunk):
            d = hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=8).digest()
            infos.append(UnitInfo(f"u{lo + i}", int.from_bytes(d, "little", signed=True),
                                  len(t), True, int(len(np.unique(sh.unit(i)))), "bench"))
    return np.concatenate(fulls), np.concatenate(heads), infos


def signed(shared: Path, n: int, cfg: DedupConfig
           ) -> tuple[np.ndarray, np.ndarray, list[UnitInfo]]:
    """:func:`sign` over the first ``n`` corpus texts, cached under /tmp/segmenter-bench (the
    signatures of a 1M corpus take minutes to compute and are not what is timed)."""
    from bench_dedup import CACHE

    tag = "make_corpus" if (shared / "eval" / "make_corpus.py").is_file() else "random"
    path = CACHE / f"signed-{tag}-{n}-{cfg.num_perm}-{cfg.head}-{cfg.seed}.npz"
    if path.is_file():
        z = np.load(path)
        infos = [UnitInfo(f"u{i}", int(d), int(ln), True, int(s), "bench")
                 for i, (d, ln, s) in enumerate(zip(z["digest"].tolist(), z["length"].tolist(),
                                                    z["shingles"].tolist(), strict=True))]
        return z["full"], z["head"], infos
    full, head, infos = sign(texts_for(shared, n), cfg)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, full=full, head=head, digest=np.array([u.digest for u in infos]),
             length=np.array([u.length for u in infos]),
             shingles=np.array([u.shingles for u in infos]))
    tmp.rename(path)
    return full, head, infos


def blocked(shared: Path, n: int, cfg: DedupConfig, batch: int = BATCH) -> list[BlockRows]:
    """The block rows of every batch of ``batch`` units (what a dedup run passes to add_batch),
    cached beside the signatures."""
    from bench_dedup import CACHE

    config = SampleConfig(sample=cfg.block_sample)
    tag = "make_corpus" if (shared / "eval" / "make_corpus.py").is_file() else "random"
    path = CACHE / f"blocks-{tag}-{n}-{config.sample}-{config.anchors}.npz"
    if not path.is_file():
        texts = texts_for(shared, n)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("fps", "row", "lines", "nfp", "one")}
        for lo in range(0, len(texts), BATCH):
            chunk = texts[lo : lo + BATCH]
            b = block_rows(shingle_batch(chunk, cfg.shingle_kind, cfg.shingle_size,
                                         cfg.char_size, lines=True), config)
            for k, v in zip(parts, (b.fps, b.row + lo, b.lines, b.nfp, b.one_line), strict=True):
                parts[k].append(v)
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **{k: np.concatenate(v) for k, v in parts.items()})
        tmp.rename(path)
    with np.load(path) as z:  # each z[name] reads the whole array again: once per name
        fps, row, lines, nfp, one = (z[k] for k in ("fps", "row", "lines", "nfp", "one"))
    bounds = np.searchsorted(row, np.arange(0, n + batch, batch))
    out = []
    for i, lo in enumerate(range(0, n, batch)):
        a, b = bounds[i], bounds[i + 1]
        out.append(BlockRows(config, fps[a:b], row[a:b] - lo, lines[a:b],
                             nfp[lo : lo + batch], one[lo : lo + batch]))
    return out


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """VmHWM: the peak resident set since :func:`reset_peak` (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets VmHWM to the current resident set
    except OSError:
        pass


def run_index(url: str, full: np.ndarray, head: np.ndarray, infos: list[UnitInfo],
              cfg: DedupConfig, blocks: list[BlockRows] | None = None, batch: int = BATCH
              ) -> tuple[float, PersistentIndex]:
    params = LSHParams(cfg.num_perm, cfg.bands, cfg.rows, cfg.max_bucket, cfg.seed)
    ix = open_index(url, params)
    assert isinstance(ix, PersistentIndex)
    ix.bind({"shingle": cfg.shingle, "head": str(cfg.head), "char_size": str(cfg.char_size),
             "scheme": "affine32"})
    t0 = time.perf_counter()
    for lo in range(0, len(infos), batch):
        ix.add_batch(infos[lo : lo + batch],
                     {"full": full[lo : lo + batch], "head": head[lo : lo + batch]},
                     blocks=None if blocks is None else blocks[lo // batch])
    return time.perf_counter() - t0, ix


def run_datasketch(redis_url: str, full: np.ndarray, n: int, cfg: DedupConfig) -> float:
    import urllib.parse

    from datasketch import LeanMinHash, MinHashLSH

    u = urllib.parse.urlsplit(redis_url)
    db = int((u.path or "/0").strip("/") or 0)
    base = f"dsbench{uuid.uuid4().hex[:8]}".encode()
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.bands, cfg.rows), storage_config={
        "type": "redis", "basename": base,
        "redis": {"host": u.hostname or "127.0.0.1", "port": u.port or 6379, "db": db}})
    leans = [LeanMinHash(seed=cfg.seed, hashvalues=full[i], scheme="affine32") for i in range(n)]
    t0 = time.perf_counter()
    for lo in range(0, n, BATCH):
        chunk = range(lo, min(n, lo + BATCH))
        for i in chunk:
            lsh.query(leans[i])
        with lsh.insertion_session() as session:
            for i in chunk:
                session.insert(f"u{i}", leans[i], check_duplication=False)
    elapsed = time.perf_counter() - t0
    import redis

    r = redis.Redis(host=u.hostname or "127.0.0.1", port=u.port or 6379, db=db)
    keys = list(r.scan_iter(match=base + b"*", count=1000))
    for i in range(0, len(keys), 1000):
        r.delete(*keys[i : i + 1000])
    return elapsed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--redis", default=os.environ.get("SEGMENTER_REDIS_URL",
                                                      "redis://127.0.0.1:6379/14"))
    ap.add_argument("--baseline-n", type=int, default=2000)
    ap.add_argument("--skip-redis", action="store_true")
    ap.add_argument("--no-blocks", action="store_true", help="no block fingerprints")
    ap.add_argument("--keep", help="keep the SQLite index at this path")
    ap.add_argument("--batch", type=int, default=BATCH,
                    help=f"units per add_batch (default {BATCH}; a --jobs run adds its "
                    "workers' batches of 256)")
    args, _unknown = ap.parse_known_args(argv)

    cfg = DedupConfig()
    full, head, infos = signed(args.shared, args.n, cfg)
    n = len(infos)
    blocks = None if args.no_blocks else blocked(args.shared, args.n, cfg, args.batch)
    print(f"bench_index: {n} units, num_perm={cfg.num_perm}, {cfg.bands}x{cfg.rows} bands, "
          f"tables full+head{'' if blocks is None else ' + block fingerprints'}, "
          f"batches of {args.batch}")
    print(f"{'backend':38s} {'units/s':>9s} {'target':>8s}  size")
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, "bench.db")
        if os.path.exists(path):
            os.unlink(path)
        before = rss()
        reset_peak()
        cpu = time.process_time()
        secs, ix = run_index(path, full, head, infos, cfg, blocks, args.batch)
        cpu = time.process_time() - cpu
        st = ix.stats()
        held = getattr(ix, "nbytes", 0)
        ix.close()
        # Opening the built index: the first query loads every band entry.
        params = LSHParams(cfg.num_perm, cfg.bands, cfg.rows, cfg.max_bucket, cfg.seed)
        again = open_index(path, params)
        mem0, cpu0 = rss(), time.process_time()
        again.query("full", full[:1])
        open_cpu, open_mem = time.process_time() - cpu0, rss() - mem0
        again.close()
        per = st["bytes_used"] / n
        by = st["bytes_by_table"]
        sig_part = (by.get("units", 0) + by.get("sqlite_autoindex_units_1", 0)) / n
        bands_part = (by.get("runs", 0) + by.get("bands", 0)) / n
        blocks_part = by.get("blocks", 0) / n
        rate = n / secs
        ok = rate >= 5000 and per <= 600
        status |= 0 if ok else 1
        print(f"{'segmenter SQLite (WAL)':38s} {rate:9.0f} {'5000':>8s}  {per:.0f} B/unit "
              f"(target 600: units+signatures {sig_part:.0f}, band runs {bands_part:.0f}, "
              f"block fingerprints {blocks_part:.0f}); "
              f"1M units ~ {per * 1e6 / 2**30:.2f} GiB{'' if ok else '  MISSED'}")
        print(f"{'':38s} {n / cpu:9.0f} {'':8s}  units per CPU second; process memory "
              f"+{(peak_rss() - before) / n:.0f} B/unit at the peak; the index holds "
              f"{held / n:.0f} B/unit (band entries, block postings)")
        print(f"{'':38s} opening it: {open_cpu:.1f} CPU s and +{open_mem / 2**20:.0f} MiB to "
              f"load its band entries")
    if not args.skip_redis:
        try:
            import redis

            redis.Redis.from_url(args.redis, socket_timeout=2).ping()
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"redis: skipped ({exc})")
            return status
        url = f"{args.redis}?prefix=bench-{uuid.uuid4().hex[:8]}"
        secs, ix = run_index(url, full, head, infos, cfg, blocks)
        st = ix.stats()
        ix.drop()  # type: ignore[attr-defined]
        ix.close()
        rate = n / secs
        status |= 0 if rate >= 2000 else 1
        print(f"{'segmenter Redis (Lua per batch)':38s} {rate:9.0f} {'2000':>8s}  "
              f"{st['bytes_per_unit']:.0f} B/unit in Redis memory"
              f"{'' if rate >= 2000 else '  MISSED'}")
        bn = min(args.baseline_n, n)
        secs = run_datasketch(args.redis, full, bn, cfg)
        print(f"{'datasketch MinHashLSH + Redis storage':38s} {bn / secs:9.0f} {'-':>8s}  "
              f"(full table only, {bn} units: query, then insertion_session per batch)")
    return status


if __name__ == "__main__":
    sys.exit(main())
