"""Fetch ftfy's own test cases (tests/test_cases.json in its source distribution) for our tests.

Usage: python scripts/fetch_ftfy_cases.py OUT.json
Downloads the sdist of the installed ftfy version from the package index with pip.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path


def main() -> int:
    out = Path(sys.argv[1])
    wanted = version("ftfy")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             f"ftfy=={wanted}", "-d", tmp],
            check=True,
        )
        (sdist,) = Path(tmp).glob("ftfy-*.tar.gz")
        with tarfile.open(sdist) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("tests/test_cases.json"))
            data = tar.extractfile(member)
            assert data is not None
            out.write_bytes(data.read())
    print(f"ftfy {wanted} test cases -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
