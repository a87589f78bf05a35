"""Cleaning throughput: our gated clean_text beside plain ftfy.fix_text, in the same run.

Three kinds of text, built from the dev dumps when ../shared is present (else from fixtures):
clean ASCII, clean text with CJK names and curly quotes, and mojibake (the latter made by
encoding as UTF-8 and decoding as Windows-1252). Prints MB/s per core (best of 3).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import ftfy

from segmenter.clean import clean_text
from segmenter.config import CleanConfig

ROOT = Path(__file__).resolve().parent.parent


def corpus(shared: Path, limit_mb: float) -> list[str]:
    docs_path = shared / "data" / "split-dev" / "docs.jsonl"
    if docs_path.exists():
        texts = [json.loads(line)["text"] for line in docs_path.open(encoding="utf-8")]
    else:
        texts = [(ROOT / "fixtures" / "seed" / "dump.txt").read_text("utf-8")]
    out: list[str] = []
    size = 0
    while size < limit_mb * 1e6:
        for t in texts:
            out.append(t)
            size += len(t.encode())
    return out


def kinds(texts: list[str]) -> dict[str, list[str]]:
    ascii_docs = [t.encode("ascii", "ignore").decode() for t in texts]
    cjk = [
        t.replace("'", "’").replace(" said", " (秦剛) said", 1).replace('"', "“", 1)
        for t in ascii_docs
    ]
    moji = [t.encode("utf-8").decode("windows-1252", "replace") for t in cjk]
    return {"clean ASCII": ascii_docs, "clean CJK + curly quotes": cjk, "mojibake": moji}


def mbps(func: Callable[[str], object], texts: list[str]) -> float:
    size = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for t in texts:
            func(t)
        best = min(best, time.perf_counter() - start)
    return size / best / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--mb", type=float, default=4.0, help="MB of text per kind")
    args = parser.parse_args()
    config = CleanConfig()
    ftfy_config = config.to_ftfy()
    print("== clean: MB/s per core (best of 3) ==")
    print(f"{'text':28} {'segmenter':>10} {'ftfy.fix_text':>14} {'ratio':>7} {'same output':>12}")
    for name, texts in kinds(corpus(args.shared, args.mb)).items():
        ours = mbps(lambda t: clean_text(t, config), texts)
        sample = texts[: max(1, len(texts) // 8)]
        theirs = mbps(lambda t: ftfy.fix_text(t, ftfy_config), sample)
        same = all(clean_text(t, config)[0] == ftfy.fix_text(t, ftfy_config) for t in sample)
        print(f"{name:28} {ours:10.1f} {theirs:14.2f} {ours / theirs:6.1f}x {str(same):>12}")


if __name__ == "__main__":
    main()
