"""Flat memory: peak RSS of `segmenter clean` and `segmenter split` on 100 MB and 1 GB inputs.

The inputs are make_corpus.py corpora (cached under /tmp/segmenter-bench/), the outputs go to
/dev/null. Peak RSS is the child process's own maximum (os.wait4), so it includes the Python
interpreter and the libraries (~60 MB); flat means the 1 GB run peaks where the 100 MB run does.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path("/tmp/segmenter-bench")


def corpus(shared: Path, megabytes: int) -> Path:
    """A JSONL corpus of about ``megabytes`` MB (2.7 KB documents)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"memory-{megabytes}mb.jsonl"
    if not path.exists():
        n = int(megabytes * 1e6 / 2_650)
        tmp = path.with_suffix(".tmp")
        subprocess.run([sys.executable, str(shared / "eval" / "make_corpus.py"), "--n", str(n),
                        "--seed", "3", "--out", str(tmp)], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(path)
    return path


def measure(args: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one command."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed with exit {proc.returncode}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--sizes", default="100,1000", help="input sizes in MB")
    args, _ = parser.parse_known_args()
    if not (args.shared / "eval" / "make_corpus.py").exists():
        print(f"bench_memory: {args.shared}/eval/make_corpus.py not found; skipped")
        return
    exe = [sys.executable, "-m", "segmenter"]
    print(f"{'command':8} {'input':>9} {'seconds':>8} {'MB/s':>7} {'peak RSS':>9}")
    for mb in (int(x) for x in args.sizes.split(",")):
        path = corpus(args.shared, mb)
        size = path.stat().st_size / 1e6
        for command in ("clean", "split"):
            seconds, rss = measure([*exe, command, str(path), "-o", "/dev/null"])
            print(f"{command:8} {size:7.0f}MB {seconds:8.1f} {size / seconds:7.1f} "
                  f"{rss:7.0f}MB", flush=True)


if __name__ == "__main__":
    main()
