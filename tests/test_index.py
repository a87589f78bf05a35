"""Index interface: both in-memory backends agree; the factory validates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.errors import ConfigError
from segmenter.fingerprint import signatures
from segmenter.index import LSHParams, band_digests, open_index
from segmenter.index.memory import BandTable

BASE = "the committee said on tuesday it would review the rules for listed companies next year"
TEXTS = [
    BASE,
    BASE + " officials said",
    "oil prices rose sharply in early trading after the opec meeting ended without a deal",
    BASE,
]


@pytest.mark.parametrize("url", [None, "memory", "datasketch"])
def test_query_insert_finds_earlier_similar(url: str | None) -> None:
    index = open_index(url, {"num_perm": 128, "bands": 16, "rows": 3})
    sigs = signatures(TEXTS)
    out = index.query_insert("full", [0, 1, 2, 3], sigs)
    assert out[0] == [] and out[2] == []
    assert out[1] == [0]
    assert sorted(out[3]) == [0, 1]
    assert index.query("full", sigs[2:3]) == [[2]]
    assert index.query("other", sigs[:1]) == [[]]  # tables are independent


def test_backends_agree_on_random_signatures() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 1 << 32, size=(30, 128), dtype=np.uint32)
    sigs = base.copy()
    sigs[10:20, :60] = base[0, :60]  # share many bands with row 0
    params = LSHParams(bands=16, rows=3)
    mem, ds = open_index("memory", params), open_index("datasketch", params)
    keys = list(range(30))
    a = mem.query_insert("t", keys, sigs)
    b = ds.query_insert("t", keys, sigs)
    assert [sorted(x) for x in a] == [sorted(x) for x in b]
    assert a[15] == list(range(0, 1)) + list(range(10, 15))


def test_max_bucket_caps_candidates() -> None:
    sig = signatures([BASE])
    index = open_index(None, LSHParams(max_bucket=3))
    index.insert("full", list(range(10)), np.repeat(sig, 10, axis=0))
    assert index.query("full", sig) == [[0, 1, 2]]


def test_band_digests_are_deterministic_and_band_specific() -> None:
    sig = np.arange(128, dtype=np.uint32)
    d = band_digests(sig, LSHParams(bands=4, rows=2))
    assert d.shape == (1, 4) and d.dtype == np.uint64
    same = np.zeros(128, dtype=np.uint32)
    dd = band_digests(same, LSHParams(bands=4, rows=2))
    assert len(set(dd[0].tolist())) == 4  # equal band values, different bands
    assert np.array_equal(d, band_digests(sig, LSHParams(bands=4, rows=2)))


def test_params_and_factory_validate() -> None:
    with pytest.raises(ConfigError, match="must not exceed num_perm"):
        LSHParams(num_perm=16, bands=8, rows=3)
    with pytest.raises(ConfigError, match="unknown index"):
        open_index("ftp://x")
    with pytest.raises(ConfigError):
        open_index(None, {"bogus": 1})
    p = LSHParams(bands=16, rows=3)
    assert p.collision_probability(0.9) > 0.99 > p.collision_probability(0.1)


# ----------------------------------------------------------------------------- array band tables
class DictTables:
    """The reference: band tables as plain dicts of lists, one row at a time."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.tables: dict[str, dict[int, list[int]]] = {}
        self.stored: list[tuple[int, int]] = []

    def run(self, table: str, keys: list[int] | None, digests: np.ndarray) -> list[list[int]]:
        t = self.tables.setdefault(table, {})
        out = []
        for i, row in enumerate(digests.tolist()):
            found: list[int] = []
            for d in row:
                found += [k for k in t.get(d, ()) if k not in found]
            out.append(found)
            if keys is not None and keys[i] >= 0:  # -1: query only
                for d in row:
                    b = t.setdefault(d, [])
                    if len(b) < self.cap and keys[i] not in b:
                        b.append(keys[i])
                        self.stored.append((d, keys[i]))
        return out


UNMIX = pow(BandTable.MIX, -1, 1 << 64)
OPS = st.lists(
    st.tuples(st.sampled_from(["query_insert", "query", "insert"]), st.sampled_from("ab"),
              st.lists(st.lists(st.integers(0, 6), min_size=4, max_size=4), max_size=12),
              st.booleans()),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(ops=OPS, cap=st.integers(1, 9), clustered=st.booleans())
def test_band_table_answers_as_dicts_do(ops: list, cap: int, clustered: bool) -> None:
    """Random calls over a tiny digest alphabet (0 included), a table that starts with 2 slots
    and has to grow, keys past int32: the same answers as dicts of lists. ``clustered``: every
    digest has the same top 20 bits (all ones), so all probe from the last slot and wrap.
    Rows whose first value is 6 only query (key -1); the entries stored are logged."""
    tables = {"a": BandTable(cap, capacity=2), "b": BandTable(cap, capacity=2)}
    log: list[tuple[np.ndarray, np.ndarray]] = []
    ref = DictTables(cap)
    next_key = 0
    for op, name, rows, big in ops:
        digests = np.array(rows, dtype=np.uint64).reshape(len(rows), 4)
        digests[:, 1:] += np.arange(1, 4, dtype=np.uint64) * np.uint64(7)  # bands differ
        if clustered:  # home slot: top bits of digest * MIX; these all have the last one
            digests = (digests | np.uint64(0xFFFFF << 44)) * np.uint64(UNMIX)
        keys = None
        if op != "query":
            base = next_key + (1 << 40 if big else 0)
            keys = [-1 if r[0] == 6 else base + i for i, r in enumerate(rows)]
            next_key += len(rows)
        got = tables[name].run(keys, digests, collect=op != "insert", log=log)
        want = ref.run(name, keys, digests)
        if op != "insert":
            assert got == want
        assert len(tables[name]) == len(ref.tables.get(name, {}))
    logged = [(int(d), int(k)) for ds, ks in log for d, k in zip(ds, ks, strict=True)]
    assert sorted(logged) == sorted(ref.stored)


def test_memory_index_matches_dicts_on_signatures_with_shared_bands() -> None:
    rng = np.random.default_rng(11)
    base = rng.integers(0, 1 << 32, size=(6, 128), dtype=np.uint32)
    sigs = base[rng.integers(0, 6, size=3000)]
    sigs[:, 48:] = rng.integers(0, 1 << 32, size=(3000, 80), dtype=np.uint32)  # 16 shared
    params = LSHParams(bands=32, rows=3, max_bucket=5)
    index, ref = open_index("memory", params), DictTables(5)
    for lo in range(0, 3000, 512):
        keys = list(range(lo, min(lo + 512, 3000)))
        digests = band_digests(sigs[lo : lo + 512], params)
        assert index.query_insert("t", keys, sigs[lo : lo + 512]) == ref.run("t", keys, digests)
    assert index.query("t", sigs[:3]) == ref.run("t", None, band_digests(sigs[:3], params))
    assert len(index) == len(ref.tables["t"])


def test_memory_index_refuses_bad_keys() -> None:
    index = open_index("memory")
    sig = signatures([BASE])
    with pytest.raises(ValueError, match="non-negative"):
        index.insert("full", [-1], sig)
    with pytest.raises(ValueError, match="2 keys for 1"):
        index.insert("full", [1, 2], sig)


@settings(max_examples=100, deadline=None)
@given(entries=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 50)), max_size=60),
       cap=st.integers(1, 4))
def test_band_table_from_entries_keeps_insertion_order(entries: list, cap: int) -> None:
    """A table loaded from the entries a table stored answers as the table did."""
    ref = DictTables(cap)
    for d, k in entries:
        ref.run("t", [k], np.array([[d]], dtype=np.uint64))
    digests = np.array([d for d, _ in ref.stored], dtype=np.uint64)
    keys = np.array([k for _, k in ref.stored], dtype=np.int64)
    table = BandTable.from_entries(cap, digests, keys)
    probe = np.arange(11, dtype=np.uint64)[:, None]
    assert table.run(None, probe, collect=True) == ref.run("t", None, probe)
