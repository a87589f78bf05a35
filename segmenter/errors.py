"""Exceptions raised by the segmenter library.

The library raises only :class:`SegmenterError` subclasses; ``cli.options`` alone turns them into
click errors with exit codes (1 for data errors, 2 for usage/configuration errors).
"""

from __future__ import annotations


class SegmenterError(Exception):
    """Base class of every error segmenter raises on purpose."""

    exit_code = 1


class ConfigError(SegmenterError):
    """A bad option or configuration value; the message says how to fix it."""

    exit_code = 2


class InputError(SegmenterError):
    """Bad input data, located by file, line and (for decode errors) byte offset."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        offset: int | None = None,
        reason: str = "input_error",
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.offset = offset
        self.reason = reason
        super().__init__(self.location_message())

    @property
    def location(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
        loc = ":".join(parts)
        if self.offset is not None:
            loc += f" (byte {self.offset})"
        return loc

    def location_message(self) -> str:
        return f"{self.location}: {self.message}"

    def __reduce__(self) -> tuple[type[InputError], tuple[object, ...]]:
        # pickled whole (a --jobs worker raises it in the parent): not rebuilt from str(self)
        return (type(self), (self.message, self.path, self.line, self.offset, self.reason))


class MissingInputError(InputError):
    """An input path named on the command line does not exist (exit code 2, a usage error)."""

    exit_code = 2


class OutputError(SegmenterError):
    """An output could not be written (disk full, permission denied, ...)."""

    exit_code = 1


class OutputRefusedError(OutputError):
    """The output place is unusable before any work is done: not a folder, a folder holding
    other files, or nowhere to write (exit code 2, a usage error)."""

    exit_code = 2


class IndexError_(SegmenterError):
    """A persistent index is unusable: missing, locked, unreachable (exit code 1)."""

    exit_code = 1


class IndexNotFoundError(IndexError_):
    """No index at the path given to ``segmenter index`` (exit code 2, a usage error)."""

    exit_code = 2


class IndexMismatchError(IndexError_, ConfigError):
    """A persistent index was built with other parameters than this run's (exit code 2); the
    message names them and says how to fix it."""

    exit_code = 2


class UnknownFormatError(InputError, ConfigError):
    """A named input file whose format cannot be told from its name (exit code 2); the message
    says which ``--format`` to use."""

    exit_code = 2
