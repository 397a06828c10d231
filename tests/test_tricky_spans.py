"""Spans where Label Studio's own CoNLL converter goes wrong and our export must not:
hyphen-joined names, a final period, emoji before a name, overlaps, regions out of order."""

from __future__ import annotations

import pytest

from annotate import spans as sp
from annotate.schemas import load_labelset

LABELS = load_labelset().entity_names


def _tag(text: str, marked: list[tuple[str, str, int]]) -> tuple[list[tuple[str, str]], list]:
    """(token, tag) pairs and alignment issues for spans given as (word, label, nth)."""
    spans = []
    for word, label, nth in marked:
        start = -1
        for _ in range(nth + 1):
            start = text.index(word, start + 1)
        spans.append(sp.Span(start, start + len(word), label))
    tokens = sp.tokenize(text)
    tags, issues = sp.bio_tags(text, tokens, spans, LABELS)
    return [(t.text, tag) for t, tag in zip(tokens, tags, strict=True)], issues


@pytest.mark.parametrize(
    ("text", "marked", "expected"),
    [
        (
            "U.S.-China talks resumed.",
            [("U.S.", "GPE", 0), ("China", "GPE", 0)],
            [("U.S.", "B-GPE"), ("-", "O"), ("China", "B-GPE"), ("talks", "O")],
        ),
        (
            "The envoys met in Geneva.",
            [("Geneva", "GPE", 0)],
            [("in", "O"), ("Geneva", "B-GPE"), (".", "O")],
        ),
        (
            "\U0001f389 Paris hosts the summit with Lagos.",
            [("Paris", "GPE", 0), ("Lagos", "GPE", 0)],
            [("Paris", "B-GPE"), ("hosts", "O"), ("Lagos", "B-GPE"), (".", "O")],
        ),
        (
            "Officials from New South Wales and the UN spoke.",
            [("UN", "ORG", 0), ("New South Wales", "GPE", 0)],  # out of order on purpose
            [("New", "B-GPE"), ("South", "I-GPE"), ("Wales", "I-GPE"), ("UN", "B-ORG")],
        ),
    ],
)
def test_tricky_spans_tag_exactly(
    text: str, marked: list[tuple[str, str, int]], expected: list[tuple[str, str]]
) -> None:
    pairs, issues = _tag(text, marked)
    assert issues == []
    for pair in expected:
        assert pair in pairs
    assert sum(tag.startswith("B-") for _, tag in pairs) == len(marked)


def test_overlapping_spans_keep_the_longer_and_report_the_other() -> None:
    text = "The New York Times reported it."
    pairs, issues = _tag(text, [("New York", "GPE", 0), ("New York Times", "ORG", 0)])
    assert [(t, tag) for t, tag in pairs if tag != "O"] == [
        ("New", "B-ORG"),
        ("York", "I-ORG"),
        ("Times", "I-ORG"),
    ]
    assert [(i.kind, i.span.label) for i in issues] == [("overlap", "GPE")]
