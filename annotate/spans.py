"""The only offset math of annotate: spans, tokens, sentences and BIO tags.

Every offset is a Python ``str`` index (a Unicode code point) into the stored article
text, end exclusive. Keeping all of it here means no other module juggles ``end - 1``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character range ``text[start:end]`` (end exclusive)."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def check_span(text: str, span: Span, labels: Iterable[str] | None = None) -> list[str]:
    """Why a span cannot stand on ``text``; empty when it can.

    Whitespace at either edge is a problem too: the guidelines mark names only.
    """
    problems = []
    if span.start < 0 or span.end > len(text):
        problems.append(f"[{span.start}, {span.end}) is outside the text (length {len(text)})")
    elif span.end <= span.start:
        problems.append(f"[{span.start}, {span.end}) is empty or reversed")
    else:
        covered = text[span.start : span.end]
        if covered != covered.strip():
            problems.append(f"[{span.start}, {span.end}) {covered!r} has whitespace at an edge")
    if labels is not None and span.label not in set(labels):
        problems.append(f"unknown label {span.label!r}")
    return problems


def trim(text: str, span: Span) -> Span:
    """The span without whitespace at its edges: what the annotator meant to mark.

    Empty (start == end) when the span covers only whitespace; offsets outside the text
    are returned as they are, for `check_span` to report.
    """
    start, end = span.start, span.end
    if start < 0 or end > len(text):
        return span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end, span.label)


class Token(NamedTuple):
    """A token and its character offsets (a tuple: articles have thousands of them)."""

    text: str
    start: int
    end: int


# Letter-dot abbreviations (U.S., U.N.) stay whole; numbers keep their separators; other
# words are runs of word characters; a possessive 's is one token; every other visible
# character is its own token. Hyphens and apostrophes split, so "Israel-Hamas" and
# "Britain's" give the name its own token and annotated names rarely need aligning.
_TOKEN_RE = re.compile(r"(?:[^\W\d_]\.){2,}|\d+(?:[.,:]\d+)*|(?<=\w)['’]s\b|[^\W_]+|_+|[^\w\s]")


def tokenize(text: str) -> list[Token]:
    """Split text into tokens that keep their character offsets."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]


@dataclass(frozen=True)
class AlignmentIssue:
    """A span that could not be tagged exactly as annotated, and what became of it."""

    kind: str  # "widened" | "overlap" | "no-token" | "invalid"
    span: Span
    covered: str
    aligned: Span | None = None
    detail: str = ""

    def describe(self) -> str:
        where = f"{self.span.label} [{self.span.start}, {self.span.end}) {self.covered!r}"
        if self.kind == "widened" and self.aligned is not None:
            return f"widened {where} -> [{self.aligned.start}, {self.aligned.end})"
        return f"{self.kind} {where}{': ' + self.detail if self.detail else ''}"


def align(
    tokens: Sequence[Token], span: Span, ends: Sequence[int] | None = None
) -> tuple[int, int] | None:
    """Token range ``[i, j)`` covering the span, widened outward to token boundaries.

    None when no token overlaps the span (it covers only whitespace). ``ends`` (the
    tokens' end offsets) can be passed in when aligning many spans on one text.
    """
    if ends is None:
        ends = [t.end for t in tokens]
    i = bisect.bisect_right(ends, span.start)  # first token ending after the span starts
    j = i
    while j < len(tokens) and tokens[j].start < span.end:
        j += 1
    return (i, j) if j > i else None


def bio_tags(
    text: str, tokens: Sequence[Token], spans: Sequence[Span], labels: Iterable[str]
) -> tuple[list[str], list[AlignmentIssue]]:
    """BIO tags of the tokens for the spans, and every span that did not fit exactly.

    Spans off token boundaries are widened outward. A span overlapping one tagged
    before it (in start order, longer first) cannot be represented in BIO and is
    reported as ``overlap``; invalid spans are reported as ``invalid``. None vanish
    silently.
    """
    known = list(labels)
    ends = [t.end for t in tokens]
    tags = ["O"] * len(tokens)
    issues: list[AlignmentIssue] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.label)):
        covered = text[max(span.start, 0) : max(span.end, 0)]
        problems = check_span(text, span, known)
        if problems:
            issues.append(AlignmentIssue("invalid", span, covered, detail="; ".join(problems)))
            continue
        rng = align(tokens, span, ends)
        if rng is None:
            issues.append(AlignmentIssue("no-token", span, covered))
            continue
        i, j = rng
        aligned = Span(tokens[i].start, tokens[j - 1].end, span.label)
        if any(tag != "O" for tag in tags[i:j]):
            issues.append(
                AlignmentIssue("overlap", span, covered, aligned, "overlaps a span tagged before")
            )
            continue
        if aligned != span:
            issues.append(AlignmentIssue("widened", span, covered, aligned))
        tags[i] = f"B-{span.label}"
        for k in range(i + 1, j):
            tags[k] = f"I-{span.label}"
    return tags, issues


def bio_problems(tags: Sequence[str], labels: Iterable[str]) -> list[str]:
    """Why a BIO sequence is ill-formed: unknown tags, or I-X not after B-X/I-X."""
    known = set(labels)
    problems = []
    prev = "O"
    for n, tag in enumerate(tags):
        if tag != "O":
            prefix, _, label = tag.partition("-")
            if prefix not in ("B", "I") or label not in known:
                problems.append(f"token {n}: unknown tag {tag!r}")
            elif prefix == "I" and prev not in (f"B-{label}", f"I-{label}"):
                problems.append(f"token {n}: {tag} does not continue {prev}")
        prev = tag
    return problems


# The one abbreviation list of annotate: a period after one of these does not end a
# sentence. The name abbreviations also stay inside a name in the entity rules ("Mr.
# Tanaka", "Acme Inc."); the others only keep a sentence whole ("No. 5", "Jan. 3").
NAME_ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Dr St Jr Sr Inc Corp Co Ltd Gen Gens Lt Col Sgt Rep Reps Sen Sens Gov Prof"
    " Mt Ft Capt Maj Adm Rev Brig".split()
)
ABBREVIATIONS = NAME_ABBREVIATIONS | frozenset(
    "No Nos vs etc Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec".split()
)
# A candidate end: . ! ? (and closing quotes or brackets) before white space and the next
# word, which may open with a quote or bracket; or a line break, which always ends one.
# The leading lookahead lets the regex engine skip to candidate characters in C.
_SENTENCE_END = re.compile(r"(?=[.!?\n])(?:[.!?]+[\"'’”)\]]*(?=\s+[\"'“‘(\[]?(?P<next>\w))|\n+)")
_LETTER_DOTS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # "U.S", "a.m"


def _abbreviation_before(text: str, end: int) -> bool:
    """Whether the word ending at ``end`` (a period follows) is an abbreviation."""
    start, low = end, max(0, end - 16)
    while start > low and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    stem = text[start:end].strip(".")
    if len(stem) == 1:
        return stem.isupper()  # an initial: "John F. Kennedy"
    if stem in ABBREVIATIONS or _LETTER_DOTS.fullmatch(stem) is not None:
        return True
    return stem.isupper() and stem.title() in ABBREVIATIONS  # all-caps lines: "ST. LOUIS"


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence ranges ``[start, end)``, whitespace trimmed: the one splitter of annotate.

    A sentence ends at a line break, or at . ! ? (with any closing quote or bracket) before
    a word starting with a capital or a digit, possibly after an opening quote. A period
    after an abbreviation (Mr., Gen., No.), an initial (F.) or a letter-dot abbreviation
    (U.S.) does not end one. Rule-based, deterministic and dependency-free, so the stance
    rules' evidence and the export's sentence of a human triple are the same range.
    """
    ranges: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        first = text[m.start()]
        if first == "\n":
            _push(text, start, m.start(), ranges)
            start = m.end()
            continue
        nxt = m.group("next")
        if not (nxt.isupper() or nxt.isdigit()):
            continue
        if first == "." and _abbreviation_before(text, m.start()):
            continue
        _push(text, start, m.end(), ranges)
        start = m.end()
    _push(text, start, len(text), ranges)
    return ranges


def _push(text: str, start: int, end: int, ranges: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        ranges.append((start, end))


def sentence_at(ranges: Sequence[tuple[int, int]], offset: int) -> int:
    """Index of the sentence containing ``offset`` (or the last one starting before it)."""
    starts = [s for s, _ in ranges]
    return max(bisect.bisect_right(starts, offset) - 1, 0)
