"""The only offset math of annotate: spans, tokens, sentences and BIO tags.

Every offset is a Python ``str`` index (a Unicode code point) into the stored article
text, end exclusive. Keeping all of it here means no other module juggles ``end - 1``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from operator import itemgetter
from typing import Any, NamedTuple

import regex


class Span(NamedTuple):
    """A labelled character range ``text[start:end]`` (end exclusive).

    A tuple, so building, hashing and sorting the millions of an export or a pull run in
    C; it orders and hashes as ``(start, end, label)``, as the frozen dataclass it was.
    """

    start: int
    end: int
    label: str


# A Span's fields, read in C (an export reads every span of a corpus)
SPAN_OFFSETS = itemgetter(0, 1)  # (start, end)
SPAN_LABEL = itemgetter(2)


def spans_from(fields: Iterable[Sequence[Any]]) -> tuple[Span, ...]:
    """Spans of ``(start, end, label)`` sequences, built in C: ``tuple.__new__`` skips
    the NamedTuple's Python ``__new__`` (the store's export read and a silver export
    build every span of a corpus here)."""
    return tuple(map(tuple.__new__, repeat(Span), fields))


# The unit of annotation is the title as its first paragraph, then the body (guidelines).
TITLE_SEPARATOR = "\n\n"


def unit_text(title: str | None, body: str) -> str:
    """The text annotators label and every stored offset indexes: title, blank line, body.

    The store keeps title and body apart (the content hash is the body's); this is the one
    place they are joined, so pre-annotation, Label Studio and the export see one text.
    """
    return f"{title}{TITLE_SEPARATOR}{body}" if title else body


def title_shift(title: str | None) -> int:
    """How far an offset into the body moves in the unit text (0 without a title)."""
    return len(title) + len(TITLE_SEPARATOR) if title else 0


# How a Label Studio task shows an article: "unit" (title + body, labelable) since store
# revision 0004; "body" for tasks pushed before, whose title was a plain heading.
UNIT_LAYOUT = "unit"
BODY_LAYOUT = "body"


def task_text(layout: str, title: str | None, body: str) -> str:
    """The text a task of this layout shows, which its results' offsets index."""
    return body if layout == BODY_LAYOUT else unit_text(title, body)


def task_shift(layout: str, title: str | None) -> int:
    """What to add to a task's offsets to make them offsets into the unit text."""
    return title_shift(title) if layout == BODY_LAYOUT else 0


def check_span(text: str, span: Span, labels: Iterable[str] | None = None) -> list[str]:
    """Why a span cannot stand on ``text``; empty when it can.

    Whitespace at either edge is a problem too: the guidelines mark names only. A span
    cutting a grapheme cluster (between "a" and its combining accent, inside a flag) is
    not a problem here but an alignment fault: ``bio_tags`` reports it as ``grapheme``.
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
    if labels is not None and span.label not in (
        labels if isinstance(labels, set | frozenset) else set(labels)
    ):
        problems.append(f"unknown label {span.label!r}")
    return problems


def span_fits(text: str, span: Span, labels: frozenset[str]) -> bool:
    """Whether ``check_span`` finds nothing wrong, asked quickly (an export asks it of
    every stance holder; nearly all fit)."""
    start, end, label = span
    return (
        0 <= start < end <= len(text)
        and label in labels
        and not text[start].isspace()
        and not text[end - 1].isspace()
    )


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
# That is the alternation TOKEN_RULES; _TOKEN_RE is the same rule with the letter-dot
# abbreviation and the word that starts with a letter factored into one branch, which
# tries one alternative where TOKEN_RULES tries four on each word (a fifth faster to
# split an article; a property test holds the two equal).
TOKEN_RULES = r"(?:[^\W\d_]\.){2,}|\d+(?:[.,:]\d+)*|(?<=\w)['’]s\b|[^\W_]+|_+|[^\w\s]"
_LETTER = r"[^\W\d_]"
_TOKEN_RE = re.compile(
    rf"{_LETTER}(?:(?:\.{_LETTER})+\.|[^\W_]*)|\d+(?:[.,:]\d+)*|(?<=\w)['’]s\b|_+|[^\w\s]"
)

# A code point that can share a grapheme cluster (a user-perceived character) with its
# neighbour: combining and spacing marks, ZWJ/ZWNJ, emoji modifiers, Prepend, regional
# indicators (flags), conjoining Hangul jamo. Text without any has one cluster per code
# point (CR LF aside, both white space), so the code point regex above is already exact.
_JOINING_CLASS = (
    r"[\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}"
    r"\p{Grapheme_Cluster_Break=SpacingMark}\p{Grapheme_Cluster_Break=Prepend}"
    r"\p{Grapheme_Cluster_Break=Regional_Indicator}\p{Grapheme_Cluster_Break=L}"
    r"\p{Grapheme_Cluster_Break=V}\p{Grapheme_Cluster_Break=T}]"
)
_JOINING = regex.compile(_JOINING_CLASS)
# Every multi-code-point cluster lies inside one of these runs: joining code points with
# the one code point before and after each (the base, the emoji after a ZWJ, the consonant
# after a virama, the Hangul LV before a T). A run starts and ends on cluster boundaries.
_JOINING_RUN = regex.compile(rf"(?s).?{_JOINING_CLASS}+(?:.{_JOINING_CLASS}+)*.?")
# Blocks without a joining code point (ASCII to spacing modifiers, Greek, Cyrillic letters,
# Latin Extended Additional, punctuation, currency, symbols, CJK, Hangul syllables...):
# text made only of these is simple, and ``re`` tells that several times faster than the
# ``regex`` property search (tests/test_spans.py checks the ranges against ``_JOINING``).
_NO_JOINING_RANGES = (
    (0x0000, 0x02FF), (0x0370, 0x0482), (0x048A, 0x052F), (0x05D0, 0x05EA),
    (0x0620, 0x064A), (0x1E00, 0x1FFF), (0x2010, 0x2027), (0x2030, 0x205F),
    (0x20A0, 0x20CF), (0x2100, 0x2BFF), (0x3000, 0x3029), (0x3030, 0x303F),
    (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF01, 0xFF9D),
)  # fmt: skip
_MAYBE_JOINING = re.compile(
    "[^" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in _NO_JOINING_RANGES) + "]"
)
# Grapheme clusters, except that white space stands alone: a mark after a space is a
# visible character of its own (a token), not part of the space.
_CLUSTER = regex.compile(r"\s|\X")


def _simple(text: str) -> bool:
    """Whether every code point of the text is a grapheme cluster of its own."""
    return text.isascii() or _MAYBE_JOINING.search(text) is None or _JOINING.search(text) is None


def _joining_runs(text: str) -> Iterator[regex.Match[str]]:
    """The matches of ``_JOINING_RUN.finditer(text)``, found faster: ``re`` skips to the
    code points outside ``_NO_JOINING_RANGES`` and ``regex`` only looks at those. After
    a few such code points that do not join (a script with many: Devanagari, Thai), the
    next joining one is searched with ``regex`` outright."""
    last = pos = misses = 0  # last: end of the previous run; pos: where to look on
    while True:
        if misses < 8:
            found = _MAYBE_JOINING.search(text, pos)
            if found is None:
                return
            at = found.start()
            if _JOINING.match(text, at) is None:
                misses, pos = misses + 1, at + 1
                continue
        else:
            joining = _JOINING.search(text, pos)
            if joining is None:
                return
            at = joining.start()
        # the leftmost run after ``last`` starts at the code point before this joining one
        run = _JOINING_RUN.match(text, max(at - 1, last))
        assert run is not None
        yield run
        last = pos = run.end()
        misses = 0


def _multi_clusters(text: str) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of every grapheme cluster longer than one code point, in order."""
    for run in _joining_runs(text):
        pos = run.start()
        for cluster in _CLUSTER.findall(text, pos, run.end()):
            if len(cluster) > 1:
                yield pos, pos + len(cluster)
            pos += len(cluster)


def _cluster_cuts(text: str) -> set[int]:
    """Offsets inside a grapheme cluster (between its code points)."""
    if _simple(text):
        return set()
    return {k for start, end in _multi_clusters(text) for k in range(start + 1, end)}


def tokenize(text: str) -> list[Token]:
    """Split text into tokens that keep their character offsets.

    A token is made of whole grapheme clusters (user-perceived characters): a word is a
    run of clusters whose first code point is a letter or digit, so "Sa\u0301nchez"
    (decomposed) and Devanagari words stay whole, and a flag or a ZWJ emoji sequence is
    one token. The rules are those of ``_TOKEN_RE`` applied to clusters; text in which
    every code point is its own cluster (ASCII, NFC Latin, CJK...) takes ``_TOKEN_RE``
    directly and tokenizes exactly as before clusters were considered.
    """
    if _simple(text):
        return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    return _tokenize_clusters(text)


def _tokenize_clusters(text: str) -> list[Token]:
    """``_TOKEN_RE`` over grapheme clusters.

    It runs on a skeleton where each multi-code-point cluster is cut down to its first
    code point; ``offsets`` maps each skeleton offset back to the text.
    """
    pieces: list[str] = []
    marks = []  # (skeleton offset after a cut cluster, code points dropped up to there)
    pos = dropped = 0
    for start, end in _multi_clusters(text):
        pieces.append(text[pos : start + 1])
        dropped += end - start - 1
        marks.append((end - dropped, dropped))
        pos = end
    if not marks:
        return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
    pieces.append(text[pos:])
    skeleton = "".join(pieces)
    offsets = list(range(len(skeleton) + 1))
    for (at, shift), (until, _) in zip(marks, [*marks[1:], (len(offsets), 0)], strict=True):
        offsets[at:until] = range(at + shift, until + shift)
    tokens = []
    for m in _TOKEN_RE.finditer(skeleton):
        start, end = offsets[m.start()], offsets[m.end()]
        tokens.append(Token(text[start:end], start, end))
    return tokens


class TokenColumns(NamedTuple):
    """The tokens of a text as three parallel lists: what ``tokenize`` gives, column-wise.

    For callers that handle every token of a corpus (the export's Arrow columns): the
    lists are filled by C loops over the regex matches, with no Python object per token
    beyond the token's own string and offsets.
    """

    texts: list[str]
    starts: list[int]
    ends: list[int]


# ``_TOKEN_RE`` as ``re.split`` reads it: the tokens captured between the gaps. The
# ``(?=\S)`` guard finds the same matches (no alternative starts on white space, and every
# other character starts one) but skips white space in one test instead of six.
_TOKEN_SPLIT = re.compile(rf"((?=\S)(?:{_TOKEN_RE.pattern}))")


def token_columns(text: str) -> TokenColumns:
    """``tokenize(text)`` as columns: ``texts[k], starts[k], ends[k]`` is its k-th token.

    Same rules and same tokens (the property tests compare the two). On simple text one
    ``re.split`` gives gap, token, gap, ..., gap, and the offsets are the running sum of
    their lengths, all in C loops: no match object per token. Text with multi-code-point
    clusters takes ``tokenize``'s cluster path, which is rare in news.
    """
    if _simple(text):
        parts = _TOKEN_SPLIT.split(text)
        bounds = list(accumulate(map(len, parts), initial=0))  # where each part starts
        return TokenColumns(parts[1::2], bounds[1:-1:2], bounds[2::2])
    tokens = _tokenize_clusters(text)
    return TokenColumns(
        [t.text for t in tokens], [t.start for t in tokens], [t.end for t in tokens]
    )


@dataclass(frozen=True)
class AlignmentIssue:
    """A span that could not be tagged exactly as annotated, and what became of it.

    ``grapheme`` is a ``widened`` span one of whose ends falls inside a grapheme cluster
    (a user-perceived character): "Pedro Sa" ending before the combining accent of
    "Sa\u0301nchez". It is an alignment kind rather than a ``check_span`` problem on
    purpose: ``check_span`` is the gate where a span is refused outright (Label Studio
    results, exported rows, stance holders), while a cut character is a boundary slip
    like a cut word, which widening to whole tokens repairs and keeps the entity. It has
    its own kind so the export counts and shows it instead of hiding it among the
    ordinary widenings (or, with code point tokens, tagging it as if exact).
    """

    kind: str  # "widened" | "grapheme" | "overlap" | "no-token" | "invalid"
    span: Span
    covered: str
    aligned: Span | None = None
    detail: str = ""

    def describe(self) -> str:
        where = f"{self.span.label} [{self.span.start}, {self.span.end}) {self.covered!r}"
        if self.kind in ("widened", "grapheme") and self.aligned is not None:
            detail = f": {self.detail}" if self.detail else ""
            return f"{self.kind} {where}{detail} -> [{self.aligned.start}, {self.aligned.end})"
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

    Spans off token boundaries are widened outward, and reported as ``widened``, or as
    ``grapheme`` when an end cuts a grapheme cluster. A span overlapping one tagged
    before it (in start order, longer first) cannot be represented in BIO and is
    reported as ``overlap``; invalid spans are reported as ``invalid``. None vanish
    silently.
    """
    starts = [t.start for t in tokens]
    ends = [t.end for t in tokens]
    ranges, issues = bio_ranges(text, starts, ends, spans, labels)
    tags = ["O"] * len(tokens)
    for i, j, label in ranges:
        tags[i] = f"B-{label}"
        tags[i + 1 : j] = [f"I-{label}"] * (j - i - 1)
    return tags, issues


def bio_ranges(
    text: str,
    starts: Sequence[int],
    ends: Sequence[int],
    spans: Sequence[Span],
    labels: Iterable[str],
) -> tuple[list[tuple[int, int, str]], list[AlignmentIssue]]:
    """The rule of ``bio_tags`` on token offset columns (``token_columns``): each tagged
    span as a token range ``(i, j, label)`` (B on token i, I on tokens i+1..j-1, in tag
    order), and the same issues. A caller fills its tag array from the ranges in one
    pass, without a tag string per token.
    """
    known = frozenset(labels)
    cut_offsets = _cluster_cuts(text) if spans else set()
    taken = bytearray(len(starts))  # 1 where a token is tagged already
    ranges: list[tuple[int, int, str]] = []
    issues: list[AlignmentIssue] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end, s.label)):
        start, end = span.start, span.end
        if not span_fits(text, span, known):
            problems = check_span(text, span, known)
            covered = text[max(start, 0) : max(end, 0)]
            issues.append(AlignmentIssue("invalid", span, covered, detail="; ".join(problems)))
            continue
        i = bisect.bisect_right(ends, start)  # first token ending after the span starts
        j = bisect.bisect_left(starts, end, i)  # first token starting at or after its end
        if j <= i:
            issues.append(AlignmentIssue("no-token", span, text[start:end]))
            continue
        exact = starts[i] == start and ends[j - 1] == end
        cuts = [x for x in (start, end) if x in cut_offsets] if cut_offsets else []
        overlaps = taken.find(1, i, j) >= 0
        if not exact or cuts or overlaps:
            covered = text[start:end]
            aligned = Span(starts[i], ends[j - 1], span.label)
            if overlaps:
                detail = "overlaps a span tagged before"
                issues.append(AlignmentIssue("overlap", span, covered, aligned, detail))
                continue
            if cuts:
                where = " and ".join(map(str, cuts))
                detail = f"cuts a character (grapheme cluster) at {where}"
                issues.append(AlignmentIssue("grapheme", span, covered, aligned, detail))
            else:
                issues.append(AlignmentIssue("widened", span, covered, aligned))
        taken[i:j] = b"\x01" * (j - i)
        ranges.append((i, j, span.label))
    return ranges, issues


def aligned_ranges(
    text: str, starts: Any, ends: Any, spans: Sequence[Span], known: frozenset[str]
) -> tuple[Any, Any, tuple[str, ...]] | None:
    """``bio_ranges`` of the common case, as columns (token index arrays ``i`` and ``j``
    and the labels), on numpy token offset arrays: the spans, in
    strictly increasing start order, each valid, on token edges and over tokens no other
    span covers, in text where every code point is its own cluster. Then every span is
    tagged as is and none is reported, so a few array operations decide all of them
    (an export asks this of every article; the loop costs a few microseconds per span).
    None where the case is not that one: the caller asks ``bio_ranges``, which reports.
    Exact alignment also makes a span valid: a token never starts or ends with white
    space and lies inside the text.
    """
    import numpy as np

    if not spans:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), ()
    span_starts, span_ends, span_labels = zip(*spans, strict=True)
    if not known.issuperset(span_labels) or not _simple(text):
        return None
    try:
        s, e = np.array((span_starts, span_ends), dtype=np.int64)
    except OverflowError:  # an offset past 64 bits: invalid, for bio_ranges to report
        return None
    i = np.searchsorted(ends, s, side="right")  # first token ending after the start
    j = np.searchsorted(starts, e, side="left")  # first token starting at or after the end
    if not (j > i).all():
        return None
    if not ((starts[i] == s) & (ends[j - 1] == e)).all():
        return None
    # Each span now covers tokens i..j-1 exactly. Each starting at or after the end of
    # the one before means starts in increasing order (out of order, or nested at one
    # start: the loop's order decides) and no overlap with any span before it.
    if (i[1:] < j[:-1]).any():
        return None
    return i, j, span_labels


def bio_columns(
    text: str, starts: Any, ends: Any, spans: Sequence[Span], known: frozenset[str]
) -> tuple[Any, Any, tuple[str, ...], list[AlignmentIssue]]:
    """``bio_ranges`` on numpy token offset arrays, as columns: the token index arrays
    ``i`` and ``j``, the labels, and the issues. ``aligned_ranges`` answers the common
    case; anything else goes through ``bio_ranges``, which reports."""
    import numpy as np

    aligned = aligned_ranges(text, starts, ends, spans, known)
    if aligned is not None:
        return (*aligned, [])
    ranges, issues = bio_ranges(text, starts.tolist(), ends.tolist(), spans, known)
    i, j, labels = zip(*ranges, strict=True) if ranges else ((), (), ())
    return np.array(i, dtype=np.int64), np.array(j, dtype=np.int64), labels, issues


def chunk_aligned_ranges(
    tokens: ChunkTokens, spans: Sequence[Sequence[Span]], known: frozenset[str], first: int = 0
) -> tuple[Any, Any, list[str], list[bool]]:
    """``aligned_ranges`` of many texts of a chunk at once (text ``first + k``'s spans:
    ``spans[k]``): the token ranges ``i``, ``j`` (indexes into the chunk's tokens) and
    the labels of the spans of every text it answers for, and for each text whether it
    does. The others go through ``bio_columns``, which reports.

    The same rule, on the texts' offsets moved to where each text starts in the joined
    text: one bisection of the chunk's tokens for all spans, where ``aligned_ranges``
    costs a dozen array operations per article. A span of text k must cover text k's
    tokens exactly, so one past its text's end cannot take the next text's.
    """
    import numpy as np

    count = len(spans)
    every = list(chain.from_iterable(spans))
    labels = list(map(SPAN_LABEL, every))
    answered = np.ones(count, dtype=bool)
    for k in tokens.clustered:  # multi-code-point clusters: only without spans
        if first <= k < first + count and spans[k - first]:
            answered[k - first] = False
    if not known.issuperset(labels):
        answered &= [known.issuperset(map(SPAN_LABEL, own)) for own in spans]
    try:
        offsets = np.fromiter(
            chain.from_iterable(map(SPAN_OFFSETS, every)), dtype=np.int64, count=2 * len(every)
        )
    except OverflowError:  # an offset past 64 bits is invalid: read as -1, which never
        # aligns (a text's tokens lie at or after its start), so only its text is left out
        fits = (
            x if -(2**63) <= x < 2**63 else -1
            for x in chain.from_iterable(map(SPAN_OFFSETS, every))
        )
        offsets = np.fromiter(fits, dtype=np.int64, count=2 * len(every))
    text = np.repeat(np.arange(count), np.fromiter(map(len, spans), dtype=np.int64, count=count))
    bounds = tokens.bounds[first : first + count + 1] - tokens.bounds[first]  # these texts'
    base = tokens.text_starts[first : first + count + 1]
    lo, hi = int(tokens.bounds[first]), int(tokens.bounds[first + count])
    shift = np.repeat(base[:-1], np.diff(bounds))
    starts, ends = tokens.starts[lo:hi] + shift, tokens.ends[lo:hi] + shift
    s, e = offsets[0::2] + base[text], offsets[1::2] + base[text]
    i = np.searchsorted(ends, s, side="right")  # first token ending after the start
    j = np.searchsorted(starts, e, side="left")  # first token starting at or after the end
    exact = (i >= bounds[text]) & (j <= bounds[text + 1]) & (j > i)
    if len(starts):  # without tokens, no span has j > i
        exact &= (starts[np.minimum(i, len(starts) - 1)] == s) & (ends[np.maximum(j - 1, 0)] == e)
    # each span at or after the end of the one before in its text (see `aligned_ranges`)
    crossed = (text[1:] == text[:-1]) & (i[1:] < j[:-1])
    answered[text[~exact]] = False
    answered[text[1:][crossed]] = False
    taken = answered[text]
    if not taken.all():
        i, j = i[taken], j[taken]
        labels = [labels[k] for k in np.flatnonzero(taken).tolist()]
    return i + lo, j + lo, labels, answered.tolist()


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
# The pattern opens with the class of its first characters, so the regex engine skips to
# them in C (a third of the splitter's time, against a leading lookahead). The next word's
# first character is a word character other than an ASCII lower-case letter: such a word
# never starts a sentence, so its candidate is refused here rather than in Python (the
# scan then resumes where the refused candidate would have ended: every position inside
# it has the same next word). `sentences` checks the rest (capital or digit).
_SENTENCE_END = re.compile(
    r"[.!?\n](?:(?<=[.!?])[.!?]*[\"'’”)\]]*(?=\s+[\"'“‘(\[]?(?P<next>[^\W_a-z]))|(?<=\n)\n*)"
)
_LONGEST_ABBREVIATION = max(map(len, ABBREVIATIONS))
_LETTER_DOTS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")  # "U.S", "a.m"


def _abbreviation_before(text: str, end: int) -> bool:
    """Whether the word ending at ``end`` (a period follows) is an abbreviation."""
    if end and not text[end - 1].isalnum() and text[end - 1] != ".":
        return False  # no word: "(item 4)."
    last = text[max(0, end - _LONGEST_ABBREVIATION - 1) : end]
    if len(last) > _LONGEST_ABBREVIATION and last.isalnum():
        return False  # longer than any abbreviation, with no dot for "U.S."
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
    for end, after in _sentence_ends(text, 0):
        _push(text, start, end, ranges)
        start = after
    _push(text, start, len(text), ranges)
    return ranges


def _sentence_ends(text: str, pos: int, stop: int | None = None) -> Iterator[tuple[int, int]]:
    """(end of a sentence, start of the next before trimming) for each sentence end at or
    after ``pos`` (and, given ``stop``, whose mark is at or before it): the rules of
    `sentences`."""
    for m in _SENTENCE_END.finditer(text, pos):
        if stop is not None and m.start() > stop:
            return
        nxt = m.group("next")
        if nxt is None:  # line breaks
            yield m.start(), m.end()
        elif nxt.isupper() or nxt.isdigit():
            end = m.start()
            if text[end] != "." or not _abbreviation_before(text, end):
                yield m.end(), m.end()


# Characters `sentence_around` first reads before an offset: most mentions sit early in a
# sentence of a hundred or so characters. It reads four times as far each time it must,
# up to `_REACH` on either side of the offset.
_LOOK_BACK = 64
_REACH = 4096


def sentence_around(
    text: str, offset: int, look_back: int = _LOOK_BACK, reach: int = _REACH
) -> tuple[int, int] | None:
    """``sentences(text)[sentence_at(sentences(text), offset)]``, from the text around
    ``offset`` only; None when the ``reach`` characters on either side cannot tell (a
    longer sentence, or no sentence at all): then split the whole text.

    An export asks for the sentence of each stance's mentions, a few per article of
    dozens of sentences. The scan starts after a space some way before ``offset``: no
    sentence end's match holds a space that is not a line break, so from there the
    pattern finds the very ends that a scan from the text's start finds. What comes
    before the first of those ends is part of a sentence begun earlier, and is dropped;
    when no whole sentence starts at or before ``offset``, the scan starts further back.
    So a call reads a few dozen kB at most, whatever the text.
    """
    back, stop = max(look_back, 1), offset + reach
    while True:
        origin = max(0, offset - back)
        if origin:
            origin = text.rfind(" ", 0, origin) + 1  # 0 when no space is before it
        ranges: list[tuple[int, int]] = []
        start, partial = origin, origin > 0
        for end, after in _sentence_ends(text, origin, stop):
            if not partial:
                _push(text, start, end, ranges)
            elif after > offset:
                break  # its sentence began before the origin: no need to read on
            start, partial = after, False
            if ranges and start > offset:  # no later sentence starts at or before it
                break
        else:
            if stop < len(text):
                return None  # no sentence end told within reach after the offset
            if not partial:
                _push(text, start, len(text), ranges)
        if ranges and (origin == 0 or ranges[0][0] <= offset):
            return ranges[sentence_at(ranges, offset)]
        if origin == 0 or back >= reach:
            return None
        back *= 4


def _push(text: str, start: int, end: int, ranges: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        ranges.append((start, end))


def sentence_at(
    ranges: Sequence[tuple[int, int]], offset: int, starts: Sequence[int] | None = None
) -> int:
    """Index of the sentence containing ``offset`` (or the last one starting before it).
    ``starts``: the ranges' starts, for a caller that asks many times."""
    if starts is None:
        starts = [s for s, _ in ranges]
    return max(bisect.bisect_right(starts, offset) - 1, 0)


class ChunkTokens(NamedTuple):
    """The tokens of many texts at once: ``tokenize`` of each, as flat integer arrays.

    Text k's tokens are ``starts[bounds[k]:bounds[k + 1]]`` (and ``ends``), offsets into
    text k itself. ``byte_starts``/``byte_ends`` are the same tokens as UTF-8 byte offsets
    into ``data``, the texts' UTF-8 bytes joined by one newline each, so a caller (the
    export's Arrow ``tokens`` column) can cut the token strings from one buffer in C
    without a Python string per token. Text k starts at ``text_starts[k]`` in the joined
    text; ``clustered`` are the texts with multi-code-point grapheme clusters.
    """

    starts: Any  # numpy int64 arrays
    ends: Any
    bounds: Any
    byte_starts: Any
    byte_ends: Any
    data: bytes
    text_starts: Any
    clustered: tuple[int, ...]


class ChunkSentences(NamedTuple):
    """The sentences of many texts at once: ``sentences`` of each, as flat integer arrays.

    Text k's sentences are ``starts[bounds[k]:bounds[k + 1]]`` (and ``ends``), offsets
    into text k itself.
    """

    starts: Any  # numpy int64 arrays
    ends: Any
    bounds: Any

    def of(self, k: int) -> list[tuple[int, int]]:
        """``sentences`` of text k."""
        lo, hi = int(self.bounds[k]), int(self.bounds[k + 1])
        return list(zip(self.starts[lo:hi].tolist(), self.ends[lo:hi].tolist(), strict=True))


# Code point classes of the vectorized tokenizer and splitter: exactly one of the first
# five (as the token regex's ``\s``, ``[^\W\d_]``, ``\d``, ``_`` and ``[^\w\s]`` see the
# code point), plus the two roles punctuation plays in its rules, and whether a sentence
# may start with it (`_STARTER`: ``_SENTENCE_END``'s next word, capital or digit).
_SPACE, _LETTER_CLASS, _DIGIT, _UNDER, _OTHER, _NUMBER_SEP, _APOSTROPHE, _STARTER = (
    1 << k for k in range(8)
)
_ALNUM = _LETTER_CLASS | _DIGIT
_WORD = _ALNUM | _UNDER


def _classify(code_point: int) -> int:
    """The class bits of a code point, asked of ``re`` itself, so they are its own."""
    c = chr(code_point)
    bits = (
        _SPACE
        if re.match(r"\s", c)
        else _LETTER_CLASS
        if re.match(_LETTER, c)
        else _DIGIT
        if re.match(r"\d", c)
        else _UNDER
        if c == "_"
        else _OTHER
    )
    if c in ".,:":
        bits |= _NUMBER_SEP
    if c in "'’":
        bits |= _APOSTROPHE
    if c.isalnum() and (c.isupper() or c.isdigit()):
        bits |= _STARTER
    return bits


_ASCII_CLASSES: list[int] = [_classify(k) for k in range(128)]


class _Joined(NamedTuple):
    """Texts joined by one newline each, as the vectorized tokenizer and splitter read
    them: ``points`` (code points; UTF-8 bytes when all are ASCII) and their ``classes``."""

    text: str
    bases: Any  # where each text starts in `text`, and one past the end
    points: Any
    classes: Any
    data: bytes  # `text` in UTF-8
    ascii_only: bool


def _join(np: Any, texts: Sequence[str]) -> _Joined:
    joined = "\n".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    bases = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths + 1, out=bases[1:])
    n = len(joined)
    ascii_only = joined.isascii()
    data = joined.encode("ascii" if ascii_only else "utf-8")
    if ascii_only:
        points = np.frombuffer(data, dtype=np.uint8)
        classes = np.array(_ASCII_CLASSES, dtype=np.uint8)[points]
    else:
        points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        classes = np.empty(n, dtype=np.uint8)
        low = points < 128
        classes[low] = np.array(_ASCII_CLASSES, dtype=np.uint8)[points[low]]
        high, inverse = np.unique(points[~low], return_inverse=True)
        classes[~low] = np.array([_classify(int(p)) for p in high], dtype=np.uint8)[inverse]
    return _Joined(joined, bases, points, classes, data, ascii_only)


def chunk_tokens(texts: Sequence[str]) -> ChunkTokens:
    """``tokenize`` of every text, computed for all of them at once with numpy.

    What no library does for us: ``_TOKEN_RE`` (the rules) as array operations over the
    code points of the whole chunk, so the export's 8 million tokens of 20,000 articles
    cost a few passes in C instead of a regex match and three Python objects each. The
    texts are joined by newlines (white space: no token crosses one), then:

    - every non-space code point starts a token, except inside a run of alphanumerics
      (one word), inside a run of underscores, in the ``s`` of a possessive ``'s`` after
      a word character and before a non-word one, and in a number's ``[.,:]`` between
      digits (with the digits after it), when the digits before it are a number of their
      own; a letter right after a number's digits starts a word;
    - a non-space run holding a period between two letters (a candidate letter-dot
      abbreviation such as "U.S.", whose rule needs backtracking) is tokenized by
      ``_TOKEN_RE`` itself, as is a text with multi-code-point grapheme clusters
      (``tokenize``'s cluster path).

    A property test holds the result equal to ``tokenize`` of each text.
    """
    import numpy as np

    return _chunk_tokens(np, texts, _join(np, texts))


def chunk_text(texts: Sequence[str]) -> tuple[ChunkTokens, ChunkSentences]:
    """``chunk_tokens`` and ``chunk_sentences`` of the texts, reading them once."""
    import numpy as np

    joined = _join(np, texts)
    return _chunk_tokens(np, texts, joined), _chunk_sentences(np, len(texts), joined)


def _chunk_tokens(np: Any, texts: Sequence[str], joined: _Joined) -> ChunkTokens:
    points, classes, bases = joined.points, joined.classes, joined.bases
    n = len(joined.text)
    is_start, is_end = _token_edges(np, joined.text, points, classes)
    starts = np.flatnonzero(is_start)
    ends = np.flatnonzero(is_end) + 1
    if joined.ascii_only:
        byte_at = None
        byte_starts, byte_ends = starts, ends
    else:  # code point offsets to UTF-8 byte offsets: 1 to 4 bytes each
        widths = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
        byte_at = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(widths, out=byte_at[1:])
        byte_starts, byte_ends = byte_at[starts], byte_at[ends]
    bounds = np.searchsorted(starts, bases)
    bounds[-1] = len(starts)
    text_of = np.repeat(np.arange(len(texts)), np.diff(bounds))
    local_starts = starts - bases[:-1][text_of]
    local_ends = ends - bases[:-1][text_of]
    clustered = () if joined.ascii_only else tuple(k for k, t in enumerate(texts) if not _simple(t))
    tokens = ChunkTokens(
        local_starts, local_ends, bounds, byte_starts, byte_ends, joined.data, bases, clustered
    )
    if not clustered:
        return tokens
    return _with_cluster_tokens(np, tokens, texts, byte_at)


def _token_edges(np: Any, joined: str, points: Any, classes: Any) -> tuple[Any, Any]:
    """Boolean arrays over ``joined``: a token starts at p; a token ends after p (the
    rules of `chunk_tokens`). ``np`` is numpy, passed in so importing spans loads none."""
    c = classes
    n = len(joined)
    space = (c & _SPACE) != 0
    alnum = (c & _ALNUM) != 0
    letter = (c & _LETTER_CLASS) != 0
    digit = (c & _DIGIT) != 0
    under = (c & _UNDER) != 0
    word = (c & _WORD) != 0

    if n == 0:
        return space, space

    def before(a: Any, fill: bool) -> Any:  # a[p - 1] at p
        return np.concatenate((np.full(1, fill), a[:-1]))

    def after(a: Any, fill: bool, k: int = 1) -> Any:  # a[p + k] at p
        return np.concatenate((a[k:], np.full(min(k, n), fill)))

    same_token = (alnum & before(alnum, False)) | (under & before(under, False))
    # the "s" of a possessive: apostrophe after a word character, "s", then a non-word
    possessive = (
        ((c & _APOSTROPHE) != 0)
        & before(word, False)
        & after(points == ord("s"), False)
        & ~after(word, False, 2)
    )
    same_token |= before(possessive, False)
    # Digits whose alphanumeric run has no letter before them are a number: a letter
    # after them starts a word, and [.,:] with digits after extends them. Both are rare,
    # so only those places ask where their digits begin.
    prev_digit = before(digit, False)
    digits_open = np.flatnonzero(digit & ~prev_digit)
    letter_after = np.flatnonzero(letter & prev_digit)
    sep_between = np.flatnonzero(((c & _NUMBER_SEP) != 0) & prev_digit & after(digit, False))

    def number_before(at: Any) -> Any:  # the digits ending at at - 1 are a number
        opened = digits_open[np.searchsorted(digits_open, at - 1, side="right") - 1]
        return (opened == 0) | ~letter[np.maximum(opened - 1, 0)]

    same_token[letter_after[number_before(letter_after)]] = False
    joins = sep_between[number_before(sep_between)]
    same_token[joins] = True
    same_token[joins + 1] = True
    is_start = ~space & (before(space, True) | ~same_token)
    is_end = ~space & after(is_start | space, True)
    # a non-space run with a period between two letters: the regex's own tokens there
    period = points == ord(".")
    candidates = np.flatnonzero(period & before(letter, False) & after(letter, False))
    if len(candidates):
        edges = np.concatenate(([-1], np.flatnonzero(space), [n]))  # spaces, and beyond
        at = np.searchsorted(edges, candidates)
        run_lo, run_hi = edges[at - 1] + 1, edges[at]
        for lo, hi in sorted(set(zip(run_lo.tolist(), run_hi.tolist(), strict=True))):
            is_start[lo:hi] = False
            is_end[lo:hi] = False
            for m in _TOKEN_RE.finditer(joined, lo, hi):
                is_start[m.start()] = True
                is_end[m.end() - 1] = True
    return is_start, is_end


def _with_cluster_tokens(
    np: Any, tokens: ChunkTokens, texts: Sequence[str], byte_at: Any
) -> ChunkTokens:
    """``tokens`` with its ``clustered`` texts (multi-code-point grapheme clusters)
    tokenized by ``tokenize``'s cluster path instead of code point by code point.
    ``byte_at``: the UTF-8 byte offset of each code point of the joined text (and of
    its end)."""
    bases = tokens.text_starts
    columns: list[list[Any]] = [[], [], [], []]
    counts = np.diff(tokens.bounds)
    parts = (tokens.starts, tokens.ends, tokens.byte_starts, tokens.byte_ends)
    done = 0  # the first text whose vectorized tokens are not taken yet
    for k in tokens.clustered:
        lo, hi = int(tokens.bounds[done]), int(tokens.bounds[k])
        for column, part in zip(columns, parts, strict=True):
            column.append(part[lo:hi])
        own = _tokenize_clusters(texts[k])
        own_starts = np.array([t.start for t in own], dtype=np.int64)
        own_ends = np.array([t.end for t in own], dtype=np.int64)
        base = int(bases[k])
        for column, part in zip(
            columns,
            (own_starts, own_ends, byte_at[own_starts + base], byte_at[own_ends + base]),
            strict=True,
        ):
            column.append(part)
        counts[k] = len(own)
        done = k + 1
    lo = int(tokens.bounds[done])
    for column, part in zip(columns, parts, strict=True):
        column.append(part[lo:])
    bounds = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    starts, ends, byte_starts, byte_ends = (np.concatenate(c) for c in columns)
    return tokens._replace(
        starts=starts, ends=ends, bounds=bounds, byte_starts=byte_starts, byte_ends=byte_ends
    )


def chunk_sentences(texts: Sequence[str]) -> ChunkSentences:
    """``sentences`` of every text, computed for all of them at once with numpy."""
    import numpy as np

    return _chunk_sentences(np, len(texts), _join(np, texts))


# What `_SENTENCE_END` reads around an end mark: the marks, the closing quotes and
# brackets after them, the opening ones before the next word.
_MARKS = tuple(map(ord, ".!?"))
_CLOSERS = tuple(map(ord, "\"'’”)]"))
_OPENERS = tuple(map(ord, "\"'“‘(["))
_LOWER_ABBREVIATIONS = sorted(a for a in ABBREVIATIONS if a == a.lower())  # "vs", "etc"


def _among(np: Any, values: Any, codes: Sequence[int]) -> Any:
    hit = np.zeros(len(values), dtype=bool)
    for code in codes:
        hit |= values == code
    return hit


def _runs(np: Any, positions: Any) -> tuple[Any, Any]:
    """The first position and one past the last of each run of consecutive positions."""
    breaks = np.flatnonzero(np.diff(positions) != 1)
    first = np.concatenate((positions[:1], positions[breaks + 1]))
    last = np.concatenate((positions[breaks], positions[-1:])) + 1
    return first, last


def _walk(
    np: Any,
    at: Any,
    moves: Callable[[Any, Any], Any],
    step: int,
    rest: Callable[[Any, Any], Any] | None = None,
) -> Any:
    """Each of ``at`` moved by ``step`` for as long as ``moves(positions, which)`` says
    (``which``: their indexes in ``at``), reading only the positions still walking: a
    few rounds, since white space and closing marks come in short runs. Positions still
    walking after `_ROUNDS` go to ``rest(positions, which)`` in one step, if given
    (a long run of white space)."""
    at = at.copy()
    walking = np.arange(len(at))
    rounds = 0
    while len(walking):
        if rounds == _ROUNDS and rest is not None:
            at[walking] = rest(at[walking], walking)
            break
        walking = walking[moves(at[walking], walking)]
        at[walking] += step
        rounds += 1
    return at


_ROUNDS = 8


class _Where:
    """Where the code points of a kind are (``find()``: a boolean array over the joined
    text and its sentinel), found once it is asked: only for a long run of the other
    kind, which `_walk` would step through one by one."""

    def __init__(self, np: Any, find: Callable[[], Any]) -> None:
        self.np, self.find = np, find
        self._where: Any = None

    def where(self) -> Any:
        if self._where is None:
            self._where = self.np.flatnonzero(self.find())
        return self._where

    def at_or_after(self, p: Any, _which: Any = None) -> Any:
        """The first such code point at or after each of ``p``."""
        where = self.where()
        return where[self.np.searchsorted(where, p)]

    def after_last_before(self, p: Any) -> Any:
        """One past the last such code point before each of ``p`` (0 if none)."""
        where = self.where()
        k = self.np.searchsorted(where, p) - 1
        return self.np.where(k >= 0, where[self.np.maximum(k, 0)] + 1, 0)


def _chunk_sentences(np: Any, count: int, joined: _Joined) -> ChunkSentences:
    """What no library does for us: `sentences` (``_SENTENCE_END`` and the abbreviation
    rule) as array operations over the code points of the whole chunk, so an export
    finds the sentence of each stance by a bisection instead of reading the text around
    it (`sentence_around`, a few microseconds each). In the joined text:

    - a sentence ends after a run of marks (.!?) and the closing quotes or brackets after
      it, when white space follows, then the next word (after an opening quote or
      bracket, if any) starts with a capital or a digit. Only the run's first mark can
      start ``_SENTENCE_END``'s match: its later ones share its outcome;
    - but not after a period that follows an abbreviation (`_abbreviation_before`, asked
      only where the word before it is neither long nor plain lower-case ASCII);
    - each run of line breaks ends one;
    - each text's sentences are the ranges between its ends, white space trimmed. A
      match that reads past a text's end into the joining newline and the next text
      only ends a sentence that the text's end ends anyway.

    A property test holds the result equal to ``sentences`` of each text.
    """
    # a class-0 sentinel after the text stops every forward walk; index -1 reads it too
    points = np.concatenate((joined.points, np.zeros(1, dtype=joined.points.dtype)))
    classes = np.concatenate((joined.classes, np.zeros(1, dtype=np.uint8)))
    marks = np.flatnonzero(_among(np, joined.points, _MARKS))
    first, after = _runs(np, marks)
    unclosing = _Where(np, lambda: ~_among(np, points, _CLOSERS))  # the sentinel too
    closed = _walk(
        np, after, lambda p, _: _among(np, points[p], _CLOSERS), 1, unclosing.at_or_after
    )
    solid = _Where(np, lambda: (classes & _SPACE) == 0)  # not white space; the sentinel too
    word = _walk(np, closed, lambda p, _: (classes[p] & _SPACE) != 0, 1, solid.at_or_after)
    ok = word > closed  # white space after the marks and closers
    word += _among(np, points[word], _OPENERS)
    ok &= (classes[word] & _STARTER) != 0
    first, ends = first[ok], closed[ok]

    period = np.flatnonzero(points[first] == ord("."))
    at = first[period]
    # no word before it ("(item 4)."): not an abbreviation
    asked = (at > 0) & (((classes[at - 1] & _ALNUM) != 0) | (points[at - 1] == ord(".")))
    longer = at >= 5  # five alphanumerics before: longer than any abbreviation
    for k in range(1, 6):
        longer &= (classes[np.maximum(at - k, 0)] & _ALNUM) != 0
    asked &= ~longer
    at, period = at[asked], period[asked]
    low = np.maximum(at - 16, 0)

    def in_stem(p: Any, which: Any) -> Any:
        return (p > low[which]) & (((classes[p - 1] & _ALNUM) != 0) | (points[p - 1] == ord(".")))

    stem = _walk(np, at, in_stem, -1)
    plain = np.ones(len(at), dtype=bool)  # only ASCII lower-case letters and digits
    for k in range(16):
        inside = stem + k < at
        if not inside.any():
            break
        code = points[np.where(inside, stem + k, 0)]
        lower = (code >= ord("a")) & (code <= ord("z"))
        plain &= ~inside | lower | ((code >= ord("0")) & (code <= ord("9")))
    asked = ~plain
    for abbreviation in _LOWER_ABBREVIATIONS:
        same = at - stem == len(abbreviation)
        for k, letter in enumerate(abbreviation):
            same &= points[np.maximum(at - len(abbreviation) + k, 0)] == ord(letter)
        asked |= same
    asked = np.flatnonzero(asked)
    abbreviated = [_abbreviation_before(joined.text, int(p)) for p in at[asked]]
    ends = np.delete(ends, period[asked[np.array(abbreviated, dtype=bool)]])

    line_first, line_after = _runs(np, np.flatnonzero(joined.points == ord("\n")))
    event_end = np.concatenate((ends, line_first))
    order = np.argsort(event_end, kind="stable")  # a mark's end, then a line break there
    event_end = event_end[order]
    event_after = np.concatenate((ends, line_after))[order]
    # each text's sentences: from its start or an end's `after`, to the next end or its end
    bases = joined.bases
    text_ends = bases[1:] - 1
    owner = np.searchsorted(text_ends, event_end)
    texts = np.arange(count)
    opening = np.searchsorted(owner, texts)  # each text's first end
    starts = np.insert(event_after, opening, bases[:-1])
    owners = np.insert(owner, opening, texts)
    stops = np.insert(event_end, np.searchsorted(owner, texts, side="right"), text_ends)
    starts = _walk(
        np,
        starts,
        lambda p, w: (p < stops[w]) & ((classes[p] & _SPACE) != 0),
        1,
        lambda p, w: np.minimum(solid.at_or_after(p), stops[w]),
    )
    stops = _walk(
        np,
        stops,
        lambda p, w: (p > starts[w]) & ((classes[p - 1] & _SPACE) != 0),
        -1,
        lambda p, w: np.maximum(solid.after_last_before(p), starts[w]),
    )
    kept = stops > starts
    owners = owners[kept]
    base = bases[owners]
    bounds = np.searchsorted(owners, np.arange(count + 1))
    return ChunkSentences(starts[kept] - base, stops[kept] - base, bounds)
