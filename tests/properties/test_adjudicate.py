"""Majority adjudication: one annotator (the fast path) gives what several who agree give
(the voting path), spans and triples in the same order."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from annotate.export.adjudicate import adjudicate, parse_policy
from annotate.judgement import ArticleText, Judgement, Triple
from annotate.spans import Span
from tests.properties.strategies import FUZZ

TEXT = "Oslo backs a ceasefire. Kenya rejects it, Lima said. Peru abstained on the pause."
offsets = st.sampled_from([0, 4, 24, 29, 43, 47, len(TEXT)])  # few: spans share offsets
labels = st.sampled_from(["GPE", "ORG", "PERSON"])
spans = st.builds(Span, offsets, offsets, labels)
triples = st.builds(
    Triple,
    holder=spans,
    holder_text=st.sampled_from(["Oslo", "Kenya", ""]),
    target=st.sampled_from(["ceasefire", "humanitarian_pause"]),
    label=st.sampled_from(["support", "oppose", "neutral"]),
    target_span=st.none() | st.tuples(offsets, offsets),
)


@FUZZ
@given(
    spans=st.lists(spans, max_size=8),
    triples=st.lists(triples, max_size=6),
    others=st.integers(1, 2),
)
def test_one_annotator_is_the_unanimous_majority(
    spans: list[Span], triples: list[Triple], others: int
) -> None:
    doc = ArticleText(TEXT)
    alone = Judgement("a@example.org", (1,), tuple(spans), tuple(triples))
    agreeing = [alone] + [
        Judgement(f"b{k}@example.org", (2 + k,), tuple(spans), tuple(triples))
        for k in range(others)
    ]
    majority = parse_policy("majority")
    one = adjudicate(majority, [alone], doc.stance_key)
    many = adjudicate(majority, agreeing, doc.stance_key)
    assert one.spans == many.spans
    assert [t for t, _ in one.triples] == [t for t, _ in many.triples]
    assert one.ties == many.ties == []
