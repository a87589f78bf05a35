"""Index interface: both in-memory backends agree; the factory validates."""

from __future__ import annotations

import numpy as np
import pytest

from segmenter.errors import ConfigError
from segmenter.fingerprint import signatures
from segmenter.index import LSHParams, band_digests, open_index

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
