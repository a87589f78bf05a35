"""Boundary rules: where a new story starts.

One left-to-right pass over the non-blank lines. Boilerplate lines never start a story, except
the ones that open one (a byline, a dateline) when the current story already has a body. For a
story line, :func:`boundary_features` names the evidence that it starts a new story (each a stable
reason name such as ``kicker``, ``headline_before_byline`` or ``topic_change``); the score is the
sum of the weights of those features (``SplitConfig.w_<name>``, fit from data by
``bench/fit_split.py``), and a new story starts where it reaches ``config.boundary_threshold``.

The features read the line, its neighbours, and the story so far: a short headline-shaped line
is a subhead unless what follows it leaves the story's vocabulary or opens like a new article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .boilerplate import END_LABELS, HEAD_LABELS
from .config import SplitConfig, weight_field
from .features import Line, has_language_cues

__all__ = [
    "FEATURES",
    "Segment",
    "boundary_features",
    "next_body_index",
    "segment_lines",
]

# Every feature the boundary score may use; ``SplitConfig`` has one ``w_<name>`` weight each.
FEATURES = (
    "after_teaser",  # the story so far is one long cut-off paragraph (a teaser)
    "after_headline",  # the story so far is only a headline line: this is its first paragraph
    "kicker",  # opens with an ALL-CAPS label and a colon
    "read_more",  # a long line ending in "Read more"
    "ellipsis",  # a long line ending in "..."
    "no_terminal_punct",  # a long line stopping mid-sentence
    "short_cut",  # a shorter line ending in "..." or "Continue reading" (a short teaser)
    "teaser_run",  # a cut-off line right after a teaser
    "clause_break",  # ... stopping at a comma, colon or dash (more likely an extraction slip)
    "cut_cohesive",  # a cut-off line that goes on with the story's words
    "caps_headline_lead",  # opens with an ALL-CAPS headline run into the text
    "after_credit",  # the story so far ends with a sign-off ("Reuter", "Reporting by")
    "after_boilerplate",  # ... with a share / read-more / other chrome line
    "after_separator",  # ... with a one-word chrome line or a separator ("-", "* * *")
    "after_byline",  # ... with a byline or a date line (a signature)
    "after_photo_credit",  # ... with a photo credit
    "before_teaser",  # the next story line is a teaser (teasers come in runs)
    "headline",  # a short line without sentence end, followed by a paragraph
    "headline_before_byline",  # ... followed by a byline or a date line
    "headline_before_chrome",  # ... followed by another page-chrome line (share, comments)
    "headline_before_name",  # ... followed by a name alone on its line (an author), then text
    "headline_question",  # ... that is a question (Q&A)
    "headline_colon",  # a line ending in ":" (introduces a list or a quote)
    "subhead_repeat",  # a headline-shaped line in a story that already has subheads
    "topic_change",  # a headline-shaped line whose next paragraphs leave the story's words
    "same_topic",  # a headline-shaped line whose next paragraphs go on with them
    "dateline",  # opens with a wire dateline
    "continuation_start",  # opens with a pronoun or connective
    "list_item",  # opens with a bullet or a number
    "after_list_marker",  # follows a line that is only a number ("10", "9." in a countdown)
    "after_colon",  # the story's last line ends in ":"
    "time_stamp",  # opens with a clock time (a live-blog entry)
    "cohesion_drop",  # the line shares almost none of its words with the story
    "cohesion_weak",  # ... few of them
    "cohesive",  # ... many of them
    "cohesion_shift",  # shares more with the next line than with the story
    "block_cohesion_drop",  # the next lines share almost nothing with the story
    "story_cohesive",  # the line and the next ones share many words with the story so far
    "story_drop",  # the line and the next ones share almost none of the whole story's words
    "story_none",  # ... none at all (and at least 12 of them)
    "story_weak",  # ... few of them
    "structured_drop",  # ... in a story with subheads (a page of sections drifts in topic)
    "lede_only",  # the story so far is too short to judge a change of topic
    "short_line",  # a short line with a sentence end (a caption, a pull quote)
    "long_story",  # the story so far has many paragraphs
    "author_bio",  # "NAME is a reporter for ...": an author's note closing the article
)

_BULLET = re.compile(r"[•·▪■►▶◦‣*–—-]|\d{1,3}[.)](?!\d)|\(\d{1,3}\)")
# "NAME is a reporter for ...", "NAME, a professor of ..., is": an author's note at an article end.
_AUTHOR_BIO = re.compile(
    r"[A-Z][\w.'’\-]+(?: [A-Z][\w.'’\-]+){0,3},? (?:is|was|has been|writes|covers) "
    r"(?:a|an|the|based|currently|also)\b|"
    r"(?:about the author|the author|this article was written by)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"[A-Z][a-z'’\-]+(?: [A-Z]\.?)?(?: [A-Z][A-Za-z'’\-]+){1,2}")
_TIME_LEAD = re.compile(r"\d{1,2}[:.]\d{2}\s?(?:[ap]\.?m\.?|[AP]M|Uhr|h)?\b")


@dataclass(slots=True)
class Segment:
    """A story in the making: its lines, and the evidence that started it."""

    lines: list[Line]
    score: float
    reasons: list[str]
    evidence: dict[str, Any] = field(default_factory=dict)
    body: list[Line] = field(default_factory=list)  # story lines (not boilerplate)
    words: set[str] = field(default_factory=set)  # content words of the whole story
    subheads: int = 0  # headline-shaped body lines after the first

    only_headline: bool = False  # the story so far is a headline line without a paragraph
    headed: bool = False  # the story opens with a headline line
    teaser: bool = False  # the story so far is one long paragraph, cut off or after a kicker

    def add(self, line: Line, config: SplitConfig) -> None:
        """Add ``line`` to the story and update its words and flags."""
        self.lines.append(line)
        if line.boilerplate is None:
            body = self.body
            if body:
                if line.headline:
                    self.subheads += 1
                self.only_headline = self.teaser = False
            else:
                self.headed = self.only_headline = line.words <= 20 and not line.terminal
                self.teaser = line.chars >= config.teaser_min_chars and (
                    line.kicker is not None or line.cut_off
                )
            body.append(line)
            self.words.update(line.vocab)

    def trim(self, cut: int) -> list[Line]:
        """Take the lines from ``cut`` on off the story (a headline that opens the next one)."""
        tail = self.lines[cut:]
        del self.lines[cut:]
        n_body = sum(1 for b in tail if b.boilerplate is None)
        del self.body[len(self.body) - n_body :]
        return tail


def next_body_index(lines: list[Line]) -> list[int]:
    """For each line, the index of the next story (non-boilerplate) line, or -1."""
    out = [-1] * len(lines)
    j = -1
    for i in range(len(lines) - 1, -1, -1):
        out[i] = j
        if lines[i].boilerplate is None:
            j = i
    return out


def boundary_features(
    seg: Segment,
    lines: list[Line],
    i: int,
    config: SplitConfig,
    follow: list[int] | None = None,
    scoring: Scoring | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """The named evidence that story line ``lines[i]`` starts a new story after ``seg``.

    ``follow`` is :func:`next_body_index` of ``lines`` (computed here when not given). With
    ``scoring`` (what :func:`segment_lines` decides with), the features that cost the most
    (``_TAIL``) are left out when the score cannot reach the threshold whatever they say: the
    features returned then only tell that no story starts here."""
    if follow is None:
        follow = next_body_index(lines)
    line = lines[i]
    text = line.text
    chars = line.chars
    body = seg.body
    feats: list[str] = []
    ev: dict[str, Any] = {}
    j = follow[i]
    nxt = lines[j] if j >= 0 else None
    k = follow[j] if j >= 0 else -1
    only_headline = seg.only_headline
    if only_headline and line.kicker is None:
        feats.append("after_headline")
    teaser_shaped = seg.teaser
    if teaser_shaped:
        feats.append("after_teaser")
    if line.kicker is not None:
        feats.append("kicker")
    cut = False
    if not line.cut_off:
        pass  # (every feature of this block is about a line cut off)
    elif chars >= config.teaser_min_chars:
        cut = True
        if line.read_more_at is not None:
            feats.append("read_more")
        elif line.ellipsis:
            feats.append("ellipsis")
        else:
            feats.append("no_terminal_punct")
            if text[-1] in ",;:-–—(":
                feats.append("clause_break")
        if teaser_shaped:
            feats.append("teaser_run")  # a cut-off paragraph after a teaser: the next teaser
    elif chars >= config.short_teaser_min_chars and (
        line.ellipsis or line.read_more_at is not None
    ):
        feats.append("short_cut")
        if teaser_shaped:
            feats.append("teaser_run")
    if line.caps_lead and line.kicker is None:
        feats.append("caps_headline_lead")
    last = seg.lines[-1].boilerplate
    if last is not None:
        if last in END_LABELS:
            feats.append("after_credit")
        elif last in HEAD_LABELS:
            feats.append("after_byline")
        elif last == "photo_credit":
            feats.append("after_photo_credit")
        else:
            feats.append("after_boilerplate" if seg.lines[-1].words > 1 else "after_separator")
    if nxt is not None and nxt.chars >= config.teaser_min_chars:
        if nxt.kicker is not None or nxt.cut_off:
            feats.append("before_teaser")
    if body[-1].text[-1] == ":":
        feats.append("after_colon")
    headline = False
    if line.headline and not only_headline:
        if text[-1] == ":":
            feats.append("headline_colon")
        elif i + 1 < len(lines) and lines[i + 1].boilerplate in HEAD_LABELS:
            headline = True
            feats.append("headline_before_byline")
        elif i + 1 < len(lines) and lines[i + 1].boilerplate is not None:
            headline = True
            feats.append("headline_before_chrome")
        elif nxt is not None and k >= 0 and _NAME.fullmatch(nxt.text) and (
            lines[k].chars >= 80 and not lines[k].headline
        ):
            headline = True
            feats.append("headline_before_name")
        elif (
            (text[0].isupper() or text[0].isdigit())
            and nxt is not None
            and nxt.chars >= max(2 * chars, 80)
            and not nxt.headline
        ):
            headline = True
            feats.append("headline_question" if text[-1] == "?" else "headline")
        if headline and seg.subheads:
            feats.append("subhead_repeat")
    elif chars < 80 and line.terminal and line.kicker is None:
        feats.append("short_line")
    if line.dateline:
        feats.append("dateline")
    if line.continuation:
        feats.append("continuation_start")
    if body[-1].chars <= 4 and body[-1].text.rstrip(".)").isdigit():
        feats.append("after_list_marker")
    first = text[0]
    if not first.isalpha():
        if _BULLET.match(text):
            feats.append("list_item")
        if first.isdigit() and _TIME_LEAD.match(text):
            feats.append("time_stamp")
    if len(body) >= 6:
        feats.append("long_story")
    bio_at = len(feats)  # where "author_bio" is listed; it is tested later (``_author_bio``)
    # lexical cohesion with the whole story so far and with what follows
    words = seg.words
    vocab = line.vocab
    n_vocab = len(vocab)
    hits = len(words.intersection(vocab)) if n_vocab else 0
    left = hits / n_vocab if n_vocab else 0.0
    ev["cohesion_left"] = left
    if cut and left >= config.cohesion_weak:
        feats.append("cut_cohesive")
    # One short opening paragraph (a lede) is too little context to judge a change of topic.
    n_par = len(body) - 1 if seg.headed else len(body)
    if n_par <= 1 and (n_par == 0 or body[-1].chars < config.lede_max_chars):
        feats.append("lede_only")
        # (the author's note is all the tail there is here: left out as below)
        if scoring is None or not scoring.stays_below(feats, seg.subheads > 0, headline):
            _author_bio(feats, bio_at, text)
        return feats, ev
    if n_vocab:
        if left < config.cohesion_low:
            feats.append("cohesion_drop")
            if nxt is not None and nxt.vocab:
                right = len(frozenset(vocab).intersection(nxt.vocab)) / n_vocab
                ev["cohesion_right"] = right
                if right >= config.cohesion_high:
                    feats.append("cohesion_shift")
        elif left < config.cohesion_weak:
            feats.append("cohesion_weak")
        elif left >= config.cohesion_high:
            feats.append("cohesive")
    if scoring is not None and scoring.stays_below(feats, seg.subheads > 0, headline):
        return feats, ev
    _author_bio(feats, bio_at, text)
    # the block: this line and the next two, unless they are teasers of their own
    total = n_vocab
    ahead_hits = ahead_total = 0
    for b in (nxt, lines[k] if k >= 0 else None):
        if b is None or b.kicker or b.caps_lead or b.cut_off and b.chars >= config.teaser_min_chars:
            break
        bv = b.vocab
        ahead_total += len(bv)
        ahead_hits += len(words.intersection(bv))
    total += ahead_total
    if ahead_total:
        ahead = ahead_hits / ahead_total
        ev["cohesion_ahead"] = ahead
        if ahead < config.cohesion_low:
            feats.append("block_cohesion_drop")
    if total:
        whole = (hits + ahead_hits) / total
        ev["cohesion_story"] = whole
        if whole >= config.cohesion_high:
            feats.append("story_cohesive")
        elif whole < config.cohesion_low:
            feats.append("story_drop")
            if total >= 12 and hits + ahead_hits == 0:
                feats.append("story_none")
            if seg.subheads:
                feats.append("structured_drop")
        elif whole < config.cohesion_weak:
            feats.append("story_weak")
        if headline:
            if whole < config.cohesion_weak:
                feats.append("topic_change")
            elif whole >= config.cohesion_high:
                feats.append("same_topic")
    return feats, ev


def _author_bio(feats: list[str], at: int, text: str) -> None:
    """List "author_bio" at ``at`` when the line is an author's note (tested last: the regex
    costs as much as the rest of the structural tests, and most decisions do not need it)."""
    if text[0].isupper() and _AUTHOR_BIO.match(text, 0, 200):
        feats.insert(at, "author_bio")


def _heading_block(seg: Segment, config: SplitConfig) -> bool:
    """The story so far is only its heading: no body yet, or a few short lines (title, deck)."""
    if len(seg.body) > 3:
        return False
    return all(b.chars < config.teaser_min_chars and b.words <= 30 for b in seg.body)


def _opens_story(
    seg: Segment, lines: list[Line], i: int, follow: list[int], config: SplitConfig
) -> bool:
    """A byline or date line opens a new story when a headline precedes it, or when the
    paragraphs after it leave the story's words (a signature at an article's end does not)."""
    k = len(seg.lines)
    while k > 0 and seg.lines[k - 1].boilerplate is not None:
        k -= 1
    if k > 1 and seg.lines[k - 1].headline:
        return True
    line = lines[i]
    if (
        line.boilerplate == "byline"
        and seg.lines[-1].boilerplate is None
        and not line.text[:3].lower().startswith(("by ", "by:"))
    ):
        return False  # "Posted by NAME" right after a paragraph signs that story off
    hits = total = 0
    j = follow[i]
    for _ in range(3):
        if j < 0:
            break
        total += len(lines[j].vocab)
        hits += len(seg.words.intersection(lines[j].vocab))
        j = follow[j]
    return total > 0 and hits / total < config.cohesion_high


def _headline_tail(seg: Segment, config: SplitConfig) -> list[Line]:
    """Take the headline lines (and boilerplate after them) off the end of ``seg``.

    A byline or a date line opens a story; a headline right before it is that story's headline.
    """
    k = len(seg.lines)
    while k > 0 and seg.lines[k - 1].boilerplate is not None:
        k -= 1
    cut = k
    heads = 0
    while cut > 1 and heads < 2:
        cand = seg.lines[cut - 1]
        if cand.boilerplate is not None or not cand.headline:
            break
        if heads and cand.words < 3:
            break  # a name signing the story off, not a headline above a deck
        cut -= 1
        heads += 1
    if heads == 0 or not any(b.boilerplate is None for b in seg.lines[:cut]):
        return []
    return seg.trim(cut)


# Evidence from word cohesion alone. On a page in a language without cues (not English, not CJK)
# these never make a boundary by themselves: a structural feature must be among the reasons.
LEXICAL = frozenset({
    "cohesion_drop", "cohesion_weak", "cohesion_shift", "block_cohesion_drop", "story_drop",
    "story_none", "story_weak", "cut_cohesive", "topic_change", "long_story",
})
# The features ``boundary_features`` tests last, and may leave out (see ``Scoring.stays_below``).
_TAIL = ("author_bio", "block_cohesion_drop", "story_cohesive", "story_drop", "story_none",
         "structured_drop", "story_weak", "topic_change", "same_topic")


@dataclass(frozen=True, slots=True)
class Scoring:
    """How :func:`segment_lines` scores a line under one config."""

    weights: dict[str, float]
    structural: frozenset[str]  # positive features that are not cohesion alone
    threshold: float
    tail: tuple[float, float]  # the most ``_TAIL`` but the topic adds: without, with subheads
    topic: float  # the most the topic features add (after a headline-shaped line)

    @classmethod
    def of(cls, config: SplitConfig) -> Scoring:
        w = {name: getattr(config, weight_field(name)) for name in FEATURES}

        def most(subheads: bool) -> float:  # each group of exclusive outcomes at its best
            drop = w["story_drop"] + max(0.0, w["story_none"])
            drop += w["structured_drop"] if subheads else 0.0  # it comes with story_drop then
            story = max(0.0, w["story_cohesive"], drop, w["story_weak"])
            return max(0.0, w["author_bio"]) + max(0.0, w["block_cohesion_drop"]) + story

        return cls(w, frozenset(f for f, v in w.items() if v > 0.0 and f not in LEXICAL),
                   config.boundary_threshold, (most(False), most(True)),
                   max(0.0, w["topic_change"], w["same_topic"]))

    def stays_below(self, feats: list[str], subheads: bool, headline: bool) -> bool:
        """The score of ``feats`` plus the most the tail can add stays below the threshold
        (by a margin for rounding), and no rule lifts it there (a short cut in a teaser run)."""
        if "teaser_run" in feats and "short_cut" in feats:
            return False
        most = sum(map(self.weights.__getitem__, feats)) + self.tail[subheads]
        if headline:
            most += self.topic
        return most < self.threshold - 1e-9


_SCORINGS: dict[SplitConfig, Scoring] = {}
_LAST: list[tuple[SplitConfig, Scoring]] = []


def _scoring(config: SplitConfig) -> Scoring:
    """The scoring under ``config``; the last config is found by identity (hashing a config of
    ~60 fields costs more than splitting a short page's lines)."""
    last = _LAST[-1] if _LAST else None  # read once: other threads may replace it
    if last is not None and last[0] is config:
        return last[1]
    got = _SCORINGS.get(config)
    if got is None:
        if len(_SCORINGS) > 64:
            _SCORINGS.clear()
        got = _SCORINGS[config] = Scoring.of(config)
    _LAST[:] = [(config, got)]
    return got


def segment_lines(
    lines: list[Line], config: SplitConfig, text: str | None = None
) -> list[Segment]:
    """Group the non-blank lines into stories. When word cohesion alone would start a story,
    ``text`` (the page) is asked whether its language has cues (:func:`has_language_cues`,
    once, only then): if not, the line stays in the story."""
    segments: list[Segment] = []
    lexical: bool | None = None if text is not None else True
    seg: Segment | None = None
    scoring = _scoring(config)
    weights, structural, threshold = scoring.weights, scoring.structural, scoring.threshold
    follow = next_body_index(lines)
    for i, line in enumerate(lines):
        if seg is None:
            seg = Segment([], 1.0, ["document_start"], {"score": 1.0})
            seg.add(line, config)
            segments.append(seg)
            continue
        if line.boilerplate is not None:
            if (
                line.boilerplate in HEAD_LABELS
                and not _heading_block(seg, config)
                and _opens_story(seg, lines, i, follow, config)
            ):
                reason = "byline" if line.boilerplate == "byline" else "dateline"
                ev: dict[str, Any] = {"score": 0.9, "boilerplate": line.boilerplate}
                new = Segment([], 0.9, [reason], ev)
                for moved in _headline_tail(seg, config):
                    new.add(moved, config)
                    if moved.boilerplate is None:
                        new.reasons.append("headline_before_byline")
                seg = new
                segments.append(seg)
            seg.add(line, config)
            continue
        if not seg.body:  # only boilerplate so far: this line belongs to the same story
            seg.add(line, config)
            continue
        feats, ev = boundary_features(seg, lines, i, config, follow, scoring)
        score = 0.0
        for f in feats:
            score += weights[f]
        if "teaser_run" in feats and "short_cut" in feats:
            score = max(score, threshold)  # "... Continue reading" after a teaser: the next one
        if score >= threshold and lexical is not True and structural.isdisjoint(feats):
            if lexical is None:
                lexical = has_language_cues(text or "")
            if not lexical:
                score = min(score, threshold - 1e-9)  # cohesion alone, and no language cues
        if score >= threshold:
            ev["score"] = score
            reasons = [f for f in feats if weights[f] > 0.0] or feats
            seg = Segment([], score, reasons, ev)
            segments.append(seg)
        seg.add(line, config)
    return segments
