"""Quality gate of the splitter on the labelled split-dev set (skipped when ../shared is absent)."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path
from typing import Any

import pytest

from segmenter.split import split

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SEGMENTER_SHARED", ROOT.parent / "shared"))
GOLD = SHARED / "data" / "split-dev" / "gold.jsonl"
REAL = SHARED / "data" / "split-real" / "gold.jsonl"
SCORER = SHARED / "eval" / "score_split.py"

# The targets; lowering one is a visible change.
TARGETS = {
    "boundary_f1": (">=", 0.97),
    "pk": ("<=", 0.03),
    "teaser_f1": (">=", 0.97),
    "truncated_accuracy": (">=", 0.97),
    "kicker_accuracy": (">=", 0.95),
    "boilerplate_f1": (">=", 0.95),
}


# split-real (real pages: subheads, captions, lists, page chrome), issue 11's targets.
REAL_TARGETS = {
    "boundary_f1": (">=", 0.93),
    "pk": ("<=", 0.06),
    "teaser_f1": (">=", 0.95),
    "boilerplate_f1": (">=", 0.90),
}


def _score(gold_path: Path = GOLD) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("score_split", SCORER)
    assert spec is not None and spec.loader is not None
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    lines = gold_path.read_text(encoding="utf-8").splitlines()
    gold = [json.loads(line) for line in lines if line]
    preds = []
    for g in gold:
        for s in split(g["text"]):
            preds.append(
                {
                    "doc_id": g["id"],
                    "story": s.index,
                    "kind": s.kind,
                    "start": s.start,
                    "end": s.end,
                    "truncated": s.truncated,
                    "kicker": s.kicker,
                    "boilerplate": [
                        {"start": b.start, "end": b.end, "label": b.label} for b in s.boilerplate
                    ],
                }
            )
    result, _ = scorer.score(gold, preds)
    return result


@pytest.mark.skipif(not (GOLD.is_file() and SCORER.is_file()), reason="shared split-dev not found")
def test_split_dev_targets() -> None:
    result = _score()
    overall = result["overall"]
    for key, (op, bound) in TARGETS.items():
        value = overall[key]
        assert value >= bound if op == ">=" else value <= bound, (key, value, bound)
    only = result["by_case"]["article_only"]
    assert only["story_count_accuracy"] == 1.0  # no article_only page is split


@pytest.mark.skipif(not (REAL.is_file() and SCORER.is_file()), reason="shared split-real not found")
def test_split_real_targets() -> None:
    result = _score(REAL)
    overall = result["overall"]
    for key, (op, bound) in REAL_TARGETS.items():
        value = overall[key]
        assert value >= bound if op == ">=" else value <= bound, (key, value, bound)
    only = result["by_case"]["article_only"]
    assert only["story_count_accuracy"] >= 0.98  # at most 1 of its 50 article_only pages split
