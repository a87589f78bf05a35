"""Where two units share text, and whether the shorter one is a copy: the shared-block rule.

A candidate pair (from :mod:`segmenter.blockindex`, or the LSH tables) is compared on its exact
shingles *in text order*: every shingle of the shorter unit is marked shared or not, and the
marks are cut into **blocks**: runs of shared shingles, bridging gaps of at most ``gap``
unshared ones (one edited word breaks five 5-gram shingles), that hold at least ``min_block``
shared shingles (about a sentence). The shorter unit is a **copy** when its blocks cover at
least ``copy_share`` of its shingles: the copied block is most of its story content, even when
an own lede, inserted local paragraphs or appended background surround it.

Why blocks and not the set containment alone: template-alike stories (the Treasury's daily
balance, the Bank of England's money-market notes) share up to 48% of their 5-gram shingles
with each other, in short runs cut by the figures that differ; a reused block is a long run.
Pairs that share only one or two background paragraphs or press-release sentences (``partial``)
cover at most 31% of the shorter text. On ``dedup-reuse`` and ``dedup-dev`` (see
``bench/eval_reuse.py``) the rule at ``copy_share=0.44`` keeps 97% of the contained pairs with a
constructed share >= 0.5 and 99.5% of those >= 0.7, and accepts no partial or hard-negative pair.

:func:`char_spans` turns block positions into character offsets of the texts (``--explain``);
:class:`Containers` keeps, per container, the regions its copies came from, so a roundup that
holds two stories does not merge them; :func:`estimate_block` judges a unit of an earlier run
(only its 16-bit signature is stored) against a unit of this run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from .errors import ConfigError
from .fingerprint import Lines, ShingleBatch, byte_positions, in_sorted, normalize

__all__ = [
    "BlockRule",
    "BlockEstimate",
    "Containers",
    "SharedBlock",
    "blocks",
    "char_spans",
    "early_reason",
    "early_reasons",
    "estimate_block",
    "judge_estimate",
    "line_maps",
    "locate",
    "prose_flags",
    "prose_lines",
    "rejected_early",
    "story_size",
    "word_spans",
]

Span = tuple[int, int]
_ONE = np.uint32(1)


@dataclass(frozen=True, slots=True)
class BlockRule:
    """When a shared block makes the shorter unit a copy (see the module docstring)."""

    gap: int = 5
    min_block: int = 12
    copy_share: float = 0.44  # of the shorter unit's story (prose) shingles
    full_share: float = 0.7  # of all its shingles: a copy whatever its lines are (a teaser)
    min_paragraphs: int = 2  # lines of the shorter unit a partial-coverage block must span
    # Of the shorter unit's prose paragraphs (lines with shingles), the share that the blocks
    # must cover for the most part: one long shared paragraph is not most of a story.
    paragraph_share: float = 0.34
    min_shingles: int = 8
    # The shingles that cross a line break (the shingle size - 1; 0: no such check): two of the
    # lines a partial-coverage copy shares must follow each other in the other text too.
    junction: int = 4

    def __post_init__(self) -> None:
        if self.gap < 0:
            raise ConfigError(f"gap must be >= 0, got {self.gap}")
        if self.min_block < 1:
            raise ConfigError(f"min_block must be >= 1, got {self.min_block}")
        for name in ("copy_share", "full_share", "paragraph_share"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be in (0.0, 1.0], got {getattr(self, name)}")
        if self.min_shingles < 1:
            raise ConfigError(f"min_shingles must be >= 1, got {self.min_shingles}")
        if self.junction < 0:
            raise ConfigError(f"junction must be >= 0, got {self.junction}")


@dataclass(frozen=True, slots=True)
class SharedBlock:
    """The shared text of two units ``a`` and ``b`` and the verdict on it.

    ``shorter`` is ``"a"`` or ``"b"`` (fewer shingles; ``a`` on a tie); ``shared`` counts the
    shorter unit's shingles inside its blocks and ``coverage`` is their share of all of its
    shingles. ``spans_a`` / ``spans_b``: the blocks as ``[start, end)`` shingle positions in
    each unit, in text order. ``reason``: ``block_copy`` (a copy), ``block_small`` (blocks
    cover less than ``copy_share``), ``no_junction`` (they cover enough, but no line break of
    the shorter unit is shared: paragraphs from a common stock), ``out_of_order`` (the shared
    paragraphs in the other's order cover too little), ``no_block`` (shared shingles only in
    short runs: a template) or ``too_short`` (the shorter unit has fewer than ``min_shingles``).
    """

    shorter: str
    shared: int
    coverage: float
    spans_a: tuple[Span, ...]
    spans_b: tuple[Span, ...]
    reason: str
    story_coverage: float | None = None  # the share of the shorter unit's prose shingles

    @property
    def is_copy(self) -> bool:
        return self.reason in ("block_copy", "story_copy")

    def region(self, side: str) -> Span | None:
        """First to last block position in unit ``side`` (``"a"`` or ``"b"``)."""
        spans = self.spans_a if side == "a" else self.spans_b
        return (spans[0][0], spans[-1][1]) if spans else None


def blocks(shared: np.ndarray, gap: int, min_block: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Blocks of a boolean mask in text order: ``(starts, ends, covered)``. A block is a run of
    True bridging gaps of at most ``gap`` False, with at least ``min_block`` True; ``covered``
    counts the True positions inside blocks."""
    s, e, covered, _ = _blocks_at(shared.nonzero()[0], gap, min_block)
    return s, e, covered


def _blocks_at(at: np.ndarray, gap: int,
               min_block: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """:func:`blocks` of the mask whose True positions are ``at`` (ascending), and those of
    them inside the blocks. Two True positions more than ``gap + 1`` apart start a new block;
    a block's weight is the number of its positions."""
    if not len(at):
        return at, at, 0, at
    cut = (np.diff(at) > gap + 1).nonzero()[0]  # the last position of every block but one
    first = np.empty(len(cut) + 1, dtype=np.int64)
    first[0] = 0
    first[1:] = cut + 1
    last = np.empty(len(cut) + 1, dtype=np.int64)
    last[:-1] = cut
    last[-1] = len(at) - 1
    weight = last - first + 1
    keep = weight >= min_block
    if keep.all():
        return at[first], at[last] + 1, len(at), at
    return at[first[keep]], at[last[keep]] + 1, int(weight[keep].sum()), \
        at[np.repeat(keep, weight)]


def _spans(starts: np.ndarray, ends: np.ndarray) -> tuple[Span, ...]:
    return tuple(zip(starts.tolist(), ends.tolist(), strict=True))


def story_size(lines: np.ndarray, n: int) -> int:
    """Shingles of a unit (``n`` of them) that start in a prose line (from its line map)."""
    return int(lines[0]) if len(lines) else n


def _region(
    long_: np.ndarray, short: np.ndarray, s: np.ndarray, e: np.ndarray
) -> tuple[Span, ...]:
    """The region of the longer unit that blocks ``[s, e)`` of the shorter came from: from the
    first to the last place of the blocks' first and last shingles (wherever they occur)."""
    at = np.flatnonzero((long_ == short[s[0]]) | (long_ == short[e[-1] - 1]))
    return ((int(at[0]), int(at[-1]) + 1),)


@overload
def _too_little(found: int, n: int, n_story: int, rule: BlockRule) -> bool: ...
@overload
def _too_little(found: np.ndarray, n: np.ndarray, n_story: np.ndarray, rule: BlockRule
                ) -> np.ndarray: ...
def _too_little(found: Any, n: Any, n_story: Any, rule: BlockRule) -> Any:
    """``found`` shared positions of the shorter unit (of ``n``, ``n_story`` of them story)
    cannot make it a copy; of one pair (ints), or of several at once (arrays, one value per
    pair)."""
    return (found < rule.full_share * n) & \
        ((found < rule.copy_share * n_story) | (n_story < rule.min_shingles))


def early_reasons(n: np.ndarray, n_story: np.ndarray, n_long_set: np.ndarray,
                  n_short_set: np.ndarray, shared: np.ndarray, rule: BlockRule) -> np.ndarray:
    """Where :func:`early_reason` gives a reason, for several pairs at once (its arguments as
    arrays, one value per pair)."""
    return (n < rule.min_shingles) | (n_long_set == 0) | \
        _too_little(shared + n - n_short_set, n, n_story, rule)


def early_reason(n: int, n_story: int, n_long_set: int, n_short_set: int | None,
                 shared: int | None, rule: BlockRule) -> str | None:
    """Why :func:`locate` rejects a pair from sizes alone, before it looks at any shingle
    (None: it has to look): the shorter unit (``n`` shingles, ``n_story`` of them story,
    ``n_short_set`` distinct) is ``too_short``, or it and the longer unit (``n_long_set``
    distinct shingles) share too few distinct shingles (``shared``) to make it a copy
    (``block_small``). Every reason holds for fewer ``shared`` too."""
    if n < rule.min_shingles or n_long_set == 0:
        return "too_short"
    # Shared positions are at most the shared distinct shingles plus the repeats.
    if shared is not None and n_short_set is not None and \
            _too_little(shared + n - n_short_set, n, n_story, rule):
        return "block_small"
    return None


def rejected_early(side: str, n: int, n_story: int, n_long_set: int, n_short_set: int | None,
                   shared: int | None, rule: BlockRule) -> SharedBlock | None:
    """:func:`early_reason` as :func:`locate` returns it (``side``: the shorter unit)."""
    reason = early_reason(n, n_story, n_long_set, n_short_set, shared, rule)
    if reason is None:
        return None
    if reason == "too_short":
        return SharedBlock(side, 0, 0.0, (), (), reason)
    assert shared is not None and n_short_set is not None
    return SharedBlock(side, 0, min((shared + n - n_short_set) / n, 1.0), (), (), reason)


def locate(
    seq_a: np.ndarray,
    seq_b: np.ndarray,
    rule: BlockRule | None = None,
    set_a: np.ndarray | None = None,
    set_b: np.ndarray | None = None,
    lines_a: np.ndarray | None = None,
    lines_b: np.ndarray | None = None,
    shared: int | None = None,
    detail: bool = False,
) -> SharedBlock:
    """Compare two units given their shingle hashes in text order (duplicates kept).

    ``set_a`` / ``set_b``: their sorted unique hashes, when the caller has them (saves a sort);
    ``lines_a`` / ``lines_b``: their line maps (:func:`line_maps`). Without them every shingle
    counts as story content and the partial-coverage rule cannot see paragraphs: a block then
    counts as spanning two. ``shared``: the number of distinct shingles the two units share,
    when the caller has it (:func:`segmenter.dedup.verify`): a pair that cannot be a copy is
    then rejected before any work. Spans are located only for a copy: in the shorter unit its
    blocks, in the longer one the region from the first to the last of them (``detail``: the
    longer unit's own blocks, for ``--explain``). A pair that shares too little to be a copy is
    rejected early, with ``coverage`` the share of the shorter unit's shingles found in the
    other (an upper bound of its block coverage)."""
    rule = rule or BlockRule()
    a_short = len(seq_a) <= len(seq_b)
    short, long_ = (seq_a, seq_b) if a_short else (seq_b, seq_a)
    lines = lines_a if a_short else lines_b
    long_set = set_b if a_short else set_a
    if long_set is None:
        long_set = np.unique(long_)
    side = "a" if a_short else "b"
    n = len(short)
    n_story = n if lines is None else story_size(lines, n)
    short_set = set_a if a_short else set_b
    early = rejected_early(side, n, n_story, len(long_set),
                           None if short_set is None else len(short_set), shared, rule)
    if early is not None:
        return early
    at = in_sorted(short, long_set).nonzero()[0]  # the shorter unit's shared positions
    found = len(at)
    if _too_little(found, n, n_story, rule):
        return SharedBlock(side, 0, found / n, (), (), "block_small")
    lined = None if lines is None else _Lines(lines, n)
    # Nearly all of the shorter unit is in the other (a teaser, an abridged or re-scraped
    # copy): a copy whatever its runs are, as the set containment rule has it, as long as its
    # lines come in the other's order (not paragraphs drawn in any order from a common stock).
    where: np.ndarray | None = None
    full = found >= rule.full_share * n
    if full and lined is not None:
        where = _first_at(short, long_)
        full = _in_order(*_placed(where, lined.number(at), at)[:2]) >= rule.full_share * n
    if full and not detail:
        s, e = at[:1], at[-1:] + 1
        region = _region(long_, short, s, e)
        spans = (_spans(s, e), region) if a_short else (region, _spans(s, e))
        return SharedBlock(side, found, found / n, spans[0], spans[1], "block_copy", None)
    s, e, covered, inside = _blocks_at(at, rule.gap, rule.min_block)  # inside: positions
    if not len(s):
        return SharedBlock(side, 0, 0.0, (), (), "no_block")
    coverage = covered / n
    story: float | None = None
    if coverage >= rule.full_share and full:
        reason = "block_copy"
    else:
        story, paragraphs = coverage, 2
        if lined is not None:
            number = lined.number(inside)
            prose = lined.prose(number)
            story = float(np.count_nonzero(prose) / n_story) if n_story else 0.0
            paragraphs = int(np.count_nonzero(number[1:] != number[:-1])) + 1
            if paragraphs >= rule.min_paragraphs and \
                    lined.paragraph_share(number[prose]) < rule.paragraph_share:
                paragraphs = 0  # the blocks cover too few of its paragraphs for the most part
        if story < rule.copy_share or paragraphs < rule.min_paragraphs:
            return SharedBlock(side, covered, coverage, (), (), "block_small", story)
        if lined is not None:
            where = _first_at(short, long_) if where is None else where
            _, _, first, last = _placed(where, number, inside)
            if rule.junction and not _joined(first, last, rule.gap + rule.junction + 1):
                # Paragraphs that are also in the other text, but none next to the one it
                # follows there: drawn from a common stock, not a copied block.
                return SharedBlock(side, covered, coverage, (), (), "no_junction", story)
            weight, place, _, _ = _placed(where, number[prose], inside[prose])
            if _in_order(weight, place) < rule.copy_share * n_story:
                # Enough paragraphs are shared, but not in the other text's order: a copy
                # keeps the order of what it copies; stories drawing on a common stock do not.
                return SharedBlock(side, covered, coverage, (), (), "out_of_order", story)
        reason = "story_copy"
    if detail:
        copied = np.unique(short[inside])
        ls, le, _ = blocks(in_sorted(long_, copied), rule.gap, rule.min_block)
        long_spans: tuple[Span, ...] = _spans(ls, le)
    else:
        long_spans = _region(long_, short, s, e)
    spans = (_spans(s, e), long_spans) if a_short else (long_spans, _spans(s, e))
    return SharedBlock(side, covered, coverage, spans[0], spans[1], reason, story)


# A teaser's kicker: capitals (any script), digits and a few signs, then a colon.
_KICKER = re.compile(r"[^\W\d_a-z][^\W_a-z]*(?:[ '\u2019&/.,-]+[^\W_a-z]+)*: ")
_LEDE_BYTES = 120
_TERMINAL = frozenset(".!?\"'")
_BLANKS = " \t\r\x0b\x0c"
_TERMINAL_BYTES = np.zeros(256, dtype=bool)
_TERMINAL_BYTES[list(b".!?\"'")] = True
_SPACE_BYTES = np.zeros(256, dtype=bool)
_SPACE_BYTES[list(_BLANKS.encode())] = True


def prose_lines(text: str) -> list[bool]:
    """Per line of ``text``: is it story prose? On the normalised line (:func:`normalize`, so
    curly quotes count as spaces): it ends with ``. ! ? " '`` but not ``...``, and the line does
    not open with a kicker (``MARKETS: ...``); or it is the first long line (120 UTF-8 bytes or
    more) cut off before any prose line of the text (a truncated lede). Headlines, bylines,
    credits, 'Read more' lines and teasers (cut off after the story, or under a kicker) are
    not. The reference for :func:`prose_flags`, which computes the same over a batch."""
    norm = normalize(text).split("\n")
    raw = text.split("\n")
    out = []
    seen = False  # a prose line came before
    for k, line in enumerate(norm):
        end = line.rstrip(_BLANKS)
        ok = end[-1:] in _TERMINAL and not end.endswith("...")
        kicker = ok and len(raw) == len(norm) and bool(_KICKER.match(raw[k]))
        ok = ok and not kicker
        if not ok and not kicker and not seen:
            ok = len(line.encode("utf-8", "surrogatepass")) >= _LEDE_BYTES  # a cut-off lede
        seen = seen or ok
        out.append(ok)
    return out


def prose_flags(lines: Lines, texts: Sequence[str]) -> np.ndarray:
    """:func:`prose_lines` of every line of a batch (``ShingleBatch.lines``; ``texts``: the
    batch's texts, read only for kickers), vectorised over its normalised bytes."""
    raw = np.frombuffer(lines.data or b" ", dtype=np.uint8)  # (not copied: it may be long)
    begin, end = lines.begin, lines.end
    last = end - 1  # the last byte before the line's trailing blanks
    while True:
        blank = (last >= begin) & _SPACE_BYTES[raw[np.maximum(last, 0)]]
        if not blank.any():
            break
        last = np.where(blank, last - 1, last)
    b = raw[np.maximum(last, 0)]
    ok = (last >= begin) & _TERMINAL_BYTES[b]
    dots = (last >= begin + 2) & (b == 0x2E)
    dots &= (raw[np.maximum(last - 1, 0)] == 0x2E) & (raw[np.maximum(last - 2, 0)] == 0x2E)
    ok &= ~dots
    # Kickers: only prose lines with ': ' are looked at, in the text itself (capitals).
    colon = byte_positions(raw, 0x3A)  # (no mask of a long text)
    after = np.minimum(colon + 1, len(raw) - 1)
    colon = colon[(raw[after] == 0x20) | (colon + 1 == len(raw))]  # the end reads as a space
    on = np.searchsorted(end, colon)
    inside = on < len(end)  # lines may cover only part of data (ShingleBatch.take)
    on = on[inside]
    on = on[lines.begin[on] <= colon[inside]]
    kicker = np.zeros(len(end), dtype=bool)
    split: dict[int, list[str]] = {}
    for i in np.unique(on[ok[on]]).tolist():
        t = int(np.searchsorted(lines.first, i, side="right")) - 1
        got = split.get(t)
        if got is None:
            got = split[t] = texts[t].split("\n")
        k = i - int(lines.first[t])
        if len(got) == lines.first[t + 1] - lines.first[t] and _KICKER.match(got[k]):
            kicker[i] = True
    ok &= ~kicker
    # The first long line cut off before any prose line of its text is a lede.
    per = np.diff(lines.first)
    text = np.repeat(np.arange(len(per)), per)
    seen = np.cumsum(ok) - ok  # prose lines before, over the whole batch
    before = seen - seen[lines.first[:-1]][text] if len(per) else seen
    cand = np.flatnonzero(~ok & ~kicker & ((end - begin) >= _LEDE_BYTES) & (before == 0))
    if len(cand):
        owner = text[cand]
        ok[cand[np.r_[True, owner[1:] != owner[:-1]]]] = True
    return np.asarray(ok, dtype=bool)


def line_maps(texts: Sequence[str], batch: ShingleBatch) -> list[np.ndarray]:
    """Per unit of a batch made with ``shingle_batch(..., lines=True)``, its lines as a compact
    uint32 array: first the number of its shingles that start in prose lines (its story size),
    then one value per line on which at least one shingle starts, ``position << 1 | prose``
    (the line's first shingle position, and :func:`prose_lines`' flag). What the deduplicator
    keeps per unit for :func:`locate` (4 bytes per line, plus 4)."""
    lines = batch.lines
    if lines is None:
        raise ConfigError("line_maps needs shingle_batch(..., lines=True)")
    n = len(texts)
    prose = prose_flags(lines, texts).astype(np.uint32)
    per = np.diff(lines.first)
    text = np.repeat(np.arange(n), per)
    nxt = np.append(lines.start[1:], 0)
    nxt[lines.first[1:][per > 0] - 1] = batch.counts()[per > 0]  # a text's last line
    size = nxt - lines.start
    story = np.bincount(text, weights=size * prose, minlength=n).astype(np.uint32)
    kept = np.flatnonzero(size > 0)
    out = np.empty(len(kept) + n, dtype=np.uint32)
    head = np.searchsorted(text[kept], np.arange(n)) + np.arange(n)  # each unit's header
    body = np.ones(len(out), dtype=bool)
    body[head] = False
    out[head] = story
    out[body] = (lines.start[kept].astype(np.uint32) << np.uint32(1)) | prose[kept]
    cut = np.append(head, len(out)).tolist()
    return [out[cut[i] : cut[i + 1]] for i in range(n)]


class _Lines:
    """A unit's line map (:func:`line_maps`) read at some of its shingle positions: line ``k``
    holds the positions from its start to the next line's (line 0 from 0), as an array per
    shingle would have them, without making one."""

    __slots__ = ("_flags", "_next", "_n")

    def __init__(self, lines: np.ndarray, n: int) -> None:
        body = lines[1:]
        self._flags = (body & _ONE).astype(bool)  # prose, by line
        self._next = (body[1:] >> _ONE).astype(np.int64)  # the starts of lines 1, 2, ...
        self._n = n

    def number(self, at: np.ndarray) -> np.ndarray:
        """The line of each of the positions ``at``."""
        return self._next.searchsorted(at, side="right")

    def prose(self, number: np.ndarray) -> np.ndarray:
        """Whether each of these lines (:meth:`number`) is prose (all are, without lines)."""
        return self._flags[number] if len(self._flags) else np.ones(len(number), dtype=bool)

    def paragraph_share(self, inside: np.ndarray) -> float:
        """The share of the prose paragraphs (lines with prose shingles) whose shingles are at
        least half inside the blocks (``inside``: the lines of the prose positions there)."""
        bounds = np.empty(len(self._next) + 2, dtype=np.int64)
        bounds[0], bounds[-1] = 0, self._n
        bounds[1:-1] = self._next
        total = np.diff(bounds)  # positions by line
        if len(self._flags):
            total[~self._flags] = 0
        has = total > 0
        lines = np.count_nonzero(has)
        if not lines:
            return 1.0
        hit = np.bincount(inside, minlength=len(total))
        return float(np.count_nonzero(hit[has] * 2 >= total[has]) / lines)


def _first_at(short: np.ndarray, long_: np.ndarray) -> np.ndarray:
    """For every position of the shorter unit, the first position of its shingle in the longer
    one (meaningless where it does not occur there). One sort of (value, position) keys, not
    a stable argsort (several times slower): the first key of a value has its first place."""
    u64 = np.uint64
    keys = (long_.astype(u64) << u64(32)) | np.arange(len(long_), dtype=u64)
    keys.sort()
    at = keys.searchsorted(short.astype(u64) << u64(32))
    return (keys[np.minimum(at, len(keys) - 1)] & u64(0xFFFFFFFF)).astype(np.int64)


def _placed(where: np.ndarray, line: np.ndarray,
            at: np.ndarray) -> tuple[list[int], list[int], np.ndarray, np.ndarray]:
    """Where the shorter unit's lines with shared positions ``at`` (ascending; ``line``: the
    line of each) lie in the longer unit (``where``: :func:`_first_at`): per such line in
    text order, its shared positions, the (lower) median of their places in the longer unit,
    and the places of its first and of its last shared position."""
    where = where[at]
    if not len(at):
        return [], [], where, where
    starts = (line[1:] != line[:-1]).nonzero()[0] + 1
    bounds = np.empty(len(starts) + 2, dtype=np.int64)  # where each line's positions start
    bounds[0], bounds[-1] = 0, len(at)
    bounds[1:-1] = starts
    size = bounds[1:] - bounds[:-1]
    cut = bounds[:-1]
    # the places sorted within each line (lines ascend): one sort of (line, place) keys
    by_line = (line << 32) | where
    by_line.sort()
    by_line &= 0xFFFFFFFF
    middle = by_line[cut + (size - 1) // 2]
    return size.tolist(), middle.tolist(), where[cut], where[cut + size - 1]


def _joined(first: np.ndarray, last: np.ndarray, reach: int) -> bool:
    """Whether two consecutive lines with shared positions (:func:`_placed`: ``first`` and
    ``last`` occurrences in the longer unit) follow each other there too: the next line's
    first shared shingle at most ``reach`` positions after this line's last one (the shingles
    across the break, and an edited word)."""
    step = first[1:] - last[:-1]
    return bool(np.any((step > 0) & (step <= reach)))


def _in_order(weight: list[int], place: list[int]) -> int:
    """The most shared positions of lines (:func:`_placed`) that come in the longer unit's
    order: the heaviest chain of lines whose places increase. A Fenwick tree of prefix maxima
    over the places' ranks: O(L log L) in the lines L (a huge page has 100k of them)."""
    if all(p < q for p, q in zip(place, place[1:], strict=False)):  # (all lines in order)
        return sum(weight)
    rank = {p: r for r, p in enumerate(sorted(set(place)), start=1)}
    size = len(rank)
    tree = [0] * (size + 1)  # tree[i]: the heaviest chain ending at a rank in i's range
    heaviest = 0
    for p, w in zip(place, weight, strict=True):
        i, before = rank[p] - 1, 0
        while i:  # the heaviest chain ending at a smaller place
            before = max(before, tree[i])
            i &= i - 1
        value = before + w
        heaviest = max(heaviest, value)
        i = rank[p]
        while i <= size:
            if tree[i] < value:
                tree[i] = value
            i += i & -i
    return heaviest


# --------------------------------------------------------------------------- explain offsets
_SPLIT = re.compile("[^ \t\n\r\x0b\x0c" + re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~") + "]+")


def word_spans(text: str) -> list[Span]:
    """Character ``[start, end)`` of every word the word shingles are made of, in order.

    Exact when normalising keeps the text's length (no HTML entity, no character whose lower
    case is longer): then word ``i`` is ``normalized_words(text)[i]``. Otherwise the words are
    cut from the text itself, which may split an entity differently (explanations only)."""
    norm = normalize(text)
    if len(norm) != len(text):
        norm = text.lower() if len(text.lower()) == len(text) else text
    return [(m.start(), m.end()) for m in _SPLIT.finditer(norm)]


def char_spans(text: str, spans: tuple[Span, ...], size: int = 5) -> list[Span]:
    """Shingle-position blocks of a word-shingled ``text`` as character offsets into it: block
    ``[s, e)`` covers words ``s`` to ``e + size - 2``."""
    words = word_spans(text)
    if not words:
        return []
    out = []
    last = len(words) - 1
    for s, e in spans:
        lo = min(s, last)
        hi = min(max(e + size - 2, lo), last)
        out.append((words[lo][0], words[hi][1]))
    return out


# --------------------------------------------------------------------------- containers
class Containers:
    """The regions of each unit that the copies linked to it came from, and the region of each
    partial copy that it copied.

    A container merges with the copies of one story. A copy whose block lies in a region of the
    container that overlaps none of the regions already linked is another story of a roundup:
    :meth:`link` returns ``False`` and the caller records the link (``also_contains``) without
    merging the two clusters. Two stories glued in a roundup share no shingle position (the
    shingles across their junction belong to neither), while two copies of one article (a
    prefix and a quoted middle) usually overlap somewhere.

    A copy is a unit's story too: the copied block is where its story lies, and a unit that
    holds text of another story (its own lede, a paragraph of background) is a container of
    that text. So the same guard runs on both sides of a link: a unit whose copied block
    overlaps none of the regions its own copies came from (or whose copies come from apart
    from its copied block) is not merged either. A unit that shares one block with a story
    and another block with a third unit does not chain the two into one cluster. Regions are
    shingle positions in the unit they belong to.
    """

    def __init__(self) -> None:
        self._regions: dict[int, list[Span]] = {}

    def regions(self, unit: int) -> list[Span]:
        """The spans of ``unit`` that links admitted so far were found in."""
        return list(self._regions.get(unit, ()))

    def fits(self, unit: int, region: Span | None) -> bool:
        """Whether ``region`` of ``unit`` belongs to its story: its first region, or one
        overlapping a region linked before; ``None`` (not known) always does."""
        have = self._regions.get(unit)
        return region is None or not have or any(_overlaps(region, r) for r in have)

    def admit(self, unit: int, region: Span | None) -> bool:
        """:meth:`fits`, and record the region when it does (``None`` is not recorded)."""
        if not self.fits(unit, region):
            return False
        if region is not None:
            self._regions.setdefault(unit, []).append(region)
        return True

    def link(self, copy: int, copied: Span | None, container: int, region: Span | None) -> bool:
        """A containment link: ``copy``'s block ``copied`` (its own positions) came from
        ``region`` of ``container``. ``True`` (both recorded) when each region belongs to its
        unit's story; else nothing is recorded."""
        if not (self.fits(container, region) and self.fits(copy, copied)):
            return False
        self.admit(container, region)
        self.admit(copy, copied)
        return True


def _overlaps(x: Span, y: Span) -> bool:
    return min(x[1], y[1]) > max(x[0], y[0])


# --------------------------------------------------------------------------- earlier runs
@dataclass(frozen=True, slots=True)
class BlockEstimate:
    """A unit of this run against a stored unit of an earlier run (16-bit signature only).

    ``shared``: estimated shingles in common; ``coverage_low``: the estimated share of the
    smaller unit's shingles that are shared, minus ``z`` standard deviations of the sampling
    noise; ``span``: first to last shingle position of this run's unit where the stored unit's
    sampled minima were found (the shared block, located in the new text; the stored text is
    not kept, so its side has no offsets); ``dense``: whether those positions are as close
    together as a contiguous block would put them."""

    shared: float
    coverage: float
    coverage_low: float
    span: Span | None
    dense: bool


def estimate_block(
    seq: np.ndarray,
    permuted16: np.ndarray,
    stored_sig16: np.ndarray,
    stored_shingles: int,
    z: float = 1.0,
) -> BlockEstimate:
    """Estimate the shared block of a new unit (``seq``: its shingle hashes in text order) and a
    stored unit (``stored_sig16``: the low 16 bits of its MinHash signature, ``num_perm``
    values; ``stored_shingles``: its set size). ``permuted16``: the low 16 bits of the new
    unit's permuted shingles in text order, ``(Signer.permuted(seq) & 0xFFFF)`` as uint16.

    The stored unit's minimum under permutation ``j`` is one of its shingles drawn uniformly;
    it lies in the new unit with probability ``|A & B| / |B|``, wherever the shared block sits,
    and where it lies gives a sampled position of the block in the new unit. A 16-bit value
    also matches by chance with probability ``1 - (1 - 2**-16) ** len(seq)``, which is
    subtracted."""
    k = len(stored_sig16)
    n_a = int(len(np.unique(seq)))
    n_b = int(stored_shingles)
    if n_a == 0 or n_b == 0 or k == 0:
        return BlockEstimate(0.0, 0.0, 0.0, None, False)
    match = permuted16 == stored_sig16[:, None]  # (num_perm, positions)
    found = match.any(axis=1)
    hits = float(found.mean())
    q = 1.0 - (1.0 - 2.0**-16) ** n_a
    frac = max(0.0, (hits - q) / (1.0 - q))  # ~ |A & B| / |B|
    shared = min(frac * n_b, float(n_a), float(n_b))
    small = min(n_a, n_b)
    noise = math.sqrt(max(frac * (1.0 - frac), 1.0 / k) / k) * n_b / small
    coverage = shared / small
    span: Span | None = None
    dense = False
    if found.any():
        where = np.sort(match[found].argmax(axis=1))
        # Chance matches and stray shared shingles: leave out a tenth at each end.
        lo, hi = int(where[len(where) // 10]), int(where[-1 - len(where) // 10])
        span = (lo, hi + 1)
        dense = (hi + 1 - lo) <= 1.5 * shared + 2 * len(seq) / max(len(where), 1)
        if dense and n_a <= n_b:
            # The new unit is the smaller: its block cannot hold more shingles than the
            # positions it spans (the middle 80% of the hits, so about 1.25 times that).
            coverage = min(coverage, 1.25 * (hi + 1 - lo) / small)
    return BlockEstimate(shared, coverage, coverage - z * noise, span, dense)


def judge_estimate(est: BlockEstimate, rule: BlockRule | None = None, margin: float = 0.1) -> str:
    """The verdict on an estimate (:func:`estimate_block`), as a reason name.

    ``block_copy``: the smaller unit is nearly all shared (``coverage_low`` at least
    ``full_share - margin``, the rule today's prefix estimate uses); ``story_copy``: a
    contiguous (``dense``) block covers at least ``copy_share + margin`` of it. The stored side
    has no lines, so the story and paragraph checks of :func:`locate` cannot run: the margin
    stands in for them. Otherwise ``block_small``."""
    rule = rule or BlockRule()
    if est.coverage_low >= rule.full_share - margin:
        return "block_copy"
    if est.dense and est.coverage_low >= rule.copy_share + margin:
        return "story_copy"
    return "block_small"
