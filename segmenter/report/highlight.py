"""Mark the text a cluster's members share: word n-grams found in another member.

Returns escaped HTML with ``<mark>`` around shared runs; everything else is escaped text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

__all__ = ["highlight_shared", "shared_spans"]

_WORD = re.compile(r"\w+")
N = 4  # words per shingle: short enough to catch edited copies, long enough not to mark "of the"


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, normalised token); text without spaces (CJK) is tokenised by character."""
    if text and " " not in text.strip() and len(text) > 40:
        return [(i, i + 1, ch) for i, ch in enumerate(text) if not ch.isspace()]
    return [(m.start(), m.end(), m.group().casefold()) for m in _WORD.finditer(text)]


def _grams(tokens: list[tuple[int, int, str]], n: int) -> set[tuple[str, ...]]:
    words = [t[2] for t in tokens]
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def shared_spans(text: str, others: Sequence[str], n: int = N) -> list[tuple[int, int]]:
    """Character spans of ``text`` covered by a word n-gram that also occurs in one of
    ``others``; touching spans are merged."""
    tokens = _tokens(text)
    if len(tokens) < n or not others:
        return []
    pool: set[tuple[str, ...]] = set()
    for other in others:
        pool |= _grams(_tokens(other), n)
    words = [t[2] for t in tokens]
    marked = [False] * len(tokens)
    for i in range(len(tokens) - n + 1):
        if tuple(words[i:i + n]) in pool:
            for j in range(i, i + n):
                marked[j] = True
    spans: list[tuple[int, int]] = []
    for (start, end, _), on in zip(tokens, marked, strict=True):
        if not on:
            continue
        if spans and _only_gap(text, spans[-1][1], start):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _only_gap(text: str, a: int, b: int) -> bool:
    """Between two marked words only spaces and punctuation (no word, no line break)."""
    gap = text[a:b]
    return "\n" not in gap and not _WORD.search(gap)


def highlight_shared(text: str, others: Sequence[str], limit: int | None = None) -> str:
    """Escaped ``text`` (cut at ``limit`` characters) with ``<mark>`` around shared runs."""
    spans = shared_spans(text, others)
    end = len(text) if limit is None else min(len(text), limit)
    out: list[str] = []
    pos = 0
    for a, b in spans:
        if a >= end:
            break
        b = min(b, end)
        out.append(escape(text[pos:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        pos = b
    out.append(escape(text[pos:end]))
    return "".join(out)
