"""Boilerplate lines (credits, bylines, share and read-more lines), kickers and datelines.

Every pattern here is generic (no outlet names, no topics) and runs on a bounded prefix of a line,
so a 10 MB line costs no more than a short one. No pattern nests unbounded quantifiers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = [
    "HEAD_LABELS",
    "END_LABELS",
    "DATELINE_SECOND",
    "READ_MORE_ENDS",
    "boilerplate_label",
    "dateline_prefix",
    "kicker_of",
    "read_more_tail",
    "trie_pattern",
]

# Labels of boilerplate that opens a story (it belongs to the story that follows) ...
HEAD_LABELS = frozenset({"byline", "dateline_only"})
# ... and of sign-offs that close one (the next paragraph starts a new story).
END_LABELS = frozenset({"reporting_credit"})

_PREFIX = 160  # regexes only ever look at this many characters of a line

_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]{0,6}\.?"
_TIME = r"\d{1,2}[:.]\d{2}(?:\s?[ap]\.?m\.?)?(?: [A-Z]{2,4})?"

_PHOTO = re.compile(
    r"(?:\(|\[)?(?:photo(?:graph)?s?|image|picture|pic|illustration|graphic|video|caption|"
    r"file photo|credit)\s*(?::|/|courtesy\b|copyright\b|by\b|credit\b|[-–—] )",
    re.IGNORECASE,
)
_PHOTO_AGENCY = re.compile(
    r"\(?(?:AFP|AP|EPA|Reuters|Getty Images|Bloomberg|Xinhua|CNA)"
    r"(?:/[A-Za-z ]{1,30})?\)?$"
)
_REPORTING = re.compile(
    r"[(\[]?(?:with )?(?:additional |contributed |compiled |writing |editing )?"
    r"(?:reporting|writing|editing|compiled|contributions?|contributed|research|translated|"
    r"edited|written)\s+(?:by|from)\s",
    re.IGNORECASE,
)
_SIGNOFF = re.compile(
    r"(?:[-–—]{1,2}\s?)?\(?(?:reuters?|ap|afp|upi|dpa|xinhua|cna|agencies|staff and agencies|"
    r"staff writers?|with agencies|source: [^.]{1,60})\)?\.?$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"by\s+[^\W\d_][\w'’.,\-]*(?:\s+[\w'’.,&\-]+){0,11}\s*$", re.IGNORECASE)
_STAFF = re.compile(
    r"(?:[^\W\d_][\w'’.\-]*\s+){0,4}[^\W\d_][\w'’.\-]*,?\s+(?:staff writer|staff reporter|"
    r"business reporter|political (?:editor|correspondent|reporter)|correspondent|"
    r"[a-z]+ (?:editor|correspondent|reporter))(?:,[\w ]{1,40})?$",
    re.IGNORECASE,
)
_READ_MORE = re.compile(
    r"(?:read more|read also|also read|see also|related(?: stories| articles| content| coverage|"
    r" links| news| topics)?|more (?:stories|from|on this|news|like this|in)|"
    r"you (?:may|might) also (?:like|be interested)|recommended(?: stories| for you)?|"
    r"most (?:read|popular|viewed)|top stories|further reading|continue reading|"
    r"click here|keep reading)\b",
    re.IGNORECASE,
)
_SHARE = re.compile(
    r"(?:share|tweet|email|print|facebook|twitter|whatsapp|linkedin|copy link|save)"
    r"(?: this(?: article| story| page| post| video)?)?(?:\s+(?:on|via|with|to)\b)?"
    r"(?:[\s,|/•·]+(?:email|facebook|twitter|x|whatsapp|linkedin|messenger|reddit|print|"
    r"copy link|pinterest|telegram)){0,8}\s*$",
    re.IGNORECASE,
)
_OTHER = re.compile(
    r"(?:advertisement|advertising|sponsored(?: content)?|story continues(?: below| after)?"
    r"(?: (?:this )?(?:advertisement|ad))?|scroll to continue|subscribe\b|sign up\b|"
    r"listen to this article|comments?\s*(?:\(\d+\))?$|follow us\b|all rights reserved|"
    r"follow\b[^:]{0,60}?\b(?:on|via)\s+(?:twitter|x|facebook|instagram|linkedin|threads|"
    r"bluesky|tiktok|youtube|telegram|whatsapp|mastodon)\b|"
    r"copyright\b|©|\(c\) \d{4})",
    re.IGNORECASE,
)
_DATELINE_ONLY = re.compile(
    r"(?:[A-Z][A-Z.'’\-]*(?: [A-Z][A-Za-z.'’\-]*){0,3},(?: [A-Z][A-Za-z.]*,){0,2} )?"
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6},? )?"
    r"(?:" + _MONTHS + r" \d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)? " + _MONTHS + r")"
    r"(?:,? \d{4})?(?:,? " + _TIME + r")?$"
    r"|(?:updated|published|posted)?:? ?" + _TIME + r"$",
    re.IGNORECASE,
)
# The second character of a line a dateline opens (``_DATELINE_LEAD`` starts ``[A-Z]`` and then
# one of these): a cheap test before the expression.
DATELINE_SECOND = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ.'’-")
_DATELINE_LEAD = re.compile(
    r"[A-Z][A-Z.'’\-]{1,}(?: [A-Z][A-Za-z.'’\-]*){0,3}(?:, [A-Z][A-Za-z.]*){0,2}"
    r"(?:, " + _MONTHS + r" \d{1,2}(?:, \d{4})?)?"
    r"(?: \([A-Za-z .]{2,25}\))? ?(?:[-–—]{1,2}|:) "
)
# Any script's letters: the label must then be upper-case (``label.isupper()``), so
# ``CAFÉ SOCIETY:`` and ``COVID-19:`` are kickers and ``Analysis:`` is not.
_KICKER = re.compile(r"([^\W_][\w'’&.\-/]*(?: [\w&][\w'’&.\-/]*){0,7}):\s+\S")
_SEPARATOR = re.compile(r"[\W_]{1,80}$")
_DATE = (
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6}\.?,? )?"
    r"(?:" + _MONTHS + r" \d{1,2}(?:st|nd|rd|th)?,?(?: ?\d{4})?|\d{1,2}(?:st|nd|rd|th)? "
    + _MONTHS + r",?(?: \d{4})?|\d{1,4}[/.\-]\d{1,2}[/.\-]\d{2,4})"
)
# A line that gives when (and maybe by whom) a story was posted: "Posted Nov. 6, 2012 at 4:24 PM
# EST by NAME | Permalink", "Monday, October 22, 2012 | 12:30 PM", "2012-10-29", "39 minutes ago".
_WHEN = re.compile(
    r"(?:(?:last )?(?:updated|published|posted|filed|created|modified)(?: on| at)?:? ?|on )?"
    r"(?:" + _DATE + r"|" + _TIME + r"(?: on " + _DATE + r")?"
    r"|\d{1,2} (?:minutes?|hours?|days?) ago)"
    r"(?:\b|$)",
    re.IGNORECASE,
)
# Every match of ``_DATELINE_ONLY`` and ``_WHEN`` holds one (a cheap test before them).
_DIGIT = re.compile(r"\d")
# "Posted by NAME ...", "by NAME on DATE", "Submitted by NAME", "By: NAME | Posted: DATE".
_BY_LEAD = re.compile(
    r"(?:(?:posted|submitted|written|words|story|text|reported|filed)(?: \w+)? by:?|by:?|author:)"
    r"\s+[^\W\d_@]",
    re.IGNORECASE,
)
# Date-widget pieces on a line of their own: "2012", "July", "Jul".
_DATE_PIECE = re.compile(r"(?:19|20)\d\d|" + _MONTHS + r"$", re.IGNORECASE)
# CJK credits: "照片：法新社", "圖／記者王大明攝", "記者王大明／台北報導".
_CJK_PHOTO = re.compile(r"[（(]?(?:照片|圖片|图片|圖|图|攝影|摄影|資料照|资料照|影片)\s?[：:／/]")
_CJK_BYLINE = re.compile(r"[（(]?(?:\w{0,6}記者|\w{0,6}记者|文／|文/|撰文)")
_PHOTO_MORE = re.compile(
    r"\((?:artist|photographer|credit|source|image|photo)s?: [^)]{1,60}\)$|"
    r"credit(?:s)?(?=[A-Z ])|"
    r"(?:main |top |cover |header |featured )?(?:image|photo|picture)s?(?: credit)?(?:: | by )|"
    r"license: |(?:\w+ ){0,2}(?:photo|photograph|picture|image)s? (?:by|courtesy of)\b|"
    r"(?:enlarge |view )?(?:image|photo|picture|picture-in-picture|gallery)s?$",
    re.IGNORECASE,
)
# "NAME/Getty Images", "DESMOND KWANDE/ AFP", "Susan Walsh / AP": a name, a slash, an agency.
_SLASH_CREDIT = re.compile(
    r"[^\W\d_][\w.'’\-]*(?: [\w.'’\-]+){0,3} ?/ ?[A-Z][\w.&\-]*(?: [\w.&\-]+){0,3}"
    r"(?: ?/ ?[A-Z][\w.&\-]*(?: [\w.&\-]+){0,3})?$"
)
_CAPTION_CREDIT = re.compile(r".{0,140}\b(?:photograph|photo|image|picture)s?: [^.]{2,60}$")
_CREDIT_MORE = re.compile(
    r"[(\[]?(?:cross[- ]posted|originally (?:published|posted|appeared)|this (?:article|story|"
    r"post) (?:originally |first )?(?:appeared|was (?:originally |first )?published)|"
    r"h/t\b|hat tip|via:? |source:? [A-Z]|full story:)",
    re.IGNORECASE,
)
# (the credit found anywhere in the first 100 characters: tried only on a line that says
# "contribut", ``_says``)
_CONTRIBUTED = re.compile(
    r".{0,100}\b(?:contributed|contributing) (?:to )?(?:this|the) (?:report|story|article)",
    re.IGNORECASE,
)
# A short sign-off of a news service: "Associated Press", "The Canadian Press", "CNN-IBN".
_SERVICE = re.compile(
    r"(?:the )?(?:[A-Z][\w\-]+ ){0,2}(?:Press|News|Wire|Newswire)(?: (?:of|Agency) [A-Z]\w+)?$|"
    r"[A-Z][A-Z0-9\-]{1,9}$"
)
_RELATED_HEAD = re.compile(
    r"(?:related|more|popular|trending|recommended|featured|most (?:read|popular|viewed)|"
    r"you (?:may|might) also like|further reading|see also|read (?:more|also|next)|"
    r"learn more|more (?:from|on|in) [\w ]{1,30}|also on [\w ]{1,30})\b[^.!?]{0,40}$",
    re.IGNORECASE,
)
_READ_MORE_MORE = re.compile(
    r"\[[^\]]{2,118}\]$|\((?:full story|more|watch|video|listen)\b[^)]{0,60}\)$|"
    r"(?:more|learn more|continue reading|read|watch|listen|see|full coverage|click here)"
    r"(?::|\b.{0,100}\b(?:click here|full (?:story|transcript|coverage)|here)\b)|"
    r"(?:trending|popular|more|related)$|"
    r"read the full\b|full coverage\b|click here\b",
    re.IGNORECASE,
)
_SHARE_MORE = re.compile(
    r"(?:(?:share|post|pin)(?: it| this)? (?:on|to|via) [\w+.]{2,20}\s*){1,6}$|"
    r"email (?:this|a friend|to a friend)(?: to a friend)?$|"
    r"(?:tumblr|flipboard|google\+|reddit|pinterest|kinja|digg|stumbleupon|pocket|"
    r"share tweet(?: share)?|tweet share|sms)$",
    re.IGNORECASE,
)
_OTHER_MORE = re.compile(
    r"(?:labels|tags|tagged|categories|category|filed under|topics|posted in|keywords)\s?:|"
    r"date ?:|"
    r"\d[\d,]*\s?comments?$|(?:no|leave a|add a|post a) comments?$|comments? \(\d+\)$|"
    r"\d{1,3} / \d{1,3}$|"
    r"(?:permalink|trackback|featured|contents|loading\.*|replay|play(?: video)?|fullscreen|"
    r"newsletter(?: sign[- ]?up)?|about the author|remove this ad|reuse (?:this )?content|"
    r"story timeline|found this helpful\??|(?:current|duration|remaining) time -?[\d:]+|"
    r"(?:loaded|progress): \d+%)$|"
    r"(?:promoted|powered|sponsored|presented) by\b|"
    r"(?:like|follow) us\b|follow [\w ]{1,30}: |"
    r"get (?:our|the) [\w ]{0,30}newsletter|"
    r"\(?for (?:updates|more)[^)]{0,80}\b(?:facebook|twitter)\b|"
    r"gallery: .{1,60}\| \d+ photos$",
    re.IGNORECASE,
)
# (tried only on a line that says "newsletter", ``_says``)
_NEWSLETTER = re.compile(r".{0,80}\bnewsletters?\b", re.IGNORECASE)
_READ_MORE_TAIL = re.compile(
    r"(?:read more|continue reading|read full (?:story|article)|more)"
    r"\s*(?:[.…»>›]+|\.\.\.)?\]?\s*$",
    re.IGNORECASE,
)


# How a line with a trailing 'Read more' cue ends (a cheap test before ``_READ_MORE_TAIL``).
READ_MORE_ENDS = (
    "more",
    "More",
    "MORE",
    "reading",
    "Reading",
    "story",
    "Story",
    "article",
    "Article",
    "…",
    "...",
    "»",
    ">",
    "›",
    "]",
)


def boilerplate_label(line: str, max_chars: int) -> str | None:
    """The boilerplate label of a whole (stripped) line, or ``None`` for a story line."""
    n = len(line)
    if n == 0 or n > max_chars:
        return None
    if _SEPARATOR.match(line) and not any(ch.isalnum() for ch in line):
        return "other"
    if _PHOTO.match(line):
        return "photo_credit"
    if _REPORTING.match(line):
        return "reporting_credit"
    if n <= 40 and _SIGNOFF.match(line):
        return "reporting_credit"
    if _READ_MORE.match(line) and (n <= 40 or ":" in line[:14] or not _ends_sentence(line)):
        return "read_more"
    if n <= 60 and _SHARE.match(line):
        return "share"
    if _OTHER.match(line) and (n <= 60 or not _ends_sentence(line)):
        return "other"
    digit = None  # whether the line has a digit, which every date and time does (found once)
    if n <= 80:
        digit = _DIGIT.search(line) is not None
        if digit and _DATELINE_ONLY.match(line):
            return "dateline_only"
    if n <= 80 and not _ends_sentence(line) and (_BYLINE.match(line) or _staff(line)):
        return "byline"
    if n <= 40 and _PHOTO_AGENCY.match(line):
        return "photo_credit"
    return _more_label(line, n, digit)


def trie_pattern(words: Iterable[str], char: Callable[[str], str] = re.escape) -> str:
    """An expression matching what the alternation of ``words`` matches (each character as
    ``char`` spells it), the words that share a prefix under one branch: the engine tries a
    few first letters instead of every word (an alternation's order does not change whether
    it matches)."""
    root: dict[str, dict] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def branch(node: dict[str, dict]) -> str:
        alts = [char(ch) + branch(child) for ch, child in sorted(node.items()) if ch]
        if "" in node:
            alts.append("")
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return branch(root)


# Cheap gate before the patterns below: the first word of a chrome line, or a sign inside it:
# a character other than a letter, a word starting with one of ``_LEAD_STARTS``, or one of
# ``_LEAD_WORDS`` (as words sharing a prefix: 0.87 -> 0.35 us a line).
_LEAD_STARTS = (
    "jan feb mar apr may jun jul aug sep oct nov dec mon tue wed thu fri sat sun credit photo "
    "image picture"
).split()
_LEAD_WORDS = (
    "by posted submitted written words story text reported filed author updated published last "
    "on created modified main top cover header featured license enlarge view gallery cross "
    "originally this h/t hat via source full share post pin email tumblr flipboard google "
    "reddit pinterest kinja digg stumbleupon pocket tweet sms more learn continue read watch "
    "listen see click trending popular related labels tags tagged categories category topics "
    "keywords date no leave add permalink trackback contents loading replay play fullscreen "
    "newsletter about remove reuse found current duration remaining loaded progress promoted "
    "powered sponsored presented like follow get for the"
).split()
_CHROME_LEAD = re.compile(
    r"[\W\d_]|" + trie_pattern(_LEAD_STARTS) + "|" + trie_pattern(_LEAD_WORDS) + r"\b",
    re.IGNORECASE,
)
_CHROME_SIGNS = ("/", ":", "ontribut", "ewsletter", "NEWSLETTER")


def _more_label(line: str, n: int, digit: bool | None = None) -> str | None:
    """The chrome of real web pages: dates, bylines, credits, tags, player and share widgets.
    ``digit``: whether the line has a digit (``None``: not looked for yet)."""
    if n > 30 and not _CHROME_LEAD.match(line) and not any(map(line.__contains__, _CHROME_SIGNS)):
        return None
    ends = _ends_sentence(line)
    if n <= 40 and not line.isascii():
        if _CJK_PHOTO.match(line):
            return "photo_credit"
        if _CJK_BYLINE.match(line) and not ends:
            return "byline"
    if _BY_LEAD.match(line) and not line.startswith(("By the", "by the")):
        plain_by = line[:3].lower() in ("by ", "by:")
        if not ends or (n <= 60 and not plain_by):
            return "byline"
    if digit is None:
        digit = _DIGIT.search(line) is not None
    m = _WHEN.match(line) if digit else None
    if m is not None and (not ends or n <= 60) and not line[m.end() :].lstrip(" .").startswith(":"):
        return "dateline_only"  # "10:50 p.m.: Power cut ..." is a live-blog entry, not a date
    if n <= 10 and _DATE_PIECE.fullmatch(line):
        return "dateline_only"
    low = line.lower() if line.isascii() else None  # (for the pre-tests of ``_says``)
    if _says(low, _PHOTO_WORDS) and _PHOTO_MORE.match(line) or (
        n <= 60 and not ends and "/" in line and _SLASH_CREDIT.match(line)
    ):
        return "photo_credit"
    if _caption_credit(line):
        return "photo_credit"
    if _CREDIT_MORE.match(line) or (n <= 30 and _SERVICE.match(line)) or (
        _says(low, ("contribut",)) and _CONTRIBUTED.match(line)
    ):
        return "reporting_credit"
    if n <= 60 and _SHARE_MORE.match(line):
        return "share"
    if _READ_MORE_MORE.match(line):
        return "read_more"
    if _OTHER_MORE.match(line) or _says(low, ("newsletter",)) and _NEWSLETTER.match(line):
        return "other"
    return None


# One of them is in every line ``_PHOTO_MORE`` matches (case aside).
_PHOTO_WORDS = ("(", "credit", "photo", "image", "picture", "license", "gallery")


def _says(low: str | None, words: tuple[str, ...]) -> bool:
    """A cheap test before an expression that needs one of ``words`` (lower-case ASCII) in the
    line: ``low`` is the line lower-cased when it is ASCII (``None``: other lines are not
    tested, as case-insensitive matching may fold other letters to ASCII ones, "K" to "k")."""
    return low is None or any(map(low.__contains__, words))


# Each ``_STAFF`` title holds one of these words; on an ASCII line, case-folding is ASCII's.
_STAFF_WORDS = ("writer", "reporter", "editor", "correspondent")


def _staff(line: str) -> bool:
    """``_STAFF`` matches (an ASCII line without any of its title words is ruled out first:
    the expression tries every way to read up to five names)."""
    low = line.lower() if line.isascii() else None
    return _says(low, _STAFF_WORDS) and _STAFF.match(line) is not None


def _caption_credit(line: str) -> bool:
    """``_CAPTION_CREDIT`` matches (its case-sensitive words and ": " are looked for first: the
    expression tries every start of the word up to 140 characters in)."""
    if ": " not in line or not any(map(line.__contains__, ("photo", "image", "picture"))):
        return False
    return _CAPTION_CREDIT.match(line) is not None


def _ends_sentence(line: str) -> bool:
    return line[-1:] in ".!?。！？" and not line.endswith("...")


def kicker_of(line: str, max_words: int) -> str | None:
    """The ALL-CAPS label before a colon opening ``line`` (``STEADFAST FRIEND``), or None."""
    if not line or not (line[0].isupper() or line[0].isdigit()) or ":" not in line[:_PREFIX]:
        return None  # cheap tests first: most lines are not kickers
    m = _KICKER.match(line, 0, _PREFIX)
    if m is None:
        return None
    label = m.group(1)
    letters = sum(1 for ch in label if ch.isalpha())
    if letters < 2 or label.count(" ") + 1 > max_words or not label.isupper():
        return None
    return label


def dateline_prefix(line: str) -> bool:
    """True when the line opens with a wire dateline (``TAIPEI, June 19 (Reuters) -``)."""
    m = _DATELINE_LEAD.match(line, 0, _PREFIX)
    if m is None:
        return False
    head = m.group(0)
    # a bare "WORD: " is a kicker, not a dateline; require a comma or a dash
    return "," in head or "-" in head or "–" in head or "—" in head


def read_more_tail(line: str) -> int | None:
    """Offset (in ``line``) of a trailing 'Read more' cue in a long paragraph, or None."""
    if not line.endswith(READ_MORE_ENDS):
        return None
    tail_start = max(0, len(line) - 40)
    m = _READ_MORE_TAIL.search(line, tail_start)
    if m is None:
        return None
    start = m.start()
    if start == 0 or not line[start - 1].isspace():
        return None
    word = line[start : m.end()].strip().lower()
    if word.startswith("more") and not word.endswith(("»", ">", "›", "…", "...")):
        return None  # a plain trailing "more" is an ordinary word
    return start
