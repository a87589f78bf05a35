#!/usr/bin/env python3
"""Dedup precision at scale: block containment against ``--no-block`` on a `make_corpus.py`
corpus (issue 13).

    python bench/eval_scale.py [--shared ../shared] [--n 30000] [--seed 1] [--corpus DOCS
                               --gold GOLD] [--json]

`make_corpus.py` documents draw their paragraphs from one shared pool, so unrelated documents
share paragraphs, often several of a small topic's; its gold counts only the constructed
lineage (exact, near and prefix copies) as duplicates. Block containment must not link such
documents: its pairwise precision must stay close to ``--no-block``'s, and its recall must not
fall below it. Generates the corpus in a temporary directory (``--corpus``/``--gold``: use
one already made), runs the Deduplicator on the documents as they are (they need no cleaning)
with and without blocks, and scores both with ``<shared>/eval/score_dedup.py``. ``--json``
prints ``{"blocks": overall, "no_block": overall, "precision_vs_no_block",
"recall_vs_no_block"}`` (the differences, blocks minus no-block). Exits 0 with a message when
the shared directory is missing.
"""

from __future__ import annotations

import argparse
import json
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


def predict(docs: Path, pred: Path, block: bool) -> float:
    """Dedup ``docs`` (in memory) into ``pred`` records; returns the seconds it took."""
    t0 = time.perf_counter()
    dedup = Deduplicator(DedupConfig(split=False, block=block))
    with open(docs, encoding="utf-8") as fh:
        dedup.add_many(Unit(id=str(r["id"]), text=r["text"]) for r in map(json.loads, fh))
        done = dedup.finish()
    elapsed = time.perf_counter() - t0
    with open(pred, "w", encoding="utf-8") as out:
        for a in done:
            out.write(json.dumps({"id": a.id, "cluster": a.cluster, "duplicate_of": a.duplicate_of,
                                  "relation": a.relation, "similarity": a.similarity}) + "\n")
    return elapsed


def score(scorer: Path, gold: Path, pred: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, str(scorer), "--gold", str(gold), "--pred", str(pred),
                          "--json"], check=True, capture_output=True, text=True).stdout
    overall: dict[str, Any] = json.loads(out)["overall"]
    return overall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--n", type=int, default=30000, help="documents [default: 30000]")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", help="a make_corpus.py corpus already made (with --gold)")
    ap.add_argument("--gold")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    shared = Path(args.shared)
    maker, scorer = shared / "eval" / "make_corpus.py", shared / "eval" / "score_dedup.py"
    if not (maker.is_file() and scorer.is_file()):
        print(f"eval_scale: make_corpus.py or score_dedup.py not found under {shared}/eval")
        return 0
    with tempfile.TemporaryDirectory(prefix="segmenter-scale-") as tmp:
        work = Path(tmp)
        if args.corpus:
            docs, gold = Path(args.corpus), Path(args.gold or "")
        else:
            docs, gold = work / "docs.jsonl", work / "gold.jsonl"
            subprocess.run([sys.executable, str(maker), "--n", str(args.n), "--seed",
                            str(args.seed), "--out", str(docs), "--gold", str(gold)],
                           check=True, capture_output=True)
        result: dict[str, Any] = {}
        for name, block in (("blocks", True), ("no_block", False)):
            pred = work / f"{name}.jsonl"
            seconds = predict(docs, pred, block)
            result[name] = score(scorer, gold, pred)
            if not args.json:
                o = result[name]
                print(f"{name:9} pairwise P {o['pairwise_precision']:.4f} "
                      f"R {o['pairwise_recall']:.4f} F1 {o['pairwise_f1']:.4f}   B-cubed P "
                      f"{o['bcubed_precision']:.4f} R {o['bcubed_recall']:.4f}   "
                      f"({o['docs']} docs, {seconds:.1f}s)")
    for metric in ("precision", "recall"):
        key = f"pairwise_{metric}"
        result[f"{metric}_vs_no_block"] = result["blocks"][key] - result["no_block"][key]
    if args.json:
        print(json.dumps(result, indent=1, sort_keys=True))
    else:
        print(f"blocks - no_block: pairwise precision {result['precision_vs_no_block']:+.4f}, "
              f"recall {result['recall_vs_no_block']:+.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
