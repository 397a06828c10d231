"""Article text normalization: page boilerplate out, whitespace tidied, words untouched.

Hand-written because extractors such as trafilatura work on HTML; scraped *text* (copied
pages, feeds) still carries navigation and byline lines that no library removes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# A whole line (or a sentence-sized segment of one) that is page furniture, not article text.
_NAV = (
    r"skip to (?:main )?content|skip to navigation|top stories|local spotlight|most read|"
    r"most popular|most viewed|trending(?: now)?|leave a (?:reply|comment)|related (?:articles|"
    r"stories|coverage|content)|read more|see also|advertisement|sponsored(?: content)?|"
    r"share (?:this(?: article| story)?|on \w+)|follow us(?: on \w+)?|sign up(?: for [\w ]+)?|"
    r"subscribe(?: now| today)?|newsletter|log ?in|sign in|menu|search|home|back to top|"
    r"print|email|comments?|recommended(?: for you)?|you may also like|more from [\w ]+"
)
_BOILERPLATE_SEGMENT = re.compile(
    rf"^(?:{_NAV})[\s.:!|»›>-]*$"
    r"|^(?:[\w.'’ -]+ )?contributed (?:to )?this report\.?$"
    r"|^(?:©|\(c\)|copyright\b).*$"
    r"|^.*\ball rights reserved\b.*$"
    r"|^.*\b(?:we use|this (?:site|website) uses|accept(?: all)?) cookies\b.*$"
    r"|^.*\bcookie (?:policy|settings|preferences|consent)\b.*$",
    re.IGNORECASE,
)
_SEGMENTS = re.compile(r"(?<=[.!?\"”])\s+(?=[A-Z©])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000\f\v]+")
_TITLE_END = re.compile(r"[.,;:]$")
_LINE_BREAKS = re.compile(r"\s*\n\s*")


def is_boilerplate(segment: str) -> bool:
    return bool(_BOILERPLATE_SEGMENT.match(segment.strip()))


def _clean_line(line: str) -> str:
    """Drop boilerplate segments glued onto a line ('... this report. Top Stories')."""
    line = _SPACES.sub(" ", line).strip()
    if not line:
        return ""
    if is_boilerplate(line):
        return ""
    segments = _SEGMENTS.split(line)
    if len(segments) == 1:
        return line
    kept = [s for s in segments if not is_boilerplate(s)]
    return line if len(kept) == len(segments) else " ".join(kept)


def nfc(text: str) -> str:
    """Composed accents ('á', not 'a' + U+0301): one spelling per article, offsets into it."""
    return unicodedata.normalize("NFC", text)


def normalize(text: str) -> str:
    """Tidy whitespace, remove boilerplate lines; paragraphs stay separated by a blank line.

    The one place article text is normalized (NFC first), so stored text, hash and offsets agree.
    """
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    lines = [_clean_line(line) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line:
            out.append(line)
        elif out and out[-1] != "":
            out.append("")
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


def split_title(text: str) -> tuple[str | None, str]:
    """A first line that looks like a headline (short, no closing punctuation) becomes the title."""
    first, sep, rest = text.partition("\n")
    if not sep or not rest.strip():
        return None, text
    candidate = first.strip()
    words = candidate.split()
    if 2 <= len(words) <= 30 and len(candidate) <= 250 and not _TITLE_END.search(candidate):
        return candidate, rest.lstrip("\n")
    return None, text


def content_hash(text: str) -> str:
    """The identity of a normalized text, blind to how its paragraphs are broken.

    A blank line and a single newline (re-scraped, re-exported) give one hash, so the same
    article is not stored twice; the stored text keeps its paragraphs.
    """
    return hashlib.sha256(_LINE_BREAKS.sub("\n", text).encode("utf-8")).hexdigest()
