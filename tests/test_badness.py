"""segmenter.badness: ftfy's mojibake detector searched only where it can match, same answer."""

from __future__ import annotations

from ftfy.badness import BADNESS_RE
from hypothesis import given, settings
from hypothesis import strategies as st

from segmenter import badness
from segmenter.badness import is_bad


def reference(text: str) -> bool:
    return BADNESS_RE.search(text) is not None


def test_the_shortcuts_hold_for_the_installed_ftfy() -> None:
    """Windows are exact and the lone characters are listed (else is_bad is slow, not wrong)."""
    assert badness.WIDTH is not None and badness.LONE is not None
    assert "\x85" in badness.LONE and "Ã" in badness.LONE  # a C1 control, "Ã " at a text start
    assert not {"’", "“", "”", "—", "–", "…", "£", "é"} & badness.LONE  # ordinary text


def test_known_cases() -> None:
    for text in ["Ã", "Ã ", "the cafÃ© is", "it’s “fine” — really…", "x\x85y", "Â£5", "× ²",
                 "don’t", "x" * 20 + "â€™" + "y" * 20, "Ã\xa0", "a Â b", "ГўВЂВ.x"]:
        assert is_bad(text) == reference(text), text


# characters of BADNESS_RE's classes, lone and not, and mojibake sequences, in ASCII context
_PIECES = st.sampled_from([
    "Ã", "Â", "Œ", "œ", "\x85", "\x9d", "’", "‘", "“", "”", "—", "–", "…", "£", "€", "é", "É",
    "°", "²", "³", "×", "à", "µ", "√", "±", "≈", "‚", "Ä", "ì", "В", "Г", "Р", "С", "ў", "Ђ",
    "β", "€", "ā", "Ø", "Ù", "¦", "¨", "┐", "\xa0", "\u2009", "é", "ñ", "秦",
    "Ã©", "â€™", "â€œ", "Ã ", "Â ", "Â£",
    " ", "  ", "a", "Z", "word", ".", ",", "?", "!", "\n", "1", "(", "$", "xxxxxxx",
])


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_is_bad_is_ftfys_answer(text: str) -> None:
    assert is_bad(text) == reference(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_is_bad_on_any_text(text: str) -> None:
    assert is_bad(text) == reference(text)
