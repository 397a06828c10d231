"""Label Studio conversion round-trips: prediction_to_results then results_to_records is the
identity on entity spans and stance triples (as sets), with nothing skipped and no problems."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from annotate.schemas import load_labelset
from annotate.studio.convert import prediction_to_results, results_to_records
from tests.properties.strategies import FUZZ

LABELSET = load_labelset()

# Letters, digits, punctuation, emoji (astral, ZWJ sequences), combining marks, line breaks.
article_text = st.text(
    alphabet=st.characters(codec="utf-8")
    | st.sampled_from("aeiou SZ\u0301\u0308\U0001f600\U0001f469\u200d\U0001f52c\n\r\t\u00a0."),
    min_size=1,
    max_size=60,
).filter(lambda t: t.strip())


@st.composite
def span_in(draw: st.DrawFn, text: str) -> tuple[int, int] | None:
    """Offsets of a non-empty slice of text with no whitespace at its edges, if one was drawn."""
    a, b = sorted(draw(st.tuples(st.integers(0, len(text)), st.integers(0, len(text)))))
    covered = text[a:b]
    a += len(covered) - len(covered.lstrip())
    b -= len(covered) - len(covered.rstrip())
    return (a, b) if a < b else None


@st.composite
def text_and_prediction(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    text = draw(article_text)
    entities = []
    for _ in range(draw(st.integers(0, 5))):
        offsets = draw(span_in(text))
        if offsets:
            label = draw(st.sampled_from(LABELSET.entity_names))
            start, end = offsets
            entities.append({"start": start, "end": end, "label": label, "text": text[start:end]})
    stances = []
    for _ in range(draw(st.integers(0, 4))):
        holder_offsets, target_offsets = draw(span_in(text)), draw(span_in(text))
        if not (holder_offsets and target_offsets):
            continue
        holders = [e for e in entities if e["label"] in LABELSET.holder_labels]
        if holders and draw(st.booleans()):
            holder = dict(draw(st.sampled_from(holders)))  # an entity holds the stance
        else:
            start, end = holder_offsets
            label = draw(st.sampled_from(LABELSET.holder_labels))
            holder = {"start": start, "end": end, "label": label, "text": text[start:end]}
            entities.append(dict(holder))  # a holder is an entity span too
        start, end = target_offsets
        stances.append(
            {
                "holder": holder,
                "target": draw(st.sampled_from(LABELSET.target_ids)),
                "target_span": {"start": start, "end": end},
                "label": draw(st.sampled_from(LABELSET.stance_names)),
            }
        )
    return text, {"id": "a1", "model_version": "rules-1", "entities": entities, "stances": stances}


def _entity_set(entities: list[dict[str, Any]]) -> set[tuple[int, int, str, str]]:
    return {(e["start"], e["end"], e["label"], e["text"]) for e in entities}


def _stance_set(stances: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (
            s["holder"]["start"],
            s["holder"]["end"],
            s["holder"]["label"],
            s["holder"]["text"],
            s["target"],
            s["target_span"]["start"],
            s["target_span"]["end"],
            s["label"],
        )
        for s in stances
    }


@FUZZ
@given(case=text_and_prediction())
def test_prediction_round_trips_through_label_studio_results(
    case: tuple[str, dict[str, Any]],
) -> None:
    text, prediction = case
    results, skipped = prediction_to_results(prediction, text, LABELSET)
    assert skipped == []
    back = results_to_records(results, text, LABELSET)
    assert back.problems == []
    assert _entity_set(back.entities) == _entity_set(prediction["entities"])
    assert _stance_set(back.stances) == _stance_set(prediction["stances"])
    for ent in back.entities:
        assert text[ent["start"] : ent["end"]] == ent["text"]
