"""spans.sentences: the splitter equals its plain definition (main's code before the
regex learned to refuse lower-case next words and skip to candidate characters)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from annotate import spans as sp
from annotate.judgement import ArticleText, Triple
from annotate.spans import Span
from tests.properties.strategies import AWKWARD_CHARS, EXAMPLES, FUZZ

# main's pattern and loop at 4f300fd, verbatim but for names
_PLAIN_END = re.compile(r"(?=[.!?\n])(?:[.!?]+[\"'’”)\]]*(?=\s+[\"'“‘(\[]?(?P<next>\w))|\n+)")


def _plain_abbreviation_before(text: str, end: int) -> bool:
    start, low = end, max(0, end - 16)
    while start > low and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    stem = text[start:end].strip(".")
    if len(stem) == 1:
        return stem.isupper()
    if stem in sp.ABBREVIATIONS or sp._LETTER_DOTS.fullmatch(stem) is not None:
        return True
    return stem.isupper() and stem.title() in sp.ABBREVIATIONS


def plain_sentences(text: str) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    start = 0
    for m in _PLAIN_END.finditer(text):
        first = text[m.start()]
        if first == "\n":
            sp._push(text, start, m.start(), ranges)
            start = m.end()
            continue
        nxt = m.group("next")
        if not (nxt.isupper() or nxt.isdigit()):
            continue
        if first == "." and _plain_abbreviation_before(text, m.start()):
            continue
        sp._push(text, start, m.end(), ranges)
        start = m.end()
    sp._push(text, start, len(text), ranges)
    return ranges


# Texts built as the splitter reads them: a word (abbreviations of every kind, initials,
# letter-dot runs, non-ASCII capitals and lower-case letters, digits, also non-ASCII ones,
# letters without case), end marks with closing quotes or brackets, then a gap (spaces,
# line breaks, an opening quote or bracket).
_WORDS = st.sampled_from(
    [*sorted(sp.ABBREVIATIONS), "ST", "MR", "GEN", "U.S", "U.S.", "a.m", "e.g", "F", "x",
     "Ab", "Abcde", "abcdef", "said", "5", "٣", "É", "é", "中", "_", ""]
)  # fmt: skip
_MARKS = st.lists(st.sampled_from(list('.!?.!?"’)')), max_size=3).map("".join)
_GAPS = st.sampled_from(["", " ", "  ", "\n", "\n\n", " \n ", "\t", "\u00a0", ' "', " “", " ("])
texts = st.lists(st.tuples(_WORDS, _MARKS, _GAPS).map("".join), max_size=12).map("".join)


# the splitter is fast: a thousand examples take 2 s
@settings(FUZZ, max_examples=max(EXAMPLES, 1000))
@given(texts)
def test_sentences_equal_the_plain_definition(text: str) -> None:
    assert sp.sentences(text) == plain_sentences(text)


def test_a_short_word_at_the_text_start_is_still_an_initial() -> None:
    # the long-word shortcut must not read before the text's start
    assert sp.sentences("A. Smith left. Then") == [(0, 14), (15, 19)]
    assert sp.sentences("A. Smith left. Then") == plain_sentences("A. Smith left. Then")


def _sentence_of(text: str, offset: int) -> tuple[int, int] | None:
    ranges = sp.sentences(text)
    return ranges[sp.sentence_at(ranges, offset)] if ranges else None


# longer texts than above, so the scan must often start further back than it first reads
long_texts = st.lists(st.tuples(_WORDS, _MARKS, _GAPS).map("".join), max_size=60).map("".join)


@settings(FUZZ, max_examples=max(EXAMPLES, 500))
@given(st.one_of(texts, long_texts), st.data())
def test_sentence_around_equals_the_sentence_of_the_whole_split(text: str, data) -> None:
    offsets = st.integers(0, len(text))
    # short first looks start the scan anywhere: inside a run of end marks, on a space
    look_back = data.draw(st.integers(1, 80))
    reach = data.draw(st.integers(1, 300))
    for offset in data.draw(st.lists(offsets, min_size=1, max_size=8)):
        whole = _sentence_of(text, offset)
        # within reach of the whole text, it always tells; with less, it may say None
        assert sp.sentence_around(text, offset, look_back, len(text) + 1) == whole
        assert sp.sentence_around(text, offset, look_back, reach) in (whole, None)


@settings(FUZZ, max_examples=max(EXAMPLES, 300))
@given(st.one_of(texts, long_texts), st.integers(0, 10_000))
def test_a_mention_sentence_is_the_whole_split_s(text: str, at: int) -> None:
    offset = at % (len(text) + 1)
    mention = Triple(Span(offset, offset + 1, "PERSON"), "x", "t", "support")
    expected = _sentence_of(text, offset) or (0, len(text))
    assert ArticleText(text).mention_sentence(mention) == expected


def test_sentence_around_reads_back_past_a_long_sentence_and_spaceless_text() -> None:
    long = "Officials in the capital " + "weighed the wording " * 20 + "of a statement."
    text = f"First one. {long} Next one."
    for offset in (0, 5, 11, 12, len(text) - 3, text.index("statement")):
        assert sp.sentence_around(text, offset) == _sentence_of(text, offset)
    glued = "x" * 300 + ". Then" + "y" * 300
    for offset in (0, 150, 301, 305, 500):
        assert sp.sentence_around(glued, offset) == _sentence_of(glued, offset)
    assert sp.sentence_around("   \n ", 2) is None
    assert sp.sentence_around("Hi. Hello world foo", 10, look_back=0) == (4, 19)  # no hang


def test_a_sentence_longer_than_the_reach_comes_from_the_whole_split() -> None:
    """Past `sentence_around`'s reach (a sentence of abbreviations, a text of blank
    lines) it says None rather than read on, and the mention's sentence comes from one
    split of the whole text: the same sentence."""
    titles = "Start. " + "Mr. " * 3000 + "Smith spoke. Next one."
    blank = "A first one.\n" + "\n " * 5000 + "Last one."
    for text in (titles, blank):
        doc = ArticleText(text)
        for offset in (len(text) // 3, len(text) // 2, len(text) - 4):
            assert sp.sentence_around(text, offset) in (None, _sentence_of(text, offset))
            mention = Triple(Span(offset, offset + 1, "PERSON"), "x", "t", "support")
            assert doc.mention_sentence(mention) == _sentence_of(text, offset)
    assert sp.sentence_around(titles, len(titles) // 2) is None


# what the chunk splitter reads across: texts that end inside a would-be sentence end
# (a mark, a closer, white space, an opener) before the next text's capital, blank texts
_EDGES = st.sampled_from(["", " ", "\n", "Mr.", "etc.", "vs.", 'Hi. "', "Hi. ", "A.", "No. 5"])
chunk_texts = st.one_of(
    texts, long_texts, _EDGES, st.text(AWKWARD_CHARS + ".!?A a\"'(", max_size=20)
)


@settings(FUZZ, max_examples=max(EXAMPLES, 500))
@given(st.lists(chunk_texts, max_size=8))
def test_chunk_sentences_are_sentences_of_each_text(chunk: list[str]) -> None:
    found = sp.chunk_sentences(chunk)
    assert len(found.bounds) == len(chunk) + 1
    for k, text in enumerate(chunk):
        assert found.of(k) == sp.sentences(text)
    tokens, sentences = sp.chunk_text(chunk)  # both from one reading of the texts
    assert [sentences.of(k) for k in range(len(chunk))] == [found.of(k) for k in range(len(chunk))]
    assert tokens.starts.tolist() == sp.chunk_tokens(chunk).starts.tolist()


def test_chunk_sentences_read_no_rule_across_texts() -> None:
    """The joining newline and the next text neither end nor keep a sentence whole: each
    text's split is its own, whatever comes before or after it."""
    chunk = ["He met Mr.", "Smith left. Then", "", "vs. Them", 'It ended. "', "Quoted. (Yes)"]
    for k, text in enumerate(chunk):
        assert sp.chunk_sentences(chunk).of(k) == sp.sentences(text)
    assert sp.chunk_sentences(chunk).of(1) == [(0, 11), (12, 16)]
    assert sp.chunk_sentences([]).bounds.tolist() == [0]


@settings(FUZZ, max_examples=max(EXAMPLES, 300))
@given(st.one_of(texts, long_texts), st.integers(0, 10_000))
def test_a_mention_sentence_from_a_given_split_is_the_same(text: str, at: int) -> None:
    offset = at % (len(text) + 1)
    mention = Triple(Span(offset, offset + 1, "PERSON"), "x", "t", "support")
    given_split = ArticleText(text, sentences=sp.chunk_sentences([text]).of(0))
    assert given_split.mention_sentence(mention) == ArticleText(text).mention_sentence(mention)


@settings(FUZZ, max_examples=max(EXAMPLES, 200))
@given(
    st.lists(
        st.tuples(_WORDS, _MARKS, st.integers(0, 40), st.sampled_from(" \n\t\u00a0")).map(
            lambda p: p[0] + p[1] + p[3] * p[2]
        ),
        max_size=8,
    ).map("".join),
    st.integers(0, 40),
)
def test_chunk_sentences_over_long_white_space(text: str, pad: int) -> None:
    """Runs of white space longer than the splitter steps through one by one (after a
    mark, around a sentence, at a text's ends) are crossed in one step: same split."""
    chunk = [" " * pad + text + " " * pad, text, "\n" * pad]
    found = sp.chunk_sentences(chunk)
    for k, one in enumerate(chunk):
        assert found.of(k) == sp.sentences(one)


def test_chunk_sentences_of_a_period_at_the_chunk_s_start() -> None:
    """A period among the first five code points of the whole chunk: the look back for a
    long word must not read before the chunk (it once raised on a chunk of three)."""
    for chunk in ([". A"], [".", "A"], [".\nA"], [". 1"], ["Ab. C"], ["", ". A"]):
        found = sp.chunk_sentences(chunk)
        assert [found.of(k) for k in range(len(chunk))] == [sp.sentences(t) for t in chunk]


def test_chunk_sentences_over_a_long_run_of_closing_marks() -> None:
    """A run of closing brackets or quotes after a mark is crossed in one step too."""
    for text in ["Done." + ")" * 50 + " Next one.", "Done." + "”" * 50 + "x Next.", ")" * 30]:
        assert sp.chunk_sentences([text, "After. This"]).of(0) == sp.sentences(text)
