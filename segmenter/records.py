"""The JSON records segmenter writes (the contract of the README's "Formats" section)."""

from __future__ import annotations

from typing import Any

from .model import CleanReport, Document, Story

__all__ = ["clean_record", "story_record"]


def clean_record(doc: Document, report: CleanReport) -> dict[str, Any]:
    """``segmenter clean`` output: the input record's other fields, then id, text, clean_steps."""
    record: dict[str, Any] = dict(doc.meta)
    record["id"] = doc.id
    record["text"] = doc.text
    record["clean_steps"] = list(report.steps)
    return record


def story_record(doc: Document, story: Story, *, explain: bool = False) -> dict[str, Any]:
    """``segmenter split`` output: one record per story (see ``shared/eval/README.md``)."""
    record: dict[str, Any] = {
        "doc_id": doc.id,
        "story": story.index,
        "kind": story.kind,
        "start": story.start,
        "end": story.end,
        "text": doc.text[story.start : story.end],
        "truncated": story.truncated,
        "kicker": story.kicker,
        "boilerplate": [
            {"start": b.start, "end": b.end, "label": b.label} for b in story.boilerplate
        ],
        "score": round(float(story.score), 4),
        "reasons": list(story.reasons),
    }
    if explain:
        record["evidence"] = dict(story.evidence)
    return record
