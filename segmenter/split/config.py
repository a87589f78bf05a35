"""Thresholds of the story splitter. Owned by the splitter; re-exported by ``segmenter.config``.

Every number the splitter uses to decide lives here, so a user can tune it
(``[tool.segmenter.split]``) and read ``--explain`` output against it. Evidence weights are
added up into a boundary score; a new story starts where the score reaches
``boundary_threshold``. The defaults of both come from ``weights.py``, which
``bench/fit_split.py`` fits on the development sets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..errors import ConfigError
from .weights import THRESHOLD, WEIGHTS

__all__ = ["SplitConfig", "weight_field"]

# Weight fields whose names predate the fitted model (kept so existing configs still load).
_LEGACY = {
    "no_terminal_punct": "w_truncated",
    "continuation_start": "w_continuation",
    "block_cohesion_drop": "w_block_drop",
    "caps_headline_lead": "w_caps_lead",
}


def weight_field(feature: str) -> str:
    """The ``SplitConfig`` field holding the weight of boundary feature ``feature``."""
    return _LEGACY.get(feature, "w_" + feature)


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """Thresholds and evidence weights of the story splitter."""

    # decision
    boundary_threshold: float = THRESHOLD  # a story starts where the summed evidence reaches this
    # line shape
    headline_max_chars: int = 120  # a headline line is at most this long ...
    headline_max_words: int = 20  # ... and has at most this many words
    lede_max_chars: int = 300  # one opening paragraph shorter than this is a lede, not a teaser
    teaser_min_chars: int = 150  # a one-line story shorter than this is a teaser only when ...
    short_teaser_min_chars: int = 60  # ... it has this many and ends in "..."/"…"/"Read more"
    boilerplate_max_chars: int = 120  # credit/byline/share lines are at most this long
    kicker_max_words: int = 6  # an ALL-CAPS kicker has at most this many words
    # lexical cohesion (share of a line's content words already seen in the current story)
    cohesion_low: float = 0.05  # below this: a clear topic change
    cohesion_weak: float = 0.14  # below this: a weak topic change
    cohesion_high: float = 0.3  # at or above this: the line continues the story
    cohesion_window: int = 8  # unused since the fitted model (a line is compared with the whole
    # story so far); kept so that existing configs still load
    # evidence weights: one per boundary feature of ``rules.FEATURES`` (fit by bench/fit_split.py)
    w_after_teaser: float = WEIGHTS["after_teaser"]
    w_after_headline: float = WEIGHTS["after_headline"]
    w_kicker: float = WEIGHTS["kicker"]
    w_read_more: float = WEIGHTS["read_more"]
    w_ellipsis: float = WEIGHTS["ellipsis"]
    w_truncated: float = WEIGHTS["no_terminal_punct"]
    w_short_cut: float = WEIGHTS["short_cut"]
    w_teaser_run: float = WEIGHTS["teaser_run"]
    w_clause_break: float = WEIGHTS["clause_break"]
    w_cut_cohesive: float = WEIGHTS["cut_cohesive"]
    w_caps_lead: float = WEIGHTS["caps_headline_lead"]
    w_after_credit: float = WEIGHTS["after_credit"]
    w_after_boilerplate: float = WEIGHTS["after_boilerplate"]
    w_after_separator: float = WEIGHTS["after_separator"]
    w_after_byline: float = WEIGHTS["after_byline"]
    w_after_photo_credit: float = WEIGHTS["after_photo_credit"]
    w_before_teaser: float = WEIGHTS["before_teaser"]
    w_headline: float = WEIGHTS["headline"]
    w_headline_before_byline: float = WEIGHTS["headline_before_byline"]
    w_headline_question: float = WEIGHTS["headline_question"]
    w_headline_colon: float = WEIGHTS["headline_colon"]
    w_subhead_repeat: float = WEIGHTS["subhead_repeat"]
    w_topic_change: float = WEIGHTS["topic_change"]
    w_same_topic: float = WEIGHTS["same_topic"]
    w_dateline: float = WEIGHTS["dateline"]
    w_continuation: float = WEIGHTS["continuation_start"]
    w_list_item: float = WEIGHTS["list_item"]
    w_after_colon: float = WEIGHTS["after_colon"]
    w_time_stamp: float = WEIGHTS["time_stamp"]
    w_cohesion_drop: float = WEIGHTS["cohesion_drop"]
    w_cohesion_weak: float = WEIGHTS["cohesion_weak"]
    w_cohesive: float = WEIGHTS["cohesive"]
    w_cohesion_shift: float = WEIGHTS["cohesion_shift"]
    w_block_drop: float = WEIGHTS["block_cohesion_drop"]
    w_story_cohesive: float = WEIGHTS["story_cohesive"]
    w_story_drop: float = WEIGHTS["story_drop"]
    w_story_none: float = WEIGHTS["story_none"]
    w_story_weak: float = WEIGHTS["story_weak"]
    w_structured_drop: float = WEIGHTS["structured_drop"]
    w_lede_only: float = WEIGHTS["lede_only"]
    w_short_line: float = WEIGHTS["short_line"]
    w_long_story: float = WEIGHTS["long_story"]
    w_author_bio: float = WEIGHTS["author_bio"]
    w_after_list_marker: float = WEIGHTS["after_list_marker"]
    w_headline_before_chrome: float = WEIGHTS["headline_before_chrome"]
    w_headline_before_name: float = WEIGHTS["headline_before_name"]

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(
                    f"split option {f.name} must be a number, got {value!r}; "
                    f"set it like {f.name} = {f.default!r}"
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"split option {f.name} must be a finite number, got {value!r}")
        if not 0.0 < self.boundary_threshold <= 5.0:
            raise ConfigError(
                f"boundary_threshold must be in (0.0, 5.0], got {self.boundary_threshold}; "
                "lower it to split more, raise it to split less (default 0.5)"
            )
        for name in (
            "headline_max_chars",
            "headline_max_words",
            "teaser_min_chars",
            "short_teaser_min_chars",
            "lede_max_chars",
            "boilerplate_max_chars",
            "kicker_max_words",
            "cohesion_window",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if not 0.0 <= self.cohesion_low <= self.cohesion_weak <= self.cohesion_high <= 1.0:
            raise ConfigError(
                "cohesion thresholds must satisfy 0 <= cohesion_low <= cohesion_weak <= "
                f"cohesion_high <= 1, got {self.cohesion_low}, {self.cohesion_weak}, "
                f"{self.cohesion_high}"
            )
