"""Streaming readers: every listed input file to :class:`Document` records, whatever its format
(``.txt``, JSONL, Parquet), compression (``.gz``, ``.zst``) or place (local, stdin, a
``pyarrow.fs`` URL)."""

from __future__ import annotations

import codecs
import contextlib
import shutil
import tempfile
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from ..config import ReadConfig
from ..errors import ConfigError, InputError
from ..model import Document
from .files import STDIN, InputFile, filesystem, iter_input_files
from .json_array import iter_json_array
from .parse import (
    RawLines,
    ReadStats,
    RejectSink,
    document_id,
    field_value,
    jsonl_record,
    record_document,
    reject_or_raise,
    text_document,
)
from .streams import POSITION, STREAM_ERRORS, open_binary, sniff_stdin, stream_error

__all__ = ["read_documents", "read_file", "read_items"]


def read_documents(
    paths: Iterable[str] | str,
    config: ReadConfig | None = None,
    *,
    rejects: RejectSink | None = None,
    stats: ReadStats | None = None,
) -> Iterator[Document]:
    """Stream documents from files, directories, URLs and ``-`` (stdin).

    Raises :class:`InputError` for bad input when ``config.on_error == "fail"``; otherwise bad
    records are counted in ``stats`` and sent to ``rejects``. Problems with a whole file (missing,
    unreadable, truncated stream) are always errors.
    """
    for item in read_items(paths, config, rejects=rejects, stats=stats, raw=False):
        assert isinstance(item, Document)
        yield item


RAW_LINES = 256
"""Lines in one :class:`RawLines` (at most; fewer when they add up to :data:`RAW_BYTES`)."""
RAW_BYTES = 1 << 20
"""Bytes in one :class:`RawLines`: it ends with the line that reaches this size."""


def read_items(
    paths: Iterable[str] | str,
    config: ReadConfig | None = None,
    *,
    rejects: RejectSink | None = None,
    stats: ReadStats | None = None,
    raw: bool = True,
) -> Iterator[Document | RawLines]:
    """:func:`read_documents`, except that (with ``raw``) the lines of JSON Lines files are
    not parsed here: they come as :class:`RawLines` (up to :data:`RAW_LINES` lines, about
    :data:`RAW_BYTES` bytes, as read) whose :class:`RawLine` go to :func:`raw_document` (which
    counts them), where the work is done. Only with ``on_error="fail"`` (a bad line stops the
    run wherever it is parsed; skipped ones would reach ``rejects`` out of order)."""
    config = config or ReadConfig()
    stats = stats if stats is not None else ReadStats()
    raw = raw and config.on_error == "fail"
    if isinstance(paths, str):
        paths = [paths]
    for item in iter_input_files(paths, config):
        yield from _read_file(item, config, stats, rejects, raw=raw)


def read_file(
    item: InputFile, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None = None
) -> Iterator[Document]:
    """The documents of one listed file, in order."""
    for doc in _read_file(item, config, stats, rejects, raw=False):
        assert isinstance(doc, Document)
        yield doc


def _read_file(
    item: InputFile, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None,
    *, raw: bool,
) -> Iterator[Document | RawLines]:
    stats.files += 1
    kind = item.kind
    if kind is None and item.path == STDIN:
        try:
            kind = sniff_stdin()
        except STREAM_ERRORS as exc:  # a corrupt gzip or zstd header
            raise stream_error(exc, item.path, 1) from exc
    if kind == "parquet":
        yield from _parquet(item.path, config, stats, rejects)
    elif kind == "jsonl":
        yield from _jsonl(item.path, config, stats, rejects, raw)
    else:
        stats.records += 1
        try:
            doc = _txt(item, config, stats)
        except InputError as exc:
            if exc.reason in ("unreadable", "corrupt_stream"):
                raise
            reject_or_raise(exc, config, stats, rejects)
            return
        stats.documents += 1
        yield doc


def _txt(item: InputFile, config: ReadConfig, stats: ReadStats) -> Document:
    with open_binary(item.path) as fh:
        try:
            data = fh.read()
        except STREAM_ERRORS as exc:
            raise stream_error(exc, item.path, None) from exc
    return text_document(data, item.path, config, stats, item.rel)


def _starts_array(fh: Any) -> bool:
    """True when the stream holds a JSON array (its first byte after a BOM and blanks is
    ``[``), told without consuming anything."""
    head = fh.peek(4096)[:4096]
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    return head.lstrip()[:1] == b"["


def _jsonl(path: str, config: ReadConfig, stats: ReadStats,
           rejects: RejectSink | None, raw_lines: bool = False) -> Iterator[Document | RawLines]:
    """JSON Lines, or a JSON array of records (told by the first byte); a UTF-8 BOM is
    skipped."""
    with open_binary(path) as fh:
        try:
            array = _starts_array(fh)
        except STREAM_ERRORS as exc:
            raise stream_error(exc, path, 1) from exc
        if array:
            yield from _json_array(fh, path, config, stats, rejects)
            return
        if raw_lines:
            seen_any = False
            for chunk in _raw_lines(fh, path):
                seen_any = True
                yield chunk
        else:
            seen_any = yield from _parsed_lines(fh, path, config, stats, rejects)
        if not seen_any:  # the empty file counts as one bad record
            stats.records += 1
            reject_or_raise(InputError("empty file", path, reason="empty_file"), config, stats,
                            rejects)


def _parsed_lines(fh: Any, path: str, config: ReadConfig, stats: ReadStats,
                  rejects: RejectSink | None) -> Generator[Document, None, bool]:
    """The documents of the lines of ``fh``; returns whether it had any line."""
    lineno = 0
    offset = 0
    iterator = iter(fh)
    while True:
        try:
            raw = next(iterator)
        except StopIteration:
            break
        except STREAM_ERRORS as exc:
            raise stream_error(exc, path, lineno + 1) from exc
        lineno += 1
        size = len(raw)
        if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            doc = jsonl_record(raw, path, lineno, offset, config, stats)
        except InputError as exc:
            reject_or_raise(exc, config, stats, rejects, raw)
            doc = None
        offset += size
        if doc is not None:
            stats.documents += 1
            yield doc
    return lineno > 0


def _raw_lines(fh: Any, path: str, lines: int = RAW_LINES, size: int = RAW_BYTES
               ) -> Iterator[RawLines]:
    """The lines of ``fh`` read in blocks, in :class:`RawLines` of at most ``lines`` lines,
    each closed by the line that brings it to ``size`` bytes (blank lines included; the last
    line may lack its newline). No object is made per line here."""
    line, offset, carry = 1, 0, b""
    final = False
    while not final:
        try:
            block = fh.read(size)
        except STREAM_ERRORS as exc:
            raise stream_error(exc, path, line) from exc
        final = not block
        data = carry + block if carry else block
        pos = 0
        while pos < len(data):
            end, count = _lines_end(data, pos, lines, size, final)
            if not count:
                break  # an unfinished line: it waits for the next block
            yield RawLines(data[pos:end], path, line, offset, count)
            line += count
            offset += end - pos
            pos = end
        carry = data[pos:]


def _lines_end(data: bytes, pos: int, lines: int, size: int, final: bool) -> tuple[int, int]:
    """Where the :class:`RawLines` starting at ``pos`` ends, and its lines: after ``lines``
    lines, or after the line that reaches ``pos + size``; with fewer whole lines in ``data``,
    after the last of them, unless the file goes on (``final`` False) and ``size`` is not
    reached: then ``(pos, 0)``, wait for more. At the end of the file, an unfinished last line
    is a line."""
    if data.count(b"\n", pos, pos + size) >= lines:  # the usual case: many short lines
        end = pos
        for _ in range(lines):
            end = data.index(b"\n", end) + 1
        return end, lines
    nl = data.find(b"\n", pos + size - 1)  # the line that reaches the size closes it
    if nl >= 0:
        return nl + 1, data.count(b"\n", pos, nl + 1)
    if not final:
        return pos, 0
    return len(data), data.count(b"\n", pos) + (not data.endswith(b"\n"))


def _json_array(fh: Any, path: str, config: ReadConfig, stats: ReadStats,
                rejects: RejectSink | None) -> Iterator[Document]:
    """The records of a JSON array; malformed JSON ends the file (one reject when skipping)."""
    records = iter_json_array(fh, path, config, stats)
    while True:
        try:
            line, value, raw = next(records)
        except StopIteration:
            return
        except STREAM_ERRORS as exc:
            raise stream_error(exc, path, None) from exc
        except InputError as exc:
            stats.records += 1
            reject_or_raise(exc, config, stats, rejects)
            return
        stats.records += 1
        try:
            doc = record_document(value, path, line, config, stats)
        except InputError as exc:
            reject_or_raise(exc, config, stats, rejects, raw.encode("utf-8", "replace"))
            continue
        stats.documents += 1
        yield doc


@contextlib.contextmanager
def _parquet_file(path: str) -> Iterator[Any]:
    """A ``pyarrow.parquet.ParquetFile`` for a local path, a URL, or stdin (spooled to a
    temporary file: Parquet is read from its footer)."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ConfigError(f"{path}: reading Parquet needs pyarrow: pip install "
                          "'segmenter[parquet]'") from exc
    with contextlib.ExitStack() as stack:
        try:
            if path == STDIN:
                source: Any = stack.enter_context(tempfile.TemporaryFile())
                with open_binary(path) as fh:
                    shutil.copyfileobj(fh, source)
                source.seek(0)
            elif "://" in path:
                fs, inner = filesystem(path)
                source = stack.enter_context(fs.open_input_file(inner))
            else:
                source = stack.enter_context(open(path, "rb"))  # noqa: SIM115 - the stack closes
                POSITION.current = source  # the progress bar follows pyarrow's reads
                stack.callback(_finished, source)
            pf = pq.ParquetFile(source)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"cannot read Parquet: {exc}", path, reason="unreadable") from exc
        yield pf


def _finished(source: Any) -> None:
    if POSITION.current is source:
        POSITION.finish()


def _has_column(fields: Any, name: str) -> bool:
    """True when a Parquet schema (or a struct type: ``fields``) has the column ``name``, or
    the nested field it names (``article.body`` in a struct column ``article``)."""
    import pyarrow as pa

    if fields.get_field_index(name) >= 0:
        return True
    head, dot, rest = name.partition(".")
    i = fields.get_field_index(head) if dot else -1
    if i < 0:
        return False
    kind = fields.field(i).type
    return bool(pa.types.is_struct(kind)) and _has_column(kind, rest)


def _parquet(path: str, config: ReadConfig, stats: ReadStats,
             rejects: RejectSink | None) -> Iterator[Document]:
    """Parquet rows, streamed batch by batch (never the whole file): ``config.text_field`` (a
    string; a dotted name reads a struct's field) and ``config.id_field`` (optional; a missing
    or null id becomes ``<path>:<row>``, rows counted from 1)."""
    with _parquet_file(path) as pf:
        schema = pf.schema_arrow
        if not _has_column(schema, config.text_field):
            shown = ", ".join(repr(n) for n in sorted(schema.names)[:20]) or "none"
            raise InputError(f"no {config.text_field!r} column (columns: {shown}); choose one "
                             "with --text-field (a dotted name such as article.body reads a "
                             "struct's field)", path, reason="missing_text")
        has_id = _has_column(schema, config.id_field)
        columns = [config.text_field] + ([config.id_field] if has_id else [])
        row = 0
        for batch in pf.iter_batches(columns=columns, batch_size=4096):
            for record in batch.to_pylist():
                row += 1
                stats.records += 1
                text = field_value(record, config.text_field)[1]
                try:
                    if not isinstance(text, str):
                        raise InputError(f"column {config.text_field!r} is "
                                         f"{type(text).__name__}, not a string", path, row,
                                         reason="text_not_string")
                    value = field_value(record, config.id_field)[1] if has_id else None
                    doc_id = document_id(value, path, row, config, what="column")
                except InputError as exc:
                    reject_or_raise(exc, config, stats, rejects)
                    continue
                stats.documents += 1
                yield Document(doc_id, text, path, row)
