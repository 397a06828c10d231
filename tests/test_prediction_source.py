"""Each predicted span and stance names the rule family that produced it (`source`), the
format accepts it, and Label Studio never receives it."""

from __future__ import annotations

from annotate.preannotate import entities, stance
from annotate.preannotate.model import predict
from annotate.schemas import load_labelset, validator
from annotate.studio.convert import prediction_payload

LABELS = load_labelset()
TEXT = (
    "Finance Minister Ilse Marwick said on Tuesday that Austria backs a ceasefire. "
    "The Kestrel Group urged a humanitarian pause, Marwick added. "
    "Norway and Chile voted against the ceasefire."
)


def test_every_item_names_its_rule_family() -> None:
    record = predict(TEXT, LABELS, "a1")
    assert record["entities"] and record["stances"]
    entity_rules = {e["source"] for e in record["entities"]}
    assert entity_rules <= {f"rules:{rule}" for rule in entities.SCORES}
    stance_rules = {s["source"] for s in record["stances"]}
    assert stance_rules <= {f"rules:{rule}" for rule in stance.SCORES}
    assert "rules:vote" in stance_rules
    assert not list(validator("prediction").iter_errors(record))
    gold = {**record, "text": TEXT}
    assert not list(validator("gold").iter_errors(gold))


def test_an_unknown_source_is_refused_by_the_schema() -> None:
    record = predict(TEXT, LABELS, "a1")
    record["entities"][0]["source"] = "magic"
    errors = list(validator("prediction").iter_errors(record))
    assert [list(e.absolute_path) for e in errors] == [["entities", 0, "source"]]


def test_label_studio_never_receives_the_source() -> None:
    record = predict(TEXT, LABELS, "a1")
    payload, skipped = prediction_payload(record["model_version"], record, TEXT, LABELS)
    assert not skipped and payload["result"]
    assert "source" not in repr(payload)
    without = {
        **record,
        "entities": [{k: v for k, v in e.items() if k != "source"} for e in record["entities"]],
        "stances": [{k: v for k, v in s.items() if k != "source"} for s in record["stances"]],
    }
    assert prediction_payload(record["model_version"], without, TEXT, LABELS)[0] == payload
