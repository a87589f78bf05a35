"""Thresholds of the story splitter. Owned by the splitter; re-exported by ``segmenter.config``.

Every number the splitter uses to decide lives here, so a user can tune it
(``[tool.segmenter.split]``) and read ``--explain`` output against it. Evidence weights are
added up into a boundary score; a new story starts where the score reaches
``boundary_threshold``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from ..errors import ConfigError


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """Thresholds and evidence weights of the story splitter."""

    # decision
    boundary_threshold: float = 0.5  # a story starts where the summed evidence reaches this
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
    cohesion_window: int = 8  # content lines of the current story compared against
    # evidence weights
    w_after_teaser: float = 1.0  # a teaser is one paragraph: the next line starts a new story
    w_kicker: float = 1.0
    w_truncated: float = 0.8  # a long line cut off (no terminal punctuation, "...", "Read more")
    w_after_credit: float = 0.6  # the story so far ends with a sign-off ("Reuter", "Reporting by")
    w_after_boilerplate: float = 0.0  # ... with a share / read-more line (found mid-story too)
    w_headline: float = 0.5
    w_dateline: float = 0.45
    w_cohesion_drop: float = 0.3
    w_cohesion_weak: float = 0.2
    w_cohesion_shift: float = 0.2  # the line shares more with the next line than with the story
    w_cohesive: float = -0.5
    w_continuation: float = -0.6  # starts with a pronoun or connective ("He", "But", "However")
    w_block_drop: float = 0.1  # the line and the next one share almost nothing with the story
    w_caps_lead: float = 0.4  # opens with an ALL-CAPS headline run into the text ("GM TO IDLE ...")

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
