"""Counts and articles in messages people read: "1 document", "2 documents", "an exact
duplicate"."""

from __future__ import annotations

__all__ = ["a", "count"]

_IRREGULAR = {"story": "stories", "was": "were", "is": "are"}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun`` in the number ``n`` asks for: ``count(1, "story")`` is "1 story",
    ``count(2, "story")`` "2 stories"; the last word of a phrase is the one inflected."""
    if n == 1:
        return f"{n} {noun}"
    if plural is None:
        head, _, last = noun.rpartition(" ")
        word = _IRREGULAR.get(last, last + ("es" if last.endswith(("s", "x", "ch")) else "s"))
        plural = f"{head} {word}" if head else word
    return f"{n} {plural}"


def a(word: str) -> str:
    """``word`` with its indefinite article: "an exact", "a near"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
