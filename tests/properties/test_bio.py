"""spans.bio_tags: token-aligned, non-overlapping spans are read back exactly from the tags;
any span set is tagged or reported, none vanishes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from annotate import spans as sp
from annotate.schemas import load_labelset
from tests.export_reference import reference_bio_tags
from tests.properties.strategies import FUZZ
from tests.properties.test_convert import article_text

LABELS = load_labelset().entity_names


def decode(tokens: Sequence[sp.Token], tags: Sequence[str]) -> set[sp.Span]:
    """The spans of a BIO sequence: B-X starts one, I-X continues it, anything else ends it."""
    found: set[sp.Span] = set()
    start = end = label = None
    for token, tag in zip(tokens, tags, strict=True):
        prefix, _, tag_label = tag.partition("-")
        if prefix == "I" and tag_label == label:
            end = token.end
            continue
        if label is not None:
            found.add(sp.Span(start, end, label))
        start, end, label = (token.start, token.end, tag_label) if prefix == "B" else (None,) * 3
        assert prefix in ("B", "O"), f"{tag} does not continue a span"
    if label is not None:
        found.add(sp.Span(start, end, label))
    return found


@st.composite
def aligned_spans(draw: st.DrawFn) -> tuple[str, list[sp.Token], list[sp.Span]]:
    """A text, its tokens, and disjoint spans over whole tokens (adjacent ones too)."""
    text = draw(article_text)
    tokens = sp.tokenize(text)
    cuts = sorted(draw(st.sets(st.integers(0, len(tokens)), max_size=12)))
    spans = []
    for i, j in zip(cuts, cuts[1:], strict=False):
        if draw(st.booleans()):
            spans.append(sp.Span(tokens[i].start, tokens[j - 1].end, draw(st.sampled_from(LABELS))))
    return text, tokens, spans


def any_spans(text: str, max_size: int = 8) -> st.SearchStrategy[list[sp.Span]]:
    """Spans anywhere around `text` (outside it too), with any label or an unknown one."""
    bound = st.integers(-2, len(text) + 2)
    label = st.sampled_from([*LABELS, "NOPE"])
    return st.lists(st.builds(sp.Span, bound, bound, label), max_size=max_size)


@FUZZ
@given(case=aligned_spans())
def test_bio_tags_of_aligned_spans_decode_to_the_same_spans(
    case: tuple[str, list[sp.Token], list[sp.Span]],
) -> None:
    text, tokens, spans = case
    tags, issues = sp.bio_tags(text, tokens, spans, LABELS)
    assert issues == []
    assert sp.bio_problems(tags, LABELS) == []
    assert decode(tokens, tags) == set(spans)


@FUZZ
@given(text=article_text, data=st.data())
def test_every_span_is_tagged_or_reported(text: str, data: st.DataObject) -> None:
    spans = data.draw(any_spans(text, max_size=6))
    tokens = sp.tokenize(text)
    tags, issues = sp.bio_tags(text, tokens, spans, LABELS)
    assert len(tags) == len(tokens)
    assert sp.bio_problems(tags, LABELS) == []
    dropped = [i for i in issues if i.kind in ("invalid", "no-token", "overlap")]
    assert sum(tag.startswith("B-") for tag in tags) + len(dropped) == len(spans)
    for issue in issues:
        issue.describe()


# Text the regex path takes (every code point its own cluster): words, numbers, letter-dot
# abbreviations, possessives, underscores, punctuation and every kind of white space.
simple_text = st.text(
    alphabet=st.sampled_from("ab Z9.,:'’s_-\u00e9\u4e1c\n\t\r\u00a0\u2028\x1c")
    | st.characters(codec="latin-1"),
    max_size=80,
)


@FUZZ
@given(text=article_text | simple_text)
def test_token_columns_are_tokenize_column_wise(text: str) -> None:
    tokens = sp.tokenize(text)
    cols = sp.token_columns(text)
    assert cols.texts == [t.text for t in tokens]
    assert cols.starts == [t.start for t in tokens]
    assert cols.ends == [t.end for t in tokens]


@FUZZ
@given(text=article_text | simple_text.filter(str.strip), data=st.data())
def test_bio_ranges_tag_as_mains_bio_tags(text: str, data: st.DataObject) -> None:
    """The ranges, written out as tags, are main's tags; the issues are main's issues."""
    spans = data.draw(any_spans(text))
    tokens = sp.tokenize(text)
    want_tags, want_issues = reference_bio_tags(text, tokens, spans, LABELS)
    cols = sp.token_columns(text)
    ranges, issues = sp.bio_ranges(text, cols.starts, cols.ends, spans, LABELS)
    tags = ["O"] * len(tokens)
    for i, j, lab in ranges:
        tags[i:j] = [f"B-{lab}"] + [f"I-{lab}"] * (j - i - 1)
    assert tags == want_tags
    assert issues == want_issues
    assert sp.bio_tags(text, tokens, spans, LABELS) == (want_tags, want_issues)


# Letters (with a non-decimal numeral, which the letter class holds), digits, the
# separators of numbers and abbreviations, apostrophes, underscores and spaces: where the
# factored token regex could part from the plain alternation of the rules.
TOKEN_ALPHABET = "aZé²Ⅻ19.,:'’s_- \n"


@FUZZ
@given(text=st.text(alphabet=TOKEN_ALPHABET, max_size=40) | article_text)
def test_the_factored_token_regex_is_the_rules_alternation(text: str) -> None:
    plain = re.compile(sp.TOKEN_RULES)
    assert [m.span() for m in sp._TOKEN_RE.finditer(text)] == [
        m.span() for m in plain.finditer(text)
    ]
    assert sp._TOKEN_SPLIT.split(text) == re.compile(rf"((?=\S)(?:{sp.TOKEN_RULES}))").split(text)


# Texts for the vectorized tokenizer: its rules' corners (TOKEN_ALPHABET and the pieces
# that trigger them), simple text and text with grapheme clusters, mixed in one list as in
# one chunk of an export.
PIECES = [
    "U.S.",
    "a.m.",
    "U.S.A",
    "e.g",
    "1,000.5",
    "1:2,",
    "'s",
    "’s",
    "5G",
    "G7",
    "2²",
    "_",
    " ",
    "\n",
]
chunk_text = (
    st.text(alphabet=TOKEN_ALPHABET + "٣\u00a0\u2028", max_size=40)
    | simple_text
    | article_text
    | st.lists(st.sampled_from(PIECES) | st.text(TOKEN_ALPHABET, max_size=3), max_size=12).map(
        "".join
    )
)


@FUZZ
@given(texts=st.lists(chunk_text, max_size=8))
def test_chunk_tokens_are_tokenize_of_each_text(texts: list[str]) -> None:
    chunk = sp.chunk_tokens(texts)
    assert len(chunk.bounds) == len(texts) + 1
    for k, text in enumerate(texts):
        tokens = sp.tokenize(text)
        a, b = int(chunk.bounds[k]), int(chunk.bounds[k + 1])
        assert chunk.starts[a:b].tolist() == [t.start for t in tokens]
        assert chunk.ends[a:b].tolist() == [t.end for t in tokens]
        cut = zip(chunk.byte_starts[a:b].tolist(), chunk.byte_ends[a:b].tolist(), strict=True)
        assert [chunk.data[x:y].decode("utf-8") for x, y in cut] == [t.text for t in tokens]


def token_arrays(text: str) -> tuple[Any, Any]:
    import numpy as np

    cols = sp.token_columns(text)
    return np.array(cols.starts, dtype=np.int64), np.array(cols.ends, dtype=np.int64)


def as_ranges(columns: tuple[Any, Any, tuple[str, ...]]) -> list[tuple[int, int, str]]:
    i, j, labels = columns
    return list(zip(i.tolist(), j.tolist(), labels, strict=True))


@FUZZ
@given(text=article_text | simple_text.filter(str.strip), data=st.data())
def test_aligned_ranges_are_bio_ranges_or_none(text: str, data: st.DataObject) -> None:
    """The fast path answers only where `bio_ranges` tags every span as is: then its ranges
    are `bio_ranges`'s and nothing is reported."""
    spans = data.draw(any_spans(text))
    starts, ends = token_arrays(text)
    fast = sp.aligned_ranges(text, starts, ends, spans, frozenset(LABELS))
    ranges, issues = sp.bio_ranges(text, starts.tolist(), ends.tolist(), spans, LABELS)
    if fast is not None:
        assert (as_ranges(fast), []) == (ranges, issues)


@FUZZ
@given(case=aligned_spans())
def test_aligned_ranges_answer_for_disjoint_spans_on_token_edges(
    case: tuple[str, list[sp.Token], list[sp.Span]],
) -> None:
    """Disjoint spans over whole tokens of text without multi-code-point clusters take the
    fast path, with `bio_ranges`'s ranges."""
    text, _tokens, spans = case
    starts, ends = token_arrays(text)
    fast = sp.aligned_ranges(text, starts, ends, spans, frozenset(LABELS))
    if sp._simple(text):
        assert fast is not None
        want = sp.bio_ranges(text, starts.tolist(), ends.tolist(), spans, LABELS)[0]
        assert as_ranges(fast) == want
    none = sp.aligned_ranges(text, starts, ends, [], frozenset(LABELS))
    assert none is not None and as_ranges(none) == []


@FUZZ
@given(text=article_text | simple_text.filter(str.strip), data=st.data())
def test_bio_columns_are_bio_ranges(text: str, data: st.DataObject) -> None:
    """Whichever path answers, the columns are `bio_ranges`'s ranges and issues."""
    spans = data.draw(any_spans(text))
    starts, ends = token_arrays(text)
    i, j, labels, issues = sp.bio_columns(text, starts, ends, spans, frozenset(LABELS))
    want = sp.bio_ranges(text, starts.tolist(), ends.tolist(), spans, LABELS)
    assert (as_ranges((i, j, labels)), issues) == want


def token_spans(text: str) -> st.SearchStrategy[list[sp.Span]]:
    """Spans over whole tokens of `text`: disjoint (adjacent ones too), or out of order,
    or one of them twice; now and then one with an unknown label."""
    tokens = sp.tokenize(text)

    @st.composite
    def spans(draw: st.DrawFn) -> list[sp.Span]:
        cuts = sorted(draw(st.sets(st.integers(0, len(tokens)), max_size=12)))
        label = st.sampled_from([*LABELS, *LABELS, "NOPE"])
        found = [
            sp.Span(tokens[i].start, tokens[j - 1].end, draw(label))
            for i, j in zip(cuts, cuts[1:], strict=False)
            if draw(st.booleans())
        ]
        order = draw(st.sampled_from(["as is", "reversed", "twice"]))
        if order == "reversed":
            return found[::-1]
        return found + found[:1] if order == "twice" else found

    return spans()


@FUZZ
@given(
    texts=st.lists(article_text | simple_text | chunk_text, min_size=1, max_size=6), data=st.data()
)
def test_chunk_aligned_ranges_are_aligned_ranges_of_each_text(
    texts: list[str], data: st.DataObject
) -> None:
    """The chunk's fast path answers for exactly the texts `aligned_ranges` answers for,
    with its ranges moved to the chunk's token indexes, whichever texts come before and
    after (spans past a text's end must not reach the next text's tokens)."""
    spans = [data.draw(token_spans(t) | any_spans(t, max_size=4)) for t in texts]
    first = data.draw(st.integers(0, len(texts) - 1))
    known = frozenset(LABELS)
    chunk = sp.chunk_tokens(texts)
    i, j, labels, answered = sp.chunk_aligned_ranges(chunk, spans[first:], known, first)
    want: list[tuple[int, int, str]] = []
    for k in range(first, len(texts)):
        lo, hi = int(chunk.bounds[k]), int(chunk.bounds[k + 1])
        fast = sp.aligned_ranges(texts[k], chunk.starts[lo:hi], chunk.ends[lo:hi], spans[k], known)
        assert answered[k - first] == (fast is not None)
        if fast is not None:
            want += [(a + lo, b + lo, label) for a, b, label in as_ranges(fast)]
    assert as_ranges((i, j, tuple(labels))) == want


def test_a_span_past_its_text_never_takes_the_next_text_s_tokens() -> None:
    """Offsets before a text's start or past its end land on a neighbour's tokens in the
    joined chunk: exactly on them here, yet such a span is not aligned (it is invalid)."""
    chunk = sp.chunk_tokens(["A b", "C d"])  # joined "A b\nC d": "b" at 2, "C" at 4
    known = frozenset(LABELS)
    for spans in ([[sp.Span(2, 5, LABELS[0])], []], [[], [sp.Span(-2, 1, LABELS[0])]]):
        _i, _j, labels, answered = sp.chunk_aligned_ranges(chunk, spans, known)
        assert (labels, answered) == ([], [not spans[0], not spans[1]])


def test_an_offset_past_64_bits_leaves_out_only_its_own_text() -> None:
    """Such a span is invalid (`bio_ranges` reports it); the other texts of the group
    still take the fast path."""
    chunk = sp.chunk_tokens(["a b", "c d"])
    spans = [[sp.Span(0, 1, LABELS[0])], [sp.Span(2**63, 2**63 + 1, LABELS[0])]]
    i, j, labels, answered = sp.chunk_aligned_ranges(chunk, spans, frozenset(LABELS))
    assert answered == [True, False]
    assert as_ranges((i, j, tuple(labels))) == [(0, 1, LABELS[0])]


@FUZZ
@given(text=article_text | simple_text, data=st.data())
def test_span_fits_exactly_when_check_span_finds_nothing(text: str, data: st.DataObject) -> None:
    known = frozenset(LABELS)
    for span in data.draw(any_spans(text)):
        assert sp.span_fits(text, span, known) == (not sp.check_span(text, span, known))
