#!/usr/bin/env python3
"""The Ray engine on this machine: scaling from 1 to 2 workers, memory per worker, and what grows
with the corpus.

    python bench/bench_ray.py [--n 20000] [--shards 8] [--workers 1,2] [--shared ../shared]

The corpus (``<shared>/eval/make_corpus.py``, cached under ``/tmp/segmenter-bench/``) is cut into
``--shards`` JSONL shards and deduplicated as whole documents with cleaning (``segmenter dedup
--no-split --engine ray``), on a fresh local Ray runtime with 1, then 2 worker CPUs. Reported:

* wall time and docs/s per worker count, the speed-up, and the local engine on one core;
* the time for 1M documents: a linear extrapolation from the measured rate at the most workers
  (said so in the output; run ``--n 1000000`` to measure it);
* peak RSS of each Ray worker process (also without its shared pages: objects read from the
  object store are mapped into the worker and counted in RSS) and of the driver;
* the bytes one document leaves in the object store between stages (measured on one shard:
  texts, ids, band rows, shingle sets), i.e. what grows with the corpus.

Needs the ray extra (``pip install 'segmenter[ray]'``) and psutil (the bench extra).
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_dedup import corpus  # noqa: E402

from segmenter.config import Config  # noqa: E402


def shards(path: Path, n: int, count: int) -> list[str]:
    folder = path.parent / f"{path.stem}-shards{count}"
    paths = [folder / f"part-{k:04d}.jsonl" for k in range(count)]
    if all(p.is_file() for p in paths):
        return [str(p) for p in paths]
    folder.mkdir(parents=True, exist_ok=True)
    outs = [open(p, "w", encoding="utf-8") for p in paths]  # noqa: SIM115
    per = -(-n // count)
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            outs[min(i // per, count - 1)].write(line)
    for out in outs:
        out.close()
    return [str(p) for p in paths]


class WorkerMemory:
    """Samples the RSS of Ray's worker processes (``ray::`` / ``default_worker``) every 0.2 s."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self.peak: dict[int, int] = {}
        self.private: dict[int, int] = {}  # RSS minus shared pages (object store mappings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for proc in self._psutil.process_iter(["pid", "cmdline", "memory_info"]):
                cmd = " ".join(proc.info.get("cmdline") or [])
                if "default_worker.py" in cmd or cmd.startswith("ray::"):
                    mem = proc.info.get("memory_info")
                    if mem is not None:
                        pid = proc.info["pid"]
                        self.peak[pid] = max(self.peak.get(pid, 0), mem.rss)
                        own = mem.rss - getattr(mem, "shared", 0)
                        self.private[pid] = max(self.private.get(pid, 0), own)
            self._stop.wait(0.2)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_ray(inputs: list[str], workers: int, parts: int) -> dict[str, Any]:
    import ray

    from segmenter.engines.ray import RayEngine
    from segmenter.pipeline import dedup_records

    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    try:
        # warm-up: worker processes start and import segmenter once
        list(dedup_records(inputs[:1], Config(), split=False, engine=RayEngine(parts=parts)))
        with WorkerMemory() as mem:
            t0 = time.perf_counter()
            n = sum(1 for _ in dedup_records(inputs, Config(), split=False,
                                             engine=RayEngine(parts=parts)))
            seconds = time.perf_counter() - t0
    finally:
        ray.shutdown()
    peaks = sorted(mem.peak.values(), reverse=True)[:workers]
    private = sorted(mem.private.values(), reverse=True)[:workers]
    return {"workers": workers, "units": n, "seconds": round(seconds, 2),
            "docs_per_s": round(n / seconds), "worker_peak_rss_mb": [p >> 20 for p in peaks],
            "worker_peak_private_mb": [p >> 20 for p in private]}


def run_local(inputs: list[str]) -> dict[str, Any]:
    from segmenter.pipeline import dedup_records

    t0 = time.perf_counter()
    n = sum(1 for _ in dedup_records(inputs, Config(), split=False))
    seconds = time.perf_counter() - t0
    return {"units": n, "seconds": round(seconds, 2), "docs_per_s": round(n / seconds)}


def object_store_bytes(shard: str, parts: int) -> dict[str, float]:
    """Bytes per document that one shard task leaves in the object store, by output."""
    from segmenter.engines.driver import list_shards
    from segmenter.engines.plan import analyse_shard

    (s,) = list_shards([shard], Config().read)
    out = analyse_shard(s, Config(), True, False, False, True, parts)
    docs = out[1].units or 1
    size = {
        "ids": len(pickle.dumps(out[1])),
        "texts": len(pickle.dumps(out[2])),
        "records (run only)": len(pickle.dumps(out[3])),
        "band rows": sum(len(pickle.dumps(p)) for p in out[4 : 4 + parts]),
        "shingle sets": sum(len(pickle.dumps(p)) for p in out[4 + parts :]),
    }
    return {k: round(v / docs) for k, v in size.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--parts", type=int, default=4, help="hash partitions of the shuffles")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args, _ = parser.parse_known_args()
    try:
        import psutil  # noqa: F401
        import ray  # noqa: F401
    except ImportError as exc:
        print(f"skipped: {exc.name} is not installed (pip install 'segmenter[ray,bench]')")
        return 0
    if not (args.shared / "eval" / "make_corpus.py").is_file():
        print(f"skipped: {args.shared}/eval/make_corpus.py not found (--shared DIR)")
        return 0
    path = corpus(args.shared, args.n)
    inputs = shards(path, args.n, args.shards)
    results: dict[str, Any] = {"n": args.n, "shards": args.shards, "parts": args.parts}
    results["ray"] = [run_ray(inputs, int(w), args.parts) for w in args.workers.split(",")]
    results["driver_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10
    results["local_1_core"] = run_local(inputs)
    first, last = results["ray"][0], results["ray"][-1]
    results["speedup"] = round(first["seconds"] / last["seconds"], 2)
    per_doc = last["seconds"] / max(last["units"], 1)
    results["one_million_docs_s"] = round(per_doc * 1_000_000)
    results["one_million_is"] = ("measured" if args.n >= 1_000_000 else
                                 f"extrapolated linearly from {args.n} docs at "
                                 f"{last['workers']} workers")
    results["object_store_bytes_per_doc"] = object_store_bytes(inputs[0], args.parts)
    if args.json:
        print(json.dumps(results))
        return 0
    loc = results["local_1_core"]
    print(f"{args.n} documents in {args.shards} shards, whole documents, cleaned")
    print(f"  local engine, 1 core   {loc['seconds']:8.2f} s  {loc['docs_per_s']:7d} docs/s")
    for r in results["ray"]:
        print(f"  ray, {r['workers']} worker(s)       {r['seconds']:8.2f} s  "
              f"{r['docs_per_s']:7d} docs/s  worker peak RSS {r['worker_peak_rss_mb']} MB "
              f"(without shared object-store pages {r['worker_peak_private_mb']} MB)")
    print(f"  speed-up {first['workers']} -> {last['workers']} workers: {results['speedup']}x")
    print(f"  1M documents: ~{results['one_million_docs_s'] / 60:.1f} min "
          f"({results['one_million_is']})")
    print(f"  driver peak RSS {results['driver_peak_rss_mb']} MB (before the local run)")
    print("  object store per document (grows with the corpus): " + ", ".join(
        f"{k} {v} B" for k, v in results["object_store_bytes_per_doc"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
