"""The JSON records segmenter writes (the contract of the README's "Formats" section)."""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring as _string  # (ensure_ascii=False, as _ENCODE)
from typing import Any

from .model import Assignment, CleanReport, Document, Story, Unit

__all__ = ["assignment_fields", "assignment_tail", "clean_record", "dumps", "plain_ascii",
           "plain_records", "story_record", "unit_record"]

_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""Compact JSON, as segmenter writes its records."""
# json escapes a string ~2.6x faster with ensure_ascii on; both settings write the same bytes for
# a record whose strings hold only ASCII characters other than DEL (which ensure_ascii escapes).
_ENCODE_ASCII = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def dumps(record: object, plain: bool = False) -> str:
    """One record as a JSON line (without the newline): compact, non-ASCII characters as they
    are. ``plain``: the caller knows every string in the record is :func:`plain_ascii` (a
    faster escaper, the same bytes)."""
    return _ENCODE_ASCII(record) if plain else _ENCODE(record)


def plain_ascii(text: str) -> bool:
    """ASCII without DEL: a string json writes the same with and without ``ensure_ascii``."""
    return text.isascii() and "\x7f" not in text


def plain_records(doc: Document, *, source: bool = False) -> bool:
    """Whether every string of ``doc``'s :func:`story_record` records (with ``source``, of its
    :func:`unit_record` records, which add its source) is :func:`plain_ascii`, so that
    ``dumps(record, plain=True)`` may write them: their strings are ids made of its id, slices
    of its text, its source, and fixed names (kinds, labels, reasons, ftfy's steps)."""
    return plain_ascii(doc.text) and plain_ascii(doc.id) and \
        (not source or plain_ascii(doc.source or ""))


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


def unit_record(doc: Document, stories: list[Story], steps: tuple[str, ...] | None, unit: Unit,
                *, explain: bool = False) -> dict[str, Any]:
    """A unit's ``stories.jsonl`` record without ``id`` and the cluster fields: its story's
    record (or, for a whole document, ``doc_id`` and ``text``), the ftfy steps when the text
    was cleaned (``steps`` not None), and the source file."""
    if unit.story is not None:
        story = next(s for s in stories if s.index == unit.story)
        record = story_record(doc, story, explain=explain)
    else:
        record = {"doc_id": doc.id, "text": doc.text}
    if steps is not None:
        record["clean_steps"] = list(steps)
    if doc.source:
        record["source"] = doc.source
    return record


def assignment_fields(a: Assignment, explain: bool = False) -> dict[str, Any]:
    """The cluster fields of a unit's record: ``cluster``, ``duplicate_of``, ``relation``,
    ``similarity``, ``keeper`` (and, with ``explain``, ``dedup_evidence``)."""
    out: dict[str, Any] = {
        "cluster": a.cluster,
        "duplicate_of": a.duplicate_of,
        "relation": a.relation,
        "similarity": None if a.similarity is None else round(float(a.similarity), 4),
        "keeper": a.keeper,
    }
    if explain and a.evidence:
        out["dedup_evidence"] = dict(a.evidence)
    return out


def assignment_tail(a: Assignment, explain: bool = False) -> bytes:
    """``,"cluster":...,"keeper":...}`` + newline: the cluster fields that end a unit's record,
    as UTF-8; the bytes the JSON encoder writes for the members of :func:`assignment_fields`
    (the encoder's escaping, number and literal spellings), made without a dict and an encoder
    call for the usual unit: each run writes one for every unit after the last one is
    assigned, while the workers wait. A test compares the two."""
    similarity = a.similarity
    if similarity is None:
        sim = "null"
    else:
        number = round(float(similarity), 4)
        if not math.isfinite(number):  # (NaN, Infinity: the encoder's spellings)
            return _encoded_tail(a, explain)
        sim = float.__repr__(number)
    if explain and a.evidence:
        return _encoded_tail(a, explain)
    dup, relation = a.duplicate_of, a.relation
    return (f',"cluster":{_string(a.cluster)},'
            f'"duplicate_of":{"null" if dup is None else _string(dup)},'
            f'"relation":{"null" if relation is None else _string(relation)},'
            f'"similarity":{sim},"keeper":{"true" if a.keeper else "false"}}}\n').encode()


def _encoded_tail(a: Assignment, explain: bool) -> bytes:
    return f",{_ENCODE(assignment_fields(a, explain))[1:]}\n".encode()
