"""Thresholds of the story splitter. Owned by the splitter; re-exported by ``segmenter.config``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SplitConfig:
    """Every threshold the splitter uses lives here (placeholder: the splitter issue fills it)."""

    boundary_threshold: float = 0.5
