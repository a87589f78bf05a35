"""What a scraping job feeds segmenter on day one (issue 15, inputs): its own outputs in the
input folder, unknown extensions, .json files, Parquet, BOMs, compressed stdin, ids from file
names, nested fields. CLI tests run real files through click's CliRunner."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zstandard
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.config import ReadConfig
from segmenter.errors import InputError, UnknownFormatError
from segmenter.io import (
    ReadStats,
    RejectSink,
    SkippedFilesWarning,
    json_array,
    list_inputs,
    read_documents,
)
from segmenter.pipeline import run as run_pipeline

from .conftest import need, story


def cli(*args: str, input: bytes | None = None) -> tuple[int, str, str]:
    from segmenter.cli import main

    result = CliRunner().invoke(main, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def records(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def jsonl(*rows: object) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def write(path: Path, data: bytes | str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


# --------------------------------------------------------------- 2: never read own outputs


def test_run_twice_in_the_same_folder_reads_no_outputs(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.jsonl", jsonl(*({"id": f"d{i}", "text": story(i)} for i in range(4))))
    counts = []
    for _ in range(2):
        code, _, err = cli("run", ".", "-o", "out", "--index", "seen.db", "-v", "--report")
        assert code == 0, err
        counts.append(json.loads((tmp_path / "out" / "report.json").read_text())["documents"])
    assert counts == [4, 4]
    assert "written by this command" in err
    assert "skipped out/stories.jsonl (written by this command)" in err
    assert "skipped out/report.html (written by this command)" in err
    assert "skipped seen.db (written by this command)" in err


def test_earlier_run_folders_under_other_names_are_not_inputs(tmp_path: Path) -> None:
    """A folder that holds an earlier run's outputs (report.json next to stories.jsonl) is
    output, whatever its name: its .json report would now be read as records."""
    write(tmp_path / "dump" / "a.jsonl", jsonl({"id": "a", "text": story(1)}))
    code, _, err = cli("run", str(tmp_path / "dump"), "-o", str(tmp_path / "dump" / "run1"))
    assert code == 0, err
    code, _, err = cli("run", str(tmp_path / "dump"), "-o", str(tmp_path / "run2"), "-v")
    assert code == 0, err
    assert json.loads((tmp_path / "run2" / "report.json").read_text())["documents"] == 1
    assert "3 in an earlier run's output folder" in err
    assert f"skipped {tmp_path / 'dump' / 'run1' / 'report.json'} (in an earlier run" in err


def test_forced_format_never_reads_the_index_or_rejects(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With --format forced every file in a folder is an input: the index and the rejects
    file written there must still not be."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "in" / "a", story(1))
    for _ in range(2):
        code, _, err = cli("dedup", "in", "--format", "txt", "--index", "in/seen.db",
                           "--rejects", "in/rejects", "-o", "in/out.jsonl")
        assert code == 0, err
        assert [r["id"] for r in records((tmp_path / "in" / "out.jsonl").read_text())] == ["a#0"]


def test_library_run_excludes_its_output_folder(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", jsonl({"id": "a", "text": story(1)}))
    first = run_pipeline(str(tmp_path), tmp_path / "out")
    with pytest.warns(SkippedFilesWarning, match="3 written by this command"):
        second = run_pipeline(str(tmp_path), tmp_path / "out")
    assert first["documents"] == second["documents"] == 1


def test_excluded_paths_cover_folders_and_sqlite_companions(tmp_path: Path) -> None:
    for name in ("a.txt", "out/x.jsonl", "seen.db", "seen.db-wal", "seen.dbx.txt"):
        write(tmp_path / name, "x")
    config = ReadConfig(format="txt", exclude=(str(tmp_path / "out"), str(tmp_path / "seen.db")))
    with pytest.warns(SkippedFilesWarning, match="skipped 3 files: 3 written by this command"):
        listed = [Path(f.path).name for f in list_inputs([str(tmp_path)], config)]
    assert listed == ["a.txt", "seen.dbx.txt"]


# --------------------------------------------------------------- 5: unknown formats, .json


def test_named_file_of_unknown_format_is_refused_with_the_format_to_use(tmp_path: Path) -> None:
    warc = write(tmp_path / "crawl.warc.gz", gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\n"))
    code, out, err = cli("clean", warc)
    assert code == 2 and out == ""
    assert "crawl.warc.gz: cannot tell the format from the name" in err
    assert "--format txt" in err and "--format jsonl" in err
    code, out, err = cli("clean", warc, "--format", "txt")
    assert code == 0 and str(records(out)[0]["text"]).startswith("WARC/1.0"), err
    with pytest.raises(UnknownFormatError) as caught:
        list(read_documents([write(tmp_path / "notes.md", "# notes")]))
    assert caught.value.exit_code == 2 and caught.value.reason == "unknown_format"


def test_folder_says_what_it_skipped_and_v_lists_it(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", story(1))
    write(tmp_path / "page.html", "<html></html>")
    write(tmp_path / "table.csv", "a,b")
    write(tmp_path / "sub" / "more.html", "<p>")
    code, out, err = cli("clean", str(tmp_path))
    assert code == 0 and [r["id"] for r in records(out)] == ["a"]
    assert "skipped 3 files: 3 of unknown format (.csv 1, .html 2;" in err
    assert "page.html" not in err
    code, _, err = cli("clean", str(tmp_path), "-v")
    assert code == 0
    assert f"skipped {tmp_path / 'page.html'} (unknown format)" in err
    assert f"skipped {tmp_path / 'sub' / 'more.html'} (unknown format)" in err


def test_a_folder_of_only_unknown_files_says_so(tmp_path: Path) -> None:
    write(tmp_path / "page.html", "<html></html>")
    code, _, err = cli("clean", str(tmp_path))
    assert code == 1 and "no input files" in err and "1 file skipped" in err


def test_json_files_hold_jsonl_or_an_array(tmp_path: Path) -> None:
    lines = write(tmp_path / "docs.json", jsonl({"id": "j1", "body": "teaser one"},
                                                {"id": "j2", "body": "teaser two"}))
    array = write(tmp_path / "array.json", json.dumps(
        [{"id": "a1", "body": "first"}, {"id": "a2", "body": "second", "url": "u"}], indent=2))
    code, out, err = cli("clean", lines, array, "--text-field", "body")
    assert code == 0, err
    assert [(r["id"], r["text"]) for r in records(out)] == [
        ("j1", "teaser one"), ("j2", "teaser two"), ("a1", "first"), ("a2", "second")]
    assert records(out)[3]["url"] == "u"
    docs = list(read_documents([array], ReadConfig(text_field="body")))
    assert [d.line for d in docs] == [2, 6]  # the line each record starts on
    folder = list(read_documents([str(tmp_path)], ReadConfig(text_field="body")))
    assert len(folder) == 4  # .json files are read inside folders too


def test_json_array_errors_name_the_line_and_skip_counts_balance(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", '[\n{"id": "x", "text": "ok"},\n{"id": "y"},\n'
                 '{"id": "z", "text": "fine"},\n{"id": "w", "text": oops}\n]\n')
    with pytest.raises(InputError) as caught:
        list(read_documents([path]))
    assert caught.value.line == 3 and caught.value.reason == "missing_text"
    stats, sink = ReadStats(), RejectSink()
    docs = list(read_documents([path], ReadConfig(on_error="skip"), rejects=sink, stats=stats))
    assert [d.id for d in docs] == ["x", "z"]
    assert stats.records == stats.documents + stats.rejected == 4
    assert stats.reasons == {"missing_text": 1, "bad_json": 1}
    with pytest.raises(InputError, match=r"malformed JSON array.*") as caught:
        list(read_documents([path], ReadConfig(on_error="fail", text_field="id")))
    assert caught.value.line == 5


@pytest.mark.parametrize("data, message", [
    ('[{"text": "a"} {"text": "b"}]', "expected ',' or ']'"),
    ('[{"text": "a"}', "ends inside the array"),
    ('[{"text": "a"}] []', "data after the closing"),
])
def test_json_array_structure_errors(tmp_path: Path, data: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(read_documents([write(tmp_path / "a.json", data)]))


def test_empty_json_array_is_no_documents(tmp_path: Path) -> None:
    stats = ReadStats()
    assert list(read_documents([write(tmp_path / "a.json", " [ ] \n")], stats=stats)) == []
    assert stats.records == stats.rejected == 0


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


def _array_values(data: bytes, chunk: int) -> list[object]:
    import io

    original = json_array._CHUNK
    json_array._CHUNK = chunk
    try:
        return [value for _, value, _ in json_array.iter_json_array(
            io.BufferedReader(io.BytesIO(data)), "a.json", ReadConfig(), ReadStats())]
    finally:
        json_array._CHUNK = original


@settings(max_examples=80, deadline=None)
@given(values=st.lists(_VALUE, max_size=6), indent=st.sampled_from([None, 0, 2]),
       chunk=st.integers(1, 17), bom=st.booleans(), ascii=st.booleans())
def test_json_array_reads_what_json_loads_reads(values: list[object], indent: int | None,
                                                chunk: int, bom: bool, ascii: bool) -> None:
    """Chunked reading (any chunk size, cutting UTF-8 characters, literals, numbers and
    \\uXXXX escapes) gives json.loads' records."""
    rows = [{"id": f"r{i}", "text": v} for i, v in enumerate(values)]
    data = (b"\xef\xbb\xbf" if bom else b"") + json.dumps(
        rows, indent=indent, ensure_ascii=ascii).encode()
    assert _array_values(data, chunk) == json.loads(data.decode("utf-8-sig"))


def test_malformed_record_is_reported_without_reading_the_rest() -> None:
    import io

    good = json.dumps([{"text": story(i)} for i in range(200)])[1:]
    data = ('[\n{"text": "a"},\n{"text": nope},\n' + good).encode()
    fh = io.BufferedReader(io.BytesIO(data), 64)
    original = json_array._CHUNK
    json_array._CHUNK = 64
    try:
        with pytest.raises(InputError, match="Expecting value") as caught:
            list(json_array.iter_json_array(fh, "a.json", ReadConfig(), ReadStats()))
    finally:
        json_array._CHUNK = original
    assert caught.value.line == 3
    assert fh.tell() < len(data) // 10


# --------------------------------------------------------------- 6: Parquet everywhere


def _parquet(path: Path, rows: list[dict[str, Any]], row_group_size: int = 2) -> str:
    need(importlib.util.find_spec("pyarrow") is not None,
         "pyarrow is not installed (pip install 'segmenter[parquet]')")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)
    assert pq.ParquetFile(path).num_row_groups == -(-len(rows) // row_group_size)
    return str(path)


def test_parquet_by_name_by_format_by_magic_and_on_stdin(tmp_path: Path) -> None:
    rows = [{"id": f"p{i}", "text": f"row {i}"} for i in range(5)]
    named = _parquet(tmp_path / "rows.parquet", rows)  # 3 row groups
    docs = list(read_documents([named]))
    assert [(d.id, d.text, d.line) for d in docs] == [(f"p{i}", f"row {i}", i + 1)
                                                      for i in range(5)]
    bare = tmp_path / "export"
    bare.write_bytes(Path(named).read_bytes())
    assert [d.id for d in read_documents([str(bare)])] == [r["id"] for r in rows]
    data = Path(named).read_bytes()
    for args in (["clean", str(bare), "--format", "parquet"], ["clean", "-"]):
        code, out, err = cli(*args, input=data)
        assert code == 0, err
        assert [r["id"] for r in records(out)] == [r["id"] for r in rows]


def test_parquet_reads_move_the_progress_position(tmp_path: Path) -> None:
    from segmenter.io.streams import POSITION

    named = _parquet(tmp_path / "rows.parquet", [{"text": story(i)} for i in range(6)])
    before = POSITION.bytes_read()
    assert len(list(read_documents([named]))) == 6
    assert 0 < POSITION.bytes_read() - before <= Path(named).stat().st_size


def test_parquet_run_reads_with_the_one_reader(tmp_path: Path) -> None:
    named = _parquet(tmp_path / "rows.parquet", [{"id": "a", "text": story(1)},
                                                 {"id": "b", "text": story(1)}])
    code, _, err = cli("run", named, "-o", str(tmp_path / "out"))
    assert code == 0, err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["documents"] == 2 and report["dedup"]["duplicates"]["exact"] == 1


# --------------------------------------------------------------- 7: BOM in JSONL


def test_utf8_bom_is_stripped_in_jsonl_files_and_stdin(tmp_path: Path) -> None:
    bom = b"\xef\xbb\xbf"
    data = bom + jsonl({"id": "b1", "text": "one"}) + b'{"id": "b2", "text": "t\xff"}\n'
    path = write(tmp_path / "bom.jsonl", data)
    code, out, err = cli("clean", path, "--encoding-errors", "replace")
    assert code == 0, err
    assert [r["id"] for r in records(out)] == ["b1", "b2"]
    with pytest.raises(InputError) as caught:
        list(read_documents([path], ReadConfig(encoding_errors="strict")))
    assert caught.value.line == 2 and caught.value.offset == data.index(b"\xff")
    code, out, err = cli("clean", "-", input=data[: data.index(b"{", 4)])
    assert code == 0 and records(out) == [{"id": "b1", "text": "one", "clean_steps": []}], err


# --------------------------------------------------------------- 8: compressed stdin


@pytest.mark.parametrize("pack", [gzip.compress, zstandard.ZstdCompressor().compress])
def test_gzip_and_zstd_on_stdin_are_told_by_magic_bytes(pack: Callable[[bytes], bytes]) -> None:
    code, out, err = cli("clean", "-", input=pack(jsonl({"id": "z", "text": "zipped"})))
    assert code == 0, err
    assert [(r["id"], r["text"]) for r in records(out)] == [("z", "zipped")]
    code, out, err = cli("clean", "-", input=pack("plain caf\u00e9 text".encode()))
    assert code == 0, err
    assert records(out)[0]["id"] == "stdin" and records(out)[0]["text"] == "plain café text"


@pytest.mark.parametrize("data", [
    gzip.compress(jsonl({"text": "x" * 500}), mtime=0)[:30],  # truncated
    b"\x1f\x8b" + b"x" * 40,  # a gzip header that is not one
    b"\x28\xb5\x2f\xfd" + b"x" * 40,  # a zstd frame that is not one
])
def test_corrupt_compressed_stdin_is_a_data_error(data: bytes) -> None:
    code, _, err = cli("clean", "-", input=data)
    assert code == 1 and re.search(r"^Error: -:\d: compressed stream is truncated or corrupt",
                                   err, re.M), err


# --------------------------------------------------------------- 9: ids from file names


def test_ids_keep_dots_that_are_not_known_extensions(tmp_path: Path) -> None:
    write(tmp_path / "www.bbc.co.uk.txt", story(1))
    write(tmp_path / "www.reuters.com.txt.gz", gzip.compress(story(2).encode()))
    code, out, err = cli("clean", str(tmp_path))
    assert code == 0, err
    assert [r["id"] for r in records(out)] == ["www.bbc.co.uk", "www.reuters.com"]


def test_id_from_path_names_documents_by_their_path(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(3):
        write(tmp_path / "crawl" / f"site{i}" / "index.txt", story(i))
    code, out, err = cli("dedup", str(tmp_path / "crawl"), "--no-split")
    assert code == 0 and "duplicate id 'index'" in err  # the default: file names
    code, out, err = cli("dedup", str(tmp_path / "crawl"), "--no-split", "--id-from", "path")
    assert code == 0 and "duplicate id" not in err, err
    assert [r["id"] for r in records(out)] == ["site0/index", "site1/index", "site2/index"]
    monkeypatch.chdir(tmp_path)
    docs = read_documents(["crawl/site1/index.txt", "-"], ReadConfig(id_from="path"))
    assert next(docs).id == "crawl/site1/index"  # a named file: its path as given
    with pytest.raises(Exception, match="id_from"):
        ReadConfig(id_from="url")  # type: ignore[arg-type]


# --------------------------------------------------------------- 10: nested fields


def test_nested_text_and_id_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "n.jsonl", jsonl(
        {"meta": {"id": "n1", "lang": "en"}, "article": {"title": "T", "body": "Body one."}},
        {"meta": {"id": "n2"}, "article": {"body": "Body two."}, "article.body": "flat wins"},
    ))
    code, out, err = cli("clean", path, "--text-field", "article.body", "--id-field", "meta.id")
    assert code == 0, err
    first, second = records(out)
    assert (first["id"], first["text"]) == ("n1", "Body one.")
    assert first["article"] == {"title": "T"} and first["meta"] == {"lang": "en"}
    assert (second["id"], second["text"]) == ("n2", "flat wins")
    assert "meta" not in second
    code, _, err = cli("clean", path, "--text-field", "article.missing")
    assert code == 1 and "no 'article.missing' field" in err and "dotted name" in err


def test_nested_text_column_in_parquet(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "n.parquet", [
        {"id": "p1", "article": {"body": "Body one.", "title": "T"}},
        {"id": "p2", "article": {"body": "Body two.", "title": "U"}},
    ])
    docs = list(read_documents([path], ReadConfig(text_field="article.body")))
    assert [(d.id, d.text) for d in docs] == [("p1", "Body one."), ("p2", "Body two.")]
    with pytest.raises(InputError, match="no 'article.nope' column"):
        list(read_documents([path], ReadConfig(text_field="article.nope")))
