#!/usr/bin/env python3
"""Throughput and memory of signatures and of the full dedup, on a make_corpus.py corpus.

    python bench/bench_dedup.py [--n 20000] [--shared ../shared] [--no-clean] [--skip-baselines]
    python bench/bench_dedup.py --n 1000000 --skip-baselines      # the 1M-document run

The corpus is generated once with ``<shared>/eval/make_corpus.py`` and cached under
``/tmp/segmenter-bench/``. Reported, on one core:

* signatures from raw text (shingle + MinHash, 128 perms): ours, datasketch's fastest API
  (``MinHash.generator`` with xxh32 over word 5-grams) and rensa (``RMinHash``), with ratios
  (baselines on the first ``--baseline-n`` documents);
* the full dedup (shingle, sign, index, verify, cluster) in docs/s and MB/s, peak RSS.

Cleaning (``segmenter.clean_text``) is NOT part of the timings unless ``--clean`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmenter.config import DedupConfig  # noqa: E402
from segmenter.dedup import Deduplicator  # noqa: E402
from segmenter.fingerprint import Signer, shingle_batch  # noqa: E402
from segmenter.model import Unit  # noqa: E402

CACHE = Path("/tmp/segmenter-bench")


def corpus(shared: Path, n: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"corpus-{n}.jsonl"
    if not path.is_file():
        gen = shared / "eval" / "make_corpus.py"
        tmp = path.with_suffix(".tmp")
        gold = CACHE / f"corpus-{n}-gold.jsonl"
        print(f"generating {n} docs with {gen} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(gen), "--n", str(n), "--out", str(tmp), "--gold", str(gold)],
            check=True,
        )
        tmp.rename(path)
    return path


def read_texts(path: Path, limit: int | None = None) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                return
            rec = json.loads(line)
            yield rec["id"], rec["text"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_ours(texts: list[str], batch: int = 512) -> float:
    """segmenter.fingerprint: shingle hashes + full and head signatures, batches of 512."""
    signer = Signer(128, 1)
    t0 = time.perf_counter()
    for i in range(0, len(texts), batch):
        signer.sign(shingle_batch(texts[i : i + batch]), head=32)
    return time.perf_counter() - t0


_WORD = re.compile(r"\w+")


def _grams(text: str) -> list[bytes]:
    w = _WORD.findall(text.lower())
    return [" ".join(w[i : i + 5]).encode() for i in range(max(1, len(w) - 4))]


def bench_datasketch(texts: list[str]) -> float:
    """datasketch's fastest API: MinHash.generator with xxh32 (affine32, 128 perms)."""
    import xxhash
    from datasketch import MinHash

    t0 = time.perf_counter()
    for _ in MinHash.generator(
        (_grams(t) for t in texts), num_perm=128, hashfunc=xxhash.xxh32_intdigest
    ):
        pass
    return time.perf_counter() - t0


def bench_rensa(texts: list[str]) -> float:
    """rensa's RMinHash (Rust) fed Python-side word 5-grams."""
    from rensa import RMinHash

    t0 = time.perf_counter()
    for t in texts:
        w = _WORD.findall(t.lower())
        m = RMinHash(num_perm=128, seed=1)
        m.update([" ".join(w[i : i + 5]) for i in range(max(1, len(w) - 4))])
        m.digest()
    return time.perf_counter() - t0


def run_dedup(path: Path, clean: bool, report_every: int) -> tuple[int, int, float, Deduplicator]:
    cleaner = None
    if clean:
        from segmenter import clean_text

        cleaner = clean_text
    dedup = Deduplicator(DedupConfig(split=False))
    n = size = 0
    t0 = time.perf_counter()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            text = rec["text"]
            if cleaner is not None:
                text = cleaner(text)[0]
            size += len(text)
            dedup.add(Unit(id=rec["id"], text=text))
            n += 1
            if report_every and n % report_every == 0:
                el = time.perf_counter() - t0
                print(
                    f"  {n} docs {el:.0f}s {n / el:,.0f} docs/s rss {peak_rss_mb():,.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
    dedup.finish()
    return n, size, time.perf_counter() - t0, dedup


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=20000, help="documents (default 20000)")
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--baseline-n", type=int, default=5000, help="docs for the baselines")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--no-clean", dest="clean", action="store_false",
                    help="leave segmenter.clean_text out of the full dedup (it is in by default: "
                    "the target is clean, shingle, sign, index, verify, cluster)")
    ap.add_argument("--score", action="store_true", help="score the clusters with score_dedup.py")
    args = ap.parse_args(argv)
    shared = Path(args.shared)
    if not (shared / "eval" / "make_corpus.py").is_file():
        print(f"bench_dedup: {shared}/eval/make_corpus.py not found; nothing to do")
        return 0
    path = corpus(shared, args.n)
    size_mb = path.stat().st_size / 1e6
    print(f"corpus: {path} ({args.n} docs, {size_mb:.0f} MB JSONL); one core; 128 perms")

    # Signatures from raw text.
    texts = [t for _, t in read_texts(path, min(args.n, 50000))]
    mb = sum(len(t) for t in texts) / 1e6
    t_ours = bench_ours(texts)
    ours = len(texts) / t_ours
    print(
        f"signatures  ours        {ours:10,.0f} docs/s {mb / t_ours:7.1f} MB/s "
        f"({len(texts)} docs, word 5-grams, full + head sketch)"
    )
    if not args.skip_baselines:
        base = texts[: args.baseline_n]
        bmb = sum(len(t) for t in base) / 1e6
        for name, fn in (("datasketch", bench_datasketch), ("rensa", bench_rensa)):
            try:
                el = fn(base)
            except ImportError as exc:
                print(f"signatures  {name:11s} not installed ({exc})")
                continue
            rate = len(base) / el
            print(
                f"signatures  {name:11s} {rate:10,.0f} docs/s {bmb / el:7.1f} MB/s "
                f"-> ours is {ours / rate:.1f}x"
            )
    del texts

    # Full dedup.
    n, size, el, dedup = run_dedup(path, args.clean, 100000 if args.n >= 200000 else 0)
    clusters = sum(1 for c in dedup.clusters(include_singletons=False))
    print(
        f"full dedup  {n / el:10,.0f} docs/s {size / 1e6 / el:7.1f} MB/s  {n} docs in {el:.1f}s "
        f"({'with' if args.clean else 'without'} clean_text); {clusters} clusters; "
        f"peak RSS {peak_rss_mb():,.0f} MB"
    )
    print(f"stats: {dedup.stats.as_dict()}")
    if args.score:
        import tempfile

        fd, pred = tempfile.mkstemp(suffix=".jsonl")
        with os.fdopen(fd, "w") as out:
            for a in dedup.results():
                out.write(json.dumps({"id": a.id, "cluster": a.cluster}) + "\n")
        gold = CACHE / f"corpus-{args.n}-gold.jsonl"
        subprocess.run(
            [
                sys.executable,
                str(shared / "eval" / "score_dedup.py"),
                "--gold",
                str(gold),
                "--pred",
                pred,
            ],
            check=False,
        )
        os.unlink(pred)
    return 0


if __name__ == "__main__":
    sys.exit(main())
