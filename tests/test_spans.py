"""Offsets, tokens, sentences and BIO tags: the edge cases converters get wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.preannotate.model import PreAnnotator
from annotate.schemas import load_labelset, load_targets
from annotate.spans import (
    Span,
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


def test_trim_drops_edge_whitespace_only() -> None:
    from annotate.spans import trim

    text = "In London \nNations met"
    assert trim(text, Span(2, 10, "GPE")) == Span(3, 9, "GPE")
    assert trim(text, Span(9, 18, "ORG")) == Span(11, 18, "ORG")
    assert trim(text, Span(9, 11, "ORG")).start == trim(text, Span(9, 11, "ORG")).end
    assert trim(text, Span(5, 99, "ORG")) == Span(5, 99, "ORG")  # left for check_span
