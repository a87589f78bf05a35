"""`make bench`: every benchmark in one run (clean, split, dedup, index, ray), printed as tables.

Speed and memory targets are checked here, not by timed unit tests. Options that this script
does not know are passed to every benchmark (e.g. `--n 100000`); `make bench-scale` runs the
1M-document dedup.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=HERE.parent.parent / "shared")
    parser.add_argument("--only", default=None,
                        choices=["clean", "split", "memory", "dedup", "index", "ray"])
    args, rest = parser.parse_known_args()
    status = 0
    for name in ("clean", "split", "memory", "dedup", "index", "ray"):
        if args.only and name != args.only:
            continue
        path = HERE / f"bench_{name}.py"
        print(f"\n== bench_{name}.py ==", flush=True)
        if not path.exists():
            print("not present")
            continue
        status |= subprocess.run(
            [sys.executable, str(path), "--shared", str(args.shared), *rest], check=False
        ).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
