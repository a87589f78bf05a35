from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = Path(os.environ.get("SEGMENTER_SHARED", ROOT.parent / "shared"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, reason: str) -> None:
    """Skip on a user's machine when a resource is missing; in CI (CI=true) fail instead,
    because a CI run that skips a test has not tested it."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


WORDS = (
    "bank market shares oil prices government minister said year company percent trade "
    "talks union workers court police election party vote economy growth bonds dollar "
    "tuesday monday officials report plans deal sales profit loss record strike border"
).split()


def story(seed: int, n: int = 120) -> str:
    """A deterministic made-up story of about ``n`` words (for dedup and index tests)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(max(1, n // 20)):
        lines.append(" ".join(rng.choice(WORDS) + str(rng.randrange(50)) for _ in range(20)) + ".")
    return "\n".join(lines)
