#!/usr/bin/env python3
"""Speed of ``segmenter.split`` on the split-dev dumps: MB/s on one core, best of 3.

    python bench/bench_split.py [--shared ../shared] [--repeat 3]

All texts are read into memory first; only ``split`` is timed. Prints one summary line.
Exits 0 with a message when the shared directory is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmenter.split import split  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shared", default="../shared", help="the shared directory (default ../shared)"
    )
    ap.add_argument("--docs", help="documents JSONL (default SHARED/data/split-dev/docs.jsonl)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = ap.parse_args(argv)
    docs = Path(args.docs) if args.docs else Path(args.shared) / "data" / "split-dev" / "docs.jsonl"
    if not docs.is_file():
        print(f"bench_split: skipped, not found: {docs}")
        return 0
    with docs.open(encoding="utf-8") as fh:
        texts = [json.loads(line)["text"] for line in fh if line.strip()]
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    best = float("inf")
    stories = 0
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        stories = sum(len(split(t)) for t in texts)
        best = min(best, time.perf_counter() - t0)
    mb = n_bytes / 1e6
    print(
        f"split: {mb / best:.1f} MB/s  ({len(texts)} docs, {mb:.2f} MB, {stories} stories, "
        f"best of {args.repeat}: {best:.3f} s, {len(texts) / best:,.0f} docs/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
