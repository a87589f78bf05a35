"""Readers and writers: the only place segmenter touches input and output files.

Readers stream :class:`~segmenter.model.Document` records from ``.txt`` files (one document per
file), JSONL files (one per line; ``.json`` files hold JSONL or a JSON array of records), either
of them ``.gz`` or ``.zst`` compressed, Parquet files, directories (recursively; files of unknown
format are skipped with a :class:`SkippedFilesWarning`), ``pyarrow.fs`` URLs (``s3://``,
``gs://``, ``hdfs://``, ``file://``) and stdin (``-``, its format and compression told by its
first bytes). Bad records raise :class:`~segmenter.errors.InputError` naming
the file and line, or, with ``on_error="skip"``, go to a :class:`RejectSink` with the reason:
records in = records out + rejects.

Writers write JSONL to stdout or to a file, atomically (a temporary file renamed into place when
the run succeeds), gzip- or zstd-compressed by the file's extension; a run's output folder is
replaced as a whole (:func:`staged_folder`).

=================  ===============================================================
``files``          the one file lister (:func:`iter_input_files`, :class:`InputFile`)
``streams``        byte streams: local, stdin, URLs; gzip and zstd
``parse``          bytes to documents; decoding; rejects; :class:`ReadStats`
``json_array``     the records of a JSON array, streamed
``readers``        :func:`read_documents`, :func:`read_file`
``writers``        :func:`atomic_output`, :func:`write_jsonl` / :func:`write_lines`, ...
=================  ===============================================================
"""

from __future__ import annotations

from .files import InputFile, SkippedFilesWarning, detect_format, iter_input_files, list_inputs
from .parse import DecodeWarning, RawLine, RawLines, ReadStats, RejectSink, raw_document
from .readers import read_documents, read_file, read_items
from .writers import atomic_output, reject_sink, staged_folder, write_jsonl, write_lines

__all__ = [
    "DecodeWarning",
    "InputFile",
    "RawLine",
    "RawLines",
    "ReadStats",
    "RejectSink",
    "SkippedFilesWarning",
    "atomic_output",
    "detect_format",
    "iter_input_files",
    "list_inputs",
    "read_documents",
    "raw_document",
    "read_file",
    "read_items",
    "reject_sink",
    "staged_folder",
    "write_jsonl",
    "write_lines",
]
