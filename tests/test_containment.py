"""Block containment (issue 13): sampled-shingle candidates, the shared-block rule, line maps,
explain offsets, the roundup guard and estimates against stored signatures."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from segmenter import containment
from segmenter.blockindex import (
    BlockCandidates,
    FingerprintTable,
    SampleConfig,
    block_rows,
    sample_fingerprints,
)
from segmenter.containment import (
    BlockRule,
    Containers,
    SharedBlock,
    blocks,
    char_spans,
    estimate_block,
    judge_estimate,
    line_maps,
    locate,
    prose_flags,
    prose_lines,
    story_size,
    word_spans,
)
from segmenter.errors import ConfigError
from segmenter.fingerprint import Signer, normalize, normalized_words, shingle_batch

from .conftest import story


def paras(seed: int, n: int) -> list[str]:
    """``n`` made-up wire paragraphs (20 words each, ending with a full stop)."""
    return story(seed, 20 * n).split("\n")


def units(*texts: str) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Shingle sequences, sorted sets and line maps of some texts (one batch)."""
    batch = shingle_batch(list(texts), lines=True)
    seqs = [batch.unit(i) for i in range(len(texts))]
    return seqs, [np.unique(s) for s in seqs], line_maps(list(texts), batch)


def compare(a: str, b: str, rule: BlockRule | None = None, detail: bool = False) -> SharedBlock:
    seqs, sets, maps = units(a, b)
    return locate(seqs[0], seqs[1], rule, sets[0], sets[1], maps[0], maps[1], detail=detail)


# ----------------------------------------------------------------------------- shingle lines
line_text = st.lists(
    st.lists(st.sampled_from(["bank", "Oil", "U.S.", "said", "x", "12", "é", "-", "..."]),
             max_size=12).map(" ".join),
    min_size=1, max_size=6,
).map("\n".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(line_text, min_size=1, max_size=4))
def test_shingle_lines_start_at_the_first_word_of_each_line(texts: list[str]) -> None:
    batch = shingle_batch(texts, lines=True)
    plain = shingle_batch(texts)
    assert np.array_equal(batch.hashes, plain.hashes)
    info = batch.lines
    assert info is not None and len(info.first) == len(texts) + 1
    for i, text in enumerate(texts):
        rows = text.split("\n")
        assert info.first[i + 1] - info.first[i] == len(rows)
        n = len(batch.unit(i))
        before = 0
        for k, row in enumerate(rows):
            line = info.first[i] + k
            assert info.start[line] == (min(before, n) if len(normalized_words(text)) >= 5 else 0)
            assert info.data[info.begin[line] : info.end[line]].decode() == normalize(row)
            before += len(normalized_words(row))


# ----------------------------------------------------------------------------- prose lines
def test_prose_lines_tell_story_text_from_the_rest() -> None:
    text = "\n".join([
        "PENTAGON HAS NO INFORMATION ON IRAN ATTACK RUMORS",  # headline
        "By Kenneth Barry, Staff writer",  # byline
        "The ministry said prices rose. " * 5 + "It was cut off in the mid",  # a cut lede
        "Officials said the talks would resume on Monday.",
        "Photo: AFP",
        "MARKETS: Shares fell on Tuesday as oil prices rose, dealers said.",  # kicker teaser
        "The bank said the rate would stay at 4 pct for the rest of the...",  # cut teaser
        "\u201cWe will see,\u201d he said.\u201d",
        "Reuter",
    ])
    assert prose_lines(text) == [False, False, True, True, False, False, False, True, False]


prose_line = st.lists(
    st.sampled_from(["MARKETS:", "Bank", "said", "OIL", "x" * 60, "\u201cquote\u201d", "it",
                     "...", ".", "!", "\u2019", "Photo:", "\u00e9t\u00e9", " ", "\t"]),
    max_size=10,
).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(prose_line, min_size=1, max_size=5).map("\n".join), max_size=5))
def test_prose_flags_is_prose_lines_over_a_batch(texts: list[str]) -> None:
    for t in texts:  # texts without spaces are shingled by characters: one line, no prose
        n = min(len(t), 400)
        assume(n < 8 or t.count(" ", 0, n) + t.count("\n", 0, n) >= n // 20)
    info = shingle_batch(texts, lines=True).lines
    assert info is not None
    flags = prose_flags(info, texts)
    for i, text in enumerate(texts):
        assert flags[info.first[i] : info.first[i + 1]].tolist() == prose_lines(text)


def test_line_maps_hold_story_size_and_line_starts() -> None:
    texts = ["Head line here\n" + "\n".join(paras(1, 2)) + "\nBy a writer", "", "tiny"]
    batch = shingle_batch(texts, lines=True)
    maps = line_maps(texts, batch)
    first = maps[0]
    # 3 + 20 + 20 + 3 words: 42 shingles, starting on the headline (0-2), the paragraphs
    # (3-22, 23-41) and none on the byline.
    assert len(batch.unit(0)) == 42
    assert first.tolist() == [20 + 19, 0 << 1, 3 << 1 | 1, 23 << 1 | 1]
    assert story_size(first, 42) == 39
    assert story_size(maps[1], 0) == 0
    assert story_size(maps[2], len(batch.unit(2))) == 0


# ----------------------------------------------------------------------------- blocks
def test_blocks_bridge_edits_and_drop_short_runs() -> None:
    mask = np.zeros(60, dtype=bool)
    mask[0:20] = True  # a run, then a gap of 5 (one edited word), then a run
    mask[25:40] = True
    mask[50:55] = True  # a short run alone: template text, no block
    s, e, covered = blocks(mask, gap=5, min_block=12)
    assert s.tolist() == [0] and e.tolist() == [40] and covered == 35
    s, e, covered = blocks(mask, gap=4, min_block=12)
    assert s.tolist() == [0, 25] and e.tolist() == [20, 40] and covered == 35
    assert blocks(np.zeros(5, dtype=bool), 5, 12)[2] == 0


# ----------------------------------------------------------------------------- the rule
def test_a_copy_under_its_own_lede_is_a_copy() -> None:
    wire = paras(10, 8)
    lede = paras(11, 2)
    copy = "\n".join(["LOCAL HEADLINE", *lede, *wire[:5]])
    v = compare(copy, "\n".join(wire))
    assert v.is_copy and v.reason == "story_copy"  # 5 of 7 story paragraphs are the wire's
    assert v.shorter == "a" and v.story_coverage is not None and 0.6 < v.story_coverage < 0.8


def test_whole_wire_inside_a_longer_page_is_a_block_copy() -> None:
    wire = "\n".join(paras(20, 5))
    page = "\n".join([*paras(21, 3), wire, *paras(22, 3)])
    v = compare(page, wire)
    assert v.is_copy and v.reason == "block_copy" and v.shorter == "b"
    assert v.coverage > 0.95


def test_sharing_background_paragraphs_is_not_a_copy() -> None:
    shared = paras(30, 2)
    a = "\n".join([*paras(31, 6), *shared])
    b = "\n".join([*paras(32, 7), *shared])
    v = compare(a, b)
    assert not v.is_copy and v.reason == "block_small"


def test_one_long_shared_paragraph_is_not_most_of_a_story() -> None:
    """Two stories that share one long paragraph and a short line (half of the shorter one's
    words, over two lines) are not copies: the blocks cover one of its eight paragraphs for
    the most part. Three of six shared paragraphs of the same length are."""
    long_par = " ".join(paras(40, 6))  # one paragraph of 120 words, and a short shared line
    tail = "Officials said the talks would resume."
    own = paras(41, 6)  # six of 20 words
    a = "\n".join([own[0], long_par, tail, *own[1:]])
    b = "\n".join([*paras(42, 8), long_par, tail, *paras(43, 8)])
    v = compare(a, b)
    assert v.story_coverage is not None and v.story_coverage >= BlockRule().copy_share
    assert not v.is_copy and v.reason == "block_small"
    assert compare(a, b, BlockRule(paragraph_share=0.1)).is_copy  # the rule is what says no
    shared = paras(44, 3)
    c = "\n".join([*paras(45, 3), *shared])
    d = "\n".join([*paras(46, 5), *shared, *paras(47, 5)])
    assert compare(c, d).reason == "story_copy"


def test_paragraphs_from_a_common_stock_are_not_a_copy() -> None:
    """Two pages that draw the same paragraphs from a common stock (background, a pool of
    boilerplate), each in its own order, are not copies, however much of the shorter those
    paragraphs cover: no two of them follow each other in the other page (``no_junction``)
    and most of them are out of its order (``out_of_order``). The old rule took both for
    copies (the first for a story copy, the shuffled page for a block copy)."""
    stock = paras(60, 10)
    page = "\n".join(stock)
    own = paras(61, 2)
    drawn = "\n".join([own[0], stock[8], own[1], stock[2], stock[6], stock[0], stock[4]])
    v = compare(drawn, page)
    assert v.story_coverage is not None and v.story_coverage >= BlockRule().copy_share
    assert not v.is_copy and v.reason == "no_junction"
    assert compare(drawn, page, BlockRule(junction=0)).reason == "out_of_order"
    # The same paragraphs in the page's order, two of them next to each other there: a copy.
    kept = "\n".join([own[0], stock[0], own[1], stock[2], stock[3], stock[6], stock[8]])
    assert compare(kept, page).is_copy
    # All of a page's paragraphs shuffled: the set rule alone would call it a copy.
    shuffled = "\n".join(stock[i] for i in (3, 7, 1, 9, 5, 0, 8, 2, 6, 4))
    assert not compare(shuffled, page).is_copy
    assert compare(page, page).reason == "block_copy"


def test_a_copy_keeps_linking_across_inserted_lines_and_dropped_paragraphs() -> None:
    """The paragraph break that a copy must share may have a caption or a local paragraph
    inserted in it in the copy, and one copied paragraph may be dropped from the middle."""
    wire = paras(62, 8)
    lede = paras(63, 2)
    copy = "\n".join([*lede, wire[0], "Photo: AP", wire[1], *paras(64, 1), wire[2], wire[4]])
    v = compare(copy, "\n".join(wire))
    assert v.is_copy and v.reason == "story_copy"


def test_template_alikes_share_no_block() -> None:
    rng = random.Random(5)

    def balance(day: int) -> str:
        n = [f"{rng.randrange(100)}.{rng.randrange(999)}" for _ in range(8)]
        return (
            f"Treasury balances at the Federal Reserve fell on March {day} to {n[0]} billion "
            f"dlrs from {n[1]} billion dlrs the previous business day, the Treasury said.\n"
            f"Balances in tax and loan note accounts fell to {n[2]} billion dlrs from {n[3]} "
            f"billion dlrs.\nThe cash balance totaled {n[4]} billion dlrs on March {day} "
            f"compared with {n[5]} billion dlrs on March {day - 1}."
        )

    v = compare(balance(5), balance(6))
    assert not v.is_copy and v.reason in ("no_block", "block_small")


def test_a_shared_teaser_line_is_not_story() -> None:
    teaser = "GERMAN BONDS: " + " ".join(paras(40, 3)) + " and the"
    a = "\n".join([*paras(41, 3), teaser])
    b = "\n".join([*paras(42, 5), teaser, *paras(43, 1)])
    v = compare(a, b)
    assert not v.is_copy  # half of `a` is shared, but in one cut-off line after its story
    assert compare(a, b, BlockRule(min_paragraphs=1)).coverage > 0.4


def test_rule_validation() -> None:
    with pytest.raises(ConfigError, match="copy_share"):
        BlockRule(copy_share=0)
    with pytest.raises(ConfigError, match="min_block"):
        BlockRule(min_block=0)
    with pytest.raises(ConfigError, match="power of two"):
        SampleConfig(sample=12)
    with pytest.raises(ConfigError, match="max_df"):
        SampleConfig(max_df=1)


# ----------------------------------------------------------------------------- explain offsets
@settings(max_examples=60, deadline=None)
@given(line_text)
def test_word_spans_are_the_shingled_words(text: str) -> None:
    spans = word_spans(text)
    words = normalized_words(text)
    assert len(spans) == len(words)
    assert [normalized_words(text[s:e]) for s, e in spans] == [[w] for w in words]


def test_explain_offsets_point_at_the_copied_text_in_both_units() -> None:
    wire = paras(50, 6)
    copy = "\n".join([*paras(51, 2), *wire[1:4]])
    article = "\n".join(wire)
    v = compare(copy, article, detail=True)
    assert v.is_copy
    (ca, cb), = char_spans(copy, v.spans_a)
    (aa, ab), = char_spans(article, v.spans_b)
    assert copy[ca:cb] == "\n".join(wire[1:4]).rstrip(".")[: cb - ca]
    assert article[aa:ab] == copy[ca:cb]


# ----------------------------------------------------------------------------- roundups
def test_a_roundup_does_not_merge_the_stories_it_contains() -> None:
    guard = Containers()
    assert guard.admit(7, (0, 120))  # story 1's slice: the container's story
    assert guard.admit(7, (100, 150))  # another copy overlapping it: same story
    assert not guard.admit(7, (160, 300))  # a disjoint region: another story of a roundup
    assert guard.regions(7) == [(0, 120), (100, 150)]
    assert guard.admit(8, None) and guard.admit(8, None) and guard.regions(8) == []


def test_a_link_is_guarded_on_both_sides() -> None:
    """Unit 2 copied positions 40-200 of itself from unit 1; a later copy of unit 2's
    positions 0-30 (its own lede) does not merge, nor does unit 2 as the copy of another
    block of a third unit once its story is known. Refused links record nothing."""
    guard = Containers()
    assert guard.link(2, (40, 200), 1, (0, 160))
    assert not guard.link(3, (0, 30), 2, (0, 30))  # a part of unit 2 apart from its copy
    assert guard.regions(3) == [] and guard.regions(2) == [(40, 200)]
    assert guard.link(4, (0, 90), 2, (60, 150))  # a copy of the copied block: same story
    assert not guard.link(2, (0, 35), 5, (10, 45))  # unit 2's lede copied from a third unit
    assert guard.link(6, None, 2, None)  # regions not known: linked, as before regions


# ----------------------------------------------------------------------------- candidates
def reference_lookup(postings: dict[int, list[int]], counts: dict[int, int], fp: int,
                     max_df: int) -> list[int]:
    if counts.get(fp, 0) >= max_df:
        return []
    return sorted(postings.get(fp, []))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 40), max_size=30), min_size=1, max_size=6),
       st.integers(2, 5))
def test_fingerprint_table_is_a_capped_multimap(batches: list[list[int]], max_df: int) -> None:
    table = FingerprintTable(max_df=max_df, capacity=16)
    postings: dict[int, list[int]] = {}
    counts: dict[int, int] = {}
    unit = 0
    for batch in batches:
        fps = np.asarray(batch, dtype=np.uint32)
        uniq = np.unique(fps)
        idx, got, count = table.lookup(uniq)
        for j, fp in enumerate(uniq.tolist()):
            assert sorted(got[idx == j].tolist()) == reference_lookup(postings, counts, fp, max_df)
            assert min(int(count[j]), max_df) == min(counts.get(fp, 0), max_df)
        # Insert: each occurrence is a posting of a new unit, grouped by fingerprint.
        order = np.argsort(fps, kind="stable")
        units = np.arange(unit, unit + len(fps))[order]
        sizes = np.unique(fps, return_counts=True)[1]
        table.insert(uniq, units, sizes)
        for fp, u in zip(fps[order].tolist(), units.tolist(), strict=True):
            if counts.get(fp, 0) < max_df:
                postings.setdefault(fp, []).append(u)
            counts[fp] = counts.get(fp, 0) + 1
        unit += len(fps)
    assert len(table) == sum(len(v) for v in postings.values())


def test_sampled_fingerprints_do_not_depend_on_where_the_block_sits() -> None:
    block = "\n".join(paras(60, 4))
    texts = [block, "\n".join([*paras(61, 3), block]), "\n".join([block, *paras(62, 5)])]
    fps, offsets, _ = sample_fingerprints(shingle_batch(texts), 16)
    mine = [set(fps[offsets[i] : offsets[i + 1]].tolist()) for i in range(3)]
    assert mine[0] and mine[0] <= mine[1] and mine[0] <= mine[2]


def find_all(texts: list[str], config: SampleConfig, batch: int) -> set[tuple[int, int]]:
    found = BlockCandidates(config)
    pairs: set[tuple[int, int]] = set()
    for start in range(0, len(texts), batch):
        chunk = texts[start : start + batch]
        rows = block_rows(shingle_batch(chunk, lines=True), config)
        got = found.query_insert(range(start, start + len(chunk)), rows)
        for i, cands in enumerate(got):
            assert all(c < start + i for c in cands)  # only units seen before
            pairs.update((c, start + i) for c in cands)
    return pairs


@pytest.mark.parametrize("batch", [1, 3, 100])
def test_block_candidates_find_non_prefix_copies_in_any_order(batch: int) -> None:
    wire = paras(70, 10)
    copies = [
        "\n".join([*paras(71, 2), *wire[:6]]),  # own lede
        "\n".join([*paras(72, 1), *wire[3:8]]),  # aggregator: a quoted middle
        "\n".join([*paras(73, 3), *wire[2:6], *paras(74, 3)]),  # roundup slice
    ]
    others = ["\n".join(paras(80 + i, 6)) for i in range(6)]
    texts = [*others[:3], "\n".join(wire), *copies, *others[3:]]
    config = SampleConfig(sample=8, anchors=0)
    for order in (texts, texts[::-1]):
        pairs = find_all(order, config, batch)
        w = order.index("\n".join(wire))
        for c in copies:
            j = order.index(c)
            assert (min(w, j), max(w, j)) in pairs
        singles = {order.index(o) for o in others}
        assert not any(a in singles or b in singles for a, b in pairs)


def test_one_shared_paragraph_or_template_is_no_candidate() -> None:
    shared = paras(90, 1)
    texts = ["\n".join([*paras(91 + i, 4), *shared]) for i in range(5)]
    assert not find_all(texts, SampleConfig(sample=8), 100)
    template = "\n".join(paras(99, 3))
    many = ["\n".join([template, *paras(200 + i, 1)]) for i in range(12)]
    assert find_all(many, SampleConfig(sample=8, max_df=4), 100) <= {
        (a, b) for a in range(4) for b in range(12) if a < b
    }


def test_anchors_find_a_short_prefix_copy() -> None:
    def unsampled(text: str) -> bool:
        return not len(sample_fingerprints(shingle_batch([text]), 32)[0])

    # An article whose 20-word opening holds no sampled shingle (a teaser the sample misses).
    article = next(a for seed in range(100, 400)
                   if unsampled(" ".join((a := "\n".join(paras(seed, 8))).split()[:20])))
    teaser = " ".join(article.split()[:20])
    others = ["\n".join(paras(110 + i, 5)) for i in range(3)]
    pairs = find_all([article, *others, teaser], SampleConfig(sample=32, anchors=3), 2)
    assert (0, 4) in pairs
    pairs = find_all([article, *others, teaser], SampleConfig(sample=32, anchors=0), 2)
    assert (0, 4) not in pairs  # too short for the sample alone


def test_anchors_find_a_prefix_copy_of_widely_reused_paragraphs() -> None:
    """An article made of paragraphs that many other pages reuse (their sampled shingles are
    template text: in more than ``max_df`` units) and its abridged copy, its first three
    paragraphs: they share every prefix anchor, so they are candidates. Without that rule
    the copy had none, as at 1M make_corpus.py documents."""
    pool = paras(120, 6)
    crowd = ["\n".join([*paras(130 + i, 1), *pool[1:][i % 5:], *pool[1:][: i % 5]])
             for i in range(6)]
    article = "\n".join(pool)
    copy = "\n".join(pool[:3])
    config = SampleConfig(sample=8, max_df=4)
    pairs = find_all([*crowd, article, copy], config, 3)
    assert (6, 7) in pairs
    assert (6, 7) not in find_all([*crowd, article, copy], SampleConfig(sample=8, max_df=4,
                                                                        anchors=0), 3)


# ----------------------------------------------------------------------------- earlier runs
def test_estimate_against_a_stored_signature_sees_a_block_anywhere() -> None:
    signer = Signer(128, 1)
    wire = "\n".join(paras(120, 8))
    page = "\n".join([*paras(121, 6), wire, *paras(122, 2)])
    batch = shingle_batch([wire, page])
    full, _ = signer.sign(batch)
    stored16 = (full[0] & 0xFFFF).astype(np.uint16)
    seq = batch.unit(1)
    perm16 = (signer.permuted(seq) & 0xFFFF).astype(np.uint16)
    n_wire = len(np.unique(batch.unit(0)))
    est = estimate_block(seq, perm16, stored16, n_wire)
    assert est.coverage_low > 0.8 and est.dense  # the stored wire is inside the new page
    assert est.span is not None
    lo, hi = est.span
    start = 6 * 20  # the wire starts after six 20-word paragraphs
    assert start - 10 <= lo and hi <= start + 8 * 20 + 10
    other = "\n".join(paras(123, 8))
    ob = shingle_batch([other])
    far = estimate_block(ob.unit(0), (signer.permuted(ob.unit(0)) & 0xFFFF).astype(np.uint16),
                         stored16, n_wire)
    assert far.coverage < 0.1


def test_estimate_of_a_copy_under_its_own_lede_against_the_stored_wire() -> None:
    signer = Signer(128, 1)
    wire = "\n".join(paras(130, 8))
    copy = "\n".join([*paras(131, 3), *wire.split("\n")[:6]])
    batch = shingle_batch([wire, copy])
    full, _ = signer.sign(batch)
    seq = batch.unit(1)
    est = estimate_block(seq, (signer.permuted(seq) & 0xFFFF).astype(np.uint16),
                         (full[0] & 0xFFFF).astype(np.uint16), len(np.unique(batch.unit(0))))
    assert est.dense and judge_estimate(est) in ("story_copy", "block_copy")
    other = shingle_batch(["\n".join([*paras(132, 7), *wire.split("\n")[7:]])])
    oseq = other.unit(0)
    far = estimate_block(oseq, (signer.permuted(oseq) & 0xFFFF).astype(np.uint16),
                         (full[0] & 0xFFFF).astype(np.uint16), len(np.unique(batch.unit(0))))
    assert judge_estimate(far) == "block_small"  # one background paragraph in common


# ----------------------------------------------------------------------------- the run's state
def test_block_reuse_links_a_roundup_to_each_story_without_merging_them() -> None:
    from segmenter.reuse import BlockReuse, block_inputs

    one, two = "\n".join(paras(140, 5)), "\n".join(paras(141, 5))
    roundup = "\n".join(["ROUNDUP", one, "SECOND STORY", two])
    copy_of_one = "\n".join(paras(140, 5)[:4])
    texts = [one, two, roundup, copy_of_one]
    reuse = BlockReuse(sample=SampleConfig(sample=8))
    cands = reuse.add_batch(range(4), block_inputs(texts, shingle_batch(texts, lines=True),
                                                   reuse.candidates.config))
    assert set(cands[2]) == {0, 1} and 0 in cands[3]
    first = reuse.judge(0, 2)
    second = reuse.judge(1, 2)
    assert first.is_copy and second.is_copy and first.shorter == second.shorter == "a"
    assert reuse.link(0, 2, first)  # the roundup joins story one's cluster
    assert not reuse.link(1, 2, second)  # story two is linked, not merged
    assert reuse.also_contains(2) == [1]
    again = reuse.judge(3, 2)
    assert again.is_copy and reuse.link(3, 2, again)  # another copy of story one: merged
    ev = reuse.explain(1, 2, two, roundup)
    (s, e), = ev["matched_block"]
    assert roundup[s:e] == two[: e - s] and ev["block_reason"] == "block_copy"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 4), st.integers(0, 3)),
                min_size=2, max_size=9),
       st.integers(1, 5))
def test_block_candidates_do_not_depend_on_batching(spec: list[tuple[int, int, int]],
                                                    size: int) -> None:
    # Texts made of paragraphs from a few stories, so that some share blocks.
    texts = ["\n".join(paras(300 + s, 8)[start : start + n]) for s, n, start in spec]
    config = SampleConfig(sample=8, max_df=3)
    assert find_all(texts, config, 1) == find_all(texts, config, size)


def _in_order_by_pairs(weight: list[int], place: list[int]) -> int:
    best: list[int] = []
    for i, (p, w) in enumerate(zip(place, weight, strict=True)):
        best.append(w + max((best[j] for j in range(i) if place[j] < p), default=0))
    return max(best, default=0)


@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 30)), max_size=40))
def test_heaviest_ordered_chain_matches_the_pairwise_definition(lines: list[tuple[int, int]]
                                                                ) -> None:
    # The heaviest chain of lines whose places strictly increase, as the O(L^2) definition
    # says (equal places do not chain: two lines cannot sit at one place in order).
    weight = [w for w, _ in lines]
    place = [p for _, p in lines]
    assert containment._in_order(weight, place) == _in_order_by_pairs(weight, place)
