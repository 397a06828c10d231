"""spans.sentences: the splitter equals its plain definition (main's code before the
regex learned to refuse lower-case next words and skip to candidate characters)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from annotate import spans as sp
from tests.properties.strategies import EXAMPLES, FUZZ

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
