"""Readers and writers.

Readers stream :class:`Document` records from ``.txt`` files (one document per file), ``.jsonl``
files (one per line), either of them ``.gz`` or ``.zst`` compressed, directories (recursively) and
stdin (``-``). Bad records raise :class:`InputError` naming the file and line, or, with
``on_error="skip"``, go to a :class:`RejectSink` with the reason:
records in = records out + rejects.

Writers write JSONL to stdout or to a file, atomically (a temporary file renamed into place when
the run succeeds), gzip- or zstd-compressed by the file's extension.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import gzip
import io
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from .config import ReadConfig
from .errors import InputError, OutputError
from .model import Document, Reject

__all__ = [
    "ReadStats",
    "RejectSink",
    "atomic_output",
    "detect_format",
    "iter_input_files",
    "read_documents",
    "write_jsonl",
]

TXT_EXTS = {".txt", ".text"}
JSONL_EXTS = {".jsonl", ".ndjson"}
COMPRESSED = {".gz", ".zst", ".zstd"}
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
        return {
            "files": self.files,
            "records": self.records,
            "documents": self.documents,
            "rejected": self.rejected,
            "decode_replacements": self.decode_replacements,
            "reject_reasons": dict(sorted(self.reasons.items())),
        }


class RejectSink:
    """Receives skipped records; writes them as JSONL when given a writer."""

    def __init__(self, write: Callable[[Mapping[str, Any]], None] | None = None) -> None:
        self._write = write
        self.count = 0

    def add(self, reject: Reject) -> None:
        self.count += 1
        if self._write is not None:
            self._write(
                {
                    "source": reject.source,
                    "line": reject.line,
                    "offset": reject.offset,
                    "reason": reject.reason,
                    "message": reject.message,
                    "raw": reject.raw,
                }
            )


# --------------------------------------------------------------------------- file discovery


def _suffixes(path: str) -> tuple[str, str | None]:
    """(format extension, compression extension) of a file name, lower-cased."""
    name = os.path.basename(path).lower()
    stem, ext = os.path.splitext(name)
    compression = None
    if ext in COMPRESSED:
        compression = ext
        stem, ext = os.path.splitext(stem)
    return ext, compression


def detect_format(path: str, configured: str = "auto") -> str | None:
    """``"txt"`` or ``"jsonl"`` for a path, or None when the name does not tell (stdin, other
    names)."""
    if configured != "auto":
        return configured
    ext, _ = _suffixes(path)
    if ext in JSONL_EXTS:
        return "jsonl"
    if ext in TXT_EXTS:
        return "txt"
    return None


def iter_input_files(paths: Iterable[str], config: ReadConfig) -> Iterator[str]:
    """Expand directories (recursively, sorted, ``config.glob``); keep files and ``-`` as given.

    In a directory only files whose format is known (``.txt``/``.jsonl``, maybe compressed) or
    forced by ``config.format`` are taken; hidden files and folders are skipped.
    """
    for path in paths:
        if path == "-":
            yield path
            continue
        p = Path(path)
        if p.is_dir():
            found = False
            for child in sorted(p.rglob(config.glob)):
                rel = child.relative_to(p).parts
                if any(part.startswith(".") for part in rel) or not child.is_file():
                    continue
                if config.format == "auto" and detect_format(str(child)) is None:
                    continue
                found = True
                yield str(child)
            if not found:
                raise InputError(
                    f"no input files matching {config.glob!r} with a known format "
                    "(.txt, .jsonl, optionally .gz/.zst) in this directory",
                    str(p),
                    reason="no_files",
                )
        elif p.exists():
            yield path
        else:
            raise InputError("no such file or directory", path, reason="not_found")


# --------------------------------------------------------------------------- byte streams


@contextlib.contextmanager
def _open_binary(path: str) -> Iterator[BinaryIO]:
    if path == "-":
        yield _stdin()
        return
    _, compression = _suffixes(path)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path, reason="unreadable") from exc
    try:
        if compression == ".gz":
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield gz  # type: ignore[misc]
        elif compression in (".zst", ".zstd"):
            with io.BufferedReader(_ZstdReader(raw), 1 << 16) as buffered:
                yield buffered  # type: ignore[misc]
        else:
            yield raw
    finally:
        raw.close()


class _ZstdReader(io.RawIOBase):
    """Decompresses concatenated zstd frames; a stream that ends inside a frame is an error
    (``zstandard``'s own stream reader ends quietly there)."""

    def __init__(self, raw: BinaryIO) -> None:
        import zstandard

        self._zstd = zstandard
        self._raw = raw
        self._dobj = zstandard.ZstdDecompressor().decompressobj()
        self._pending = b""
        self._pos = 0
        self._in_frame = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self._pos >= len(self._pending):
            self._pending, self._pos = b"", 0
            chunk = self._raw.read(1 << 16)
            if not chunk:
                if self._in_frame:
                    raise EOFError("zstd stream ends inside a frame")
                return 0
            while chunk:
                self._in_frame = True
                self._pending += self._dobj.decompress(chunk)
                if self._dobj.eof:
                    chunk = self._dobj.unused_data
                    self._dobj = self._zstd.ZstdDecompressor().decompressobj()
                    self._in_frame = False
                else:
                    chunk = b""
        n = min(len(buffer), len(self._pending) - self._pos)
        buffer[:n] = memoryview(self._pending)[self._pos : self._pos + n]
        self._pos += n
        return n


def _stream_error(exc: BaseException, path: str, line: int | None) -> InputError:
    if isinstance(exc, OSError) and not isinstance(exc, (EOFError,)):
        if exc.errno is not None:
            return InputError(f"cannot read: {exc.strerror}", path, line, reason="unreadable")
    what = "compressed stream is truncated or corrupt"
    return InputError(f"{what} ({type(exc).__name__}: {exc})", path, line, reason="corrupt_stream")


def _stream_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [EOFError, OSError, gzip.BadGzipFile]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


# --------------------------------------------------------------------------- decoding


def _decode(
    data: bytes, path: str, line: int | None, base_offset: int, config: ReadConfig, stats: ReadStats
) -> str:
    """UTF-8 (a BOM is dropped) with strict or counted replacement of invalid bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if config.encoding_errors == "strict":
            bad_line = line if line is not None else data.count(b"\n", 0, exc.start) + 1
            raise InputError(
                f"invalid UTF-8 ({exc.reason}: {data[exc.start:exc.end]!r}); "
                "use --encoding-errors replace to substitute U+FFFD",
                path,
                bad_line,
                base_offset + exc.start,
                reason="invalid_utf8",
            ) from exc
        text = data.decode("utf-8", errors="replace")
        replaced = text.count("\ufffd") - data.count("\ufffd".encode())
        stats.decode_replacements += replaced
        bad_line = line if line is not None else data.count(b"\n", 0, exc.start) + 1
        warnings.warn(
            f"{path}:{bad_line}: invalid UTF-8 at byte {base_offset + exc.start}; "
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


def _text_id(path: str) -> str:
    if path == "-":
        return "stdin"
    name = os.path.basename(path)
    while True:
        stem, ext = os.path.splitext(name)
        if not ext or not stem:
            return name
        name = stem


# --------------------------------------------------------------------------- readers


def _read_txt(path: str, config: ReadConfig, stats: ReadStats) -> Document:
    with _open_binary(path) as fh:
        try:
            data = fh.read()
        except _stream_errors() as exc:
            raise _stream_error(exc, path, None) from exc
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
        text = _decode(data, path, None, 0, config, stats)
    return Document(_text_id(path), text, path, None)


def _record(
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
    line = _decode(raw, path, lineno, offset, config, stats)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg} (column {exc.colno})", path, lineno, reason="bad_json"
        ) from exc
    if not isinstance(obj, dict):
        raise InputError(
            f"expected a JSON object, got {type(obj).__name__}", path, lineno, reason="not_object"
        )
    if config.text_field not in obj:
        keys = ", ".join(repr(k) for k in list(obj)[:20]) or "none"
        raise InputError(
            f"no {config.text_field!r} field (keys: {keys}); choose one with --text-field",
            path,
            lineno,
            reason="missing_text",
        )
    text = obj[config.text_field]
    if not isinstance(text, str):
        raise InputError(
            f"field {config.text_field!r} is {type(text).__name__}, not a string",
            path,
            lineno,
            reason="text_not_string",
        )
    doc_id = obj.get(config.id_field)
    if doc_id is None or doc_id == "":
        doc_id = f"{path}:{lineno}"
    elif isinstance(doc_id, (int, str)) and not isinstance(doc_id, bool):
        doc_id = str(doc_id)
    else:
        raise InputError(
            f"field {config.id_field!r} is {type(doc_id).__name__}; "
            "ids must be strings or integers",
            path,
            lineno,
            reason="bad_id",
        )
    text = _fix_surrogates(text, path, lineno, config, stats)
    meta = {k: v for k, v in obj.items() if k not in (config.text_field, config.id_field)}
    return Document(doc_id, text, path, lineno, meta)


def _iter_jsonl(path: str, config: ReadConfig, stats: ReadStats,
                rejects: RejectSink | None) -> Iterator[Document]:
    with _open_binary(path) as fh:
        lineno = 0
        offset = 0
        seen_any = False
        iterator = iter(fh)
        while True:
            try:
                raw = next(iterator)
            except StopIteration:
                break
            except _stream_errors() as exc:
                raise _stream_error(exc, path, lineno + 1) from exc
            lineno += 1
            seen_any = True
            try:
                doc = _record(raw, path, lineno, offset, config, stats)
            except InputError as exc:
                _reject_or_raise(exc, config, stats, rejects, raw)
                doc = None
            offset += len(raw)
            if doc is not None:
                yield doc
        if not seen_any:  # the empty file counts as one bad record
            stats.records += 1
            _reject_or_raise(InputError("empty file", path, reason="empty_file"), config, stats,
                             rejects)


def _reject_or_raise(
    exc: InputError, config: ReadConfig, stats: ReadStats, rejects: RejectSink | None,
    raw: bytes | None = None,
) -> None:
    if config.on_error == "fail":
        raise exc
    stats.rejected += 1
    stats.reasons[exc.reason] = stats.reasons.get(exc.reason, 0) + 1
    if rejects is not None:
        preview = None
        if raw is not None:
            preview = raw[: _RAW_PREVIEW * 4].decode("utf-8", "replace")[:_RAW_PREVIEW]
        rejects.add(Reject(exc.path or "-", exc.line, exc.reason, exc.message, exc.offset, preview))


_STDIN: list[tuple[Any, BinaryIO]] = []  # (the stdin buffer, its peekable wrapper)


def _stdin() -> BinaryIO:
    """stdin as a peekable binary stream (wrapped once if it cannot peek)."""
    buf = sys.stdin.buffer
    if hasattr(buf, "peek"):
        return buf
    if not _STDIN or _STDIN[0][0] is not buf:
        _STDIN[:] = [(buf, io.BufferedReader(buf))]  # type: ignore[arg-type,type-var]
    return _STDIN[0][1]


def _sniff_stdin(config: ReadConfig) -> str:
    """Tell txt from jsonl on stdin by its first non-blank byte (peeked, not consumed)."""
    head = _stdin().peek(4096)[:4096]  # type: ignore[attr-defined]
    return "jsonl" if head.lstrip()[:1] == b"{" else "txt"


def read_documents(
    paths: Iterable[str] | str,
    config: ReadConfig | None = None,
    *,
    rejects: RejectSink | None = None,
    stats: ReadStats | None = None,
) -> Iterator[Document]:
    """Stream documents from files, directories and ``-`` (stdin).

    Raises :class:`InputError` for bad input when ``config.on_error == "fail"``; otherwise bad
    records are counted in ``stats`` and sent to ``rejects``. Problems with a whole file (missing,
    unreadable, truncated stream) are always errors.
    """
    config = config or ReadConfig()
    stats = stats if stats is not None else ReadStats()
    if isinstance(paths, str):
        paths = [paths]
    for path in iter_input_files(paths, config):
        stats.files += 1
        fmt = detect_format(path, config.format)
        if fmt is None:
            fmt = _sniff_stdin(config) if path == "-" else "txt"
        if fmt == "jsonl":
            for doc in _iter_jsonl(path, config, stats, rejects):
                stats.documents += 1
                yield doc
        else:
            stats.records += 1
            try:
                doc = _read_txt(path, config, stats)
            except InputError as exc:
                if exc.reason in ("unreadable", "corrupt_stream"):
                    raise
                _reject_or_raise(exc, config, stats, rejects)
                continue
            stats.documents += 1
            yield doc


# --------------------------------------------------------------------------- writers


def _dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None) -> Iterator[IO[str]]:
    """A text stream for ``path``: stdout for None/``-``; otherwise a temporary file in the same
    folder, compressed by extension (``.gz``, ``.zst``), renamed to ``path`` only on success."""
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(path)
    if target.exists() and not target.is_file() and not target.is_dir():
        # a device or a pipe (/dev/null, a FIFO): write straight to it, never rename over it
        with open(target, "w", encoding="utf-8", newline="\n") as special:
            yield special
        return
    folder = target.parent if str(target.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{target}: cannot create the output file: {exc.strerror}") from exc
    raw = os.fdopen(fd, "wb")
    _, compression = _suffixes(str(target))
    binary: Any = raw
    try:
        if compression == ".gz":
            binary = gzip.GzipFile(filename=target.name, mode="wb", fileobj=raw, mtime=0)
        elif compression in (".zst", ".zstd"):
            import zstandard

            binary = zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False)
        text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n", write_through=False)
        yield text
        text.flush()
        if binary is not raw:
            text.detach()
            binary.close()
        raw.flush()
        os.fsync(raw.fileno())
        raw.close()
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            raw.close()
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            what = "disk full" if exc.errno == errno.ENOSPC else exc.strerror
            raise OutputError(f"{target}: cannot write: {what}; nothing was written") from exc
        raise


def write_jsonl(stream: IO[str], records: Iterable[Mapping[str, Any]]) -> int:
    """Write records one per line; returns how many."""
    n = 0
    for record in records:
        stream.write(_dumps(record))
        stream.write("\n")
        n += 1
    return n
