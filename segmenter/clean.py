"""Text repair with ftfy: conservative defaults, a fast path, and the list of steps applied.

The output of :func:`clean_text` is always identical to ``ftfy.fix_text(text, config.to_ftfy())``.
What makes it fast is a *gate*: most scraped text needs no repair, and for such text ftfy spends
its time proving that (its mojibake detector runs at ~2.6 MB/s on non-ASCII text). The gate proves
it faster with checks that are each a sufficient condition for "every ftfy fixer is a no-op":

* no character that any enabled fixer touches (HTML entities, control and C1 characters, CR and
  Unicode line separators, surrogates, ANSI escapes; ligatures, full-width forms and curly quotes
  only when those fixers are enabled), found with one character-class search;
* the text is already in the configured normal form (``unicodedata.is_normalized``);
* ftfy's own mojibake detector (``ftfy.badness.BADNESS_RE``) finds nothing — run only on small
  windows around the non-ASCII characters that can be part of a match (:mod:`segmenter.badness`
  derives which from the expression itself, and falls back to the whole text if it cannot).

Text that fails the gate goes through ftfy segment by segment exactly as ``ftfy.fix_text`` does
(one line at a time, with its sticky ``unescape_html='auto'`` rule), with ``explain`` on, so the
steps come for free; lines that pass the gate are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

import ftfy
from ftfy import chardata

from .badness import is_bad
from .config import CleanConfig
from .model import CleanReport, Document

__all__ = ["clean", "clean_documents", "clean_text", "needs_repair"]

_DEFAULT = CleanConfig()


def _suspect_chars(config: CleanConfig) -> set[int]:
    """Every character an enabled fixer may change (HTML entities are checked on their own)."""
    chars: set[int] = {0x1B}  # ANSI escapes (HTML entities are checked on their own)
    if config.fix_line_breaks:
        chars |= {0x0D, 0x85, 0x2028, 0x2029}
    if config.remove_control_chars:
        chars |= set(chardata.CONTROL_CHARS)
    chars |= set(range(0x80, 0xA0))  # C1 controls (fix_c1_controls, fix_encoding)
    if config.fix_latin_ligatures:
        chars |= set(chardata.LIGATURES)
    if config.fix_character_width:
        chars |= set(chardata.WIDTH_MAP)
    if config.uncurl_quotes:
        chars |= {0x02BC, *range(0x2018, 0x201C), *range(0x201C, 0x2020)}
    return chars


@lru_cache(maxsize=32)
def _suspects(config: CleanConfig) -> re.Pattern[str]:
    """One character class holding every character an enabled fixer may change."""
    cls = "".join(re.escape(chr(c)) for c in sorted(_suspect_chars(config)))
    return re.compile(f"[{cls}\ud800-\udfff]")


@lru_cache(maxsize=32)
def _ascii_kept(config: CleanConfig) -> bytes:
    """The ASCII characters no enabled fixer changes (the complement of ``_suspects`` in ASCII):
    ``text.encode("ascii").translate(None, kept)`` leaves exactly the suspects of an ASCII text,
    a byte-table pass ~5x faster than the character-class search."""
    suspects = _suspect_chars(config)
    return bytes(c for c in range(0x80) if c not in suspects)


def needs_repair(text: str, config: CleanConfig = _DEFAULT) -> bool:
    """False only when ``ftfy.fix_text(text, config.to_ftfy())`` would return ``text`` unchanged.

    (True may still turn out to need no change: the gate is conservative.)
    """
    if text.isascii():  # most scraped text: the same tests, those that can fire on ASCII
        if text.encode("ascii").translate(None, _ascii_kept(config)):
            return True  # a suspect character
        # ASCII is in every normal form, and ftfy's fix_encoding skips it (see ``is_bad``).
        return bool(config.unescape_html and "&" in text
                    and chardata.HTML_ENTITY_RE.search(text))
    if _suspects(config).search(text) is not None:
        return True
    # '&' alone is common ("AT&T"): only an entity-shaped run can be unescaped.
    if config.unescape_html and "&" in text and chardata.HTML_ENTITY_RE.search(text):
        return True
    if config.normalization is not None and not text.isascii():
        if not unicodedata.is_normalized(config.normalization, text):
            return True
    return config.fix_encoding and is_bad(text)


@lru_cache(maxsize=32)
def _ftfy_configs(config: CleanConfig) -> tuple[Any, Any]:
    base = config.to_ftfy()._replace(explain=True)
    return base, base._replace(unescape_html=False)


def _step_name(step: Any) -> str:
    action, parameter = step
    return parameter if action == "apply" else f"{action}:{parameter}"


def clean_text(text: str, config: CleanConfig | None = None) -> tuple[str, CleanReport]:
    """Repair ``text`` with ftfy; return the text and the steps applied.

    The text equals ``ftfy.fix_text(text, config.to_ftfy())``.
    """
    config = config or _DEFAULT
    if config.fast_path and not needs_repair(text, config):
        return text, CleanReport()
    ftfy_config, no_unescape = _ftfy_configs(config)
    max_len = ftfy_config.max_decode_length
    out: list[str] = []
    steps: dict[str, None] = {}
    pos, n = 0, len(text)
    while pos < n:
        brk = text.find("\n", pos) + 1 or n
        if brk - pos > max_len:
            brk = pos + max_len
        segment = text[pos:brk]
        pos = brk
        # ftfy.fix_text: once a segment contains '<', entities stay escaped for the rest.
        if ftfy_config.unescape_html == "auto" and "<" in segment:
            ftfy_config = no_unescape
        if config.fast_path and not needs_repair(segment, config):
            out.append(segment)
            continue
        fixed, explanation = ftfy.fix_and_explain(segment, ftfy_config)
        out.append(fixed)
        if fixed == segment:
            continue  # ftfy tried something that changed nothing: not a step applied
        for step in explanation or ():
            steps.setdefault(_step_name(step), None)
    return "".join(out), CleanReport(tuple(steps))


def clean(doc: Document, config: CleanConfig | None = None) -> tuple[Document, CleanReport]:
    """Clean one document; its id, source and metadata are kept."""
    text, report = clean_text(doc.text, config)
    if text is doc.text:
        return doc, report
    return Document(doc.id, text, doc.source, doc.line, doc.meta), report


def clean_documents(
    docs: Iterable[Document], config: CleanConfig | None = None
) -> Iterator[tuple[Document, CleanReport]]:
    """Stream :func:`clean` over documents."""
    for doc in docs:
        yield clean(doc, config)
