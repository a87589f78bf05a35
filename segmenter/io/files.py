"""The one file lister: input arguments to the files to read, in reading order.

An input is a file, a directory (read recursively, sorted, hidden files and folders skipped),
``-`` (stdin), or a URL ``pyarrow.fs`` understands (``s3://``, ``gs://``, ``hdfs://``,
``file://``), a file or a folder. Every engine reads the files this module lists, in this order.

A file's format comes from its name (:func:`detect_format`) or from ``--format``. Inside a
directory, files of unknown format, and files this command writes (``ReadConfig.exclude``: its
output, rejects, report and index), are skipped and reported in one
:class:`SkippedFilesWarning` per directory; a named file whose format cannot be told is refused
with an :class:`~segmenter.errors.UnknownFormatError` that says which ``--format`` to use.
"""

from __future__ import annotations

import fnmatch
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ReadConfig
from ..errors import InputError, MissingInputError, UnknownFormatError

__all__ = ["InputFile", "SkippedFilesWarning", "detect_format", "filesystem", "is_url",
           "iter_input_files", "list_inputs", "strip_known_extensions", "suffixes"]

TXT_EXTS = {".txt", ".text"}
JSONL_EXTS = {".jsonl", ".ndjson", ".json"}  # .json: JSON Lines or a JSON array of records
PARQUET_EXTS = {".parquet", ".pq"}
COMPRESSED = {".gz", ".zst", ".zstd"}
KNOWN_EXTS = TXT_EXTS | JSONL_EXTS | PARQUET_EXTS
STDIN = "-"
PARQUET_MAGIC = b"PAR1"
KNOWN_FORMATS = ".txt, .jsonl/.ndjson/.json (optionally .gz/.zst), .parquet"

# why a file inside a directory was not read
UNKNOWN_FORMAT = "unknown format"
OWN_OUTPUT = "written by this command"
EARLIER_RUN = "in an earlier run's output folder"


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to read: its position in the reading order, its path or URL, its format
    (``"jsonl"``, ``"txt"``, ``"parquet"``, or ``None`` for stdin, told by its first bytes),
    and its path relative to the input it was found in (a named file's path as given; the
    source of ``--id-from path`` ids)."""

    index: int
    path: str
    kind: str | None
    rel: str = ""

    @property
    def remote(self) -> bool:
        """Opened through ``pyarrow.fs`` (a URL), not as a local file."""
        return is_url(self.path)


class SkippedFilesWarning(UserWarning):
    """Files found in a directory and not read; ``skipped`` holds ``(path, why)`` pairs."""

    def __init__(self, folder: str, skipped: list[tuple[str, str]]) -> None:
        self.folder = folder
        self.skipped = skipped
        whys = Counter(why for _, why in skipped)
        parts = []
        if whys[UNKNOWN_FORMAT]:
            exts = Counter(_shown_ext(path) for path, why in skipped if why == UNKNOWN_FORMAT)
            shown = ", ".join(f"{ext} {n}" for ext, n in sorted(exts.items()))
            parts.append(f"{whys[UNKNOWN_FORMAT]} of unknown format ({shown}; read them with "
                         "--format, or choose files with --glob)")
        for why in (OWN_OUTPUT, EARLIER_RUN):
            if whys[why]:
                parts.append(f"{whys[why]} {why}")
        super().__init__(f"{folder}: skipped {_files(len(skipped))}: {', '.join(parts)}; "
                         "-v lists them")


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _shown_ext(path: str) -> str:
    ext, compression = suffixes(path)
    return (ext or "no extension") + (compression or "")


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


def strip_known_extensions(name: str) -> str:
    """``name`` without a compression extension and a format extension segmenter knows:
    ``www.bbc.co.uk.txt`` -> ``www.bbc.co.uk``, ``page.2024.txt.gz`` -> ``page.2024``."""
    for known in (COMPRESSED, KNOWN_EXTS):
        stem, ext = os.path.splitext(name)
        if stem and ext.lower() in known:
            name = stem
    return name


def detect_format(path: str, configured: str = "auto") -> str | None:
    """``"txt"``, ``"jsonl"`` or ``"parquet"`` for a path, or None when the name does not tell
    (stdin, other names). A configured format other than ``auto`` wins, except for a file named
    ``.parquet``."""
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


def _no_files(where: str, config: ReadConfig, skipped: int) -> InputError:
    also = f" ({_files(skipped)} skipped, see the warning)" if skipped else ""
    return InputError(
        f"no input files matching {config.glob!r} with a known format ({KNOWN_FORMATS}) in "
        f"this directory{also}",
        where,
        reason="no_files",
    )


def iter_input_files(paths: Iterable[str], config: ReadConfig) -> Iterator[InputFile]:
    """Every file to read, in reading order: arguments in order, directories expanded
    (recursively, sorted, ``config.glob``, hidden entries skipped, only files whose format is
    known or forced by ``config.format``, never a path of ``config.exclude``). Missing inputs
    raise :class:`InputError`, a named file of unknown format :class:`UnknownFormatError`."""
    n = 0
    excluded = _Excluded(config.exclude)
    for path in paths:
        for found, kind, rel in _expand(path, config, excluded):
            yield InputFile(n, found, kind, rel)
            n += 1


def list_inputs(paths: Iterable[str], config: ReadConfig) -> list[InputFile]:
    """:func:`iter_input_files` as a list (engines that plan over every file at once)."""
    return list(iter_input_files(paths, config))


class _Excluded:
    """The local paths a command writes: a file, its SQLite companions (``-wal``, ``-shm``,
    ``-journal``), or everything under a folder."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._paths = tuple(os.path.realpath(p) for p in paths
                            if p and p != STDIN and "\0" not in p and not is_url(p))

    def __contains__(self, path: object) -> bool:
        if not self._paths or not isinstance(path, str):
            return False
        real = os.path.realpath(path)
        return any(real == p or real.startswith((p + os.sep, p + "-")) for p in self._paths)


def _expand(path: str, config: ReadConfig, excluded: _Excluded
            ) -> Iterator[tuple[str, str | None, str]]:
    if path == STDIN:
        yield path, None if config.format == "auto" else config.format, STDIN
        return
    if is_url(path):
        yield from _expand_url(path, config)
        return
    p = Path(path)
    if p.is_dir():
        found: list[tuple[str, str | None, str]] = []
        skipped: list[tuple[str, str]] = []
        run_folders: dict[Path, bool] = {}
        for child in sorted(p.rglob(config.glob)):
            rel = child.relative_to(p).as_posix()
            if _hidden(rel) or not child.is_file():
                continue
            if str(child) in excluded:
                skipped.append((str(child), OWN_OUTPUT))
                continue
            if _is_run_folder(child.parent, run_folders):
                skipped.append((str(child), EARLIER_RUN))
                continue
            kind = detect_format(str(child), config.format)
            if kind is None:
                skipped.append((str(child), UNKNOWN_FORMAT))
                continue
            found.append((str(child), kind, rel))
        if skipped:
            warnings.warn(SkippedFilesWarning(str(p), skipped), stacklevel=4)
        if not found:
            raise _no_files(str(p), config, len(skipped))
        yield from found
    elif p.exists():
        yield path, _named_format(path, config), Path(os.path.normpath(path)).as_posix()
    else:
        raise MissingInputError("no such file or directory", path, reason="not_found")


def _is_run_folder(folder: Path, seen: dict[Path, bool]) -> bool:
    """Whether ``folder`` is the output folder of a ``segmenter run`` (its ``report.json`` next
    to ``stories.jsonl``, maybe compressed): its files are outputs, not inputs."""
    if folder not in seen:
        seen[folder] = (folder / "report.json").is_file() and any(
            (folder / f"stories.jsonl{suffix}").is_file() for suffix in ("", ".gz", ".zst"))
    return seen[folder]


def _named_format(path: str, config: ReadConfig) -> str:
    """The format of a file named on the command line: from its name, ``--format``, or the
    Parquet magic bytes; otherwise refused (reading a WARC or a JSON file as text is wrong)."""
    kind = detect_format(path, config.format)
    if kind is not None:
        return kind
    try:
        with open(path, "rb") as fh:
            if fh.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC:
                return "parquet"
    except OSError:
        pass  # reading it will say why
    raise _unknown_format(path)


def _unknown_format(path: str) -> UnknownFormatError:
    return UnknownFormatError(
        f"cannot tell the format from the name (known: {KNOWN_FORMATS}); say it with "
        "--format txt (the whole file is one document), --format jsonl (JSON Lines or a JSON "
        "array of records) or --format parquet",
        path,
        reason="unknown_format",
    )


def filesystem(url: str) -> tuple[Any, str]:
    """``(pyarrow.fs.FileSystem, path inside it)`` for a URL."""
    from pyarrow import fs as pafs

    try:
        return pafs.FileSystem.from_uri(url)  # type: ignore[no-any-return]
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for bad URIs
        raise InputError(f"cannot open through pyarrow.fs: {exc}", url,
                         reason="unreadable") from exc


def _expand_url(url: str, config: ReadConfig) -> Iterator[tuple[str, str | None, str]]:
    from pyarrow import fs as pafs

    fs, root = filesystem(url)
    info = fs.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        raise MissingInputError("no such file or directory", url, reason="not_found")
    prefix = url[: len(url) - len(root)] if url.endswith(root) else url.split("://", 1)[0] + "://"
    if info.type != pafs.FileType.Directory:
        kind = detect_format(root, config.format)
        if kind is None:
            raise _unknown_format(url)
        yield url, kind, root
        return
    found: list[tuple[str, str | None, str]] = []
    skipped: list[tuple[str, str]] = []
    selector = pafs.FileSelector(root, recursive=True)
    for item in sorted(fs.get_file_info(selector), key=lambda i: i.path):
        if item.type != pafs.FileType.File:
            continue
        rel = item.path[len(root):].lstrip("/")
        if _hidden(rel) or not fnmatch.fnmatch(os.path.basename(rel), config.glob):
            continue
        kind = detect_format(item.path, config.format)
        if kind is None:
            skipped.append((prefix + item.path, UNKNOWN_FORMAT))
            continue
        found.append((prefix + item.path, kind, rel))
    if skipped:
        warnings.warn(SkippedFilesWarning(url, skipped), stacklevel=4)
    if not found:
        raise _no_files(url, config, len(skipped))
    yield from found
