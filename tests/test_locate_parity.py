"""locate's index-based passes (shared positions, blocks, line numbers only where needed) give
what its per-shingle mask passes gave: the earlier implementation, kept here as the oracle."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter import containment as c
from segmenter.containment import BlockRule, SharedBlock, locate


def _mask_blocks(shared: np.ndarray, gap: int, min_block: int) -> tuple[np.ndarray, np.ndarray,
                                                                         int]:
    pad = np.zeros(len(shared) + 2, dtype=bool)
    pad[1:-1] = shared
    edge = (pad[1:] != pad[:-1]).nonzero()[0]
    s, e = edge[0::2], edge[1::2]
    if not len(s):
        return s, e, 0
    new = np.empty(len(s), dtype=bool)
    new[0] = True
    np.greater(s[1:] - e[:-1], gap, out=new[1:])
    first = new.nonzero()[0]
    last = np.empty(len(first), dtype=np.int64)
    last[:-1] = first[1:] - 1
    last[-1] = len(s) - 1
    run = np.cumsum(e - s)
    weight = run[last] - run[first] + (e[first] - s[first])
    keep = weight >= min_block
    return s[first[keep]], e[last[keep]], int(weight[keep].sum())


def _mask_inside(n: int, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    step = np.zeros(n + 1, dtype=np.int32)
    step[starts] = 1
    step[ends] -= 1
    return np.cumsum(step[:n]) > 0


def _per_shingle(lines: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    lines = lines[1:]
    starts = (lines >> np.uint32(1)).astype(np.int64)
    number = np.zeros(n, dtype=np.int64)
    number[starts[1:]] = 1
    number = np.cumsum(number)
    prose = (lines & np.uint32(1)).astype(bool)[number] if len(lines) else np.ones(n, bool)
    return number, prose


def _mask_paragraphs(number: np.ndarray, prose: np.ndarray, inside: np.ndarray) -> float:
    total = np.bincount(number[prose])
    if not len(total):
        return 1.0
    hit = np.bincount(number[prose & inside], minlength=len(total))
    has = total > 0
    return float(np.count_nonzero(hit[has] * 2 >= total[has]) / np.count_nonzero(has))


def _mask_placed(where: np.ndarray, number: np.ndarray, shared: np.ndarray
                 ) -> tuple[list[int], list[int], np.ndarray, np.ndarray]:
    at = shared.nonzero()[0]
    where = where[at]
    line = number[at]
    if not len(at):
        return [], [], where, where
    starts = (line[1:] != line[:-1]).nonzero()[0] + 1
    bounds = np.concatenate(([0], starts, [len(at)])).astype(np.int64)
    size = bounds[1:] - bounds[:-1]
    cut = bounds[:-1]
    middle = where[np.lexsort((where, line))][cut + (size - 1) // 2]
    return size.tolist(), middle.tolist(), where[cut], where[cut + size - 1]


def _chain(weight: list[int], place: list[int]) -> int:
    best: list[int] = []  # the heaviest chain ending at each line (O(L^2))
    for i, (p, w) in enumerate(zip(place, weight, strict=True)):
        best.append(w + max((best[j] for j in range(i) if place[j] < p), default=0))
    return max(best, default=0)


def mask_locate(seq_a: np.ndarray, seq_b: np.ndarray, rule: BlockRule,
                lines_a: np.ndarray | None, lines_b: np.ndarray | None,
                detail: bool) -> SharedBlock:
    """locate as it was before (masks of the shorter unit's length), without sets given."""
    a_short = len(seq_a) <= len(seq_b)
    short, long_ = (seq_a, seq_b) if a_short else (seq_b, seq_a)
    lines = lines_a if a_short else lines_b
    long_set = np.unique(long_)
    side = "a" if a_short else "b"
    n = len(short)
    n_story = n if lines is None else c.story_size(lines, n)
    early = c.rejected_early(side, n, n_story, len(long_set), None, None, rule)
    if early is not None:
        return early
    mask = np.isin(short, long_set)
    found = int(np.count_nonzero(mask))
    if c._too_little(found, n, n_story, rule):
        return SharedBlock(side, 0, found / n, (), (), "block_small")
    where = None
    full = found >= rule.full_share * n
    if full and lines is not None:
        where = c._first_at(short, long_)
        full = _chain(*_mask_placed(where, _per_shingle(lines, n)[0], mask)[:2]) \
            >= rule.full_share * n
    if full and not detail:
        at = np.flatnonzero(mask)
        s, e = at[:1], at[-1:] + 1
        region = c._region(long_, short, s, e)
        spans = (c._spans(s, e), region) if a_short else (region, c._spans(s, e))
        return SharedBlock(side, found, found / n, spans[0], spans[1], "block_copy", None)
    s, e, covered = _mask_blocks(mask, rule.gap, rule.min_block)
    if not len(s):
        return SharedBlock(side, 0, 0.0, (), (), "no_block")
    coverage = covered / n
    story = None
    if coverage >= rule.full_share and full:
        reason = "block_copy"
    else:
        inside = _mask_inside(n, s, e) & mask
        story, paragraphs = coverage, 2
        if lines is not None:
            number, prose = _per_shingle(lines, n)
            story = float(np.count_nonzero(inside & prose) / n_story) if n_story else 0.0
            numbers = number[inside]
            paragraphs = int(np.count_nonzero(numbers[1:] != numbers[:-1])) + 1
            if paragraphs >= rule.min_paragraphs and _mask_paragraphs(number, prose, inside) \
                    < rule.paragraph_share:
                paragraphs = 0
        if story < rule.copy_share or paragraphs < rule.min_paragraphs:
            return SharedBlock(side, covered, coverage, (), (), "block_small", story)
        if lines is not None:
            where = c._first_at(short, long_) if where is None else where
            _, _, first, last = _mask_placed(where, number, inside)
            if rule.junction and not c._joined(first, last, rule.gap + rule.junction + 1):
                return SharedBlock(side, covered, coverage, (), (), "no_junction", story)
            weight, place, _, _ = _mask_placed(where, number, inside & prose)
            if _chain(weight, place) < rule.copy_share * n_story:
                return SharedBlock(side, covered, coverage, (), (), "out_of_order", story)
        reason = "story_copy"
    if detail:
        copied = np.unique(short[_mask_inside(n, s, e) & mask])
        ls, le, _ = _mask_blocks(np.isin(long_, copied), rule.gap, rule.min_block)
        long_spans = c._spans(ls, le)
    else:
        long_spans = c._region(long_, short, s, e)
    spans = (c._spans(s, e), long_spans) if a_short else (long_spans, c._spans(s, e))
    return SharedBlock(side, covered, coverage, spans[0], spans[1], reason, story)


def _line_map(n: int, cuts: list[int], prose: list[bool]) -> np.ndarray:
    """A line map as line_maps makes it: lines with at least one shingle, the first at 0."""
    if not n:
        return np.zeros(1, dtype=np.uint32)
    starts = sorted({0, *(x % n for x in cuts)})
    flags = [prose[i % len(prose)] for i in range(len(starts))]
    ends = [*starts[1:], n]
    story = sum(e - s for s, e, f in zip(starts, ends, flags, strict=True) if f)
    body = [(s << 1) | f for s, f in zip(starts, flags, strict=True)]
    return np.array([story, *body], dtype=np.uint32)


def _unit(draw: Any, source: list[int]) -> np.ndarray:
    """Slices of ``source`` (moved, repeated) with edits and new words between them."""
    out: list[int] = []
    for _ in range(draw(st.integers(1, 5))):
        if source and draw(st.booleans()):
            i = draw(st.integers(0, len(source) - 1))
            out += source[i : i + draw(st.integers(1, 120))]
        else:
            out += draw(st.lists(st.integers(0, 400), max_size=30))
    return np.array(out, dtype=np.uint32)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None,
                                    np.ndarray | None]:
    a = _unit(draw, [])
    b = _unit(draw, a.tolist())
    if draw(st.booleans()):
        a, b = b, a
    maps: list[np.ndarray | None] = []
    for seq in (a, b):
        if draw(st.integers(0, 4)) == 0:
            maps.append(None)
        else:
            maps.append(_line_map(len(seq), draw(st.lists(st.integers(0, 10**6), max_size=20)),
                                  draw(st.lists(st.booleans(), min_size=1, max_size=4))))
    return a, b, maps[0], maps[1]


rules = st.builds(BlockRule, gap=st.integers(0, 6), min_block=st.integers(1, 14),
                  copy_share=st.sampled_from([0.2, 0.44, 0.6]),
                  full_share=st.sampled_from([0.5, 0.7, 0.9]),
                  min_paragraphs=st.integers(1, 3),
                  paragraph_share=st.sampled_from([0.2, 0.34, 0.6, 0.9]),
                  min_shingles=st.integers(1, 8), junction=st.integers(0, 4))


@settings(max_examples=400, deadline=None)
@given(pairs(), rules, st.booleans())
def test_locate_gives_what_the_mask_passes_gave(pair: tuple, rule: BlockRule,
                                                detail: bool) -> None:
    a, b, lines_a, lines_b = pair
    if lines_a is None or lines_b is None:
        lines_a = lines_b = None  # (locate's callers give both maps or neither)
    want = mask_locate(a, b, rule, lines_a, lines_b, detail)
    assert locate(a, b, rule, None, None, lines_a, lines_b, None, detail) == want
    # with the sets and the shared count given, as the deduplicator calls it
    set_a, set_b = np.unique(a), np.unique(b)
    shared = len(np.intersect1d(set_a, set_b))
    short, long_set, lines = (set_a, set_b, lines_a) if len(a) <= len(b) else \
        (set_b, set_a, lines_b)
    n = min(len(a), len(b))
    n_story = n if lines is None else c.story_size(lines, n)
    if c.early_reason(n, n_story, len(long_set), len(short), shared, rule) is None:
        assert locate(a, b, rule, set_a, set_b, lines_a, lines_b, shared, detail) == want


@given(st.lists(st.booleans(), max_size=80), st.integers(0, 6), st.integers(1, 14))
def test_blocks_as_the_mask_runs_gave_them(mask: list[bool], gap: int, min_block: int) -> None:
    shared = np.array(mask, dtype=bool)
    got, want = c.blocks(shared, gap, min_block), _mask_blocks(shared, gap, min_block)
    assert got[2] == want[2]
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@given(st.lists(st.tuples(st.integers(1, 9), st.integers(0, 30)), max_size=30))
def test_in_order_is_the_heaviest_increasing_chain(lines: list[tuple[int, int]]) -> None:
    weight, place = [w for w, _ in lines], [p for _, p in lines]
    assert c._in_order(weight, place) == _chain(weight, place)


@given(st.integers(1, 60), st.lists(st.integers(0, 10**6), max_size=12),
       st.lists(st.booleans(), min_size=1, max_size=4), st.lists(st.booleans(), max_size=60))
def test_lines_read_at_positions_as_per_shingle_arrays(n: int, cuts: list[int],
                                                        prose: list[bool],
                                                        inside: list[bool]) -> None:
    lines = _line_map(n, cuts, prose)
    number, flags = _per_shingle(lines, n)
    mask = np.zeros(n, dtype=bool)
    mask[: len(inside)] = inside[:n]
    at = mask.nonzero()[0]
    lined = c._Lines(lines, n)
    assert lined.number(at).tolist() == number[at].tolist()
    assert lined.prose(lined.number(at)).tolist() == flags[at].tolist()
    assert lined.paragraph_share(number[at][flags[at]]) == _mask_paragraphs(number, flags, mask)
