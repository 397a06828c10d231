"""Offsets, tokens, sentences and BIO tags: the edge cases converters get wrong."""

from __future__ import annotations

import itertools
import json
import random
import re
from itertools import accumulate
from pathlib import Path

import pytest
import regex

from annotate.preannotate.model import PreAnnotator
from annotate.schemas import load_labelset, load_targets
from annotate.spans import (
    _JOINING,
    _NO_JOINING_RANGES,
    Span,
    Token,
    _cluster_cuts,
    _simple,
    _tokenize_clusters,
    align,
    bio_problems,
    bio_tags,
    check_span,
    sentence_at,
    sentences,
    tokenize,
)

LABELS = load_labelset().entity_names


def at(text: str, word: str, label: str, nth: int = 0) -> Span:
    start = -1
    for _ in range(nth + 1):
        start = text.index(word, start + 1)
    return Span(start, start + len(word), label)


@pytest.mark.parametrize(
    "text",
    [
        "Blinken met Baerbock in Tokyo.",
        "U.S.-Canadian resolution\tfailed;\nBritain's vote (abstained) 3.5%",
        "Émigrés 🇺🇦 in Kyiv — “quoted” ＧＰＥ",
        "",
        "   \n\t ",
    ],
)
def test_tokens_keep_their_offsets(text: str) -> None:
    tokens = tokenize(text)
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert all(not t.text.isspace() and t.text for t in tokens)
    # every visible character belongs to exactly one token
    covered = "".join(t.text for t in tokens)
    assert covered == "".join(text.split())


def test_tokenizer_keeps_names_whole_and_splits_possessives_and_hyphens() -> None:
    words = [t.text for t in tokenize("U.S.-Canadian Britain's Israel-Hamas war, 3.5 pro-Israel")]
    assert words == [
        "U.S.", "-", "Canadian", "Britain", "'s", "Israel", "-", "Hamas", "war", ",",
        "3.5", "pro", "-", "Israel",
    ]  # fmt: skip


def test_check_span() -> None:
    text = "Hello Blinken."
    assert check_span(text, Span(6, 13, "PERSON"), LABELS) == []
    assert "outside" in check_span(text, Span(6, 40, "PERSON"))[0]
    assert "empty" in check_span(text, Span(6, 6, "PERSON"))[0]
    assert "whitespace" in check_span(text, Span(5, 13, "PERSON"))[0]
    assert "unknown label" in check_span(text, Span(6, 13, "ROBOT"), LABELS)[0]


def test_exact_spans_tag_without_issues() -> None:
    text = "Antony Blinken met Britain's James Cleverly in the Middle East."
    spans = [
        at(text, "Antony Blinken", "PERSON"),
        at(text, "Britain", "GPE"),
        at(text, "James Cleverly", "PERSON"),
        at(text, "Middle East", "LOC"),
    ]
    tokens = tokenize(text)
    tags, issues = bio_tags(text, tokens, spans, LABELS)
    assert issues == []
    assert list(zip([t.text for t in tokens], tags, strict=True)) == [
        ("Antony", "B-PERSON"), ("Blinken", "I-PERSON"), ("met", "O"), ("Britain", "B-GPE"),
        ("'s", "O"), ("James", "B-PERSON"), ("Cleverly", "I-PERSON"), ("in", "O"), ("the", "O"),
        ("Middle", "B-LOC"), ("East", "I-LOC"), (".", "O"),
    ]  # fmt: skip
    assert bio_problems(tags, LABELS) == []


def test_partial_token_span_is_widened_outward_and_reported() -> None:
    text = "Israeli troops entered Gaza."
    span = Span(0, 6, "NORP")  # "Israel" inside "Israeli"
    tags, issues = bio_tags(text, tokenize(text), [span], LABELS)
    assert tags[0] == "B-NORP" and tags[1:] == ["O"] * 4
    [issue] = issues
    assert issue.kind == "widened" and issue.span == span
    assert issue.aligned == Span(0, 7, "NORP")
    assert "widened" in issue.describe() and "'Israel'" in issue.describe()


def test_span_ending_mid_token_across_a_newline_is_widened() -> None:
    text = "the UN Security\nCouncil voted"
    span = Span(4, 18, "ORG")  # ends inside "Council"
    tokens = tokenize(text)
    assert align(tokens, span) == (1, 4)
    tags, issues = bio_tags(text, tokens, [span], LABELS)
    assert tags == ["O", "B-ORG", "I-ORG", "I-ORG", "O"]
    assert issues[0].aligned == Span(4, 23, "ORG")


def test_leading_space_or_invalid_spans_are_reported_not_tagged() -> None:
    text = "Hello Blinken."
    tags, issues = bio_tags(
        text, tokenize(text), [Span(5, 13, "PERSON"), Span(3, 99, "ORG")], LABELS
    )
    assert tags == ["O", "O", "O"]
    assert [i.kind for i in issues] == ["invalid", "invalid"]


def test_overlapping_spans_keep_the_first_and_report_the_other() -> None:
    text = "UN Security Council met."
    outer = Span(0, 19, "ORG")
    inner = Span(3, 19, "ORG")
    tags, issues = bio_tags(text, tokenize(text), [inner, outer], LABELS)
    assert tags == ["B-ORG", "I-ORG", "I-ORG", "O", "O"]
    assert [(i.kind, i.span) for i in issues] == [("overlap", inner)]


def test_bio_problems() -> None:
    assert bio_problems(["O", "I-ORG"], LABELS) == ["token 1: I-ORG does not continue O"]
    assert bio_problems(["B-GPE", "I-ORG"], LABELS)
    assert bio_problems(["B-ROBOT"], LABELS) == ["token 0: unknown tag 'B-ROBOT'"]
    assert bio_problems(["B-GPE", "I-GPE", "B-GPE", "O"], LABELS) == []


def test_sentences() -> None:
    text = (
        "Mr. Blinken arrived in the U.S. on Monday. France voted in favour! "
        '"You have our support," Kamikawa said.\nBritain abstained'
    )
    got = [text[s:e] for s, e in sentences(text)]
    assert got == [
        "Mr. Blinken arrived in the U.S. on Monday.",
        "France voted in favour!",
        '"You have our support," Kamikawa said.',
        "Britain abstained",
    ]
    ranges = sentences(text)
    assert sentence_at(ranges, text.index("France")) == 1
    assert sentence_at(ranges, text.index("Britain")) == 3


@pytest.mark.parametrize(
    "expected",
    [
        ["U.S. Secretary Blinken met Mr. Kishida.", "Then he left!", "New line"],
        ["Gen. Mark Milley and Adm. Lisa Franchetti spoke.", "Brig. Gen. Ryder did not."],
        ["Gens. Milley and Austin arrived.", "Sens. Ruiz and Rep. Lee left."],
        ["John F. Kennedy Jr. and Mrs. Onassis met Dr. Li at No. 10 Downing St. on Monday."],
        ["Shares fell on Jan. 5.", "Trading resumed on Sept. 9 at 10 a.m. on Monday."],
        ["Acme Inc. and Borden Co. merged.", "Acme Corp. Ltd. said so."],
        ["ST. LOUIS (AP) — The Cardinals won.", "MR. SMITH GOES TO WASHINGTON"],
        ["He said no.", "Then he left.", "The vote was 5 vs. 4 in favour."],
        ['"We agree," she said.', '"No more delays."', "Britain abstained."],
        ['He called it "a farce." the minister said.', "2024 was a record year."],
        ["Is it over?", "Yes!", "It is...", "Really."],
        ["Émile left.", "Łódź voted (narrowly).", "[Then] it rained."],
    ],
)
def test_sentences_keep_abbreviations_whole(expected: list[str]) -> None:
    text = " ".join(expected).replace(" MR.", "\nMR.").replace(" New line", "\nNew line")
    assert [text[s:e] for s, e in sentences(text)] == expected


def test_stance_evidence_is_a_sentence_of_the_one_splitter() -> None:
    gold = Path(__file__).parent / "fixtures" / "gold"
    labelset = load_labelset().with_targets(load_targets(gold / "targets.yaml"))
    model = PreAnnotator(labelset)
    seen = 0
    for line in (gold / "news.jsonl").read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        ranges = set(sentences(text))
        for st in model.predict(text, "t")["stances"]:
            assert (st["evidence"]["start"], st["evidence"]["end"]) in ranges
            seen += 1
    assert seen > 20


def test_sample_article_sentences_cover_names_once() -> None:
    sample = Path("/work/shared/samples/g7-blinken-gaza.txt")
    text = (
        sample.read_text(encoding="utf-8")
        if sample.is_file()
        else "Blinken said so. Israel remains unconvinced."
    )
    ranges = sentences(text)
    assert ranges == sorted(ranges)
    assert all(text[s:e] == text[s:e].strip() and e > s for s, e in ranges)
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False))


# The tokenizer as it was before grapheme clusters: text whose code points are each a
# cluster of their own must still tokenize exactly like this.
_CODE_POINT_TOKENS = re.compile(
    r"(?:[^\W\d_]\.){2,}|\d+(?:[.,:]\d+)*|(?<=\w)['’]s\b|[^\W_]+|_+|[^\w\s]"
)
CONLL_DEV = Path("/work/shared/data/conll2003/dev.txt")
ORDINARY = [
    "Blinken met Baerbock in Tokyo on Jan. 3, 2024, at 10:30 a.m.; 1,000 troops, 3.5%.",
    "U.S.-Canadian talks: Britain's vote, Israel-Hamas war, pro-Israel groups’ rally.",
    "Émigrés in Kyiv — “quoted” ＧＰＥ, São Paulo, Zürich, Łódź, Dvořák and Ørsted.",
    "Ὀδυσσεύς и Москва; القاهرة وبيروت; ירושלים; 東京都と北京市、서울특별시.",
    "snake_case __init__ x² ½ Ⅻ №5 e-mail: a.b@example.org http://x.y/z?q=1&r=2#f",
    "Line one\r\nline two\ttabbed\u00a0nbsp\u2009thin\u3000ideographic\n\n",
    "O'Neill's 'quote' ‘single’ «guillemets» (brackets) [more] {braces} — – -- ...",
    "$5.2bn €3,5 £10 ¥100 5°C 50/50 24/7 #hashtag @handle 2023-10-07 9/11",
    "I.B.M. U.N. e.g. i.e. A. B. Smith Jr. Mr. O'Brien-Smith Jean-Luc's",
]


def conll_documents() -> list[str]:
    if not CONLL_DEV.exists():
        return []
    from annotate.evaluate import read_conll

    return [doc.text for doc in read_conll(CONLL_DEV)]


def code_point_tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _CODE_POINT_TOKENS.finditer(text)]


def test_ordinary_text_tokenizes_exactly_as_before_on_both_paths() -> None:
    corpus = ORDINARY + conll_documents()
    for text in corpus:
        expected = code_point_tokens(text)
        assert [tuple(t) for t in tokenize(text)] == expected
        # the grapheme path agrees too, so a combining mark elsewhere changes nothing here
        assert [tuple(t) for t in _tokenize_clusters(text)] == expected
        shifted = [(w, s + 9, e + 9) for w, s, e in expected]
        assert [tuple(t) for t in tokenize("Sa\u0301nchez " + text)][1:] == shifted


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # decomposed accents: combining marks stay inside their word
        ("Pedro Sa\u0301nchez's e\u0301lan", ["Pedro", "Sa\u0301nchez", "'s", "e\u0301lan"]),
        ("U\u0301.S. 3\u0301.5", ["U\u0301.S.", "3\u0301.5"]),
        (
            "Ngo\u0302 \u0110i\u0300nh Die\u0323\u0302m",
            ["Ngo\u0302", "\u0110i\u0300nh", "Die\u0323\u0302m"],
        ),  # noqa: E501
        # a mark with no letter before it is a visible character of its own
        ("a \u0301b", ["a", "\u0301", "b"]),
        # Devanagari vowel signs and viramas, Thai tone marks, a Persian ZWNJ
        ("नरेंद्र मोदी ने कहा", ["नरेंद्र", "मोदी", "ने", "कहा"]),
        ("ที่กรุงเทพฯ", ["ที่กรุงเทพฯ"]),
        ("می\u200cخواهم", ["می\u200cخواهم"]),
        # flags, ZWJ sequences, skin tones, keycaps: one token each
        ("🇺🇦🇫🇷 flags", ["🇺🇦", "🇫🇷", "flags"]),
        ("family 👨\u200d👩\u200d👧\u200d👦!", ["family", "👨\u200d👩\u200d👧\u200d👦", "!"]),
        ("👍🏽 1\ufe0f\u20e3", ["👍🏽", "1\ufe0f\u20e3"]),
    ],
)
def test_tokens_are_whole_grapheme_clusters(text: str, words: list[str]) -> None:
    tokens = tokenize(text)
    assert [t.text for t in tokens] == words
    assert all(text[t.start : t.end] == t.text for t in tokens)


def test_span_cutting_a_grapheme_is_reported_and_widened() -> None:
    text = "Pedro Sa\u0301nchez met Baerbock."
    tokens = tokenize(text)
    cut = Span(0, 8, "PERSON")  # "Pedro Sa", before the combining accent
    tags, issues = bio_tags(text, tokens, [cut, at(text, "Baerbock", "PERSON")], LABELS)
    assert tags == ["B-PERSON", "I-PERSON", "O", "B-PERSON", "O"]
    assert [i.kind for i in issues] == ["grapheme"]
    assert issues[0].aligned == Span(0, 14, "PERSON")
    assert issues[0].describe() == (
        "grapheme PERSON [0, 8) 'Pedro Sa': cuts a character (grapheme cluster) at 8 -> [0, 14)"
    )
    # ending after the accent is an ordinary mid-word cut; ending on the word is exact
    assert [i.kind for i in bio_tags(text, tokens, [Span(0, 9, "PERSON")], LABELS)[1]] == [
        "widened"
    ]
    assert bio_tags(text, tokens, [Span(0, 14, "PERSON")], LABELS)[1] == []
    # inside a flag, at the start, even with tokens that would not show it
    flags = "🇺🇦🇫🇷 talks"
    issues = bio_tags(flags, tokenize(flags), [Span(1, 3, "GPE")], LABELS)[1]
    assert [(i.kind, i.detail) for i in issues] == [
        ("grapheme", "cuts a character (grapheme cluster) at 1 and 3")
    ]
    code_points = [Token(*t) for t in code_point_tokens(text)]
    assert [i.kind for i in bio_tags(text, code_points, [cut], LABELS)[1]] == ["grapheme"]


def test_the_fast_check_of_simple_text_never_misses_a_joining_code_point() -> None:
    no_joining = "".join(chr(c) for a, b in _NO_JOINING_RANGES for c in range(a, b + 1))
    assert _JOINING.search(no_joining) is None
    assert _simple(no_joining)
    for joining in ("a\u0301", "🇺🇦", "👨\u200d👩", "👍🏽", "\u1100\u1161", "क्ष", "x\ufe0f"):
        assert not _simple(joining)


def test_grapheme_path_matches_clustering_the_whole_text() -> None:
    """Tokens and cut offsets come from the joining runs only: they must be those of
    clustering the whole text, on random mixes of joining and ordinary code points."""
    alphabet = [
        "a", "B", "é", "1", "2", ".", ",", ":", "'", "’", "s", "-", "_", " ", "\n", "\r",
        "\u0301", "\u0323", "\u200d", "\u200c", "\ufe0f", "🇺", "🇦", "👨", "👍", "🏽",
        "\u1100", "\u1161", "\u11a8", "가", "क", "\u094d", "ष", "ि", "\u0600", "ก", "\u0e49",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(1500):
        text = "".join(rng.choices(alphabet, k=rng.randint(1, 60)))
        clusters = regex.findall(r"\s|\X", text)
        bounds = [0, *accumulate(map(len, clusters))]
        skeleton = "".join(c[0] for c in clusters)
        expected = [
            (text[bounds[m.start()] : bounds[m.end()]], bounds[m.start()], bounds[m.end()])
            for m in _CODE_POINT_TOKENS.finditer(skeleton)
        ]
        assert [tuple(t) for t in tokenize(text)] == expected, repr(text)
        inside = {k for a, b in itertools.pairwise(bounds) for k in range(a + 1, b)}
        assert _cluster_cuts(text) == inside, repr(text)


def test_trim_drops_edge_whitespace_only() -> None:
    from annotate.spans import trim

    text = "In London \nNations met"
    assert trim(text, Span(2, 10, "GPE")) == Span(3, 9, "GPE")
    assert trim(text, Span(9, 18, "ORG")) == Span(11, 18, "ORG")
    assert trim(text, Span(9, 11, "ORG")).start == trim(text, Span(9, 11, "ORG")).end
    assert trim(text, Span(5, 99, "ORG")) == Span(5, 99, "ORG")  # left for check_span


def test_token_columns_are_tokenize() -> None:
    """The learned layer's column tokenizer gives `tokenize`'s tokens, simple or not."""
    from annotate.spans import token_columns

    for text in [
        "",
        "  ",
        "Britain's U.S. deal: 3,000.5 _x_ fell!?",
        "Sa\u0301nchez and José\n\nsaid",
    ]:
        tokens = tokenize(text)
        assert token_columns(text) == (
            [t.text for t in tokens],
            [t.start for t in tokens],
            [t.end for t in tokens],
        )
