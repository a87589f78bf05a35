"""Block containment wired into the Deduplicator (issue 13): copies that are not prefixes,
roundups linked without merging, explain offsets, and the batch subset it needs."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from segmenter.config import DedupConfig
from segmenter.containment import line_maps
from segmenter.dedup import Deduplicator
from segmenter.errors import ConfigError
from segmenter.fingerprint import shingle_batch
from segmenter.model import Assignment, Unit

from .conftest import story


def paras(seed: int, n: int) -> list[str]:
    """``n`` made-up wire paragraphs (20 words each, ending with a full stop)."""
    return story(seed, 20 * n).split("\n")


def dedup(texts: dict[str, str], **changes: object) -> dict[str, Assignment]:
    d = Deduplicator(DedupConfig(split=False, **changes))  # type: ignore[arg-type]
    d.add_many(Unit(k, t) for k, t in texts.items())
    return {a.id: a for a in d.finish()}


def test_take_keeps_the_rows_their_shingles_and_their_line_maps() -> None:
    rng = random.Random(3)
    texts = ["KICKER: " + story(1, 60), story(2, 80), "a b", "Title\nNOTE: x y: z\n" + story(4),
             "", story(5, 40) + "\nPhoto: AFP"]
    batch = shingle_batch(texts, lines=True)
    whole = line_maps(texts, batch)
    for _ in range(20):
        rows = sorted(rng.sample(range(len(texts)), rng.randrange(1, len(texts) + 1)))
        sub = batch.take(rows)
        assert len(sub) == len(rows)
        for j, r in enumerate(rows):
            assert np.array_equal(sub.unit(j), batch.unit(r))
        maps = line_maps([texts[r] for r in rows], sub)
        for j, r in enumerate(rows):
            assert np.array_equal(maps[j], whole[r])


def test_a_copy_under_its_own_lede_is_contained() -> None:
    wire = paras(10, 10)
    copy = "\n".join(["LOCAL HEADLINE", *paras(11, 3), *wire[:4]])
    texts = {"wire": "\n".join(wire), "copy": copy, "other": "\n".join(paras(12, 8))}
    got = dedup(texts, explain=True)
    assert got["copy"].cluster == got["wire"].cluster == "wire"
    assert got["copy"].duplicate_of == "wire" and got["copy"].relation == "contained"
    ev = got["copy"].evidence
    assert ev["containment"] < 0.7  # the set rule alone would not link them
    assert ev["block_reason"] == "story_copy" and 0.44 <= ev["story_coverage"] < 1.0
    (cs, ce), = ev["shared_block"]
    (ws, we), = ev["matched_block"]
    assert copy[cs:ce] == texts["wire"][ws:we]  # the copied paragraphs, in both texts
    assert got["other"].cluster == "other"
    # Off: the head table and set containment only.
    assert dedup(texts, block=False)["copy"].cluster == "copy"


def test_a_quoted_middle_is_found_in_any_order() -> None:
    wire = paras(20, 10)
    quote = "\n".join(["Aggregator", *wire[4:8]])
    for order in (("wire", "quote"), ("quote", "wire")):
        texts = {k: {"wire": "\n".join(wire), "quote": quote}[k] for k in order}
        got = dedup(texts)
        assert got["quote"].cluster == got["wire"].cluster
        assert got["quote"].relation == "contained"


def test_a_roundup_is_linked_to_each_story_without_merging_them() -> None:
    one, two = paras(30, 8), paras(31, 8)
    roundup = "\n".join(["ROUNDUP", *one[:6], "SECOND STORY", *two[:6]])
    texts = {"one": "\n".join(one), "two": "\n".join(two), "roundup": roundup}
    got = dedup(texts, explain=True)
    # Each story is contained in the roundup; it joins the first story's cluster only.
    assert got["roundup"].cluster == got["one"].cluster == "one"
    assert got["two"].cluster == "two" and got["two"].keeper
    assert got["roundup"].keeper and got["roundup"].evidence["also_contains"] == ["two"]
    assert got["two"].evidence["also_contained_in"] == ["roundup"]
    # A copy of the second story joins the second story, not the roundup's cluster.
    texts["copy-two"] = "\n".join(["Local", *two[:5]])
    again = dedup(texts)
    assert again["copy-two"].cluster == "two" and again["roundup"].cluster == "one"


def test_block_options_are_validated() -> None:
    with pytest.raises(ConfigError, match="copy_share"):
        DedupConfig(copy_share=0.0)
    with pytest.raises(ConfigError, match="power of two"):
        DedupConfig(block_sample=12)


def test_with_a_persistent_index_block_copies_of_this_run_are_found(tmp_path: Path) -> None:
    wire = paras(40, 14)
    copy = "\n".join(["LOCAL HEADLINE", *paras(41, 4), *wire[:7]])
    d = Deduplicator(DedupConfig(split=False, explain=True), index=str(tmp_path / "i.db"))
    d.add_many([Unit("wire", "\n".join(wire)), Unit("copy", copy)])
    got = {a.id: a for a in d.finish()}
    assert got["copy"].cluster == "wire" and got["copy"].relation == "contained"
    assert got["copy"].evidence["block_reason"] == "story_copy"


@pytest.mark.parametrize("block", [True, False])
def test_a_copy_of_an_earlier_runs_story_under_its_own_lede_is_estimated(
        tmp_path: Path, block: bool) -> None:
    wire = paras(50, 14)
    copy = "\n".join(["LOCAL HEADLINE", *paras(51, 3), *wire[:8]])
    index = str(tmp_path / "i.db")
    first = Deduplicator(DedupConfig(split=False, block=block), index=index)
    first.add(Unit("wire", "\n".join(wire)))
    first.finish()
    second = Deduplicator(DedupConfig(split=False, block=block), index=index)
    second.add(Unit("copy", copy))
    (got,) = second.finish()
    assert second.stats.prior_candidates == 1  # found through the full table
    if block:  # the set estimate (containment ~0.7 - noise) says no; the block estimate yes
        assert got.duplicate_of == "wire" and got.relation == "contained" and got.earlier
    else:
        assert got.duplicate_of is None


def test_pages_drawing_on_a_common_stock_do_not_chain() -> None:
    """Twelve unrelated pages each draw nine paragraphs of one stock of thirteen (a small
    topic's background, a boilerplate pool) under a lede of their own, page ``i`` the
    paragraphs ``i, 2i, 3i, ...`` (mod 13): each in its own order, no two pages with the
    same two paragraphs one after the other. None is a copy of another (the old rule made
    ten of them story copies of one page), while a real copy of a wire story under its own
    lede still is."""
    stock = paras(70, 13)
    texts = {f"p{i:02d}": "\n".join([*paras(1000 + i, 1), *(stock[i * j % 13]
                                                          for j in range(1, 10))])
             for i in range(1, 13)}
    wire = paras(71, 8)
    texts["wire"] = "\n".join(wire)
    texts["copy"] = "\n".join(["LOCAL HEADLINE", *paras(72, 2), *wire[:5]])
    got = dedup(texts)
    assert all(got[k].cluster == k and got[k].duplicate_of is None for k in texts if k[0] == "p")
    assert got["copy"].cluster == "wire"


def test_a_copy_does_not_chain_a_third_page_that_shares_another_block() -> None:
    """A local page puts its own three-paragraph lede over six paragraphs of a wire story;
    another page copies only that local lede. The local page joins the wire's cluster; the
    other page shares nothing with the wire, so it is linked to the local page without
    merging (it came from a part of it apart from its copied block), as a roundup's other
    story is. The old guard looked at the container's regions only and chained all three."""
    wire = paras(80, 12)
    lede = paras(81, 3)
    texts = {"wire": "\n".join(wire),
             "local": "\n".join(["LOCAL HEADLINE", *lede, *wire[:6]]),
             "echo": "\n".join([*lede, *paras(82, 2)])}
    got = dedup(texts, explain=True)
    assert got["local"].cluster == "wire"
    assert got["echo"].cluster == "echo"
    assert got["echo"].evidence["also_contained_in"] == ["local"]
    assert got["local"].evidence["also_contains"] == ["echo"]
