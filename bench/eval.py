"""`make eval`: score split and dedup on the development sets with the shared scorers.

Runs bench/eval_split.py and bench/eval_dedup.py (each calls ../shared/eval/score_*.py).
Prints a note and exits 0 when ../shared is not present (a user's checkout without it).
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
    args = parser.parse_args()
    if not (args.shared / "eval").is_dir():
        print(f"make eval: {args.shared}/eval not found; nothing to score")
        return 0
    status = 0
    for script in ("eval_split.py", "eval_dedup.py"):
        path = HERE / script
        print(f"\n== {script} ==", flush=True)
        if not path.exists():
            print(f"{script}: not present")
            continue
        status |= subprocess.run([sys.executable, str(path), "--shared", str(args.shared)],
                                 check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
