"""Input shards for distributed engines: listing them in a fixed order, and reading one.

A shard is one input file: JSONL (optionally ``.gz``/``.zst``), a ``.txt`` document, or Parquet.
Local paths are read by :func:`segmenter.io.read_documents` itself, so ids, line numbers, errors
and rejects are exactly the local engine's. Other paths (``s3://``, ``gs://``, ``hdfs://``,
``file://`` ...) are opened through ``pyarrow.fs`` and parsed with the same record rules.

The order of the shards is the order the local engine reads its inputs in (arguments in order,
directories expanded recursively and sorted); every unit's position in that order is its ordinal.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ReadConfig
from ..errors import ConfigError, InputError
from ..io import ReadStats, RejectSink, detect_format, read_documents
from ..model import Document

__all__ = ["Shard", "list_shards", "read_shard"]

PARQUET_EXTS = (".parquet", ".pq")


@dataclass(frozen=True, slots=True)
class Shard:
    """One input file: its position in the input order, its path, how to read it."""

    index: int
    path: str
    kind: str  # "jsonl" | "txt" | "parquet"
    remote: bool = False  # opened through pyarrow.fs (a URI), not the local reader


def _is_uri(path: str) -> bool:
    return "://" in path


def _kind(path: str, config: ReadConfig) -> str | None:
    if path.lower().endswith(PARQUET_EXTS):
        return "parquet"
    return detect_format(path, config.format)


def _hidden(rel: str) -> bool:
    return any(part.startswith(".") for part in rel.replace("\\", "/").split("/"))


def list_shards(inputs: Iterable[str], config: ReadConfig) -> list[Shard]:
    """Every input file in reading order (directories recursively, sorted, ``config.glob``)."""
    found: list[tuple[str, str, bool]] = []
    for path in inputs:
        if path == "-":
            raise ConfigError("the ray engine reads files (local or URIs), not stdin ('-')")
        if _is_uri(path):
            found.extend(_list_uri(path, config))
            continue
        p = Path(path)
        if p.is_dir():
            here = []
            for child in sorted(p.rglob(config.glob)):
                if _hidden(str(child.relative_to(p))) or not child.is_file():
                    continue
                kind = _kind(str(child), config)
                if kind is None and config.format == "auto":
                    continue
                here.append((str(child), kind or "txt", False))
            if not here:
                raise InputError(
                    f"no input files matching {config.glob!r} with a known format "
                    "(.txt, .jsonl, .parquet, optionally .gz/.zst) in this directory",
                    str(p),
                    reason="no_files",
                )
            found.extend(here)
        elif p.exists():
            found.append((path, _kind(path, config) or "txt", False))
        else:
            raise InputError("no such file or directory", path, reason="not_found")
    return [Shard(i, path, kind, remote) for i, (path, kind, remote) in enumerate(found)]


def _filesystem(uri: str) -> tuple[Any, str]:
    from pyarrow import fs as pafs

    try:
        return pafs.FileSystem.from_uri(uri)  # type: ignore[no-any-return]
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for bad URIs
        raise InputError(f"cannot open through pyarrow.fs: {exc}", uri,
                         reason="unreadable") from exc


def _list_uri(uri: str, config: ReadConfig) -> list[tuple[str, str, bool]]:
    from pyarrow import fs as pafs

    filesystem, root = _filesystem(uri)
    info = filesystem.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        raise InputError("no such file or directory", uri, reason="not_found")
    prefix = uri[: len(uri) - len(root)] if uri.endswith(root) else uri.split("://", 1)[0] + "://"
    if info.type != pafs.FileType.Directory:
        return [(uri, _kind(root, config) or "txt", True)]
    out = []
    selector = pafs.FileSelector(root, recursive=True)
    for item in sorted(filesystem.get_file_info(selector), key=lambda i: i.path):
        if item.type != pafs.FileType.File:
            continue
        rel = item.path[len(root):].lstrip("/")
        if _hidden(rel) or not fnmatch.fnmatch(os.path.basename(rel), config.glob):
            continue
        kind = _kind(item.path, config)
        if kind is None and config.format == "auto":
            continue
        out.append((prefix + item.path, kind or "txt", True))
    if not out:
        raise InputError(f"no input files matching {config.glob!r} with a known format", uri,
                         reason="no_files")
    return out


def read_shard(
    shard: Shard, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None
) -> Iterator[Document]:
    """The documents of one shard, in order (the local reader's rules and errors)."""
    if shard.kind == "parquet":
        yield from _read_parquet(shard, config, stats, rejects)
    elif not shard.remote:
        yield from read_documents([shard.path], config, rejects=rejects, stats=stats)
    else:
        yield from _read_remote_text(shard, config, stats, rejects)


def _read_remote_text(
    shard: Shard, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None
) -> Iterator[Document]:
    from ..io import _read_txt, _record, _reject_or_raise, _suffixes

    filesystem, path = _filesystem(shard.path)
    _, compression = _suffixes(path)
    codec = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}.get(compression or "")
    stats.files += 1
    try:
        with filesystem.open_input_stream(path, compression=codec) as fh:
            data = fh.read()
    except Exception as exc:
        raise InputError(f"cannot read: {exc}", shard.path, reason="unreadable") from exc
    if shard.kind == "txt":
        import tempfile

        stats.records += 1
        with tempfile.NamedTemporaryFile(suffix=".txt") as tmp:  # reuse the local txt rules
            tmp.write(data)
            tmp.flush()
            try:
                doc = _read_txt(tmp.name, config, stats)
            except InputError as exc:
                exc.path = shard.path
                _reject_or_raise(exc, config, stats, rejects)
                return
        stats.documents += 1
        yield Document(_text_id_of(shard.path), doc.text, shard.path, None)
        return
    lines = data.splitlines(keepends=True)
    if not lines:
        stats.records += 1
        _reject_or_raise(InputError("empty file", shard.path, reason="empty_file"), config,
                         stats, rejects)
        return
    offset = 0
    for lineno, raw in enumerate(lines, 1):
        record: Document | None = None
        try:
            record = _record(raw, shard.path, lineno, offset, config, stats)
        except InputError as exc:
            _reject_or_raise(exc, config, stats, rejects, raw)
        offset += len(raw)
        if record is not None:
            stats.documents += 1
            yield record


def _text_id_of(path: str) -> str:
    from ..io import _text_id

    return _text_id(path.rsplit("/", 1)[-1])


def _read_parquet(
    shard: Shard, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None
) -> Iterator[Document]:
    """Parquet rows: ``config.text_field`` (a string) and ``config.id_field`` (optional; a
    missing or null id becomes ``<path>:<row>``, rows counted from 1)."""
    import pyarrow.parquet as pq

    from ..io import _reject_or_raise

    stats.files += 1
    try:
        if shard.remote:
            filesystem, path = _filesystem(shard.path)
            pf = pq.ParquetFile(filesystem.open_input_file(path))
        else:
            pf = pq.ParquetFile(shard.path)
    except Exception as exc:
        raise InputError(f"cannot read Parquet: {exc}", shard.path, reason="unreadable") from exc
    names = set(pf.schema_arrow.names)
    if config.text_field not in names:
        shown = ", ".join(repr(n) for n in sorted(names)[:20]) or "none"
        raise InputError(f"no {config.text_field!r} column (columns: {shown}); choose one with "
                         "--text-field", shard.path, reason="missing_text")
    columns = [config.text_field] + ([config.id_field] if config.id_field in names else [])
    row = 0
    for batch in pf.iter_batches(columns=columns, batch_size=4096):
        texts = batch.column(config.text_field).to_pylist()
        ids = (batch.column(config.id_field).to_pylist() if config.id_field in names
               else [None] * len(texts))
        for text, doc_id in zip(texts, ids, strict=True):
            row += 1
            stats.records += 1
            if not isinstance(text, str):
                bad = InputError(f"column {config.text_field!r} is {type(text).__name__}, not "
                                 "a string", shard.path, row, reason="text_not_string")
                _reject_or_raise(bad, config, stats, rejects)
                continue
            if doc_id is None or doc_id == "":
                doc_id = f"{shard.path}:{row}"
            elif isinstance(doc_id, (int, str)) and not isinstance(doc_id, bool):
                doc_id = str(doc_id)
            else:
                bad = InputError(f"column {config.id_field!r} is {type(doc_id).__name__}; ids "
                                 "must be strings or integers", shard.path, row, reason="bad_id")
                _reject_or_raise(bad, config, stats, rejects)
                continue
            stats.documents += 1
            yield Document(doc_id, text, shard.path, row)
