#!/usr/bin/env python3
"""Speed of ``segmenter.split`` on the split-dev dumps: MB/s on one core, best of 3.

    python bench/bench_split.py [--shared ../shared] [--docs DOCS.jsonl] [--repeat 3] [--stages]

All texts are read into memory first; only ``split`` is timed. Prints one summary line.
``--stages`` adds what ``segmenter split`` does per document, each step timed on its own in CPU
seconds (parse the JSON line, clean, split, encode the story records), in MB/s of the JSONL
file as ``bench_cli.py`` counts it. Exits 0 with a message when the shared directory is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmenter.split import split  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--shared", default="../shared", help="the shared directory (default ../shared)"
    )
    ap.add_argument("--docs", help="documents JSONL (default SHARED/data/split-dev/docs.jsonl)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    ap.add_argument("--stages", action="store_true",
                    help="also time each step of `segmenter split` per document (CPU seconds)")
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
    if args.stages:
        stages(docs, max(1, args.repeat))
    return 0


def stages(docs: Path, repeat: int) -> None:
    """The steps of ``segmenter split`` on each document of ``docs``, each timed alone."""
    from segmenter.clean import clean
    from segmenter.config import Config
    from segmenter.io import RawLine, RawLines, ReadStats, raw_document, read_items
    from segmenter.model import Document
    from segmenter.records import dumps, plain_ascii, story_record

    cfg = Config()
    items = [line for item in read_items([str(docs)], cfg.read, stats=ReadStats())
             for line in (item if isinstance(item, RawLines) else [item])]
    mb = docs.stat().st_size / 1e6

    def cpu(step: Callable[[], Any]) -> tuple[float, Any]:
        best, out = float("inf"), None
        for _ in range(repeat):
            t0 = time.process_time()
            out = step()
            best = min(best, time.process_time() - t0)
        return best, out

    t_parse, parsed = cpu(lambda: [raw_document(i, cfg.read, ReadStats())
                                   if isinstance(i, RawLine) else i for i in items])
    found: list[Document] = [d for d in parsed if d is not None]
    t_clean, cleaned = cpu(lambda: [clean(d, cfg.clean)[0] for d in found])
    t_split, stories = cpu(lambda: [split(d.text, cfg.split) for d in cleaned])
    pairs = [(d, s) for d, ss in zip(cleaned, stories, strict=True) for s in ss]
    plain = {id(d): plain_ascii(d.text) and plain_ascii(d.id) for d in cleaned}  # as split_lines
    t_encode, _ = cpu(lambda: [dumps(story_record(d, s), plain[id(d)]) for d, s in pairs])
    total = t_parse + t_clean + t_split + t_encode
    print(f"stages ({mb:.1f} MB of JSONL, CPU s): parse {t_parse:.3f}, clean {t_clean:.3f}, "
          f"split {t_split:.3f}, encode {t_encode:.3f}; {mb / total:.1f} MB/s together, "
          f"split alone {mb / t_split:.1f} MB/s")


if __name__ == "__main__":
    raise SystemExit(main())
