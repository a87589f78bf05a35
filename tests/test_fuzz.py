"""Fuzzing with hypothesis: readers, cleaner, splitter and deduplicator never raise anything
but a SegmenterError, and keep their invariants (records balance, cleaning is idempotent on
line-stable text, stories tile the text, clusters are disjoint and cover every unit).

The normal test run uses a short budget; `make fuzz` runs the same properties much longer
(HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import gzip
import json
import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segmenter.clean import clean_text
from segmenter.config import ReadConfig
from segmenter.dedup import Deduplicator
from segmenter.errors import InputError
from segmenter.io import DecodeWarning, ReadStats, RejectSink, read_documents
from segmenter.model import Unit
from segmenter.split import split

settings.register_profile("default", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=5000, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

pytestmark = pytest.mark.fuzz

NEWSY = st.sampled_from([
    "The minister said on Tuesday.", "STEADFAST FRIEND: The bills", "Photo: AFP",
    "Additional reporting by AFP", "By Jane Roe, Staff writer", "Read more", "…", "...",
    "TAIPEI, June 19 (Reuters) -", "“Quoted,” he said.", "秦剛", "台灣？是的！", "Ã©", "&amp;",
    "\u200d", "\u202e", "\r", "\r\n", "\n", "\n\n", " ", "\t", "\x00", "\ufeff", "\ud800",
])
TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(NEWSY, st.text(max_size=20)), max_size=40).map(" ".join),
    st.lists(st.one_of(NEWSY, st.text(max_size=60)), max_size=30).map("\n".join),
)


@given(st.binary(max_size=2000), st.sampled_from(["x.txt", "x.jsonl", "x.jsonl.gz"]),
       st.booleans())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_reader_survives_any_bytes(tmp_path: Path, data: bytes, name: str, gz: bool) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") and gz else data)
    stats = ReadStats()
    got: list[object] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DecodeWarning)  # replacements are warned: expected
            docs = list(read_documents([str(path)], ReadConfig(on_error="skip"),
                                       rejects=RejectSink(got.append), stats=stats))
    except InputError as exc:  # whole-file problems (a corrupt stream) are errors, named
        assert str(path) in str(exc)
        return
    assert stats.records == len(docs) + len(got)
    for doc in docs:
        doc.text.encode("utf-8")  # always writable


@given(st.lists(st.dictionaries(st.sampled_from(["id", "text", "x"]),
                                st.one_of(st.text(max_size=30), st.integers(), st.none(),
                                          st.lists(st.integers(), max_size=2))),
                max_size=20))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_jsonl_records_balance(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    stats = ReadStats()
    got: list[object] = []
    docs = list(read_documents([str(path)], ReadConfig(on_error="skip"),
                               rejects=RejectSink(got.append), stats=stats))
    assert len(docs) + len(got) == max(len(rows), 1)  # an empty file is one rejected record


@given(TEXT)
def test_clean_never_raises_and_is_stable(text: str) -> None:
    once, _ = clean_text(text)
    assert isinstance(once, str)
    if not any(c in text for c in "\r\x85\u2028\u2029"):  # see test_clean.py: a known limit
        assert clean_text(once)[0] == once


@given(TEXT)
def test_split_tiles_any_text(text: str) -> None:
    stories = split(text)
    pos = 0
    for i, s in enumerate(stories):
        assert s.index == i and pos <= s.start < s.end <= len(text)
        assert not text[pos:s.start].strip()  # nothing but whitespace between stories
        for b in s.boilerplate:
            assert s.start <= b.start < b.end <= s.end
        assert 0.0 <= s.score <= 1.0
        pos = s.end
    assert not text[pos:].strip()


@given(st.lists(TEXT, max_size=25), st.sampled_from(["complete", "longest", "first"]))
def test_dedup_clusters_are_disjoint_and_cover(texts: list[str], keep: str) -> None:
    from segmenter.config import DedupConfig

    dedup = Deduplicator(DedupConfig(keep=keep))  # type: ignore[arg-type]
    for i, t in enumerate(texts + texts[:5]):  # exact copies too
        dedup.add(Unit(f"u{i}", t))
    results = dedup.finish()
    assert [a.id for a in results] == [f"u{i}" for i in range(len(texts) + len(texts[:5]))]
    seen: set[str] = set()
    for cluster in dedup.clusters():
        assert not seen & set(cluster.members)
        seen |= set(cluster.members)
        assert cluster.members[0] == cluster.keeper
    assert seen == {a.id for a in results}
    by_id = {a.id: a for a in results}
    for a in results:
        if a.duplicate_of is not None:
            assert by_id[a.duplicate_of].cluster == a.cluster and by_id[a.duplicate_of].keeper


@pytest.mark.parametrize("text", ["\ud800", "台灣\udfff是的測試台灣是的測試", "a \ud800 b " * 20])
def test_lone_surrogates_do_not_break_fingerprints(text: str) -> None:
    """The reader replaces lone surrogates, but library callers may pass them in."""
    dedup = Deduplicator()
    dedup.add(Unit("a", text))
    dedup.add(Unit("b", text))
    a, b = dedup.finish()
    assert b.duplicate_of == "a"
