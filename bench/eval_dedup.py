#!/usr/bin/env python3
"""Score the Deduplicator on a dedup development set (units = whole documents).

    python bench/eval_dedup.py [--shared ../shared] [--set dedup-dev|dedup-reuse] [--docs DOCS]
                               [--gold GOLD] [--pairs PAIRS] [--no-clean] [--threshold T]
                               [--containment C] [--copy-share S] [--no-block] [--index URL]
                               [--reuse-report] [--runs N]

Runs ``segmenter.clean_text`` on every document (as the pipeline does; ``--no-clean`` skips it),
then the Deduplicator, writes the predictions (``{"id", "cluster", "duplicate_of", "relation",
"similarity"}``) to a temp file and prints the output of ``<shared>/eval/score_dedup.py``, or
with ``--reuse-report`` of ``<shared>/eval/reuse_report.py`` (the same figures, plus contained
recall by operation and by constructed share, and partial / hard-negative merges by kind).
``--runs N``: feed the documents in N consecutive parts to N runs sharing one persistent index
(``--index``, default a temporary SQLite file), as incremental jobs would; a cluster is then
every unit linked (``cluster`` or ``duplicate_of``) across the runs' outputs.
Exits 0 with a message when the shared directory is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segmenter.config import DedupConfig  # noqa: E402
from segmenter.dedup import Deduplicator  # noqa: E402
from segmenter.model import Unit  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--set", dest="dataset", default="dedup-dev",
                    help="a set under <shared>/data [default: dedup-dev]")
    ap.add_argument("--docs")
    ap.add_argument("--gold")
    ap.add_argument("--pairs")
    ap.add_argument("--no-clean", action="store_true", help="skip segmenter.clean_text")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--containment", type=float)
    ap.add_argument("--head", type=int)
    ap.add_argument("--copy-share", type=float)
    ap.add_argument("--no-block", action="store_true", help="no block containment")
    ap.add_argument("--reuse-report", action="store_true",
                    help="score with reuse_report.py (by operation and share)")
    ap.add_argument("--shingle")
    ap.add_argument("--index", default=None, help="index URL (memory, datasketch)")
    ap.add_argument("--runs", type=int, default=1,
                    help="consecutive runs over one persistent index (default 1)")
    ap.add_argument("--json", action="store_true", help="print the scorer's JSON")
    ap.add_argument("--keep-pred", help="also write the predictions here")
    args = ap.parse_args(argv)

    shared = Path(args.shared)
    dev = shared / "data" / args.dataset
    docs = Path(args.docs) if args.docs else dev / "docs.jsonl"
    gold = Path(args.gold) if args.gold else dev / "gold.jsonl"
    pairs = Path(args.pairs) if args.pairs else dev / "pairs.jsonl"
    scorer = shared / "eval" / "score_dedup.py"
    if not (docs.is_file() and gold.is_file() and scorer.is_file()):
        print(f"eval_dedup: shared data not found under {shared}; nothing to score")
        return 0

    changes = {
        k: v
        for k, v in (
            ("threshold", args.threshold),
            ("containment", args.containment),
            ("head", args.head),
            ("shingle", args.shingle),
            ("copy_share", args.copy_share),
            ("block", False if args.no_block else None),
        )
        if v is not None
    }
    config = DedupConfig(split=False, **changes)
    clean = None
    if not args.no_clean:
        from segmenter import clean_text

        clean = clean_text

    t0 = time.perf_counter()
    units = []
    with open(docs, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            text = rec["text"]
            if clean is not None:
                text = clean(text)[0]
            units.append(Unit(id=str(rec["id"]), text=text))
    n = len(units)
    index = args.index
    tmp_dir = None
    if args.runs > 1 and index is None:
        tmp_dir = tempfile.TemporaryDirectory(prefix="segmenter-eval-")
        index = str(Path(tmp_dir.name) / "index.db")
    assignments = []
    stats: dict[str, int] = {}
    for k in range(args.runs):
        dedup = Deduplicator(config, index=index)
        dedup.add_many(units[k * n // args.runs : (k + 1) * n // args.runs])
        assignments.extend(dedup.finish())
        for name, value in dedup.stats.as_dict().items():
            stats[name] = stats.get(name, 0) + value
    if tmp_dir is not None:
        tmp_dir.cleanup()
    elapsed = time.perf_counter() - t0
    cluster_of = merged_clusters(assignments) if args.runs > 1 else {}

    fd, pred = tempfile.mkstemp(prefix="segmenter-dedup-", suffix=".jsonl")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for a in assignments:
            out.write(
                json.dumps(
                    {
                        "id": a.id,
                        "cluster": cluster_of.get(a.id, a.cluster),
                        "duplicate_of": a.duplicate_of,
                        "relation": a.relation,
                        "similarity": a.similarity,
                    }
                )
                + "\n"
            )
    if args.keep_pred:
        Path(args.keep_pred).write_text(Path(pred).read_text("utf-8"), "utf-8")
    if args.reuse_report:
        cmd = [sys.executable, str(shared / "eval" / "reuse_report.py"), "--set",
               str(docs.parent), "--pred", pred]
    else:
        cmd = [sys.executable, str(scorer), "--gold", str(gold), "--pred", pred]
        if pairs.is_file():
            cmd += ["--pairs", str(pairs)]
    if args.json:
        cmd.append("--json")
    print(
        f"eval_dedup: {n} docs in {elapsed:.2f}s ({'clean_text + ' if clean else ''}dedup), "
        f"config: threshold={config.threshold} containment={config.containment} "
        f"head={config.head} shingle={config.shingle} block={config.block} "
        f"copy_share={config.copy_share} runs={args.runs}; stats: {stats}",
        flush=True,
    )
    try:
        proc = subprocess.run(cmd, check=False)
    finally:
        os.unlink(pred)
    return proc.returncode


def merged_clusters(assignments: list[Any]) -> dict[str, str]:
    """Clusters across runs: units linked by ``cluster`` or ``duplicate_of`` in any run's
    output are one cluster, named by its first-seen id."""
    order = {a.id: i for i, a in enumerate(assignments)}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a in assignments:
        for other in (a.cluster, a.duplicate_of):
            if other is not None:
                ra, rb = find(a.id), find(other)
                if ra != rb:
                    first, second = sorted((ra, rb), key=lambda u: order.get(u, -1))
                    parent[second] = first
    return {a.id: find(a.id) for a in assignments}


if __name__ == "__main__":
    sys.exit(main())
