#!/usr/bin/env python3
"""The in-memory band index at two sizes: cost per unit of ``query_insert`` and memory per unit.

    python bench/bench_band_index.py [--shared ../shared] [--sizes 100000,1000000]

Signatures (full and head sketches, 128 permutations) of the first ``max(sizes)`` documents of
a make_corpus.py corpus are computed once and cached (see ``bench_index.signed``); exact copies
are dropped, as the deduplicator does before it queries the index. Timed, for each size in a
fresh process: ``MemoryIndex.query_insert`` of the ``full`` then the ``head`` table per batch of
``DedupConfig.batch_size`` units, as ``Deduplicator`` calls it (band digests included, shingling,
signing and verification not). Cost is CPU time (``time.process_time``: on shared cores wall
time mostly measures the neighbours), wall time beside it. Memory: resident set growth over
the build (held at the end, and at the peak, which includes the old arrays while a table
grows). Target: CPU cost per unit at the largest size <= 1.3x that at the smallest. Also shown:
the CPU cost per unit of the last 10% of units alone (no table growth falls in it at these
sizes: the marginal cost at that size, without the first touch of the grown tables' memory,
which is slow in a VM).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from segmenter.config import DedupConfig  # noqa: E402
from segmenter.index import LSHParams, open_index  # noqa: E402

TARGET = 1.3


def build(shared: Path, signed_n: int, n: int) -> dict[str, float]:
    """One build of ``n`` fresh units in this process: seconds, bytes held and at the peak."""
    from bench_index import peak_rss, reset_peak, rss, signed

    cfg = DedupConfig()
    full, head, infos = signed(shared, signed_n, cfg)
    _, first = np.unique(np.array([u.digest for u in infos[:n]]), return_index=True)
    rows = np.sort(first)  # the first unit of each text, in input order
    full, head = np.ascontiguousarray(full[rows]), np.ascontiguousarray(head[rows])
    del infos
    gc.collect()
    index = open_index("memory", LSHParams(cfg.num_perm, cfg.bands, cfg.rows, cfg.max_bucket,
                                           cfg.seed))
    before = rss()
    reset_peak()
    step = cfg.batch_size
    candidates = 0
    t0, c0 = time.perf_counter(), time.process_time()
    tail_from, tail_cpu = len(rows) - len(rows) // 10, 0.0
    for lo in range(0, len(rows), step):
        if lo >= tail_from and not tail_cpu:
            tail_from, tail_cpu = lo, time.process_time()
        keys = list(range(lo, min(lo + step, len(rows))))
        for c in index.query_insert("full", keys, full[lo : lo + step]):
            candidates += len(c)
        for c in index.query_insert("head", keys, head[lo : lo + step]):
            candidates += len(c)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    tail = (time.process_time() - tail_cpu) / (len(rows) - tail_from)
    gc.collect()
    held = rss() - before
    return {"units": len(rows), "seconds": secs, "cpu": cpu, "tail": tail, "held": held,
            "peak": peak_rss() - before, "candidates": candidates}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--sizes", default="100000,1000000",
                    help="comma-separated unit counts (default 100000,1000000)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single build, JSON out
    ap.add_argument("--signed", type=int, help=argparse.SUPPRESS)
    args, _unknown = ap.parse_known_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if args.one:
        print(json.dumps(build(args.shared, args.signed or args.one, args.one)))
        return 0
    if not (args.shared / "eval" / "make_corpus.py").is_file():
        print(f"bench_band_index: {args.shared}/eval/make_corpus.py not found; nothing to do")
        return 0
    cfg = DedupConfig()
    print(f"bench_band_index: MemoryIndex.query_insert, tables full+head, {cfg.bands}x{cfg.rows} "
          f"bands, batches of {cfg.batch_size}, exact copies dropped; one process per size")
    print(f"{'units':>9s} {'cpu us/unit':>12s} {'last 10%':>9s} {'wall us/unit':>13s} "
          f"{'held B/unit':>12s} {'peak B/unit':>12s} {'candidates':>11s}")
    costs = []
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--shared", str(args.shared),
                              "--one", str(n), "--signed", str(max(sizes))],
                             check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        u = r["units"]
        costs.append(r["cpu"] / u)
        print(f"{u:9d} {1e6 * r['cpu'] / u:12.2f} {1e6 * r['tail']:9.2f} "
              f"{1e6 * r['seconds'] / u:13.2f} "
              f"{r['held'] / u:12.0f} {r['peak'] / u:12.0f} {r['candidates']:11d}", flush=True)
    ratio = costs[-1] / costs[0]
    ok = ratio <= TARGET
    print(f"CPU cost per unit at {sizes[-1]} / at {sizes[0]}: {ratio:.2f}x (target <= {TARGET}x)"
          f"{'' if ok else '  MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
