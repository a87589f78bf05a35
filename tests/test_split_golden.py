"""Golden cases of the story splitter: fixtures/split (hand-written cases and the seed page)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from segmenter.model import Story
from segmenter.split import split

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "split"


def _cases() -> list[Any]:
    params = []
    with (FIXTURES / "cases.jsonl").open(encoding="utf-8") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            case = json.loads(raw)
            marks = []
            if case.get("xfail"):
                marks.append(pytest.mark.xfail(reason=case["xfail"], strict=True))
            params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


def _gold_view(stories: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            s["start"],
            s["kind"],
            s["truncated"],
            s["kicker"],
            tuple((b["start"], b["end"], b["label"]) for b in s["boilerplate"]),
        )
        for s in stories
    ]


def _pred_view(stories: list[Story]) -> list[tuple[Any, ...]]:
    return [
        (
            s.start,
            s.kind,
            s.truncated,
            s.kicker,
            tuple((b.start, b.end, b.label) for b in s.boilerplate),
        )
        for s in stories
    ]


@pytest.mark.parametrize("case", _cases())
def test_golden_case(case: dict[str, Any]) -> None:
    assert case["tests"], "every case says what it tests"
    got = split(case["text"])
    assert _pred_view(got) == _gold_view(case["stories"])
    for story, gold in zip(got, case["stories"], strict=True):
        assert story.end == gold["end"]


def test_seed_page_exact() -> None:
    text = (FIXTURES / "seed_dump.txt").read_text(encoding="utf-8")
    gold = json.loads((FIXTURES / "seed_gold.json").read_text(encoding="utf-8"))
    assert gold["text"] == text
    got = split(text)
    assert _pred_view(got) == _gold_view(gold["stories"])
    assert [(s.start, s.end) for s in got] == [(g["start"], g["end"]) for g in gold["stories"]]


def test_seed_page_reasons_and_scores() -> None:
    text = (FIXTURES / "seed_dump.txt").read_text(encoding="utf-8")
    got = split(text)
    assert got[2].kicker == "STEADFAST FRIEND"
    assert "kicker" in got[2].reasons
    assert "after_teaser" in got[2].reasons
    assert "no_terminal_punct" in got[1].reasons or "after_credit" in got[1].reasons
    for story in got:
        assert 0.0 <= story.score <= 1.0
        json.dumps(dict(story.evidence))  # --explain needs it JSON-serialisable
