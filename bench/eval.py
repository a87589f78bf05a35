"""`make eval`: score split and dedup on the development sets with the shared scorers, and
check the scores against bench/eval_baseline.json (the issue targets).

Runs bench/eval_split.py (on split-dev and on split-real), bench/eval_dedup.py (on dedup-dev
and on dedup-reuse; each calls ../shared/eval/score_*.py or reuse_report.py) and
bench/eval_scale.py (30k make_corpus.py documents, with and without blocks) and prints their
tables, then one line per gated metric. Exit 1 when a metric misses its bound. Prints a note
and exits 0 when ../shared is not present (a user's checkout without it).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def lookup(data: dict[str, Any], dotted: str) -> Any:
    """``data["a"]["b"]`` for ``"a.b"``; a key may hold dots itself (``share_min.>=0.7``)."""
    while dotted:
        key = max((k for k in data if dotted == k or dotted.startswith(k + ".")), key=len)
        data, dotted = data[key], dotted[len(key) + 1:]
    return data


# name in eval_baseline.json -> (script, extra arguments)
SETS: dict[str, tuple[str, list[str]]] = {
    "split": ("eval_split.py", []),  # split-dev
    "split-real": ("eval_split.py", ["--docs", "{shared}/data/split-real/docs.jsonl"]),
    "dedup": ("eval_dedup.py", []),  # dedup-dev
    "dedup-reuse": ("eval_dedup.py", ["--set", "dedup-reuse", "--reuse-report"]),
    # the same through a SQLite index fed in three consecutive runs
    "dedup-reuse-index": ("eval_dedup.py", ["--set", "dedup-reuse", "--reuse-report",
                                            "--runs", "3"]),
    # block containment against --no-block on 30k make_corpus.py documents (shared paragraphs)
    "dedup-scale": ("eval_scale.py", []),
}


def scores(script: str, shared: Path, extra: list[str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / script), "--shared", str(shared)]
    cmd += [a.format(shared=shared) for a in extra or []]
    subprocess.run(cmd, check=True)  # the human-readable table
    out = subprocess.run([*cmd, "--json"], check=True, capture_output=True, text=True).stdout
    start = re.search(r"^\{", out, re.M)  # the scorer's object, after any log lines
    if start is None:
        raise SystemExit(f"{script} printed no JSON object")
    return json.loads(out[start.start():])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    parser.add_argument("--baseline", type=Path, default=HERE / "eval_baseline.json")
    args = parser.parse_args()
    if not (args.shared / "eval").is_dir():
        print(f"make eval: {args.shared}/eval not found; nothing to score")
        return 0
    baseline = json.loads(args.baseline.read_text())
    failed = 0
    results = {}
    for name, (script, extra) in SETS.items():
        print(f"\n== {name}: {script} {' '.join(extra)} ==".rstrip(), flush=True)
        results[name] = scores(script, args.shared, extra)
    print("\n== gate (bench/eval_baseline.json) ==")
    for name, bounds in baseline.items():
        if name.startswith("_"):
            continue
        for metric, bound in bounds.items():
            value = lookup(results[name], metric)
            ok = ("min" not in bound or value >= bound["min"]) and (
                "max" not in bound or value <= bound["max"])
            limit = f">= {bound['min']}" if "min" in bound else f"<= {bound['max']}"
            print(f"  {'ok  ' if ok else 'FAIL'} {name:17} {metric:36} {value:8.4f}  ({limit})")
            failed += not ok
    print(f"\n{'all targets met' if not failed else f'{failed} target(s) missed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
