"""Line features: what one line of a page looks like, computed once, in one pass.

A page is one paragraph a line. For each non-blank line we record its offsets, its shape (length,
words, terminal punctuation), the cues at its start (kicker, dateline, pronoun) and at its end
(cut off, ellipsis, 'Read more'), whether it is a boilerplate line, and the set of content words
used for lexical cohesion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import filterfalse

from .boilerplate import (
    DATELINE_SECOND,
    READ_MORE_ENDS,
    boilerplate_label,
    dateline_prefix,
    kicker_of,
    read_more_tail,
    trie_pattern,
)
from .config import SplitConfig

__all__ = ["Line", "line_features", "ends_terminal"]

# Closing quotes and brackets that may follow the terminal mark ("... he said.”).
_CLOSERS = "\"'”’»)]」』】）›"
_TERMINALS = frozenset(".!?。！？!?‼")
_ELLIPSES = ("...", "…", ". . .")
# Words of scripts written with spaces; CJK runs have no spaces, so their character pairs
# (bigrams) stand in for words.
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}")
_WORD = re.compile(r"[^\W\d_]{4,}")
_CJK_TOKEN = re.compile(r"[^\W\d_]{2,}")
_ASCII_WORD = re.compile(r"[a-z]{4,}")
_NO_OTHER_LETTERS = re.compile(r"[\x00-\x7f\W]*")  # no word character but ASCII ones
_EMPTY: frozenset[str] = frozenset()
# Above this many characters a text keeps each line's words as a tuple of strings shared by all
# its lines (about 1/10 of the memory of one frozenset per line; a little slower to build).
COMPACT_TEXT = 1 << 22
_SPLIT_AT = 1 << 20  # texts longer than this are split into lines one at a time
_COHESION_PREFIX = 600  # content words are taken from at most this many characters of a line

# Generic English function words: never evidence of a shared topic.
_STOP = frozenset(
    """that this with from have were said will would there their they been which when what about
    after also into more than other some could over only such then them these those while where
    being because before under since between during against among very just says told year years
    last first your here most many much even well back made make like does doing done each both
    either same should must might shall upon whom whose just still through across around until
    again once ever every week weeks month months today yesterday tomorrow monday tuesday
    wednesday thursday friday saturday sunday percent people time times says according added
    going because however although though without within""".split()
)
# The commonest English words, with the spaces around them: their share of a page's spaces
# tells an English page (whose word cohesion the weights were fit on) from a page in a language
# the splitter has no cues for. The splitter asks only when word cohesion alone
# would start a story.
_ENGLISH = (" the ", " and ", " of ", " to ", " in ", " is ", " was ", " for ", " that ")


def has_language_cues(text: str, sample: int = 8000) -> bool:
    """True for a page whose words the cohesion features can judge: English (its commonest
    words follow at least 5% of the spaces of its first ``sample`` characters) or CJK (compared
    by character pairs). Other languages fall back to structure."""
    head = text[:sample]
    spaces = head.count(" ")
    if spaces < 20 or not head.isascii() and _CJK_RUN.search(head):
        return True  # too little text to tell, or CJK
    head = head.lower()
    need, found = 0.05 * spaces, 0
    for word in _ENGLISH:  # commonest first: an English page stops after a count or two
        found += head.count(word)
        if found >= need:
            return True
    return False


# Words that open a paragraph continuing the one before (anaphora, connectives).
_CONTINUATIONS = frozenset(
    """he she they it its his her their them we i but and or so yet also however meanwhile
    moreover furthermore nevertheless nonetheless instead still then thus therefore besides
    separately further additionally likewise similarly otherwise this these those that such
    there here both""".split()
)


def _lowers_to(letter: str) -> str:
    """A character class of the characters whose ``str.lower()`` is the ASCII ``letter``: itself,
    its capital, and for "k" the Kelvin sign (a test checks this over every code point)."""
    return f"[{letter}{letter.upper()}{chr(0x212A) if letter == 'k' else ''}]"


# The line opens with one of them: its first word (after at most 8 non-letters, a letter and the
# word characters and apostrophes after it), lower-cased as ``str.lower`` does, is in the set.
# One match, no word string made (tests compare it with that definition).
_CONTINUATION = re.compile(
    r"[\W\d_]{0,8}" + trie_pattern(_CONTINUATIONS, _lowers_to) + r"(?![\w'’])"
)


@dataclass(slots=True)
class Line:
    """One non-blank line of the page."""

    index: int  # line number in the page (0-based, counting blank lines)
    start: int  # offset of the line start
    end: int  # offset after the last non-space character
    line_end: int  # offset of the line end (before "\n", and before a trailing "\r")
    text: str  # the line without surrounding whitespace
    chars: int
    _words: int  # the word count, or 0 until it is first asked for (see ``words``)
    terminal: bool  # ends a sentence (".", "!", "?", CJK marks; closing quotes allowed)
    ellipsis: bool  # ends with "..." or "…"
    read_more_at: int | None  # offset in the page of a trailing "Read more" cue
    boilerplate: str | None  # label when the whole line is boilerplate
    kicker: str | None
    dateline: bool  # opens with a wire dateline
    continuation: bool  # opens with a pronoun or connective
    caps_lead: bool  # opens with 3+ ALL-CAPS words run into ordinary text (a glued headline)
    headline: bool  # short, no sentence end, not boilerplate (see ``headline_like``)
    # content words (lower-cased, 4+ letters, no function words) for cohesion; none for boilerplate
    vocab: frozenset[str] | tuple[str, ...]  # a tuple of shared strings in a long text
    cut_off: bool  # stops mid-sentence, or says it goes on elsewhere ("...", "Read more")
    _sentences: int = 0  # computed on first use (see ``sentences``)

    @property
    def words(self) -> int:
        """The words of the line (spaces plus one; 99 from 400 characters on), counted on first
        use: most lines never need it."""
        n = self._words
        if not n:
            n = self._words = _word_count(self.text)
        return n

    @property
    def sentences(self) -> int:
        """A rough count of the sentences in the line (computed on first use)."""
        n = self._sentences
        if not n:
            n = self._sentences = _sentences(self.text[:_COHESION_PREFIX])
        return n

    def headline_like(self, config: SplitConfig) -> bool:
        """Short, no sentence end, not boilerplate: looks like a headline.

        Decided once by ``line_features`` with its config (``headline_max_chars``/``_words``)."""
        return self.headline


def _word_count(text: str) -> int:
    """A line's words, roughly: its spaces plus one (99 from 400 characters on)."""
    return text.count(" ") + 1 if len(text) < 400 else 99


def ends_terminal(text: str) -> bool:
    """True when ``text`` ends with sentence-final punctuation, closing quotes allowed."""
    end = len(text)
    while end > 0 and (text[end - 1] in _CLOSERS or text[end - 1].isspace()):
        end -= 1
    return end > 0 and text[end - 1] in _TERMINALS


def _vocab(text: str) -> frozenset[str]:
    """Content words (4+ letters, lower-cased, no function words) of ``text``; CJK bigrams."""
    low = text.lower()
    if low.isascii():
        return frozenset(_ASCII_WORD.findall(low)) - _STOP
    if _CJK_RUN.search(low) is None:
        return frozenset(_WORD.findall(low)) - _STOP
    words: set[str] = set()
    for tok in _CJK_TOKEN.findall(low):
        if max(tok) < "\u3040":  # no CJK letter: an ordinary word
            if len(tok) >= 4:
                words.add(tok)
        else:
            for run in _CJK_RUN.findall(tok):
                words.update(run[k : k + 2] for k in range(len(run) - 1))
    return frozenset(words - _STOP)


def _sentences(text: str) -> int:
    """A rough count of the sentences in ``text`` (sentence marks followed by a space, plus one)."""
    return (
        text.count(". ")
        + text.count('." ')
        + text.count(".” ")
        + text.count("? ")
        + text.count("! ")
        + text.count("。")
        + text.count("！")
        + text.count("？")
        + 1
    )


def _caps_lead(text: str) -> bool:
    """True when the line opens with 3+ words without lower-case letters, then ordinary text."""
    sp = text.find(" ", 0, 40)
    if sp < 2 or not text[:sp].isupper():
        return False
    caps = 0
    for word in text[:200].split(" ")[:16]:
        letters = [ch for ch in word if ch.isalpha()]
        if not letters:
            continue
        if any(ch.islower() for ch in letters):
            return caps >= 3
        if len(letters) >= 2 or caps:
            caps += 1
    return False


def _pieces(text: str) -> Iterable[str]:
    """The lines of ``text`` split on ``\\n`` (a list below ``_SPLIT_AT`` characters; found one
    at a time above it, so a very long text is not copied a second time at once)."""
    if len(text) < _SPLIT_AT:
        return text.split("\n")
    return _iter_pieces(text)


def _iter_pieces(text: str) -> Iterator[str]:
    pos = 0
    while True:
        nl = text.find("\n", pos)
        if nl < 0:
            yield text[pos:]
            return
        yield text[pos:nl]
        pos = nl + 1


def line_features(text: str, config: SplitConfig) -> list[Line]:
    """Features of every non-blank line of ``text`` (split on ``\\n`` only, like the gold)."""
    lines: list[Line] = []
    append = lines.append
    pos = 0
    n = len(text)
    bp_max = config.boilerplate_max_chars
    head_chars = config.headline_max_chars
    head_words = config.headline_max_words
    teaser_min = config.teaser_min_chars
    short_teaser_min = config.short_teaser_min_chars
    kicker_words = config.kicker_max_words
    vocab: Callable[[str], frozenset[str] | tuple[str, ...]] = _vocab
    # The page is lower-cased once; an ASCII line's words are found in place (the same words as
    # ``_vocab`` of the line: lower-casing ASCII is per character). Not when a character
    # lower-cases to two ("İ"): the offsets would shift.
    low = text.lower() if n <= COMPACT_TEXT else None
    if low is not None and len(low) != n:
        low = None
    ascii_page = text.isascii()
    words_in = _ASCII_WORD.findall
    # A line whose only non-ASCII characters are not word characters (curly quotes, dashes)
    # has ASCII words only: they too are found in place (a final sigma, which lower-cases by
    # context, is a letter; CJK characters are letters).
    no_other_letters = _NO_OTHER_LETTERS.fullmatch
    is_stop = _STOP.__contains__
    if n > COMPACT_TEXT:
        shared: dict[str, str] = {}

        def vocab(part: str) -> tuple[str, ...]:
            return tuple([shared.setdefault(w, w) for w in _vocab(part)])

    for index, raw in enumerate(_pieces(text)):
        nl = pos + len(raw)
        s = raw.strip()
        if s:
            lead = raw.find(s[0])
            start = pos + lead
            chars = len(s)
            last = s[-1]  # not a space: ``ends_terminal`` looks further back only past closers
            if last == "." and s[-2:-1] not in ". ":
                ellipsis, rm = False, None  # most lines: no "...", ". . ." nor "Read more..."
            else:
                ellipsis = s.endswith(_ELLIPSES)
                # cheap tests first (each function makes the same test before its expressions)
                rm = read_more_tail(s) if chars > short_teaser_min and s.endswith(
                    READ_MORE_ENDS) else None
            label = boilerplate_label(s, bp_max) if chars <= bp_max else None
            # (words are counted here only for a line short enough to be a headline)
            words = 0
            if chars <= head_chars and label is None:
                words = _word_count(s)
            terminal = (last in _TERMINALS or last in _CLOSERS and ends_terminal(s)) \
                and not ellipsis
            first = s[0]
            sp = s.find(" ", 0, 40)
            if label is not None:
                v: frozenset[str] | tuple[str, ...] = _EMPTY
            elif low is not None and (
                ascii_page or s.isascii()
                or no_other_letters(low, start, start + min(chars, _COHESION_PREFIX))
            ):
                found = words_in(low, start, start + min(chars, _COHESION_PREFIX))
                v = frozenset(filterfalse(is_stop, found))
            else:
                v = vocab(s[:_COHESION_PREFIX])
            append(
                Line(
                    index,
                    pos,
                    start + chars,
                    nl - 1 if raw[-1:] == "\r" else nl,
                    s,
                    chars,
                    words,
                    terminal,
                    ellipsis,
                    None if rm is None else start + rm,
                    label,
                    None if label or ":" not in s else kicker_of(s, kicker_words),
                    "A" <= first <= "Z" and s[1:2] in DATELINE_SECOND and dateline_prefix(s),
                    _CONTINUATION.match(s) is not None,
                    chars >= teaser_min and sp > 1 and s[:sp].isupper() and _caps_lead(s),
                    0 < words <= head_words
                    and (not terminal or words <= 12 and s[-1] == "?"),
                    v,
                    not terminal or ellipsis or rm is not None,
                )
            )
        pos = nl + 1
    return lines
