"""`make bench`: every benchmark in one run (clean, split, memory, dedup, the CLI as a user runs
it - `dedup --no-split` against the datasketch-only peer, `split` MB/s per job, `run --jobs 1`
against `--jobs N` - band index at 100k and 1M units, persistent index at 1M, ray), printed as
tables.

Speed and memory targets are checked here, not by timed unit tests. Options that this script
does not know are passed to every benchmark (e.g. `--n 100000`); `make bench-scale` runs 1M
documents through `segmenter run --jobs 2` (bench_cli.py --scale).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAMES = ["clean", "split", "memory", "dedup", "cli", "band_index", "index", "ray"]
# The index targets are at 1M units (signatures cached under /tmp/segmenter-bench after the
# first run); options given to run.py come after these and win.
DEFAULTS = {"index": ["--n", "1000000", "--skip-redis"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    parser.add_argument("--only", default=None,
                        choices=NAMES)
    args, rest = parser.parse_known_args()
    status = 0
    for name in NAMES:
        if args.only and name != args.only:
            continue
        path = HERE / f"bench_{name}.py"
        print(f"\n== bench_{name}.py ==", flush=True)
        if not path.exists():
            print("not present")
            continue
        status |= subprocess.run(
            [sys.executable, str(path), "--shared", str(args.shared), *DEFAULTS.get(name, []),
             *rest], check=False
        ).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
