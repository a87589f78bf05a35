"""The content words of many ASCII pages at once, as exact integer keys (numpy, by chunks).

Word cohesion compares the sets of content words of lines (``features._vocab``: maximal runs of
4+ ASCII letters, lower-cased, minus ``STOP_WORDS``). Found line by line, each word is a new
string made by ``re.findall`` and hashed into a set: about 4 us of a line's ~12. Here a batch of
pages is read as one byte array, and each word becomes its :func:`word_key`: the letters of a
word of at most ``KEY_LETTERS`` letters packed 5 bits each into an int (exact: no two words
share a key), longer words (~1% of them) the lower-cased word itself. The splitter only counts
set sizes and intersections, and within a page every line uses the same kind of key, so its
decisions are those of the string sets (tests compare the two on random pages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by page_words: the splitter alone loads no numpy
    import numpy as np

__all__ = ["KEY_LETTERS", "STOP_WORDS", "PageWords", "page_words", "word_key"]

# Generic English function words: never evidence of a shared topic.
STOP_WORDS = frozenset(
    """that this with from have were said will would there their they been which when what about
    after also into more than other some could over only such then them these those while where
    being because before under since between during against among very just says told year years
    last first your here most many much even well back made make like does doing done each both
    either same should must might shall upon whom whose just still through across around until
    again once ever every week weeks month months today yesterday tomorrow monday tuesday
    wednesday thursday friday saturday sunday percent people time times says according added
    going because however although though without within""".split()
)

KEY_LETTERS = 12  # 12 letters of 5 bits fit an int64 (60 bits)
# Longer texts are left to ``line_features`` (above ``features.COMPACT_TEXT`` = this, it keeps
# a long text's words compactly; a key list costs ~40 bytes a word).
MAX_CHARS = 1 << 22
# Texts are read this many characters at a time: the arrays of a larger chunk leave the CPU's
# cache, and above glibc's 128 KiB mmap threshold they are mapped and faulted in afresh each
# time (at 128K characters a chunk: 70k page faults and +0.25 s of system time on 30k pages)
_CHUNK = 1 << 15
# ASCII letters (either case) -> 1..26, every other byte -> 0 (one ``bytes.translate`` pass)
_LETTER_CODES = bytes(
    (b | 0x20) - 0x60 if 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A else 0 for b in range(256)
)


# a..z as the base-32 digits 1..26 ("1".."9", "a".."q")
_BASE32 = str.maketrans(dict(zip("abcdefghijklmnopqrstuvwxyz", "123456789abcdefghijklmnopq",
                                 strict=True)))


def word_key(word: str) -> int | str:
    """The key of one lower-case ASCII word: its letters as 1..26, 5 bits each, the first
    lowest (a word of at most ``KEY_LETTERS`` letters; no letter is 0, so the length is part
    of the key), else the word itself. (The base-32 number of its letters read backwards.)"""
    if len(word) > KEY_LETTERS:
        return word
    return int(word.translate(_BASE32)[::-1], 32)


_SLOTS = 14  # the stop-word table has 2**14 slots


@cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.uint64]:
    """The byte masks by length, and the stop words' keys in a table of ``2**_SLOTS`` slots
    indexed by the top bits of ``key * multiplier`` (a multiplier that puts no two stop words
    in one slot, found here: a key is a stop word when its slot holds it; 0 is no key)."""
    import numpy as np

    masks = np.array([(1 << (8 * k)) - 1 for k in range(9)], np.uint64)  # the first k bytes
    stop = [word_key(w) for w in STOP_WORDS]  # every stop word is short enough for an int
    assert max(map(len, STOP_WORDS)) < KEY_LETTERS  # (``_chunk_words`` relies on it)
    multiplier = 0x9E3779B97F4A7C15  # odd multipliers from the golden ratio's, until one fits
    while True:
        slots = [((int(k) * multiplier) % (1 << 64)) >> (64 - _SLOTS) for k in stop]
        if len(set(slots)) == len(slots):
            break
        multiplier = (multiplier + 0x632BE59BD9B4E019) % (1 << 64) | 1
    table = np.zeros(1 << _SLOTS, np.uint64)
    table[slots] = stop
    return masks, table, np.uint64(multiplier)


@dataclass(frozen=True, slots=True)
class PageWords:
    """The content-word keys of one page of a batch: its raw line ``r`` (0-based, counting
    blank lines, as ``line_features`` numbers them) has ``keys[bounds[first + r]:bounds[first +
    r + 1]]`` (in order, repeats kept), read from the whole line (``line_features`` reads only
    the first ``_COHESION_PREFIX`` characters of a longer line itself). ``keys`` and ``bounds``
    are the batch's, shared by its pages."""

    keys: list[int | str]
    bounds: list[int]
    first: int  # the batch's raw line number of the page's first line
    lines: int  # the page's raw lines (its "\n" + 1)


def _pack(codes: np.ndarray) -> np.ndarray:
    """Each uint64 of 8 letter codes (bytes of 5 bits) packed to 40 bits, byte ``j`` at bit
    ``5 * j``: pairs of bytes, then pairs of pairs, then the two halves."""
    import numpy as np

    x = (codes & np.uint64(0x001F001F001F001F)) | ((codes & np.uint64(0x1F001F001F001F00)) >>
                                                    np.uint64(3))
    x = (x & np.uint64(0x000003FF000003FF)) | ((x & np.uint64(0x03FF000003FF0000)) >> np.uint64(6))
    return (x & np.uint64(0xFFFFF)) | ((x >> np.uint64(12)) & np.uint64(0xFFFFF00000))


def page_words(texts: Sequence[str]) -> list[PageWords | None]:
    """:class:`PageWords` of each ASCII text of at most ``MAX_CHARS`` characters (``None``
    for the others: ``line_features`` finds their words itself), found a chunk of texts at once.
    """
    out: list[PageWords | None] = [None] * len(texts)
    chunk: list[int] = []
    size = 0
    for i, text in enumerate(texts):
        if len(text) > MAX_CHARS or not text.isascii():
            continue
        if chunk and size + len(text) > _CHUNK:
            _chunk_words(texts, chunk, out)
            chunk, size = [], 0
        chunk.append(i)
        size += len(text) + 1
    if chunk:
        _chunk_words(texts, chunk, out)
    return out


def _chunk_words(texts: Sequence[str], picked: list[int], out: list[PageWords | None]) -> None:
    """``out[i]`` for each text ``i`` of ``picked`` (ASCII texts), read as one byte array."""
    import numpy as np

    masks, stop_table, multiplier = _tables()
    joined = "\n".join([texts[i] for i in picked])
    raw = joined.encode("ascii")
    n = len(raw)
    # the letter codes, after one zero byte (so offset p + 1 is the text's p) and before 16 (every
    # run of letters ends, and the 8-byte reads below stay inside the buffer)
    codes = np.frombuffer(b"\0" + raw.translate(_LETTER_CODES) + bytes(16), np.uint8)
    letter = codes != 0
    m = len(letter)
    four = letter[: m - 3] & letter[1 : m - 2]  # four[p]: letters at p, p+1, p+2 and p+3
    four &= letter[2 : m - 1]
    four &= letter[3:]
    # a word starts at text offset q (code q + 1) after a non-letter, and ends before the
    # non-letter at code q + 4 (text offset q + 3) after four letters
    starts = np.flatnonzero(four[1:] & ~letter[: m - 4])
    length = np.flatnonzero(four[: m - 4] & ~letter[4:]) + 3 - starts
    # the 8 codes from each word start, as one little-endian int (unaligned, overlapping
    # reads), the bytes after the word's end masked off
    wide = np.ndarray((n + 9,), np.dtype("<u8"), codes, 1, (1,))
    key = _pack(wide[starts] & masks[np.minimum(length, 8)])
    more = np.flatnonzero(length > 8)  # letters 9 to 12 at bits 40 to 59
    if len(more):
        rest = wide[starts[more] + 8] & masks[np.minimum(length[more] - 8, 4)]
        key[more] |= _pack(rest) << np.uint64(40)
    # (a longer word is no stop word: its key holds 12 letters, every stop word's fewer)
    long_words = np.flatnonzero(length > KEY_LETTERS)
    long_starts = starts[long_words]
    long_ends = long_starts + length[long_words]
    keep = stop_table[(key * multiplier) >> np.uint64(64 - _SLOTS)] != key
    starts, key = starts[keep], key[keep]
    keys: list[int | str] = key.tolist()
    if len(long_words):  # ~1% of words: the word itself
        at = np.searchsorted(starts, long_starts).tolist()
        for w, s, e in zip(at, long_starts.tolist(), long_ends.tolist(), strict=True):
            keys[w] = joined[s:e].lower()
    # where each raw line starts (pages are joined by one "\n"), and the words before it
    newlines = np.flatnonzero(np.frombuffer(raw, np.uint8) == 10)
    line_starts = np.concatenate((np.zeros(1, newlines.dtype), newlines + 1, [n + 1]))
    bounds = np.searchsorted(starts, line_starts).tolist()
    first = 0
    for i in picked:
        lines = texts[i].count("\n") + 1
        out[i] = PageWords(keys, bounds, first, lines)
        first += lines
