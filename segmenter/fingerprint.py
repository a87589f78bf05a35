"""Shingling and MinHash signatures, vectorised over batches, compatible with datasketch 2.x.

The hot path, from text to signature, avoids Python loops over shingles:

1. :func:`normalize` lowercases, unescapes HTML entities and turns punctuation into spaces with
   C-level string methods (``str.lower``, ``str.replace``, ``bytes.translate``);
2. :func:`shingle_batch` hashes the words of a whole batch at once: the normalised UTF-8 bytes
   of all texts are joined, word boundaries found with numpy, and each word hashed by a
   polynomial hash mod 2^64 read off prefix sums (deterministic across processes, unlike
   Python's ``hash()``; no Python object per word). ``n`` consecutive word hashes are combined
   into one 32-bit n-gram hash (multilinear hashing in uint64, high 32 bits kept). Text without
   spaces (CJK) falls back to character n-grams;
3. :class:`Signer` computes the ``affine32`` MinHash of every unit of a batch at once:
   ``a * fmix32(h) + b (mod 2^32)`` over a ``(shingles, num_perm)`` uint32 matrix, then a
   segmented ``np.minimum.reduceat``. The values are exactly those of ``datasketch.MinHash``
   (scheme ``affine32``, same ``seed`` and ``num_perm``) updated with the same 32-bit shingle
   hashes, so they wrap as :class:`datasketch.LeanMinHash` (:func:`to_lean_minhash`) and go into
   ``datasketch.MinHashLSH``.

Besides the full signature, the signer returns a *head* signature over the first ``head``
shingles of each unit (in text order). A truncated copy (a teaser, an abridged wire copy) is the
first part of its article, so its signature is close to the article's head signature even when
the full signatures are far apart; :mod:`segmenter.dedup` indexes both.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError

__all__ = [
    "SCHEME",
    "Lines",
    "ShingleBatch",
    "Signer",
    "byte_positions",
    "in_sorted",
    "normalize",
    "normalized_words",
    "ranges",
    "shingle_batch",
    "shingle_hashes",
    "signatures",
    "to_lean_minhash",
    "unique_sorted",
]

SCHEME = "affine32"
"""The datasketch permutation scheme our signatures use."""

_U32 = np.uint32
_U64 = np.uint64
_MAX32 = np.uint32(0xFFFFFFFF)

# ASCII punctuation -> space, on the UTF-8 bytes (non-ASCII bytes are left alone).
_ASCII_PUNCT = b"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_BYTES_TABLE = bytes.maketrans(_ASCII_PUNCT, b" " * len(_ASCII_PUNCT))
# The non-ASCII punctuation news text is full of; each is one C-level str.replace.
_UNICODE_PUNCT = (
    "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u00ab\u00bb\u2039\u203a"  # quotes
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # dashes, minus
    "\u2026\u00a0\u2022\u00b7\u00a9\u00ae\u2122"  # ellipsis, nbsp, bullets, (c)
)
# For character shingles (CJK) every punctuation and space character is dropped.
_CHAR_DROP = re.compile(r"[\W_]+", re.UNICODE)

# Multilinear n-gram hashing: h = (sum_j c_j * w_{i+j} + c_n) mod 2^64, keep the high 32 bits.
# Fixed odd 64-bit constants (from a seeded generator, never Python's randomised hash()).
_NGRAM_CONSTS = np.random.RandomState(0x5E6).randint(0, 1 << 62, size=100, dtype=np.int64).astype(
    _U64
) * _U64(2) + _U64(1)


def _line_pieces(text: str, piece: int) -> Iterator[str]:
    """``text`` cut after a line break every ``piece`` characters or so."""
    pos = 0
    while pos < len(text):
        cut = text.find("\n", pos + piece)
        cut = len(text) if cut < 0 else cut + 1
        yield text[pos:cut]
        pos = cut


def normalize(text: str) -> str:
    """Lowercase, unescape HTML entities and turn punctuation into spaces.

    Cheap on clean text: every step is a C-level string method. A long text is normalised a
    line-aligned piece at a time (no step crosses a line): ``str.lower`` of non-ASCII text and
    ``html.unescape`` need many times their input's size.
    """
    if len(text) > _TEXT_PIECE:
        return "".join(_normalize_piece(p) for p in _line_pieces(text, _TEXT_PIECE))
    return _normalize_piece(text)


def _normalize_piece(text: str) -> str:
    if "&" in text and ";" in text:
        text = html.unescape(text)
    text = text.lower()
    if not text.isascii():
        for ch in _UNICODE_PUNCT:
            if ch in text:
                text = text.replace(ch, " ")
    return text


def normalized_words(text: str) -> list[str]:
    """The words the word shingles are made of (for explanations; not the hot path)."""
    raw = normalize(text).encode("utf-8", "surrogatepass").translate(_BYTES_TABLE).split()
    return [w.decode("utf-8", "replace") for w in raw]


def _has_few_spaces(text: str) -> bool:
    """True for text written without spaces between words (Chinese, Japanese, Thai ...),
    judged on its first 400 characters."""
    n = min(len(text), 400)
    return n >= 8 and text.count(" ", 0, n) + text.count("\n", 0, n) < n // 20


def _combine(items: np.ndarray, size: int) -> np.ndarray:
    """32-bit hashes of every run of ``size`` consecutive uint32 ``items`` (text order).

    Fewer than ``size`` items give one hash of all of them (a short text is one shingle).
    Works in pieces of ``_PIECE`` n-grams, so a huge text needs little more than its output.
    """
    n = len(items)
    if n == 0:
        return np.empty(0, dtype=_U32)
    k = min(size, n)
    m = n - k + 1
    out = np.empty(m, dtype=_U32)
    step = min(_PIECE, m)
    x = np.empty(step + k - 1, dtype=_U64)
    acc = np.empty(step, dtype=_U64)
    term = np.empty(step, dtype=_U64)
    for a in range(0, m, step):
        w = min(step, m - a)
        x[: w + k - 1] = items[a : a + w + k - 1]
        acc[:w] = _NGRAM_CONSTS[k]  # the length is part of the hash
        for j in range(k):
            np.multiply(x[j : j + w], _NGRAM_CONSTS[j], out=term[:w])
            acc[:w] += term[:w]
        np.right_shift(acc[:w], _U64(32), out=acc[:w])
        out[a : a + w] = acc[:w]
    return out


def shingle_hashes(text: str, kind: str = "word", size: int = 5, char_size: int = 5) -> np.ndarray:
    """32-bit hashes of the shingles of ``text`` in text order (duplicates kept).

    ``kind="word"``: word ``size``-grams of the normalised text; text without spaces (CJK) falls
    back to character ``char_size``-grams (``char_size=0`` disables the fallback).
    ``kind="char"``: character ``size``-grams of the normalised text with punctuation and
    whitespace removed. A text shorter than one shingle is one shingle of all of it.
    """
    return shingle_batch([text], kind, size, char_size).hashes


def _char_shingles(text: str, size: int) -> np.ndarray:
    chars = _CHAR_DROP.sub("", normalize(text))
    return _combine(np.frombuffer(chars.encode("utf-32-le", "surrogatepass"), dtype=_U32), size)


@dataclass(frozen=True, slots=True)
class Lines:
    """The lines of a batch's texts (``shingle_batch(..., lines=True)``).

    Text ``i`` owns lines ``first[i]:first[i + 1]``. Per line: ``start``, the position (within
    its text's shingles) of the first shingle that starts on or after the line's start (a
    line with no word has the next line's start); ``begin`` / ``end``, its bytes in ``data``,
    the batch's normalised texts (:func:`normalize`: lowercased, punctuation kept, curly quotes
    and dashes as spaces) joined by spaces. Texts shingled by characters have one line."""

    first: np.ndarray  # int64, len = units + 1
    start: np.ndarray  # int64, one per line
    begin: np.ndarray  # int64, one per line
    end: np.ndarray  # int64, one per line
    data: bytes


@dataclass(frozen=True, slots=True)
class ShingleBatch:
    """The shingle hashes of a batch of texts, concatenated: unit ``i`` owns
    ``hashes[offsets[i]:offsets[i + 1]]`` (text order, duplicates kept)."""

    hashes: np.ndarray  # uint32
    offsets: np.ndarray  # int64, len = units + 1
    lines: Lines | None = None  # with ``shingle_batch(..., lines=True)``

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @staticmethod
    def of(parts: Sequence[np.ndarray]) -> ShingleBatch:
        """A batch whose unit ``i`` owns ``parts[i]`` (concatenated; uint32 when empty)."""
        offsets = np.zeros(len(parts) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in parts], out=offsets[1:])
        return ShingleBatch(np.concatenate(parts) if parts else np.empty(0, dtype=_U32), offsets)

    def counts(self) -> np.ndarray:
        """The number of shingles of each unit."""
        return np.diff(self.offsets)

    def unit(self, i: int) -> np.ndarray:
        """The shingle hashes of unit ``i``, in text order."""
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    def take(self, rows: Sequence[int]) -> ShingleBatch:
        """The batch of units ``rows`` only (in that order; their lines too, still pointing
        into the same normalised ``data``)."""
        sel = np.asarray(rows, dtype=np.int64)
        counts = self.counts()[sel]
        offsets = np.zeros(len(sel) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        hashes = self.hashes[ranges(self.offsets[:-1][sel], counts)]
        info = self.lines
        if info is not None:
            per = np.diff(info.first)[sel]
            first = np.zeros(len(sel) + 1, dtype=np.int64)
            np.cumsum(per, out=first[1:])
            at = ranges(info.first[:-1][sel], per)
            info = Lines(first, info.start[at], info.begin[at], info.end[at], info.data)
        return ShingleBatch(hashes, offsets, info)


_SPACE_LUT = np.zeros(256, dtype=bool)
_SPACE_LUT[list(b" \t\n\r\x0b\x0c")] = True  # what bytes.split() splits on
_SEP_LUT = _SPACE_LUT.copy()  # what separates words: spaces, and punctuation (_BYTES_TABLE)
_SEP_LUT[list(_ASCII_PUNCT)] = True
_POLY = _U64(0x100000001B3)  # odd, so invertible mod 2^64
_POLY_INV = _U64(pow(int(_POLY), -1, 1 << 64))
_pow_cache: dict[str, np.ndarray] = {}
_PIECE = 1 << 18  # bytes (words) per piece of the 64-bit hashing work
_TEXT_PIECE = 1 << 20  # characters per piece of normalize() on a long text


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``p**k`` and ``p**-k`` mod 2^64 for ``k < n`` (cached, grown by doubling)."""
    have = _pow_cache.get("p")
    if have is None or len(have) < n:
        # a piece is _PIECE bytes and the rest of a word: most never need more
        size = max(n, 2 * len(have) if have is not None else _PIECE + (1 << 16))
        _pow_cache.clear()
        for name, base in (("p", _POLY), ("q", _POLY_INV)):
            table = np.full(size, base, dtype=_U64)
            table[0] = 1
            _pow_cache[name] = np.cumprod(table, out=table)
    return _pow_cache["p"], _pow_cache["q"]


def _word_hashes(joined: bytes, *marks: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """32-bit hashes of the words of ``joined`` (words are separated by whitespace and ASCII
    punctuation, as in ``joined.translate(_BYTES_TABLE).split()``; ``joined`` ends with a
    separator) and, for each sorted int64 array of byte positions in ``marks``, the number of
    words that start before each position. Vectorised over the batch: a polynomial hash mod
    2^64 of each word's bytes from prefix sums, then a 64-bit finaliser. The bytes are hashed
    in pieces of about ``_PIECE`` bytes cut at a separator (a word's hash does not depend on
    where it sits), so the 64-bit work arrays stay small however long one text is, and no
    array of word positions is kept."""
    arr = np.frombuffer(joined, dtype=np.uint8)
    hashes: list[np.ndarray] = []
    before = [np.empty(len(m), dtype=np.int64) for m in marks]
    pos, total, words = 0, len(arr), 0
    while pos < total:
        cut = _piece_end(arr, pos)
        seg = arr[pos:cut]
        isword = ~_SEP_LUT[seg]
        edges = np.diff(isword.view(np.int8), prepend=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        for m, out in zip(marks, before, strict=True):
            lo, hi = np.searchsorted(m, (pos, cut))
            out[lo:hi] = np.searchsorted(starts, m[lo:hi] - pos) + words
        pw, inv = _powers(len(seg) + 1)
        prefix = np.zeros(len(seg) + 1, dtype=_U64)
        np.cumsum(seg.astype(_U64) * pw[: len(seg)], out=prefix[1:])
        h = (prefix[ends] - prefix[starts]) * inv[starts]
        h += (ends - starts).astype(_U64)
        h ^= h >> _U64(31)
        h *= _U64(0x9E3779B97F4A7C15)
        h ^= h >> _U64(29)
        hashes.append((h >> _U64(32)).astype(_U32))
        words += len(starts)
        pos = cut
    for m, out in zip(marks, before, strict=True):
        out[np.searchsorted(m, total) :] = words
    return _concatenated(hashes, _U32), before


def _concatenated(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    """``np.concatenate(parts)``, each part let go once copied (``parts`` is emptied): a long
    text's arrays are not held twice."""
    if len(parts) == 1:
        return parts.pop()
    out: np.ndarray = np.empty(sum(len(p) for p in parts), dtype=dtype)
    at = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        out[at : at + len(part)] = part
        at += len(part)
    return out


def _piece_end(arr: np.ndarray, pos: int) -> int:
    """The end of the piece of ``arr`` that starts at ``pos``: just after the first separator
    byte (whitespace or punctuation) at or past ``pos + _PIECE`` (the end of ``arr`` when there
    is none)."""
    end = pos + _PIECE
    window = 4096
    while end < len(arr):
        ws = np.flatnonzero(_SEP_LUT[arr[end : end + window]])
        if len(ws):
            return end + int(ws[0]) + 1
        end += window
        window *= 2
    return len(arr)


def byte_positions(arr: np.ndarray, value: int) -> np.ndarray:
    """The positions (int64) of the bytes equal to ``value`` in ``arr`` (uint8), looked for a
    piece at a time: a mask of a long text would be a byte a byte."""
    step = 4 * _PIECE
    found = [np.flatnonzero(arr[a : a + step] == value) + a for a in range(0, len(arr), step)]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _line_bounds(data: bytes, bounds: np.ndarray, sizes: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, begin, end)`` of the :class:`Lines` of a batch's joined normalised bytes
    (texts of ``sizes`` bytes starting at ``bounds[:-1]``, each followed by a space)."""
    n = len(sizes)
    newlines = byte_positions(np.frombuffer(data, dtype=np.uint8), 10)
    per = np.diff(np.searchsorted(newlines, bounds)) + 1
    first = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(per, out=first[1:])
    begin = np.sort(np.concatenate((bounds[:-1], newlines + 1)))
    end = np.sort(np.concatenate((newlines, bounds[:-1] + sizes)))
    return first, begin, end


def _lines(data: bytes, first: np.ndarray, begin: np.ndarray, end: np.ndarray,
           words_before: np.ndarray, nwords: np.ndarray, grams: np.ndarray,
           special: Collection[int]) -> Lines:
    """The :class:`Lines` of a batch (:func:`_line_bounds`; ``words_before``: the words of the
    batch that start before each line's ``begin``)."""
    n = len(nwords)
    text = np.repeat(np.arange(n), np.diff(first))
    wfirst = np.zeros(n, dtype=np.int64)
    np.cumsum(nwords[:-1], out=wfirst[1:])
    start = words_before - wfirst[text]
    start = np.clip(start, 0, grams[text])
    if special:
        start[np.isin(text, list(special))] = 0
    return Lines(first, start, begin, end, data)


def shingle_batch(
    texts: Sequence[str], kind: str = "word", size: int = 5, char_size: int = 5,
    lines: bool = False,
) -> ShingleBatch:
    """:func:`shingle_hashes` of every text, concatenated into one :class:`ShingleBatch`.

    For word shingles, word hashing and the n-gram combination run once over the whole batch
    (all texts concatenated), not once per text or per word. ``lines``: also give the texts'
    lines (:class:`Lines`, ``ShingleBatch.lines``).
    """
    n = len(texts)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if kind != "word" or n == 0:
        parts = [_char_shingles(t, size) for t in texts] if kind == "char" else []
        if kind not in ("word", "char"):
            raise ConfigError(f"shingle kind must be 'word' or 'char', got {kind!r}")
        batch = ShingleBatch.of(parts)
        info = None
        if lines:  # one line per text, and no text to look at
            one = np.arange(n + 1, dtype=np.int64)
            zero = np.zeros(n, dtype=np.int64)
            info = Lines(one, zero, zero, zero, b"")
        return ShingleBatch(batch.hashes.astype(_U32, copy=False), batch.offsets, info)
    special: dict[int, np.ndarray] = {}  # texts without spaces, or with fewer than `size` words
    blobs: list[bytes] = []  # normalised, punctuation not yet turned into spaces
    for i, text in enumerate(texts):
        if char_size and _has_few_spaces(text):
            special[i] = _char_shingles(text, char_size)
            blobs.append(b"")
        else:
            blobs.append(normalize(text).encode("utf-8", "surrogatepass"))
    sizes = np.fromiter((len(b) for b in blobs), dtype=np.int64, count=n)
    blobs.append(b"")  # the trailing space
    data = b" ".join(blobs)
    del blobs
    bounds = np.zeros(n + 1, dtype=np.int64)  # where each text starts in `data`, and its end
    np.cumsum(sizes + 1, out=bounds[1:])
    marks = [bounds]
    if lines:
        first, begin, end = _line_bounds(data, bounds, sizes)
        marks.append(begin)
    allw, before = _word_hashes(data, *marks)
    nwords = np.diff(before[0])
    short = np.flatnonzero((nwords > 0) & (nwords < size))
    if len(short):
        wstarts = np.concatenate([[0], np.cumsum(nwords)[:-1]])
        for i in short.tolist():
            special[i] = _combine(allw[wstarts[i] : wstarts[i] + nwords[i]], size)
    grams = np.maximum(nwords - size + 1, 0)
    for i, h in special.items():
        grams[i] = len(h)
    np.cumsum(grams, out=offsets[1:])
    info = _lines(data, first, begin, end, before[1], nwords, grams, special) if lines else None
    combined = _combine(allw, size) if len(allw) >= size else np.empty(0, dtype=_U32)
    del allw
    if not special:
        # Keep the n-grams that start at word j of a text with j <= nwords - size (a mask:
        # an index array would be 8 bytes an n-gram); one text alone has none to drop.
        ends = np.cumsum(nwords)
        cross = ranges(ends - nwords + grams, nwords - grams)
        cross = cross[cross < len(combined)]
        if len(cross) == 0:
            return ShingleBatch(combined, offsets, info)
        keep = np.ones(len(combined), dtype=bool)
        keep[cross] = False
        return ShingleBatch(combined[keep], offsets, info)
    hashes = np.empty(int(offsets[-1]), dtype=_U32)
    wstart = 0
    for i in range(n):
        lo, hi = offsets[i], offsets[i + 1]
        if i in special:
            hashes[lo:hi] = special[i]
        elif hi > lo:
            hashes[lo:hi] = combined[wstart : wstart + (hi - lo)]
        wstart += int(nwords[i])
    return ShingleBatch(hashes, offsets, info)


def ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(starts[i], starts[i] + lengths[i])`` for all ``i`` (int64)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.repeat(np.asarray(starts, dtype=np.int64) - ends + lengths, lengths) + np.arange(
        total)


def in_sorted(values: np.ndarray, sorted_: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is in the ascending array ``sorted_`` (a boolean mask): one
    binary search each (an array method: no numpy dispatch wrapper on a per-pair path)."""
    if not len(sorted_):
        return np.zeros(len(values), dtype=bool)
    pos = sorted_.searchsorted(values)
    pos[pos == len(sorted_)] = 0
    return sorted_[pos] == values


def unique_sorted(hashes: np.ndarray) -> np.ndarray:
    """The set of shingle hashes of one unit, as a sorted unique array: ``np.unique(hashes)``
    with one sorted copy and a mask as work space (``np.unique`` takes about 20 bytes a value
    on a long array)."""
    s = np.sort(hashes)
    if len(s) < 2:
        return s
    keep = np.empty(len(s), dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the affine32 permutations."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


class Signer:
    """Batched ``affine32`` MinHash with datasketch's permutations for ``(num_perm, seed)``.

    ``chunk`` bounds the ``(shingles, num_perm)`` work matrix (``chunk * num_perm * 4`` bytes).
    """

    def __init__(self, num_perm: int = 128, seed: int = 1, chunk: int = 1 << 14) -> None:
        if not 1 <= num_perm <= 4096:
            raise ConfigError(f"num_perm must be between 1 and 4096, got {num_perm}")
        self.num_perm = num_perm
        self.seed = seed
        self.chunk = max(1, chunk)
        # The same draws as datasketch.MinHash._init_permutations for scheme "affine32".
        gen = np.random.RandomState(seed)
        a = gen.randint(0, 1 << 31, num_perm, dtype=_U32) * _U32(2) + _U32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=_U32)
        self.a: np.ndarray = a.astype(_U32)
        self.b: np.ndarray = b.astype(_U32)

    @property
    def permutations(self) -> np.ndarray:
        """``[a, b]`` as datasketch stores them (``MinHash(...).permutations``)."""
        return np.array([self.a, self.b])

    def permuted(self, hashes: np.ndarray) -> np.ndarray:
        """Every permutation of every shingle hash: a ``(num_perm, len(hashes))`` uint32 array
        whose row minima are the signature (for estimates against stored signatures)."""
        phv = np.multiply.outer(self.a, _fmix32(np.asarray(hashes, dtype=_U32)))
        phv += self.b[:, None]
        return phv

    def sign(self, batch: ShingleBatch, head: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
        """Signatures of every unit: ``(full, head_sigs)``, each ``(units, num_perm)`` uint32.

        ``head_sigs[i]`` is the MinHash of the first ``head`` shingles of unit ``i`` (its full
        signature when it has no more than ``head``); ``None`` when ``head`` is 0. A unit without
        shingles gets the empty signature (all ``2**32 - 1``), as datasketch does.
        """
        n = len(batch)
        full = np.full((n, self.num_perm), _MAX32, dtype=_U32)
        heads = np.full((n, self.num_perm), _MAX32, dtype=_U32) if head > 0 else None
        counts = batch.counts()
        start = 0
        while start < n:
            # Take units until the chunk of shingles is full (at least one unit).
            base = batch.offsets[start]
            stop = int(np.searchsorted(batch.offsets, base + self.chunk, side="right")) - 1
            stop = min(max(stop, start + 1), n)
            if stop == start + 1 and counts[start] > self.chunk:
                self._sign_long(batch, start, head, full, heads)
            else:
                self._sign_range(batch, counts, start, stop, head, full, heads)
            start = stop
        return full, heads

    def _min_hashes(self, hashes: np.ndarray) -> np.ndarray:
        """The MinHash of ``hashes``, ``chunk`` shingles at a time (bounded work matrix)."""
        acc = np.full(self.num_perm, _MAX32, dtype=_U32)
        for a in range(0, len(hashes), self.chunk):
            phv = np.multiply.outer(self.a, _fmix32(hashes[a : a + self.chunk]))
            phv += self.b[:, None]
            np.minimum(acc, phv.min(axis=1), out=acc)
        return acc

    def _sign_long(
        self, batch: ShingleBatch, i: int, head: int, full: np.ndarray, heads: np.ndarray | None
    ) -> None:
        """One unit with more than ``chunk`` shingles, signed piece by piece."""
        hashes = batch.unit(i)
        if heads is None:
            full[i] = self._min_hashes(hashes)
            return
        first = self._min_hashes(hashes[:head])
        heads[i] = first
        full[i] = np.minimum(first, self._min_hashes(hashes[head:]))

    def _sign_range(
        self,
        batch: ShingleBatch,
        counts: np.ndarray,
        start: int,
        stop: int,
        head: int,
        full: np.ndarray,
        heads: np.ndarray | None,
    ) -> None:
        lo, hi = int(batch.offsets[start]), int(batch.offsets[stop])
        if hi == lo:
            return
        h = _fmix32(batch.hashes[lo:hi])
        # (num_perm, shingles): reducing along the contiguous axis is ~15x faster than along
        # axis 0 of the transposed layout. uint32 arithmetic wraps, which is the mod 2^32.
        phv = np.multiply.outer(self.a, h)
        phv += self.b[:, None]
        units = np.arange(start, stop)[counts[start:stop] > 0]
        begins = batch.offsets[units] - lo
        if heads is None:
            full[units] = np.minimum.reduceat(phv, begins, axis=1).T
            return
        # Segments [begin, begin + head) and [begin + head, end): the first is the head
        # signature, the minimum of both the full one. Units no longer than `head` have an
        # empty second segment, whose reduceat column is garbage and is ignored.
        cnt = counts[units]
        mids = begins + np.minimum(cnt, head)
        idx = np.empty(2 * len(units), dtype=np.int64)
        idx[0::2] = begins
        idx[1::2] = mids
        if idx[-1] >= hi - lo:  # the last unit has no second segment: leave its index out
            red = np.minimum.reduceat(phv, idx[:-1], axis=1)
            red = np.concatenate([red, red[:, -1:]], axis=1)
        else:
            red = np.minimum.reduceat(phv, idx, axis=1)
        first, second = red[:, 0::2].T, red[:, 1::2].T
        long_ = (cnt > head)[:, None]
        heads[units] = first
        full[units] = np.where(long_, np.minimum(first, second), first)


def signatures(
    texts: Sequence[str], num_perm: int = 128, seed: int = 1, shingle: str = "word:5"
) -> np.ndarray:
    """Full ``affine32`` MinHash signatures of ``texts``, a ``(len(texts), num_perm)`` uint32
    array."""
    kind, _, size = shingle.partition(":")
    batch = shingle_batch(texts, kind, int(size or 5))
    full, _ = Signer(num_perm, seed).sign(batch)
    return full


def to_lean_minhash(signature: np.ndarray, seed: int = 1) -> object:
    """Wrap one signature row as a ``datasketch.LeanMinHash`` (scheme ``affine32``)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature, scheme=SCHEME)
