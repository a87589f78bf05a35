"""Streaming readers: every listed input file to :class:`Document` records, whatever its format
(``.txt``, JSONL, Parquet), compression (``.gz``, ``.zst``) or place (local, stdin, a
``pyarrow.fs`` URL)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..config import ReadConfig
from ..errors import InputError
from ..model import Document
from .files import STDIN, InputFile, filesystem, iter_input_files
from .parse import ReadStats, RejectSink, document_id, jsonl_record, reject_or_raise, text_document
from .streams import STREAM_ERRORS, open_binary, sniff_stdin, stream_error

__all__ = ["read_documents", "read_file"]


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
    config = config or ReadConfig()
    stats = stats if stats is not None else ReadStats()
    if isinstance(paths, str):
        paths = [paths]
    for item in iter_input_files(paths, config):
        yield from read_file(item, config, stats, rejects)


def read_file(
    item: InputFile, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None = None
) -> Iterator[Document]:
    """The documents of one listed file, in order."""
    stats.files += 1
    kind = item.kind
    if kind is None:
        kind = sniff_stdin() if item.path == STDIN else "txt"
    if kind == "parquet":
        yield from _parquet(item.path, config, stats, rejects)
    elif kind == "jsonl":
        yield from _jsonl(item.path, config, stats, rejects)
    else:
        stats.records += 1
        try:
            doc = _txt(item.path, config, stats)
        except InputError as exc:
            if exc.reason in ("unreadable", "corrupt_stream"):
                raise
            reject_or_raise(exc, config, stats, rejects)
            return
        stats.documents += 1
        yield doc


def _txt(path: str, config: ReadConfig, stats: ReadStats) -> Document:
    with open_binary(path) as fh:
        try:
            data = fh.read()
        except STREAM_ERRORS as exc:
            raise stream_error(exc, path, None) from exc
    return text_document(data, path, config, stats)


def _jsonl(path: str, config: ReadConfig, stats: ReadStats,
           rejects: RejectSink | None) -> Iterator[Document]:
    with open_binary(path) as fh:
        lineno = 0
        offset = 0
        seen_any = False
        iterator = iter(fh)
        while True:
            try:
                raw = next(iterator)
            except StopIteration:
                break
            except STREAM_ERRORS as exc:
                raise stream_error(exc, path, lineno + 1) from exc
            lineno += 1
            seen_any = True
            try:
                doc = jsonl_record(raw, path, lineno, offset, config, stats)
            except InputError as exc:
                reject_or_raise(exc, config, stats, rejects, raw)
                doc = None
            offset += len(raw)
            if doc is not None:
                stats.documents += 1
                yield doc
        if not seen_any:  # the empty file counts as one bad record
            stats.records += 1
            reject_or_raise(InputError("empty file", path, reason="empty_file"), config, stats,
                            rejects)


def _parquet(path: str, config: ReadConfig, stats: ReadStats,
             rejects: RejectSink | None) -> Iterator[Document]:
    """Parquet rows: ``config.text_field`` (a string) and ``config.id_field`` (optional; a
    missing or null id becomes ``<path>:<row>``, rows counted from 1)."""
    import pyarrow.parquet as pq

    try:
        if "://" in path:
            fs, inner = filesystem(path)
            pf = pq.ParquetFile(fs.open_input_file(inner))
        else:
            pf = pq.ParquetFile(path)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read Parquet: {exc}", path, reason="unreadable") from exc
    names = set(pf.schema_arrow.names)
    if config.text_field not in names:
        shown = ", ".join(repr(n) for n in sorted(names)[:20]) or "none"
        raise InputError(f"no {config.text_field!r} column (columns: {shown}); choose one with "
                         "--text-field", path, reason="missing_text")
    has_id = config.id_field in names
    columns = [config.text_field] + ([config.id_field] if has_id else [])
    row = 0
    for batch in pf.iter_batches(columns=columns, batch_size=4096):
        texts = batch.column(config.text_field).to_pylist()
        ids = batch.column(config.id_field).to_pylist() if has_id else [None] * len(texts)
        for text, value in zip(texts, ids, strict=True):
            row += 1
            stats.records += 1
            try:
                if not isinstance(text, str):
                    raise InputError(f"column {config.text_field!r} is {type(text).__name__}, "
                                     "not a string", path, row, reason="text_not_string")
                doc_id = document_id(value, path, row, config, what="column")
            except InputError as exc:
                reject_or_raise(exc, config, stats, rejects)
                continue
            stats.documents += 1
            yield Document(doc_id, text, path, row)
