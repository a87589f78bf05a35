"""A JSON array of records (``[{...}, {...}]``, what many exporters write to ``.json``), read
element by element from a byte stream: memory holds one record, not the file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from ..config import ReadConfig
from ..errors import InputError
from .parse import ReadStats, decode

__all__ = ["MAX_RECORD_CHARS", "iter_json_array"]

MAX_RECORD_CHARS = 1 << 26
"""A record longer than this (64 Mi characters) is refused rather than buffered."""

_CHUNK = 1 << 16
_WHITESPACE = " \t\n\r"


def _complete_utf8(data: bytes) -> int:
    """The length of ``data`` without a UTF-8 character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # ASCII or the lead byte of the last character
            need = 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else (
                4 if byte >> 3 == 0b11110 else 1)
            return len(data) if need <= back else len(data) - back
    return len(data)


class _Text:
    """The stream's text, decoded chunk by chunk, with the line number of the read position."""

    def __init__(self, fh: BinaryIO, path: str, config: ReadConfig, stats: ReadStats) -> None:
        self.fh, self.path, self.config, self.stats = fh, path, config, stats
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self._carry = b""
        self._offset = 0  # bytes decoded so far
        self._lines_decoded = 0

    def more(self, at_least: int = 0) -> bool:
        """Decode the next chunk (``at_least`` bytes when larger) into the buffer; False at
        the end of the stream."""
        if self.eof:
            return False
        data = self._carry + self.fh.read(max(_CHUNK, at_least))
        if len(data) == len(self._carry):
            self.eof = True
            data, self._carry = self._carry, b""
        else:
            cut = _complete_utf8(data)
            data, self._carry = data[:cut], data[cut:]
        if self._offset == 0 and data.startswith(b"\xef\xbb\xbf"):
            data, self._offset = data[3:], 3
        text = decode(data, self.path, None, self._offset, self.config, self.stats,
                      base_line=self._lines_decoded)
        self._offset += len(data)
        self._lines_decoded += data.count(b"\n")
        if not text:
            return not self.eof
        if self.pos > _CHUNK:  # drop what was parsed
            self.buf, self.pos = self.buf[self.pos:], 0
        self.buf += text
        return True

    def advance(self, end: int) -> None:
        self.line += self.buf.count("\n", self.pos, end)
        self.pos = end

    def next_char(self) -> str:
        """The next character that is not whitespace ("" at the end), not consumed."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.advance(self.pos + 1)
            if self.pos < len(self.buf) or not self.more():
                return self.buf[self.pos:self.pos + 1]

    def error(self, message: str, at: int | None = None) -> InputError:
        """A bad_json error at the read position, or at ``at`` in the buffer."""
        line = self.line if at is None else self.line + self.buf.count("\n", self.pos, at)
        return InputError(f"malformed JSON array: {message}", self.path, line,
                          reason="bad_json")


def _maybe_cut(exc: json.JSONDecodeError, end: int) -> bool:
    """Whether a decoding error may only mean that the record goes on past the buffer: a
    string not closed yet, or an error within the last few characters (a cut ``true``, number
    or ``\\uXXXX``); anything else is malformed JSON, reported without reading further."""
    return exc.msg.startswith("Unterminated string") or exc.pos >= end - 8


def iter_json_array(fh: BinaryIO, path: str, config: ReadConfig, stats: ReadStats
                    ) -> Iterator[tuple[int, object, str]]:
    """``(line, value, raw text)`` for each element of the JSON array in ``fh`` (a UTF-8 BOM
    is skipped). Malformed JSON raises :class:`InputError` at its line; nothing after it can
    be read."""
    text = _Text(fh, path, config, stats)
    decoder = json.JSONDecoder()
    if text.next_char() != "[":
        raise text.error("expected '[' at the start")
    text.advance(text.pos + 1)
    if text.next_char() == "]":
        text.advance(text.pos + 1)
    else:
        while True:
            if not text.next_char():
                raise text.error("the file ends inside the array")
            while True:
                try:
                    value, end = decoder.raw_decode(text.buf, text.pos)
                    break
                except json.JSONDecodeError as exc:
                    if not _maybe_cut(exc, len(text.buf)):
                        raise text.error(exc.msg, exc.pos) from exc
                    if len(text.buf) - text.pos > MAX_RECORD_CHARS:
                        raise text.error(f"a record longer than {MAX_RECORD_CHARS} characters "
                                         "(or a malformed one)") from exc
                    # a record longer than the buffer: read as much again (linear, not
                    # quadratic, in the record's length); at the end nothing moves
                    if not text.more(len(text.buf) - text.pos):
                        raise text.error(exc.msg, exc.pos) from exc
            line = text.line
            raw = text.buf[text.pos:end]
            text.advance(end)
            yield line, value, raw
            after = text.next_char()
            text.advance(text.pos + 1)
            if after == "]":
                break
            if not after:
                raise text.error("the file ends inside the array")
            if after != ",":
                raise text.error(f"expected ',' or ']' after a record, got {after!r}")
    if text.next_char():
        raise text.error("data after the closing ']'")
