"""One span check: validate, the Label Studio conversion (both ways) and the export agree.

Pull alone repairs what it can: a human's region with whitespace at an edge is trimmed
(and noted) rather than refused, since the trimmed span is exactly what was meant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate import spans as sp
from annotate.schemas import load_labelset
from annotate.studio.config import ENTITY, TEXT
from annotate.studio.convert import prediction_to_results, results_to_records
from annotate.validate import validate_files

LABELS = load_labelset()
ARTICLE = "Talks resumed in Geneva on Monday."


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        (16, 23, "whitespace at an edge"),  # " Geneva"
        (17, 24, "whitespace at an edge"),  # "Geneva "
        (17, 17, "empty"),
        (30, 40, "outside the text"),
    ],
)
def test_a_bad_span_is_refused_everywhere(tmp_path: Path, start: int, end: int, why: str):
    span = sp.Span(start, end, "GPE")
    assert any(why in p for p in sp.check_span(ARTICLE, span))

    covered = ARTICLE[start:end]
    gold = tmp_path / "gold.jsonl"
    record = {
        "id": "a",
        "text": ARTICLE,
        "entities": [{"start": start, "end": end, "label": "GPE", "text": covered}],
        "stances": [],
    }
    gold.write_text(json.dumps(record) + "\n", encoding="utf-8")
    found = [str(p) for p in validate_files([gold], LABELS)]
    assert found, f"validate let [{start}, {end}) through"

    results, skipped = prediction_to_results(record, ARTICLE, LABELS)
    assert not results and len(skipped) == 1

    region = {
        "id": "r1",
        "from_name": ENTITY,
        "to_name": TEXT,
        "type": "labels",
        "value": {"start": start, "end": end, "text": covered, "labels": ["GPE"]},
    }
    pulled = results_to_records([region], ARTICLE, LABELS)
    if why == "whitespace at an edge":
        (entity,) = pulled.entities
        assert (entity["start"], entity["end"]) == (17, 23)
        assert [p["kind"] for p in pulled.problems] == ["trimmed"]
        assert sp.check_span(ARTICLE, sp.Span(17, 23, "GPE")) == []
    else:
        assert not pulled.entities and len(pulled.problems) == 1

    tokens = sp.tokenize(ARTICLE)
    tags, issues = sp.bio_tags(ARTICLE, tokens, [span], LABELS.entity_names)
    assert set(tags) == {"O"} and [i.kind for i in issues] == ["invalid"]


def test_a_good_span_passes_everywhere(tmp_path: Path):
    start, end = 17, 23
    record = {
        "id": "a",
        "text": ARTICLE,
        "entities": [{"start": start, "end": end, "label": "GPE", "text": "Geneva"}],
        "stances": [],
    }
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert list(validate_files([gold], LABELS)) == []
    results, skipped = prediction_to_results(record, ARTICLE, LABELS)
    assert skipped == [] and results_to_records(results, ARTICLE, LABELS).problems == []
    tags, issues = sp.bio_tags(
        ARTICLE, sp.tokenize(ARTICLE), [sp.Span(start, end, "GPE")], LABELS.entity_names
    )
    assert issues == [] and "B-GPE" in tags
