"""Shingling and signatures: determinism, batch == single, datasketch compatibility."""

from __future__ import annotations

import html
import subprocess
import sys

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter.errors import ConfigError
from segmenter.fingerprint import (
    SCHEME,
    Signer,
    normalize,
    normalized_words,
    shingle_batch,
    shingle_hashes,
    signatures,
    to_lean_minhash,
)

TEXTS = [
    "The Bank of England said it forecast a shortage of around 700 mln stg in the money market.",
    "Shares in Bombardier have fallen to a 10-year low following the departure of its chief.",
    "",
    "short text",
    "中文新闻标题测试一下这个文本没有空格的情况好吗",
    "word " * 40,
]


def test_normalize_folds_case_entities_and_punctuation() -> None:
    a = shingle_hashes("Microsoft\u2019s new Xbox console &amp; games, said: \u201cyes\u201d.")
    b = shingle_hashes("microsoft's NEW xbox console & games said yes")
    assert np.array_equal(a, b)
    assert normalize("A&amp;B") == "a&b"


def test_word_shingles_count_and_order() -> None:
    h = shingle_hashes("a b c d e f g")
    assert len(h) == 3  # 7 words -> 3 five-grams
    assert np.array_equal(shingle_hashes("c d e f g"), h[2:])
    assert len(shingle_hashes("a b")) == 1  # shorter than a shingle: one shingle
    assert len(shingle_hashes("")) == 0
    assert not np.array_equal(shingle_hashes("a b c d e"), shingle_hashes("a b c d f"))


def test_cjk_falls_back_to_char_shingles() -> None:
    text = "中文新闻标题测试一下这个文本没有空格的情况"
    assert len(shingle_hashes(text)) == len(text) - 5 + 1
    assert len(shingle_hashes(text, char_size=0)) == 1  # one "word"
    assert len(shingle_hashes("abcdefgh", kind="char", size=3)) == 6


def test_batch_equals_single() -> None:
    batch = shingle_batch(TEXTS)
    assert len(batch) == len(TEXTS)
    for i, text in enumerate(TEXTS):
        assert np.array_equal(batch.unit(i), shingle_hashes(text))


def test_hashes_are_deterministic_across_processes() -> None:
    code = (
        "from segmenter.fingerprint import shingle_hashes;"
        "print(shingle_hashes('the quick brown fox jumps over the lazy dog').tolist())"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7)])
def test_signatures_equal_datasketch(num_perm: int, seed: int) -> None:
    batch = shingle_batch(TEXTS)
    full, heads = Signer(num_perm, seed).sign(batch, head=4)
    assert heads is not None
    for i in range(len(TEXTS)):
        ref = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)
        ref.update_batch(batch.unit(i).tolist())
        assert np.array_equal(ref.hashvalues, full[i])
        ref_head = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)
        ref_head.update_batch(batch.unit(i)[:4].tolist())
        assert np.array_equal(ref_head.hashvalues, heads[i])
    assert np.array_equal(Signer(num_perm, seed).permutations, ref.permutations)


def test_small_chunks_give_same_signatures() -> None:
    batch = shingle_batch(TEXTS * 3)
    a, ha = Signer(128, 1).sign(batch, head=3)
    b, hb = Signer(128, 1, chunk=7).sign(batch, head=3)
    assert np.array_equal(a, b) and hb is not None and ha is not None
    assert np.array_equal(ha, hb)


def test_lean_minhash_goes_into_datasketch_lsh() -> None:
    sigs = signatures([TEXTS[0], TEXTS[0] + " Reuter", TEXTS[1]])
    lean = [to_lean_minhash(s) for s in sigs]
    assert all(isinstance(m, LeanMinHash) and m.scheme == SCHEME for m in lean)
    ref = MinHash(num_perm=128, seed=1, hashfunc=lambda x: x)
    ref.update_batch(shingle_hashes(TEXTS[0]).tolist())
    assert lean[0].jaccard(ref) == 1.0
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    lsh.insert("a", lean[0])
    lsh.insert("c", lean[2])
    assert lsh.query(lean[1]) == ["a"]


def test_signer_validates() -> None:
    with pytest.raises(ConfigError):
        Signer(0)
    with pytest.raises(ConfigError):
        shingle_hashes("x", kind="bytes")


def test_pieces_give_the_same_shingles(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text hashed in many small pieces (as a huge document is) gets the same shingles as in
    one piece, words cut nowhere, whatever the spacing at the cuts."""
    import segmenter.fingerprint as fp

    texts = ["Alpha beta,  gamma\n\ndelta " * 300, "short one", "x" * 5000 + " tail words here",
             "Tom said: 'no.' " * 200]
    whole = shingle_batch(texts, lines=True)
    monkeypatch.setattr(fp, "_PIECE", 64)
    pieces = shingle_batch(texts, lines=True)
    assert np.array_equal(whole.hashes, pieces.hashes)
    assert np.array_equal(whole.offsets, pieces.offsets)
    assert whole.lines is not None and pieces.lines is not None
    for name in ("first", "start", "begin", "end"):
        assert np.array_equal(getattr(whole.lines, name), getattr(pieces.lines, name)), name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=" \nab.,'é", max_size=80), min_size=1, max_size=5))
def test_lines_count_the_words_before_them(texts: list[str]) -> None:
    """Each line's first shingle is the number of its text's words that start before it (no
    more than its text's shingles), whatever the spacing and the pieces the bytes are hashed
    in; texts with fewer words than a shingle have one shingle, from their first line."""
    import segmenter.fingerprint as fp

    batch = shingle_batch(texts, size=2, char_size=0, lines=True)
    info = batch.lines
    assert info is not None
    for i, text in enumerate(texts):
        lines = text.split("\n")
        assert info.first[i + 1] - info.first[i] == len(lines)
        words = len(normalized_words(text))
        before = 0
        for k, line in enumerate(lines):
            want = 0 if words < 2 else min(before, batch.counts()[i])
            assert info.start[info.first[i] + k] == want
            before += len(normalized_words(line))
    old = fp._PIECE
    try:
        fp._PIECE = 3
        again = shingle_batch(texts, size=2, char_size=0, lines=True)
    finally:
        fp._PIECE = old
    assert again.lines is not None and np.array_equal(again.lines.start, info.start)
    assert np.array_equal(again.hashes, batch.hashes)


def test_a_unit_longer_than_a_chunk_is_signed_in_pieces() -> None:
    """A unit with more shingles than the signer's chunk gets the same full and head
    signatures as when it fits in one chunk (the work matrix stays bounded)."""
    batch = shingle_batch([f"w{i} is a word " * 40 for i in range(3)] + ["one two"])
    big_full, big_head = Signer(64, 3, chunk=1 << 20).sign(batch, head=32)
    small_full, small_head = Signer(64, 3, chunk=50).sign(batch, head=32)
    assert np.array_equal(big_full, small_full)
    assert big_head is not None and small_head is not None
    assert np.array_equal(big_head, small_head)


def test_a_long_text_is_normalised_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of a long text (cut at line breaks) normalise to what the whole text does."""
    import segmenter.fingerprint as fp

    text = "Tom &amp; JERRY &eacute;t&eacute; \u201cQuote\u201d\nno entity; here &#8212; end\n" * 50
    whole = normalize(text)
    monkeypatch.setattr(fp, "_TEXT_PIECE", 40)
    assert normalize(text) == whole
    assert whole == html.unescape(text).lower().replace("\u201c", " ").replace(
        "\u201d", " ").replace("\u2014", " ")


def test_a_long_text_is_digested_in_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest of a text encoded a piece at a time is that of the whole text (a lone
    surrogate, as surrogatepass encodes it, included)."""
    import hashlib

    import segmenter.signing as signing

    text = "caf\u00e9 \ud800 \U0001f600 line\n" * 30
    whole = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    assert signing.text_digest(text) == whole
    monkeypatch.setattr(signing, "_DIGEST_PIECE", 7)
    assert signing.text_digest(text) == whole


@given(st.lists(st.integers(0, 50), max_size=30), st.lists(st.integers(0, 50), max_size=30))
def test_in_sorted_is_membership(values: list[int], members: list[int]) -> None:
    from segmenter.fingerprint import in_sorted

    v = np.array(values, dtype=np.uint32)
    s = np.unique(np.array(members, dtype=np.uint32))
    got = in_sorted(v, s)
    assert got.dtype == bool and got.tolist() == np.isin(v, s).tolist()
