"""Boundary rules: where a new story starts, and what kind of story each one is.

One left-to-right pass over the non-blank lines. Boilerplate lines never start a story, except
the ones that open one (a byline, a dateline) when the current story already has a body. For a
story line the evidence for a boundary is summed into a score (each piece with a stable reason
name); a new story starts where the score reaches ``config.boundary_threshold``.
"""

from __future__ import annotations

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
    window: int = 8
    _vocab: frozenset[str] | None = None  # cache of ``vocab``, cleared by ``add``

    def add(self, line: Line) -> None:
        self.lines.append(line)
        if line.boilerplate is None:
            self.body.append(line)
            self._vocab = None

    @property
    def vocab(self) -> frozenset[str]:
        """Content words of the last ``window`` body lines."""
        v = self._vocab
        if v is None:
            v = self._vocab = frozenset().union(*[b.vocab for b in self.body[-self.window :]])
        return v

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


_NONE: frozenset[str] = frozenset()


def _overlap(vocab: frozenset[str], other: frozenset[str]) -> float:
    """Share of ``vocab`` found in ``other``."""
    if not vocab:
        return 0.0
    return len(vocab & other) / len(vocab)


def _next_body(lines: list[Line], i: int) -> Line | None:
    for j in range(i + 1, min(len(lines), i + 4)):
        if lines[j].boilerplate is None:
            return lines[j]
    return None


def _score(
    seg: Segment, line: Line, nxt: Line | None, config: SplitConfig
) -> tuple[float, list[str], dict[str, Any]]:
    """Evidence that ``line`` starts a new story after ``seg``."""
    reasons: list[str] = []
    score = 0.0
    ev: dict[str, Any] = {}

    if not seg.body:  # only boilerplate so far: this line belongs to the same story
        return 0.0, ["after_leading_boilerplate"], ev
    if seg.only_headline and line.kicker is None and (line.terminal or line.chars < 150):
        return 0.0, ["after_headline"], ev  # a headline line is followed by its article
    last = seg.lines[-1]
    # 1. cues of the line itself and of the story's last line
    if seg.teaser_shaped(config):
        score += config.w_after_teaser
        reasons.append("after_teaser")
    if line.kicker is not None:
        score += config.w_kicker
        reasons.append("kicker")
    cut_reason = None
    cut_weight = 0.0
    cut_doubt = False  # the cut-off weight halves when the line goes on with the story's words
    if line.chars >= config.teaser_min_chars:
        cut_weight = config.w_truncated
        if line.read_more_at is not None:
            cut_reason = "read_more"
        elif line.ellipsis:
            cut_reason = "ellipsis"
        elif not line.terminal:
            cut_reason = "no_terminal_punct"
            if line.text[-1] in ",;:-–—(":  # stops at a clause break: more likely a slip
                cut_weight /= 2
        else:
            cut_weight = 0.0
        cut_doubt = cut_reason is not None and not (
            line.chars >= config.lede_max_chars and line.sentences >= 3
        )
    if line.caps_lead and line.kicker is None:
        score += config.w_caps_lead
        reasons.append("caps_headline_lead")
    if last.boilerplate in END_LABELS:
        score += config.w_after_credit
        reasons.append("after_credit")
    elif last.boilerplate is not None and last.boilerplate != "photo_credit":
        score += config.w_after_boilerplate
        reasons.append("after_boilerplate")
    if line.headline_like(config) and nxt is not None and not seg.only_headline:
        if (
            (line.text[0].isupper() or line.text[0].isdigit())
            and nxt.chars >= max(2 * line.chars, 80)
            and not nxt.headline_like(config)
        ):
            score += config.w_headline
            reasons.append("headline")
    if line.dateline:
        score += config.w_dateline
        reasons.append("dateline")
    if line.continuation:
        score += config.w_continuation
        reasons.append("continuation_start")
    # 2. settled by the cues alone? (then the words need not be read)
    floor = score + (cut_weight / 2 if cut_doubt else cut_weight)
    if floor + min(config.w_cohesive, 0.0) >= config.boundary_threshold:
        if cut_reason is not None:
            score += cut_weight
            reasons.append(cut_reason)
        reasons.append("settled_by_cues")
        ev["score"] = score
        return score, reasons, ev
    # 3. lexical cohesion with the story so far and with what follows
    vocab = line.vocab  # properties read once: each is used several times below
    story_vocab = seg.vocab
    left = _overlap(vocab, story_vocab)
    ev["cohesion_left"] = left
    if cut_reason is not None:
        score += cut_weight / 2 if cut_doubt and left >= config.cohesion_weak else cut_weight
        reasons.append(cut_reason)
    # One short opening paragraph (a lede) is too little context to judge a change of topic.
    paragraphs = seg.body[1:] if seg.headed else seg.body
    lede_only = len(paragraphs) <= 1 and all(p.chars < config.lede_max_chars for p in paragraphs)
    if vocab and not lede_only:
        next_vocab = nxt.vocab if nxt is not None else _NONE
        if left < config.cohesion_low:
            score += config.w_cohesion_drop
            reasons.append("cohesion_drop")
        elif left < config.cohesion_weak:
            score += config.w_cohesion_weak
            reasons.append("cohesion_weak")
        elif left >= config.cohesion_high:
            score += config.w_cohesive
            reasons.append("cohesive")
        if next_vocab:
            right = _overlap(vocab, next_vocab)
            ev["cohesion_right"] = right
            if right >= config.cohesion_high and left < config.cohesion_low:
                score += config.w_cohesion_shift
                reasons.append("cohesion_shift")
        block = vocab
        if nxt is not None and not (nxt.kicker or nxt.caps_lead or nxt.cut_off):
            block = block | next_vocab
        block_left = _overlap(block, story_vocab)
        ev["cohesion_block"] = block_left
        if block_left < config.cohesion_low:
            score += config.w_block_drop
            reasons.append("block_cohesion_drop")
    ev["score"] = score
    return score, reasons, ev


def segment_lines(lines: list[Line], config: SplitConfig) -> list[Segment]:
    """Group the non-blank lines into stories."""
    segments: list[Segment] = []
    seg: Segment | None = None
    window = config.cohesion_window
    for i, line in enumerate(lines):
        if seg is None:
            seg = Segment([], 1.0, ["document_start"], {"score": 1.0}, window=window)
            seg.add(line)
            segments.append(seg)
            continue
        if line.boilerplate is not None:
            if line.boilerplate in HEAD_LABELS and seg.body and not seg.only_headline:
                reason = "byline" if line.boilerplate == "byline" else "dateline"
                ev: dict[str, Any] = {"score": 0.9, "boilerplate": line.boilerplate}
                seg = Segment([], 0.9, [reason], ev, window=window)
                segments.append(seg)
            seg.add(line)
            continue
        score, reasons, ev = _score(seg, line, _next_body(lines, i), config)
        if score >= config.boundary_threshold:
            seg = Segment([], score, reasons, ev, window=window)
            segments.append(seg)
        seg.add(line)
    return segments
