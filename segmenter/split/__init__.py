"""The story splitter (placeholder until the splitter issue lands): one article story per text."""

from __future__ import annotations

from ..model import Story
from .config import SplitConfig

__all__ = ["SplitConfig", "split"]


def split(text: str, config: SplitConfig | None = None) -> list[Story]:
    """Split ``text`` into stories that tile it. Placeholder: the whole text is one article."""
    if not text.strip():
        return []
    return [Story(0, 0, len(text), "article", False, None, (), 0.0, ("single_story",))]
