"""Byte streams of input files: local files, stdin, ``pyarrow.fs`` URLs, each maybe ``.gz`` or
``.zst`` compressed; and the :class:`InputError` a broken stream becomes."""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from ..errors import InputError
from .files import STDIN, filesystem, is_url, suffixes

__all__ = ["POSITION", "STREAM_ERRORS", "ReadPosition", "open_binary", "sniff_stdin",
           "stream_error"]


class ReadPosition:
    """How many bytes of local input files have been read (compressed bytes for ``.gz`` and
    ``.zst``, as their file sizes count them): what a progress bar compares with the total."""

    def __init__(self) -> None:
        self.done = 0  # bytes of the local files read to the end or closed
        self.current: BinaryIO | None = None  # the local file being read

    def bytes_read(self) -> int:
        """Bytes read so far: the finished files and the position in the current one."""
        position = 0
        if self.current is not None:
            with contextlib.suppress(OSError, ValueError):
                position = self.current.tell()
        return self.done + position

    def finish(self) -> None:
        """The current file is read to its end (or closed)."""
        self.done = self.bytes_read()
        self.current = None


POSITION = ReadPosition()


@contextlib.contextmanager
def open_binary(path: str) -> Iterator[BinaryIO]:
    """A binary stream of the (decompressed) bytes of ``path``; ``-`` is stdin."""
    if path == STDIN:
        yield _stdin()
        return
    _, compression = suffixes(path)
    raw: Any
    try:
        if is_url(path):
            fs, inner = filesystem(path)
            raw = io.BufferedReader(_NativeRaw(fs.open_input_stream(inner, compression=None)),
                                    1 << 16)
        else:
            raw = open(path, "rb")  # noqa: SIM115 - closed below
            POSITION.current = raw
    except InputError:
        raise
    except Exception as exc:  # OSError locally; pyarrow raises its own classes
        what = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"cannot read: {what}", path, reason="unreadable") from exc
    try:
        if compression == ".gz":
            with gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                yield gz  # type: ignore[misc]
        elif compression in (".zst", ".zstd"):
            with io.BufferedReader(ZstdReader(raw), 1 << 16) as buffered:
                yield buffered  # type: ignore[misc]
        else:
            yield raw
    finally:
        if POSITION.current is raw:
            POSITION.finish()
        raw.close()


class _NativeRaw(io.RawIOBase):
    """A ``pyarrow`` input stream as a raw binary stream (so it can be buffered and iterated
    by lines like a local file)."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._native.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._native.close()
        super().close()


class ZstdReader(io.RawIOBase):
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


def stream_error(exc: BaseException, path: str, line: int | None) -> InputError:
    """The :class:`InputError` for an error raised while reading a stream."""
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


STREAM_ERRORS: tuple[type[BaseException], ...] = _stream_errors()
"""What reading a (compressed) stream can raise: :func:`stream_error` turns it into an
:class:`InputError`."""

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_STDIN: list[tuple[Any, BinaryIO]] = []  # (the stdin buffer, its peekable, decompressed stream)


def _stdin() -> BinaryIO:
    """stdin as a peekable binary stream, decompressed when it starts with the gzip or zstd
    magic bytes (``cat docs.jsonl.gz | segmenter run - ...``); made once per stdin."""
    buf = sys.stdin.buffer
    if _STDIN and _STDIN[0][0] is buf:
        return _STDIN[0][1]
    raw: Any = buf if hasattr(buf, "peek") else io.BufferedReader(buf)
    head = raw.peek(len(ZSTD_MAGIC))[: len(ZSTD_MAGIC)]
    stream: Any = raw
    if head.startswith(GZIP_MAGIC):
        stream = gzip.GzipFile(fileobj=raw, mode="rb")
    elif head.startswith(ZSTD_MAGIC):
        stream = io.BufferedReader(ZstdReader(raw), 1 << 16)
    _STDIN[:] = [(buf, stream)]
    return stream  # type: ignore[no-any-return]


def sniff_stdin() -> str:
    """The format of stdin, told by its first bytes (peeked, not consumed): ``parquet`` (the
    ``PAR1`` magic), ``jsonl`` (a JSON object, or a JSON array of objects), else ``txt``."""
    head = _stdin().peek(4096)[:4096]  # type: ignore[attr-defined]
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8):]
    head = head.lstrip()
    if head[:1] == b"{" or (head[:1] == b"[" and head[1:].lstrip()[:1] in (b"{", b"]")):
        return "jsonl"
    return "txt"
