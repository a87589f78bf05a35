"""Readers and writers: formats, compression, streaming, bad input, atomic output."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import zstandard

from segmenter.config import ReadConfig
from segmenter.errors import InputError, OutputError
from segmenter.io import (
    ReadStats,
    RejectSink,
    SkippedFilesWarning,
    atomic_output,
    read_documents,
    write_jsonl,
)


def _write(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def _jsonl(*rows: object) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def test_txt_id_is_the_name_without_known_extensions(tmp_path: Path) -> None:
    p = _write(tmp_path / "page.2024.txt.gz", gzip.compress(b"Hello.\nWorld."))
    (doc,) = read_documents([p])
    assert doc.id == "page.2024" and doc.text == "Hello.\nWorld." and doc.line is None


def test_jsonl_fields_and_missing_id(tmp_path: Path) -> None:
    p = _write(tmp_path / "d.jsonl", _jsonl({"doc": "x", "body": "one"}, {"body": "two"}))
    docs = list(read_documents([p], ReadConfig(id_field="doc", text_field="body")))
    assert [d.id for d in docs] == ["x", f"{p}:2"]
    assert [d.text for d in docs] == ["one", "two"]


def test_zstd_and_directory_recursive(tmp_path: Path) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    _write(sub / "x.jsonl.zst", zstandard.ZstdCompressor().compress(_jsonl({"id": 1, "text": "z"})))
    _write(tmp_path / "a" / "y.txt", b"plain")
    _write(tmp_path / "a" / "notes.md", b"ignored: unknown format in a directory")
    _write(tmp_path / "a" / ".hidden.txt", b"ignored: hidden")
    with pytest.warns(SkippedFilesWarning, match="skipped 1 file: 1 of unknown format") as seen:
        docs = list(read_documents([str(tmp_path)]))
    assert sorted(d.id for d in docs) == ["1", "y"]
    assert [w.message.skipped for w in seen  # type: ignore[union-attr]
            ] == [[(str(tmp_path / "a" / "notes.md"), "unknown format")]]


def test_glob_filters_directory(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", b"a")
    _write(tmp_path / "b.jsonl", _jsonl({"id": "b", "text": "b"}))
    docs = list(read_documents([str(tmp_path)], ReadConfig(glob="*.jsonl")))
    assert [d.id for d in docs] == ["b"]


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(read_documents([str(tmp_path / "nope.txt")]))


@pytest.mark.parametrize(
    ("data", "reason", "message"),
    [
        (b'{"id": "a", "text": "ok"}\n{"id": "b", "text": \n', "bad_json", ":2: malformed JSON"),
        (b'{"id": "a", "body": "x", "url": "u"}\n', "missing_text",
         ":1: no 'text' field (keys: 'id', 'body', 'url')"),
        (b'{"id": "a", "text": 42}\n', "text_not_string", ":1: field 'text' is int, not a string"),
        (b'[1, 2]\n', "not_object", ":1: expected a JSON object"),
        (b'{"id": "a", "text": "x\x00"}\n', "binary", ":1 (byte"),
        (b"", "empty_file", "empty file"),
    ],
)
def test_bad_jsonl_fails_with_location(tmp_path: Path, data: bytes, reason: str,
                                       message: str) -> None:
    p = _write(tmp_path / "bad.jsonl", data)
    with pytest.raises(InputError) as info:
        list(read_documents([p]))
    assert info.value.reason == reason
    assert message in str(info.value)
    assert str(info.value).startswith(p)


def test_skip_sends_rejects_and_counts_balance(tmp_path: Path) -> None:
    data = _jsonl({"id": "a", "text": "ok"}) + b"not json\n" + _jsonl({"id": "c", "text": 3})
    data += b"\n" + _jsonl({"id": "d", "text": "ok too"})
    p = _write(tmp_path / "mixed.jsonl", data)
    got: list[dict[str, object]] = []
    stats = ReadStats()
    docs = list(read_documents([p], ReadConfig(on_error="skip"), rejects=RejectSink(got.append),
                               stats=stats))
    assert [d.id for d in docs] == ["a", "d"]
    assert [(r["line"], r["reason"]) for r in got] == [(2, "bad_json"), (3, "text_not_string")]
    assert stats.records == stats.documents + stats.rejected == 4


def test_invalid_utf8_strict_names_byte_offset(tmp_path: Path) -> None:
    p = _write(tmp_path / "x.jsonl", _jsonl({"id": "a", "text": "ok"}) + b'{"text": "caf\xe9"}\n')
    with pytest.raises(InputError) as info:
        list(read_documents([p], ReadConfig(encoding_errors="strict")))
    assert info.value.line == 2 and info.value.offset == 26 + 13
    assert "(byte 39)" in str(info.value) and "invalid UTF-8" in str(info.value)


def test_invalid_utf8_replace_warns_and_counts(tmp_path: Path) -> None:
    p = _write(tmp_path / "x.txt", b"line one\ncaf\xe9 \xff\n")
    stats = ReadStats()
    with pytest.warns(UserWarning, match=r"x.txt:2: invalid UTF-8 at byte 12; 2 byte"):
        (doc,) = read_documents([p], stats=stats)
    assert doc.text == "line one\ncaf\ufffd \ufffd\n" and stats.decode_replacements == 2


def test_binary_txt_file_is_an_error(tmp_path: Path) -> None:
    p = _write(tmp_path / "img.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputError, match=r"img.txt:3 \(byte 8\): binary file"):
        list(read_documents([p]))


def test_empty_txt_file_skip(tmp_path: Path) -> None:
    p = _write(tmp_path / "empty.txt", b"")
    stats = ReadStats()
    got: list[dict[str, object]] = []
    docs = list(read_documents([p], ReadConfig(on_error="skip"), rejects=RejectSink(got.append),
                               stats=stats))
    assert docs == [] and got[0]["reason"] == "empty_file" and stats.rejected == 1


def test_truncated_gzip_is_an_error(tmp_path: Path) -> None:
    blob = gzip.compress(_jsonl(*({"id": i, "text": "x" * 50} for i in range(200))))
    p = _write(tmp_path / "t.jsonl.gz", blob[: len(blob) // 2])
    with pytest.raises(InputError, match="truncated or corrupt"):
        list(read_documents([p]))


def test_utf8_bom_and_utf16(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.txt", b"\xef\xbb\xbfHello")
    b = _write(tmp_path / "b.txt", "Grüße".encode("utf-16"))
    assert [d.text for d in read_documents([a, b])] == ["Hello", "Grüße"]


def test_lone_surrogate_in_json_is_replaced(tmp_path: Path) -> None:
    p = _write(tmp_path / "s.jsonl", b'{"id": "s", "text": "a\\ud800b"}\n')
    with pytest.warns(UserWarning, match="lone surrogate"):
        (doc,) = read_documents([p])
    assert doc.text == "a\ufffdb"
    with pytest.raises(InputError, match="lone surrogate"):
        list(read_documents([p], ReadConfig(encoding_errors="strict")))


def test_reader_streams(tmp_path: Path) -> None:
    """The reader yields the first record before reading the rest (it is a generator)."""
    p = _write(tmp_path / "s.jsonl", _jsonl({"id": "a", "text": "x"}) + b"broken\n")
    it = read_documents([p])
    assert next(it).id == "a"
    with pytest.raises(InputError):
        next(it)


@pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz", "out.jsonl.zst"])
def test_atomic_output_round_trip(tmp_path: Path, name: str) -> None:
    target = tmp_path / "sub" / name
    with atomic_output(target) as out:
        write_jsonl(out, [{"id": "é", "text": "秦剛"}])
    docs = list(read_documents([str(target)]))
    assert [(d.id, d.text) for d in docs] == [("é", "秦剛")]
    assert [p.name for p in target.parent.iterdir()] == [name]


def test_atomic_output_leaves_nothing_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("previous\n")
    with pytest.raises(RuntimeError), atomic_output(target) as out:
        out.write("partial\n")
        raise RuntimeError("interrupted")
    assert target.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_output_error_on_unwritable_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create"), atomic_output(blocker / "o.jsonl"):
        pass


def test_output_to_a_device_is_written_in_place() -> None:
    """-o /dev/null must not create a temporary file in /dev and rename it over the device."""
    import os
    import stat

    with atomic_output("/dev/null") as out:
        write_jsonl(out, [{"id": "x"}])
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_one_reader_for_parquet_and_urls(tmp_path: Path) -> None:
    """Local runs read Parquet and ``pyarrow.fs`` URLs with the same record rules as JSONL."""
    pa = pytest.importorskip("pyarrow")
    import gzip

    import pyarrow.parquet as pq

    rows = [{"id": "a", "text": "first"}, {"id": None, "text": "second"}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    with gzip.open(tmp_path / "in.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write('{"id": "a", "text": "first"}\n\n{"text": "second"}\n')
    local = [(d.id.rsplit(":", 1)[-1], d.text, d.line)
             for d in read_documents([str(tmp_path / "in.jsonl.gz")])]
    for path in (str(tmp_path / "in.parquet"), f"file://{tmp_path}/in.jsonl.gz"):
        stats = ReadStats()
        docs = list(read_documents([path], stats=stats))
        assert [d.text for d in docs] == ["first", "second"]
        assert docs[0].id == "a" and docs[1].id == f"{path}:{docs[1].line}"
        assert stats.files == 1 and stats.documents == 2
    assert [x[1] for x in local] == ["first", "second"]
    folder = list(read_documents([f"file://{tmp_path}"]))
    assert [d.text for d in folder] == ["first", "second", "first", "second"]


def test_background_writer_keeps_order_and_raises_a_failed_write() -> None:
    import io as stdio

    from segmenter.io.writers import BackgroundWriter

    target = stdio.BytesIO()
    writer = BackgroundWriter(target, run=64, waiting=1)
    parts = [f"{i}:".encode() * (i % 7) for i in range(500)] + [b"x" * 1000, b"end"]
    for part in parts[:250]:
        writer.write(part)
    writer.write(memoryview(b"-view-")[1:5])
    for part in parts[250:]:
        writer.write(part)
    writer.close()
    assert target.getvalue() == b"".join(parts[:250]) + b"view" + b"".join(parts[250:])

    class Full(stdio.BytesIO):
        def write(self, data):  # type: ignore[no-untyped-def, override]
            raise OSError(28, "No space left on device")

    writer = BackgroundWriter(Full(), run=8)
    try:
        with pytest.raises(OSError, match="No space"):
            for _ in range(100):
                writer.write(b"0123456789")
            writer.close()
    finally:
        writer.abandon()
    assert not writer._thread.is_alive()
