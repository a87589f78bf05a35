#!/usr/bin/env python3
"""Score ``segmenter.split`` on the labelled split-dev set with the shared scorer.

    python bench/eval_split.py [--shared ../shared] [--docs FILE] [--gold FILE] [--json]
                               [--per-doc FILE] [--keep FILE]

Writes the predictions (one JSON record per story, the prediction format of
``shared/eval/README.md``) to a temporary file and runs ``shared/eval/score_split.py`` on them.
Exits 0 with a message when the shared directory is missing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmenter.split import SplitConfig, split  # noqa: E402


def records(doc_id: str, text: str, config: SplitConfig | None = None) -> list[dict[str, Any]]:
    """The prediction records (one per story) of one document."""
    return [
        {
            "doc_id": doc_id,
            "story": story.index,
            "kind": story.kind,
            "start": story.start,
            "end": story.end,
            "text": text[story.start : story.end],
            "truncated": story.truncated,
            "kicker": story.kicker,
            "boilerplate": [
                {"start": b.start, "end": b.end, "label": b.label} for b in story.boilerplate
            ],
            "score": story.score,
            "reasons": list(story.reasons),
        }
        for story in split(text, config)
    ]


def write_predictions(docs: Path, out: Path) -> int:
    """Split every ``{"id", "text"}`` record of ``docs`` into ``out``; returns the story count."""
    n = 0
    with docs.open(encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for raw in src:
            if not raw.strip():
                continue
            doc = json.loads(raw)
            for rec in records(doc["id"], doc["text"]):
                dst.write(json.dumps(rec, ensure_ascii=False) + "\n")
                n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shared", default="../shared", help="the shared directory (default ../shared)"
    )
    ap.add_argument("--docs", help="documents JSONL (default SHARED/data/split-dev/docs.jsonl)")
    ap.add_argument("--gold", help="gold JSONL (default: gold.jsonl next to --docs)")
    ap.add_argument("--json", action="store_true", help="print the scorer's JSON object")
    ap.add_argument("--per-doc", metavar="FILE", help="write per-document counts (JSONL)")
    ap.add_argument("--keep", metavar="FILE", help="also keep the predictions in FILE")
    args = ap.parse_args(argv)

    shared = Path(args.shared)
    scorer = shared / "eval" / "score_split.py"
    docs = Path(args.docs) if args.docs else shared / "data" / "split-dev" / "docs.jsonl"
    gold = Path(args.gold) if args.gold else docs.parent / "gold.jsonl"
    missing = [p for p in (scorer, docs, gold) if not p.is_file()]
    if missing:
        print(f"eval_split: skipped, not found: {', '.join(map(str, missing))}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(args.keep) if args.keep else Path(tmp) / "pred_split.jsonl"
        write_predictions(docs, pred)
        cmd = [sys.executable, str(scorer), "--gold", str(gold), "--pred", str(pred)]
        if args.json:
            cmd.append("--json")
        if args.per_doc:
            cmd += ["--per-doc", args.per_doc]
        return subprocess.call(cmd)


if __name__ == "__main__":
    raise SystemExit(main())
