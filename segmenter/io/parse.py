"""Bytes to :class:`Document` records with the reader's rules: UTF-8 decoding (strict or
counted replacement), one JSON object per JSONL line, a whole ``.txt`` file as one document,
and what happens to a bad record (an :class:`InputError`, or a reject with its reason)."""

from __future__ import annotations

import codecs
import json
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..config import ReadConfig
from ..errors import InputError
from ..model import Document, Reject, pickled_by_fields
from .files import STDIN, strip_known_extensions

__all__ = ["DecodeWarning", "ReadStats", "RejectSink", "decode", "document_id", "field_value",
           "jsonl_record", "record_document", "reject_or_raise", "text_document", "text_id"]

_RAW_PREVIEW = 200  # characters of an offending line kept in a reject record


class DecodeWarning(UserWarning):
    """Invalid UTF-8 was replaced with U+FFFD (``encoding_errors="replace"``)."""


@dataclass
class ReadStats:
    """Counters a read keeps; ``records == documents + rejected`` always holds."""

    files: int = 0
    records: int = 0
    documents: int = 0
    rejected: int = 0
    decode_replacements: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The counters as ``report.json`` shows them under ``read``."""
        return {
            "files": self.files,
            "records": self.records,
            "documents": self.documents,
            "rejected": self.rejected,
            "decode_replacements": self.decode_replacements,
            "reject_reasons": dict(sorted(self.reasons.items())),
        }

    def merge(self, other: ReadStats) -> None:
        """Add another read's counters to these."""
        self.files += other.files
        self.records += other.records
        self.documents += other.documents
        self.rejected += other.rejected
        self.decode_replacements += other.decode_replacements
        for k, v in other.reasons.items():
            self.reasons[k] = self.reasons.get(k, 0) + v


class RejectSink:
    """Receives skipped records; writes them as JSONL when given a writer."""

    def __init__(self, write: Callable[[Mapping[str, Any]], None] | None = None) -> None:
        self._write = write
        self.count = 0

    def add(self, reject: Reject) -> None:
        """Count one skipped record and write it."""
        self.add_record(reject_record(reject))

    def add_record(self, record: Mapping[str, Any]) -> None:
        """Count and write a reject already in its JSON form (a worker process's reject)."""
        self.count += 1
        if self._write is not None:
            self._write(record)


def reject_record(reject: Reject) -> dict[str, Any]:
    """A reject as the ``--rejects`` file holds it."""
    return {
        "source": reject.source,
        "line": reject.line,
        "offset": reject.offset,
        "reason": reject.reason,
        "message": reject.message,
        "raw": reject.raw,
    }


def reject_or_raise(
    exc: InputError, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None,
    raw: bytes | None = None,
) -> None:
    """Raise ``exc`` (``on_error="fail"``) or count it and send it to ``rejects``."""
    if config.on_error == "fail":
        raise exc
    stats.rejected += 1
    stats.reasons[exc.reason] = stats.reasons.get(exc.reason, 0) + 1
    if rejects is not None:
        preview = None
        if raw is not None:
            preview = raw[: _RAW_PREVIEW * 4].decode("utf-8", "replace")[:_RAW_PREVIEW]
        rejects.add(Reject(exc.path or "-", exc.line, exc.reason, exc.message, exc.offset, preview))


def decode(
    data: bytes, path: str, line: int | None, base_offset: int, config: ReadConfig,
    stats: ReadStats, base_line: int = 0,
) -> str:
    """UTF-8 with strict or counted replacement of invalid bytes. ``line`` locates an error, or
    when None, ``base_line`` plus the line breaks before it (a chunk of a longer stream)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if line is None:
            line = base_line + data.count(b"\n", 0, exc.start) + 1
        if config.encoding_errors == "strict":
            raise InputError(
                f"invalid UTF-8 ({exc.reason}: {data[exc.start:exc.end]!r}); "
                "use --encoding-errors replace to substitute U+FFFD",
                path,
                line,
                base_offset + exc.start,
                reason="invalid_utf8",
            ) from exc
        text = data.decode("utf-8", errors="replace")
        replaced = text.count("\ufffd") - data.count("\ufffd".encode())
        stats.decode_replacements += replaced
        warnings.warn(
            f"{path}:{line}: invalid UTF-8 at byte {base_offset + exc.start}; "
            f"{replaced} byte sequence(s) replaced with U+FFFD",
            DecodeWarning,
            stacklevel=2,
        )
        return text


def _fix_surrogates(
    text: str, path: str, line: int | None, config: ReadConfig, stats: ReadStats
) -> str:
    """JSON can carry lone surrogates (``"\\ud800"``), which cannot be written as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError as exc:
        if config.encoding_errors == "strict":
            raise InputError(
                f"lone surrogate {text[exc.start]!r} in the text; "
                "use --encoding-errors replace to substitute U+FFFD",
                path,
                line,
                reason="lone_surrogate",
            ) from exc
        fixed = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
        stats.decode_replacements += sum(1 for ch in text if "\ud800" <= ch <= "\udfff")
        warnings.warn(
            f"{path}:{line}: lone surrogate(s) replaced with U+FFFD", DecodeWarning, stacklevel=2
        )
        return fixed


def text_id(path: str, rel: str = "", id_from: str = "name") -> str:
    """The id of a ``.txt`` document, without the extensions segmenter knows (``.txt``,
    ``.gz``, ...; others are part of the id): its file name (``id_from="name"``), or its path
    relative to the input it was found in (``"path"``, ``rel``); ``stdin`` for ``-``."""
    if path == STDIN:
        return "stdin"
    if id_from == "path" and rel:
        folder, _, name = rel.rpartition("/")
        return (folder + "/" if folder else "") + strip_known_extensions(name)
    return strip_known_extensions(os.path.basename(path.rsplit("/", 1)[-1]))


def text_document(data: bytes, path: str, config: ReadConfig, stats: ReadStats, rel: str = ""
                  ) -> Document:
    """A whole ``.txt`` file's bytes as one document (UTF-8, or UTF-16 with a BOM); ``rel``
    is its path relative to its input (see :func:`text_id`)."""
    if not data:
        raise InputError("empty file", path, reason="empty_file")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(f"invalid UTF-16 ({exc.reason})", path, None, exc.start,
                             reason="invalid_utf16") from exc
    else:
        nul = data.find(b"\x00")
        if nul >= 0:
            raise InputError(
                f"binary file (NUL byte at byte {nul}); not a text document",
                path,
                data.count(b"\n", 0, nul) + 1,
                nul,
                reason="binary",
            )
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8):]
        text = decode(data, path, None, 0, config, stats)
    return Document(text_id(path, rel, config.id_from), text, path, None)


def field_value(record: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """``(found, value)`` of a field: the key ``name`` itself, or else a dotted path into
    nested objects (``article.body`` is ``record["article"]["body"]``)."""
    if name in record:
        return True, record[name]
    head, dot, rest = name.partition(".")
    inner = record.get(head) if dot else None
    if isinstance(inner, Mapping):
        return field_value(inner, rest)
    return False, None


def _without(record: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A copy of ``record`` without the field :func:`field_value` finds (an object left empty
    goes too), so the rest passes through without repeating the text."""
    if name in record:
        return {k: v for k, v in record.items() if k != name}
    head, dot, rest = name.partition(".")
    inner = record.get(head) if dot else None
    out = dict(record)
    if isinstance(inner, Mapping):
        kept = _without(inner, rest)
        if kept:
            out[head] = kept
        else:
            del out[head]
    return out


def document_id(value: Any, path: str, line: int, config: ReadConfig, what: str = "field"
                ) -> str:
    """A record's id: a string or integer; missing, null or empty becomes ``<path>:<line>``."""
    if value is None or value == "":
        return f"{path}:{line}"
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        return str(value)
    raise InputError(
        f"{what} {config.id_field!r} is {type(value).__name__}; ids must be strings or integers",
        path,
        line,
        reason="bad_id",
    )


def jsonl_record(
    raw: bytes, path: str, lineno: int, offset: int, config: ReadConfig, stats: ReadStats
) -> Document | None:
    """One JSONL line to a Document; None for a blank line."""
    if not raw.strip():
        return None
    stats.records += 1
    if b"\x00" in raw:
        raise InputError(
            "NUL byte in a JSON line (binary data?)", path, lineno,
            offset + raw.find(b"\x00"), reason="binary",
        )
    line = decode(raw, path, lineno, offset, config, stats)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg} (column {exc.colno})", path, lineno, reason="bad_json"
        ) from exc
    return record_document(obj, path, lineno, config, stats)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RawLine:
    """A JSON line read and not parsed yet (:func:`~segmenter.io.read_items`): parsed with
    :func:`raw_document` where the work is done (a ``--jobs`` worker)."""

    raw: bytes
    path: str
    line: int
    offset: int


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RawLines:
    """Consecutive lines of a JSON Lines file, read and not parsed yet: one bytes object for a
    batch of lines (a ``--jobs`` worker gets one buffer, not an object per line). ``data``
    holds whole lines, each with its newline (but perhaps the file's last), the first of them
    line ``line`` of ``path`` at byte ``offset``; ``count``: how many lines it holds."""

    data: bytes
    path: str
    line: int
    offset: int
    count: int

    def __iter__(self) -> Iterator[RawLine]:
        """Its non-blank lines, as the line reader gives them (a UTF-8 BOM at the start of the
        file left out, offsets counting it)."""
        data, path = self.data, self.path
        end, size = 0, len(data)
        line = self.line
        find = data.find
        while end < size:
            pos = end
            nl = find(b"\n", pos)
            end = size if nl < 0 else nl + 1
            raw = data[pos:end]
            if line == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if raw.strip():
                yield RawLine(raw, path, line, self.offset + pos)
            line += 1


def raw_document(item: RawLine, config: ReadConfig, stats: ReadStats) -> Document | None:
    """A :class:`RawLine` to its Document (None for a blank line), counted as the reader
    counts it; bad input raises :class:`InputError` naming the file and line."""
    doc = jsonl_record(item.raw, item.path, item.line, item.offset, config, stats)
    if doc is not None:
        stats.documents += 1
    return doc


def record_document(obj: Any, path: str, lineno: int, config: ReadConfig, stats: ReadStats
                    ) -> Document:
    """One parsed JSON record (a JSONL line, an element of a JSON array) to a Document; the
    fields other than the text and the id pass through as ``meta``."""
    if not isinstance(obj, dict):
        raise InputError(
            f"expected a JSON object, got {type(obj).__name__}", path, lineno, reason="not_object"
        )
    found, text = field_value(obj, config.text_field)
    if not found:
        keys = ", ".join(repr(k) for k in list(obj)[:20]) or "none"
        raise InputError(
            f"no {config.text_field!r} field (keys: {keys}); choose one with --text-field "
            "(a dotted name such as article.body reads a nested field)",
            path,
            lineno,
            reason="missing_text",
        )
    if not isinstance(text, str):
        raise InputError(
            f"field {config.text_field!r} is {type(text).__name__}, not a string",
            path,
            lineno,
            reason="text_not_string",
        )
    doc_id = document_id(field_value(obj, config.id_field)[1], path, lineno, config)
    text = _fix_surrogates(text, path, lineno, config, stats)
    meta = _without(_without(obj, config.text_field), config.id_field)
    return Document(doc_id, text, path, lineno, meta)
