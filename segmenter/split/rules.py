"""Boundary rules: where a new story starts, and what kind of story each one is.

One left-to-right pass over the non-blank lines. Boilerplate lines never start a story, except
the ones that open one (a byline, a dateline) when the current story already has a body. For a
story line the evidence for a boundary is summed into a score (each piece with a stable reason
name); a new story starts where the score reaches ``config.boundary_threshold``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .boilerplate import END_LABELS, HEAD_LABELS
from .config import SplitConfig
from .features import Line

__all__ = ["Segment", "segment_lines"]


@dataclass(slots=True)
class Segment:
    """A story in the making: its lines, and the evidence that started it."""

    lines: list[Line]
    score: float
    reasons: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)
    body: list[Line] = field(default_factory=list)  # story lines (not boilerplate)
    vocab: Counter[str] = field(default_factory=Counter)
    recent: list[frozenset[str]] = field(default_factory=list)

    def add(self, line: Line, window: int) -> None:
        self.lines.append(line)
        if line.boilerplate is None:
            self.body.append(line)
            self.recent.append(line.vocab)
            self.vocab.update(line.vocab)
            if len(self.recent) > window:
                old = self.recent.pop(0)
                self.vocab.subtract(old)
                for w in old:
                    if self.vocab[w] <= 0:
                        del self.vocab[w]

    @property
    def headed(self) -> bool:
        """The story opens with a headline line."""
        return bool(self.body) and self.body[0].words <= 20 and not self.body[0].terminal

    @property
    def only_headline(self) -> bool:
        """The story so far is a headline line (and head boilerplate) without a paragraph."""
        return len(self.body) == 1 and self.body[0].words <= 20 and not self.body[0].terminal

    def teaser_shaped(self, config: SplitConfig) -> bool:
        """One long paragraph that is cut off or opens with a kicker."""
        if len(self.body) != 1:
            return False
        line = self.body[0]
        return line.chars >= config.teaser_min_chars and (line.kicker is not None or line.cut_off)


def _overlap(vocab: frozenset[str], other: Counter[str] | frozenset[str]) -> float:
    if not vocab:
        return 0.0
    return sum(1 for w in vocab if w in other) / len(vocab)


def _next_body(lines: list[Line], i: int) -> Line | None:
    for j in range(i + 1, min(len(lines), i + 4)):
        if lines[j].boilerplate is None:
            return lines[j]
    return None


def _score(
    seg: Segment, line: Line, nxt: Line | None, config: SplitConfig
) -> tuple[float, list[str], dict[str, Any]]:
    """Evidence that ``line`` starts a new story after ``seg``."""
    score = 0.0
    reasons: list[str] = []
    ev: dict[str, Any] = {}

    def add(weight: float, reason: str) -> None:
        nonlocal score
        score += weight
        reasons.append(reason)

    if not seg.body:  # only boilerplate so far: this line belongs to the same story
        return 0.0, ["after_leading_boilerplate"], ev
    if seg.only_headline and line.kicker is None and (line.terminal or line.chars < 150):
        return 0.0, ["after_headline"], ev  # a headline line is followed by its article
    last = seg.lines[-1]
    if seg.teaser_shaped(config):
        add(config.w_after_teaser, "after_teaser")
    if line.kicker is not None:
        add(config.w_kicker, "kicker")
    left = _overlap(line.vocab, seg.vocab)
    ev["cohesion_left"] = round(left, 3)
    if line.chars >= config.teaser_min_chars:
        # a cut-off paragraph that goes on with the story's words is a scraping slip, not a teaser
        teaser_long = line.sentences >= 3 and line.chars >= config.lede_max_chars
        w_cut = config.w_truncated
        if left >= config.cohesion_weak and not teaser_long:
            w_cut /= 2
        if line.read_more_at is not None:
            add(w_cut, "read_more")
        elif line.ellipsis:
            add(w_cut, "ellipsis")
        elif not line.terminal:
            if line.text[-1] in ",;:-–—(":  # stops at a clause break: more likely a slip
                w_cut /= 2
            add(w_cut, "no_terminal_punct")
    if line.caps_lead and line.kicker is None:
        add(config.w_caps_lead, "caps_headline_lead")
    if last.boilerplate in END_LABELS:
        add(config.w_after_credit, "after_credit")
    elif last.boilerplate is not None and last.boilerplate != "photo_credit":
        add(config.w_after_boilerplate, "after_boilerplate")
    if line.headline_like(config) and nxt is not None and not seg.only_headline:
        if (
            line.text[0].isupper() or line.text[0].isdigit()
        ) and nxt.chars >= max(2 * line.chars, 80) and not nxt.headline_like(config):
            add(config.w_headline, "headline")
    if line.dateline:
        add(config.w_dateline, "dateline")
    # One short opening paragraph (a lede) is too little context to judge a change of topic.
    paragraphs = seg.body[1:] if seg.headed else seg.body
    lede_only = len(paragraphs) <= 1 and all(p.chars < config.lede_max_chars for p in paragraphs)
    right = 0.0
    if nxt is not None and nxt.vocab and line.vocab:
        right = _overlap(line.vocab, nxt.vocab)
        ev["cohesion_right"] = round(right, 3)
    if line.vocab and not lede_only:
        if left < config.cohesion_low:
            add(config.w_cohesion_drop, "cohesion_drop")
        elif left < config.cohesion_weak:
            add(config.w_cohesion_weak, "cohesion_weak")
        elif left >= config.cohesion_high:
            add(config.w_cohesive, "cohesive")
        if right >= config.cohesion_high and left < config.cohesion_low:
            add(config.w_cohesion_shift, "cohesion_shift")
        block = line.vocab
        if nxt is not None and not (nxt.kicker or nxt.caps_lead or nxt.cut_off):
            block = block | nxt.vocab
        block_left = _overlap(block, seg.vocab)
        ev["cohesion_block"] = round(block_left, 3)
        if block_left < config.cohesion_low:
            add(config.w_block_drop, "block_cohesion_drop")
    if (
        line.sentences == 1
        and line.terminal
        and line.chars < config.lede_max_chars
        and right > left
        and nxt is not None
        and nxt.chars > line.chars
    ):
        add(config.w_lede, "lede_shape")
    if line.continuation:
        add(config.w_continuation, "continuation_start")
    if line.text[0] in "\"“‘'«„":
        add(config.w_quote_start, "quote_start")
    ev["score"] = round(score, 3)
    return score, reasons, ev


def segment_lines(lines: list[Line], config: SplitConfig) -> list[Segment]:
    """Group the non-blank lines into stories."""
    segments: list[Segment] = []
    seg: Segment | None = None
    window = config.cohesion_window
    for i, line in enumerate(lines):
        if seg is None:
            seg = Segment([], 1.0, ["document_start"], {"score": 1.0})
            seg.add(line, window)
            segments.append(seg)
            continue
        if line.boilerplate is not None:
            if line.boilerplate in HEAD_LABELS and seg.body and not seg.only_headline:
                reason = "byline" if line.boilerplate == "byline" else "dateline"
                seg = Segment([], 0.9, [reason], {"score": 0.9, "boilerplate": line.boilerplate})
                segments.append(seg)
            seg.add(line, window)
            continue
        score, reasons, ev = _score(seg, line, _next_body(lines, i), config)
        if score >= config.boundary_threshold:
            seg = Segment([], score, reasons, ev)
            segments.append(seg)
        seg.add(line, window)
    return segments
