"""ftfy's mojibake detector (``ftfy.badness.is_bad``), searched only where it can match.

``BADNESS_RE`` tries ~35 branches at every position of a text (~0.16 us a position). Two facts,
both derived from the expression itself at import time, let :func:`is_bad` search far less:

* every match contains a non-ASCII character and is at most ``WIDTH`` characters long, so only
  windows around the non-ASCII runs are searched;
* in most branches, a non-ASCII character can match only next to another non-ASCII one (the
  curly quotes and dashes of ordinary text are such characters). A window whose only non-ASCII
  character is one of those, with no other within ``WIDTH - 1`` characters, cannot hold a match
  and is not searched. The characters that can match with ASCII around them are collected in
  ``LONE`` (a superset: any item that may match ASCII is taken to).

If a future ftfy breaks a fact (an item the analysis does not know, a wider match), the
detector falls back to windows everywhere, or to the whole text.
"""

from __future__ import annotations

import re
from typing import Any

from ftfy.badness import BADNESS_RE

__all__ = ["is_bad"]

try:
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # Python 3.10
    import sre_parse  # type: ignore[no-redef]

def _branches() -> list[Any]:
    parsed = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    items = list(parsed)
    if len(items) == 1 and items[0][0] == sre_parse.BRANCH:
        return list(items[0][1][1])
    return [parsed]


def _chars(item: Any) -> set[int] | None:
    """The code points one item matches (none for an anchor), or None when they are not listed
    (a category such as \\s, a negated class, '.', a repeat: anything, conservatively)."""
    op, arg = item
    if op == sre_parse.LITERAL:
        return {arg}
    if op == sre_parse.AT:
        return set()
    if op != sre_parse.IN:
        return None
    found: set[int] = set()
    for o, a in arg:
        if o == sre_parse.LITERAL:
            found.add(a)
        elif o == sre_parse.RANGE:
            found.update(range(a[0], a[1] + 1))
        else:
            return None
    return found


def _may_be_ascii(item: Any) -> bool:
    """The item may match an ASCII character, or nothing (an anchor, an optional item)."""
    op, arg = item
    if op == sre_parse.MAX_REPEAT and arg[0] == 0:
        return True
    chars = _chars(item)
    return chars is None or not chars or min(chars) < 0x80


def _needs_non_ascii(branch: Any) -> bool:
    """One item of the branch matches only non-ASCII characters."""
    return any(not _may_be_ascii(item) for item in branch)


def _lone() -> frozenset[str] | None:
    """The non-ASCII characters that may be a match's only non-ASCII character; None when an
    item that could be one is not a listed class."""
    lone: set[int] = set()
    for branch in _branches():
        for k, item in enumerate(branch):
            if not all(_may_be_ascii(other) for j, other in enumerate(branch) if j != k):
                continue
            chars = _chars(item)
            if chars is None:
                return None
            lone.update(c for c in chars if c >= 0x80)
    return frozenset(map(chr, lone))


def _shape() -> tuple[int | None, frozenset[str] | None]:
    """``(WIDTH, LONE)``; WIDTH None when windows are not exact (then the whole text is
    searched)."""
    try:
        width = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags).getwidth()[1]
        if width > 64 or not all(_needs_non_ascii(b) for b in _branches()):
            return None, None
        return width, _lone()
    except Exception:  # pragma: no cover - depends on the ftfy/Python version
        return None, None


WIDTH, LONE = _shape()
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def _window() -> re.Pattern[str] | None:
    """An expression found in a text only where :func:`is_bad` has a window to search: a
    non-ASCII character of ``LONE``, or two non-ASCII characters less than ``WIDTH - 1`` apart
    (a run, or neighbours close enough to share a match). One search of it rules out a page of
    isolated curly quotes and dashes without a step per character."""
    if WIDTH is None or LONE is None:
        return None
    near = f"[\\x00-\\x7f]{{0,{max(WIDTH - 2, 0)}}}[^\\x00-\\x7f]"
    lone = f"(?<=[{re.escape(''.join(sorted(LONE)))}])|" if LONE else ""
    return re.compile(f"[^\\x00-\\x7f](?:{lone}{near})")


_WINDOW = _window()


def is_bad(text: str) -> bool:
    """``ftfy.badness.is_bad(text)``, searched only around non-ASCII characters that can be in
    a match (see the module docstring)."""
    if text.isascii():
        return False  # ftfy's fix_encoding skips ASCII text before calling is_bad
    if WIDTH is None:
        return BADNESS_RE.search(text) is not None
    if _WINDOW is not None and _WINDOW.search(text) is None:
        return False  # every non-ASCII character is alone and not in LONE: nothing to search
    reach = WIDTH - 1
    lone = LONE
    search = BADNESS_RE.search
    n = len(text)
    runs = [m.span() for m in _NON_ASCII_RUN.finditer(text)]
    lo = hi = -1
    prev_end = -n  # end of the previous run
    for i, (a, b) in enumerate(runs):
        after = runs[i + 1][0] if i + 1 < len(runs) else 2 * n + reach
        if (
            lone is not None
            and b - a == 1
            and text[a] not in lone
            and a - prev_end >= reach  # no other non-ASCII character a match could also hold
            and after - b >= reach
        ):
            prev_end = b
            continue
        prev_end = b
        start, end = max(0, a - reach), min(n, b + reach)
        if start <= hi:  # merge overlapping windows
            hi = end
            continue
        if hi >= 0 and search(text, lo, hi):
            return True
        lo, hi = start, end
    return hi >= 0 and search(text, lo, hi) is not None
