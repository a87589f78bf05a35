"""The one file lister: input arguments to the files to read, in reading order.

An input is a file, a directory (read recursively, sorted, hidden files and folders skipped),
``-`` (stdin), or a URL ``pyarrow.fs`` understands (``s3://``, ``gs://``, ``hdfs://``,
``file://``), a file or a folder. Every engine reads the files this module lists, in this order.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ReadConfig
from ..errors import InputError, MissingInputError

__all__ = ["InputFile", "detect_format", "filesystem", "is_url", "iter_input_files",
           "list_inputs", "suffixes"]

TXT_EXTS = {".txt", ".text"}
JSONL_EXTS = {".jsonl", ".ndjson"}
PARQUET_EXTS = {".parquet", ".pq"}
COMPRESSED = {".gz", ".zst", ".zstd"}
STDIN = "-"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read: its position in the reading order, its path or URL, its format
    (``"jsonl"``, ``"txt"``, ``"parquet"``, or ``None`` for stdin, told by its first byte)."""

    index: int
    path: str
    kind: str | None

    @property
    def remote(self) -> bool:
        """Opened through ``pyarrow.fs`` (a URL), not as a local file."""
        return is_url(self.path)


def is_url(path: str) -> bool:
    """True for ``scheme://...`` (read through ``pyarrow.fs``)."""
    return "://" in path


def suffixes(path: str) -> tuple[str, str | None]:
    """(format extension, compression extension) of a file name, lower-cased."""
    name = os.path.basename(path).lower()
    stem, ext = os.path.splitext(name)
    compression = None
    if ext in COMPRESSED:
        compression = ext
        stem, ext = os.path.splitext(stem)
    return ext, compression


def detect_format(path: str, configured: str = "auto") -> str | None:
    """``"txt"``, ``"jsonl"`` or ``"parquet"`` for a path, or None when the name does not tell
    (stdin, other names). A configured format other than ``auto`` wins, except for Parquet."""
    ext, compression = suffixes(path)
    if ext in PARQUET_EXTS and compression is None:
        return "parquet"
    if configured != "auto":
        return configured
    if ext in JSONL_EXTS:
        return "jsonl"
    if ext in TXT_EXTS:
        return "txt"
    return None


def _hidden(rel: str) -> bool:
    return any(part.startswith(".") for part in rel.replace("\\", "/").split("/"))


def _no_files(where: str, config: ReadConfig) -> InputError:
    return InputError(
        f"no input files matching {config.glob!r} with a known format "
        "(.txt, .jsonl, optionally .gz/.zst, or .parquet) in this directory",
        where,
        reason="no_files",
    )


def iter_input_files(paths: Iterable[str], config: ReadConfig) -> Iterator[InputFile]:
    """Every file to read, in reading order: arguments in order, directories expanded
    (recursively, sorted, ``config.glob``, hidden entries skipped, only files whose format is
    known or forced by ``config.format``). Missing inputs raise :class:`InputError`."""
    n = 0
    for path in paths:
        for found, kind in _expand(path, config):
            yield InputFile(n, found, kind)
            n += 1


def list_inputs(paths: Iterable[str], config: ReadConfig) -> list[InputFile]:
    """:func:`iter_input_files` as a list (engines that plan over every file at once)."""
    return list(iter_input_files(paths, config))


def _expand(path: str, config: ReadConfig) -> Iterator[tuple[str, str | None]]:
    if path == STDIN:
        yield path, None if config.format == "auto" else config.format
        return
    if is_url(path):
        yield from _expand_url(path, config)
        return
    p = Path(path)
    if p.is_dir():
        found = False
        for child in sorted(p.rglob(config.glob)):
            if _hidden(str(child.relative_to(p))) or not child.is_file():
                continue
            kind = detect_format(str(child), config.format)
            if kind is None:
                continue
            found = True
            yield str(child), kind
        if not found:
            raise _no_files(str(p), config)
    elif p.exists():
        yield path, detect_format(path, config.format) or "txt"
    else:
        raise MissingInputError("no such file or directory", path, reason="not_found")


def filesystem(url: str) -> tuple[Any, str]:
    """``(pyarrow.fs.FileSystem, path inside it)`` for a URL."""
    from pyarrow import fs as pafs

    try:
        return pafs.FileSystem.from_uri(url)  # type: ignore[no-any-return]
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for bad URIs
        raise InputError(f"cannot open through pyarrow.fs: {exc}", url,
                         reason="unreadable") from exc


def _expand_url(url: str, config: ReadConfig) -> Iterator[tuple[str, str | None]]:
    from pyarrow import fs as pafs

    fs, root = filesystem(url)
    info = fs.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        raise MissingInputError("no such file or directory", url, reason="not_found")
    prefix = url[: len(url) - len(root)] if url.endswith(root) else url.split("://", 1)[0] + "://"
    if info.type != pafs.FileType.Directory:
        yield url, detect_format(root, config.format) or "txt"
        return
    found = False
    selector = pafs.FileSelector(root, recursive=True)
    for item in sorted(fs.get_file_info(selector), key=lambda i: i.path):
        if item.type != pafs.FileType.File:
            continue
        rel = item.path[len(root):].lstrip("/")
        if _hidden(rel) or not fnmatch.fnmatch(os.path.basename(rel), config.glob):
            continue
        kind = detect_format(item.path, config.format)
        if kind is None:
            continue
        found = True
        yield prefix + item.path, kind
    if not found:
        raise _no_files(url, config)
