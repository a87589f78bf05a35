#!/usr/bin/env python3
"""What a user waits for: the ``segmenter`` command, whole process, writing its output.

    python bench/bench_cli.py [--shared ../shared] [--dedup-n 30000] [--run-n 200000]
                              [--jobs N] [--skip-run] [--scale [--scale-n 1000000]]

Every figure is one ``python -m segmenter ...`` subprocess on a ``make_corpus.py`` corpus
(generated once, cached in ``/tmp/segmenter-bench/``): wall time from start to exit, the peak
RSS of the whole process tree (the parent and its ``--jobs`` workers, summed; polled with
psutil), and documents (or MB) per second.

* ``dedup --no-split`` on ``--dedup-n`` documents at ``--jobs 1`` and ``--jobs N``, and the
  datasketch-only peer in the same run: a process that reads the same JSONL, signs with
  ``MinHash.generator`` (xxh32, word 5-grams, 128 permutations), queries and inserts into a
  ``MinHashLSH`` with our bands and rows and writes one line per document with its first
  candidate (no verification, no clusters, no cleaning); the ratio is printed;
* ``split`` on the same corpus at ``--jobs 1`` and ``--jobs N``: MB/s and MB/s per job;
* ``run`` on ``--run-n`` documents at ``--jobs 1`` and ``--jobs N`` (speedup; the two output
  folders are compared byte for byte);
* ``--scale`` (``make bench-scale``): ``--scale-n`` documents through ``run --jobs N``.

The targets of issue 14 are printed next to the figures. On a machine shared with other
work the figures are low and noisy.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

GIB = 1 << 30


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    """Run ``cmd``; ``(wall seconds, peak RSS of its process tree in bytes, stderr tail)``."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    root = psutil.Process(proc.pid)
    err_chunks: list[str] = []
    stderr = proc.stderr
    assert stderr is not None
    reader = threading.Thread(target=lambda: err_chunks.append(stderr.read()), daemon=True)
    reader.start()
    while proc.poll() is None:
        try:
            total = root.memory_info().rss
            for child in root.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    reader.join(5)
    err = "".join(err_chunks)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return wall, peak, err.strip().splitlines()[-1] if err.strip() else ""


def segmenter(*args: str) -> list[str]:
    return [sys.executable, "-m", "segmenter", *args]


# --------------------------------------------------------------------------- the peer
_WORD = re.compile(r"\w+")


def peer(corpus: Path, out: Path, bands: int, rows: int) -> None:
    """The datasketch-only dedup (run as its own process by :func:`main`)."""
    import xxhash
    from datasketch import MinHash, MinHashLSH

    def grams(text: str) -> list[bytes]:
        w = _WORD.findall(text.lower())
        return [" ".join(w[i : i + 5]).encode() for i in range(max(1, len(w) - 4))]

    ids: list[str] = []

    def texts() -> object:
        with open(corpus, encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                ids.append(rec["id"])
                yield grams(rec["text"])

    lsh = MinHashLSH(num_perm=128, params=(bands, rows))
    with open(out, "w", encoding="utf-8") as fh:
        for i, m in enumerate(MinHash.generator(texts(), num_perm=128,
                                                hashfunc=xxhash.xxh32_intdigest)):
            key = ids[i]
            found = lsh.query(m)
            lsh.insert(key, m)
            fh.write(json.dumps({"id": key, "duplicate_of": found[0] if found else None}) + "\n")


# --------------------------------------------------------------------------- report
def line(name: str, docs: int, mb: float, wall: float, rss: int, extra: str = "") -> float:
    rate = docs / wall
    print(f"{name:34s} {wall:8.1f} s {rate:9,.0f} docs/s {mb / wall:7.1f} MB/s "
          f"peak RSS {rss / 2**20:7,.0f} MB {extra}", flush=True)
    return rate


def target(ok: bool, text: str) -> None:
    print(f"  target {'met' if ok else 'NOT met'}: {text}", flush=True)


def text_mb(corpus: Path) -> float:
    """MB of input (the JSONL file)."""
    return corpus.stat().st_size / 1e6


def main(argv: list[str] | None = None) -> int:
    from segmenter.config import DedupConfig
    from segmenter.engines.pool import available_cores

    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--dedup-n", type=int, default=30000)
    ap.add_argument("--run-n", type=int, default=200000)
    ap.add_argument("--jobs", type=int, default=available_cores(),
                    help="N of the --jobs N runs (default: the cores this process may use)")
    ap.add_argument("--skip-run", action="store_true", help="leave out the run comparison")
    ap.add_argument("--scale", action="store_true", help="only the 1M-document run")
    ap.add_argument("--scale-n", type=int, default=1_000_000)
    ap.add_argument("--peer", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)
    args, _ = ap.parse_known_args(argv)  # `bench/run.py` passes its options to everyone
    cfg = DedupConfig()
    if args.peer:
        peer(Path(args.peer[0]), Path(args.peer[1]), cfg.bands, cfg.rows)
        return 0
    shared = Path(args.shared)
    if not (shared / "eval" / "make_corpus.py").is_file():
        print(f"bench_cli: {shared}/eval/make_corpus.py not found; nothing to do")
        return 0
    from bench_dedup import corpus

    jobs = args.jobs
    work = Path(tempfile.mkdtemp(prefix="segmenter-bench-cli-"))
    print(f"python -m segmenter, whole process, output written; --jobs 1 and --jobs {jobs} "
          f"({available_cores()} cores available); the process tree's peak RSS")
    try:
        if args.scale:
            return scale(corpus(shared, args.scale_n), args.scale_n, jobs, work)
        path = corpus(shared, args.dedup_n)
        n, mb = args.dedup_n, text_mb(path)
        print(f"\ncorpus: {path} ({n} docs, {mb:.0f} MB of JSONL)")
        try:
            import datasketch  # noqa: F401
            import xxhash  # noqa: F401
        except ImportError as exc:
            print(f"datasketch-only peer: not installed ({exc}; pip install -e '.[bench]')")
            peer_rate = float("nan")
        else:
            wall, rss, _ = timed([sys.executable, __file__, "--peer", str(path),
                                  str(work / "peer.jsonl")], work)
            peer_rate = line("datasketch-only peer", n, mb, wall, rss)
        rates = {}
        for j in sorted({1, jobs}):
            wall, rss, _ = timed(segmenter("dedup", "--no-split", str(path), "-o",
                                           str(work / f"dedup{j}.jsonl"), "--jobs", str(j)),
                                 work)
            rates[j] = line(f"dedup --no-split --jobs {j}", n, mb, wall, rss,
                            f"{(n / wall) / peer_rate:.2f}x the peer")
        if not filecmp.cmp(work / "dedup1.jsonl", work / f"dedup{jobs}.jsonl", shallow=False):
            print("  OUTPUTS DIFFER between --jobs 1 and --jobs N")
        target(rates[jobs] >= 3.5 * peer_rate, f"dedup --no-split >= 3.5x the peer "
               f"({rates[jobs] / peer_rate:.2f}x)")
        for j in sorted({1, jobs}):
            wall, rss, _ = timed(segmenter("split", str(path), "-o", str(work / f"split{j}.jsonl"),
                                           "--jobs", str(j)), work)
            line(f"split --jobs {j}", n, mb, wall, rss, f"{mb / wall / j:.1f} MB/s per job")
            if j == jobs:
                target(mb / wall / j >= 20, f"split through the CLI >= 20 MB/s per job "
                       f"({mb / wall / j:.1f})")
        os.unlink(work / "split1.jsonl")
        if not args.skip_run:
            run_pair(corpus(shared, args.run_n), args.run_n, jobs, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def run_pair(path: Path, n: int, jobs: int, work: Path) -> None:
    mb = text_mb(path)
    print(f"\ncorpus: {path} ({n} docs, {mb:.0f} MB of JSONL)")
    walls = {}
    for j in sorted({1, jobs}):
        wall, rss, _ = timed(segmenter("run", str(path), "-o", str(work / f"run{j}"),
                                       "--jobs", str(j)), work)
        walls[j] = wall
        line(f"run --jobs {j}", n, mb, wall, rss, f"{walls[1] / wall:.2f}x --jobs 1")
    for name in ("stories.jsonl", "unique.jsonl"):
        if not filecmp.cmp(work / "run1" / name, work / f"run{jobs}" / name, shallow=False):
            print(f"  OUTPUTS DIFFER: {name}")
    target(walls[1] / walls[jobs] >= 1.7, f"run --jobs {jobs} >= 1.7x run --jobs 1 "
           f"({walls[1] / walls[jobs]:.2f}x)")


def scale(path: Path, n: int, jobs: int, work: Path) -> int:
    mb = text_mb(path)
    print(f"\ncorpus: {path} ({n} docs, {mb:.0f} MB of JSONL)")
    wall, rss, _ = timed(segmenter("run", str(path), "-o", str(work / "scale"), "--jobs",
                                   str(jobs)), work)
    line(f"run --jobs {jobs}", n, mb, wall, rss)
    target(wall <= 180 and rss <= 4 * GIB, f"{n} docs through run --jobs {jobs} in <= 180 s "
           f"and <= 4 GiB ({wall:.0f} s, {rss / GIB:.2f} GiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
