"""The story splitter: one scraped page in, the stories it holds out.

``split(text)`` returns :class:`~segmenter.model.Story` records that tile the text: in order, not
overlapping, each starting at a line start and ending at a line end, together covering every
non-whitespace character. Each story says whether it is a full ``article`` or a ``teaser`` (the
opening of another article), whether it is cut off, its ALL-CAPS kicker, the boilerplate lines
inside it, and the evidence (reasons and a 0..1 score) for the boundary that starts it.

Modules: ``features`` (line features), ``boilerplate`` (credit/byline/kicker patterns), ``rules``
(boundary scoring and grouping), this module (story records: kind, truncation, kicker).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..model import Boilerplate, Story, StoryKind
from .config import SplitConfig

if TYPE_CHECKING:  # (imported by split(): `segmenter.config` loads this package, not them)
    from .rules import Segment

__all__ = ["SplitConfig", "split"]

_DEFAULT = SplitConfig()


def split(text: str, config: SplitConfig | None = None) -> list[Story]:
    """Split ``text`` (one paragraph a line) into stories. Empty or blank text gives ``[]``."""
    cfg = config if config is not None else _DEFAULT
    if not isinstance(text, str):
        raise TypeError(f"split() needs a str, got {type(text).__name__}")
    line_features, segment_lines = _STEPS or _steps()
    lines = line_features(text, cfg)
    if not lines:
        return []
    segments = segment_lines(lines, cfg, text)
    alone = len(segments) == 1
    return [_story(i, seg, cfg, alone) for i, seg in enumerate(segments)]


_STEPS: list[Any] = []  # line_features, segment_lines: imported on the first split


def _steps() -> list[Any]:
    """The two steps of ``split``, imported once (an import statement in ``split`` itself costs
    about a microsecond a page)."""
    from .features import line_features
    from .rules import segment_lines

    _STEPS[:] = [line_features, segment_lines]
    return _STEPS


def _kind(seg: Segment, cfg: SplitConfig, alone: bool) -> tuple[StoryKind, list[str]]:
    """A teaser is one long paragraph (not headed by a headline line); the rest are articles."""
    if len(seg.body) != 1:
        return "article", ["multi_paragraph"] if len(seg.body) > 1 else ["no_paragraph"]
    line = seg.body[0]
    if line.chars < cfg.teaser_min_chars:
        if line.chars >= cfg.short_teaser_min_chars and (
            line.ellipsis or line.read_more_at is not None
        ):
            return "teaser", ["cut_off_short"]  # "...", "Continue reading »": says it goes on
        return "article", ["short_paragraph"]
    if line.kicker is not None:
        return "teaser", ["kicker"]
    if line.cut_off:
        return "teaser", ["cut_off"]
    if alone:
        return "article", ["single_story"]
    return "teaser", ["single_paragraph"]


def _confidence(score: float, threshold: float) -> float:
    return round(1.0 / (1.0 + math.exp(-4.0 * (score - threshold))), 3)


def _story(index: int, seg: Segment, cfg: SplitConfig, alone: bool) -> Story:
    kind, kind_reasons = _kind(seg, cfg, alone)
    boilerplate: list[Boilerplate] = []
    for line in seg.lines:
        if line.boilerplate is not None:
            boilerplate.append(Boilerplate(line.end - line.chars, line.end, line.boilerplate))
        elif line.read_more_at is not None:
            boilerplate.append(Boilerplate(line.read_more_at, line.end, "read_more"))
    first_body = seg.body[0] if seg.body else None
    kicker = first_body.kicker if first_body is not None and kind == "teaser" else None
    last_body = seg.body[-1] if seg.body else None
    truncated = kind == "teaser"
    if kind == "teaser" and last_body is not None and not last_body.cut_off:
        kind_reasons.append("ends_sentence")
    reasons = tuple(dict.fromkeys([*seg.reasons, *kind_reasons]))
    score = 1.0 if index == 0 else _confidence(seg.score, cfg.boundary_threshold)
    evidence = {k: round(v, 3) if isinstance(v, float) else v for k, v in seg.evidence.items()}
    evidence["kind"] = kind_reasons
    evidence["lines"] = [seg.lines[0].index, seg.lines[-1].index]
    return Story(
        index=index,
        start=seg.lines[0].start,
        end=seg.lines[-1].line_end,
        kind=kind,
        truncated=truncated,
        kicker=kicker,
        boilerplate=tuple(boilerplate),
        score=score,
        reasons=reasons,
        evidence=evidence,
    )
