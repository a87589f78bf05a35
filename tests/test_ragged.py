"""RaggedStore and the deduplicator's per-node shingle sets (segmenter.ragged, dedup.nodes)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.dedup.nodes import Nodes
from segmenter.ragged import RaggedStore

arrays = st.lists(st.integers(0, 2**32 - 1), max_size=40).map(
    lambda v: np.asarray(v, dtype=np.uint32))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), arrays), max_size=40),
       st.integers(1, 64), st.lists(st.integers(0, 70), max_size=20))
def test_ragged_store_gives_back_the_last_array_put(puts, chunk_items, reads_between):
    store = RaggedStore(np.uint32, chunk_bytes=4 * chunk_items)
    want: dict[int, np.ndarray] = {}
    for step, (key, values) in enumerate(puts):
        store.put(key, values)
        want[key] = values.copy()
        if step < len(reads_between):  # reads in between cut the open chunk
            k = reads_between[step]
            assert np.array_equal(store[k], want.get(k, np.empty(0, dtype=np.uint32)))
    for key in range(72):
        got = store[key]
        assert got.dtype == np.uint32
        assert np.array_equal(got, want.get(key, np.empty(0, dtype=np.uint32)))
        assert store.has(key) == (len(want.get(key, ())) > 0)
    values = [a for a in want.values() if len(a)]
    assert store.nbytes >= 4 * sum(len(a) for a in values)


def test_ragged_store_views_survive_later_puts():
    store = RaggedStore(np.uint32, chunk_bytes=4 * 8)
    store.put(0, np.arange(3, dtype=np.uint32))
    first = store[0]
    for k in range(1, 20):
        store.put(k, np.full(3, k, dtype=np.uint32))
        assert np.array_equal(store[k], [k, k, k])
    assert np.array_equal(first, [0, 1, 2]) and np.array_equal(store[0], [0, 1, 2])
    assert not first.flags.writeable


def test_sets_made_from_sequences_equal_stored_sets():
    rng = np.random.default_rng(3)
    seqs = [rng.integers(0, 50, size=n).astype(np.uint32) for n in (0, 5, 40, 1, 200)]
    seq_store = RaggedStore(np.uint32)
    derived, stored = Nodes(sequences=seq_store.__getitem__), Nodes()
    for o, seq in enumerate(seqs):
        seq_store.put(o, seq)
        for nodes in (derived, stored):
            nodes.add(f"u{o}", True, len(seq), np.unique(seq))
    for nodes in (derived, stored):  # an exact copy of node 2, and a node without shingles
        nodes.add("copy", True, 40, np.unique(seqs[2]), copy_of=2)
        nodes.add("prior", True, 10, np.empty(0, dtype=np.uint32))
    for o in range(len(seqs) + 2):
        assert np.array_equal(derived.sets[o], stored.sets[o])
        assert derived.size(o) == stored.size(o) == len(stored.sets[o])
    assert derived.sets.nbytes < stored.sets.nbytes


def test_ragged_store_keeps_a_large_owned_array_without_copying():
    store = RaggedStore(np.uint32, chunk_bytes=4 * 8)
    store.put(0, np.arange(3, dtype=np.uint32))
    big = np.arange(100, dtype=np.uint32)
    store.put(1, big)
    store.put(2, np.arange(5, dtype=np.uint32))
    assert np.shares_memory(store[1], big) and not big.flags.writeable
    view = np.arange(200, dtype=np.uint32)[50:150]  # a view: copied (its base is not kept)
    store.put(3, view)
    assert np.array_equal(store[3], view) and not np.shares_memory(store[3], view)
    assert [len(store[k]) for k in range(4)] == [3, 100, 5, 100]


def test_shingle_sets_of_a_batch_with_long_units(monkeypatch):
    from segmenter import signing
    from segmenter.config import DedupConfig
    from segmenter.fingerprint import unique_sorted

    rng = np.random.default_rng(5)
    words = [f"w{k}" for k in range(40)]
    texts = [" ".join(rng.choice(words, size=n)) for n in (3, 900, 0, 40, 2000, 7)]
    signed = signing.BatchSigner(DedupConfig()).sign(texts)
    whole = signed.shingle_sets()
    monkeypatch.setattr(signing, "_ALONE", 500)  # the two long texts by themselves
    parts = signed.shingle_sets()
    for i, text in enumerate(texts):
        want = np.unique(signed.shingles.unit(i))
        assert np.array_equal(whole[i], want) and np.array_equal(parts[i], want), text[:20]
        assert np.array_equal(unique_sorted(signed.shingles.unit(i)), want)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 40), arrays), max_size=8), max_size=8),
       st.integers(1, 64), st.integers(0, 3))
def test_put_many_equals_one_put_per_key(batches, chunk_items, skip):
    many = RaggedStore(np.uint32, chunk_bytes=4 * chunk_items)
    one = RaggedStore(np.uint32, chunk_bytes=4 * chunk_items)
    for batch in batches:
        keys = [k for k, _ in batch]
        parts = [np.zeros(skip, dtype=np.uint32)] + [v for _, v in batch]  # values from skip on
        offsets = np.cumsum([0] + [len(p) for p in parts])[1:] if batch else np.array([skip])
        many.put_many(keys, np.concatenate(parts), offsets)
        for k, v in batch:
            one.put(k, v)
    for key in range(42):
        assert np.array_equal(many[key], one[key])
        assert many.size(key) == one.size(key) == len(one[key])
        assert many.has(key) == one.has(key)
        assert not many[key].flags.writeable
