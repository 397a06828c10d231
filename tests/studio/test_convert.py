"""Offline tests of `annotate.studio.convert` on payloads recorded from Label Studio 1.23.2.

The payloads in recorded/ were produced by tests/studio/record.py against a real server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotate.problem import fatal_problems
from annotate.schemas import load_labelset
from annotate.studio import config, convert
from annotate.studio.convert import prediction_score, prediction_to_results, results_to_records

RECORDED = Path(__file__).parent / "recorded"


def _load(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lset():
    return load_labelset()


@pytest.fixture(scope="module")
def meta() -> dict[str, Any]:
    return _load("meta.json")


@pytest.fixture(scope="module")
def annotations(meta) -> dict[str, tuple[dict[str, Any], str]]:
    """Recorded annotations by scenario name, with their task's text."""
    by_id = {v: k for k, v in meta["annotation_outcomes"].items() if isinstance(v, int)}
    out = {}
    for task in _load("export.json"):
        for ann in task["annotations"]:
            out[by_id[ann["id"]]] = (ann, task["data"]["text"])
    return out


def test_recorded_config_is_the_generated_one(lset, meta):
    assert meta["label_studio"] == "1.23.2"
    assert config.config_hash(meta["label_config"]) == config.config_hash(config.label_config(lset))


def test_accepted_prediction_round_trips(lset, meta, annotations):
    ann, text = annotations["accepted"]
    got = results_to_records(ann["result"], text, lset)
    assert got.problems == []
    pred = meta["predictions"][0]
    assert [(e["start"], e["end"], e["label"], e["text"]) for e in got.entities] == [
        (e["start"], e["end"], e["label"], e["text"]) for e in pred["entities"]
    ]
    want = [
        {
            "holder": s["holder"],
            "target": s["target"],
            "target_span": s["target_span"],
            "label": s["label"],
        }
        for s in pred["stances"]
    ]
    assert got.stances == want


def test_offsets_are_code_points_after_emoji(annotations):
    ann, text = annotations["accepted"]
    assert "🇺🇸" in text and "😀" in text
    for res in ann["result"]:
        if res["type"] == "labels":
            v = res["value"]
            assert text[v["start"] : v["end"]] == v["text"]


def test_prediction_in_task_list_equals_what_we_built(lset, meta):
    exported = _load("tasks.json")  # the export lists prediction ids only
    for task, pred, text in zip(exported, meta["predictions"], meta["texts"], strict=True):
        built, skipped = prediction_to_results(pred, text, lset)
        assert skipped == []
        assert task["predictions"][0]["result"] == built
        assert task["predictions"][0]["model_version"] == "rec-v1"


def test_second_annotator_changes(lset, annotations):
    ann, text = annotations["second_annotator"]
    got = results_to_records(ann["result"], text, lset)
    assert got.problems == []
    labels = {e["text"]: e["label"] for e in got.entities}
    assert labels["Élysée"] == "GPE"
    assert [s["holder"]["text"] for s in got.stances] == ["U.S."]


def test_broken_results_are_reported_not_dropped(lset, annotations):
    ann, text = annotations["broken"]
    got = results_to_records(ann["result"], text, lset)
    problems = sorted(p["problem"] for p in got.problems)
    assert len(problems) == 4, problems
    assert any("no stance label" in p for p in problems)
    assert any("'missing' is not a known region" in p for p in problems)
    assert any("outside the text" in p for p in problems)
    assert any("unknown entity label 'WEAPON'" in p for p in problems)
    for p in got.problems:  # the raw result item travels with its problem
        assert p["result"] == ann["result"][p["index"]]
    # what is valid is still read
    assert {e["text"] for e in got.entities} == {"Hamas", "Associated Press", "Germany"}
    assert [(s["holder"]["text"], s["label"]) for s in got.stances] == [("Hamas", "oppose")]


def test_relations_drawn_from_target_to_holder(lset, annotations):
    ann, text = annotations["reverse_relations"]
    got = results_to_records(ann["result"], text, lset)
    assert got.problems == []
    assert sorted((s["holder"]["text"], s["target"], s["label"]) for s in got.stances) == [
        ("Germany", "ceasefire", "neutral"),
        ("Hamas", "humanitarian_pause", "oppose"),
    ]


def test_skipped_annotation(lset, annotations):
    ann, text = annotations["skipped"]
    assert ann["was_cancelled"] is True
    got = results_to_records(ann["result"], text, lset)
    assert (got.entities, got.stances, got.problems) == ([], [], [])


def test_multiline_span_uses_offsets_not_value_text(lset, annotations):
    ann, text = annotations["multiline"]
    got = results_to_records(ann["result"], text, lset)
    assert got.problems == []
    (ent,) = got.entities
    assert "\n" in ent["text"] and ent["text"] == text[ent["start"] : ent["end"]]


def test_incremental_task_list_has_the_same_annotations(lset):
    exported = {t["id"]: t for t in _load("export.json")}
    for task in _load("tasks.json"):
        assert sorted(a["id"] for a in task["annotations"]) == sorted(
            a["id"] for a in exported[task["id"]]["annotations"]
        )
        assert task["updated_at"] and task["data"]["content_hash"]


def test_prediction_checks(lset):
    text = "Blinken backs a truce."
    pred = {
        "entities": [
            {"start": 0, "end": 7, "label": "PERSON", "text": "Blinken", "score": 0.5},
            {"start": 0, "end": 99, "label": "PERSON", "text": "x"},
            {"start": 0, "end": 7, "label": "ALIEN", "text": "Blinken"},
        ],
        "stances": [
            {
                "holder": {"start": 0, "end": 7, "label": "PERSON", "text": "Blinken"},
                "target": "ceasefire",
                "label": "support",
                "target_span": {"start": 16, "end": 21},
                "evidence": {"start": 0, "end": 22},
                "score": 1.0,
            },
            {
                "holder": {"start": 0, "end": 7, "label": "PERSON", "text": "Blinken"},
                "target": "ceasefire",
                "label": "support",
                "evidence": {"start": 0, "end": 22},
            },
            {
                "holder": {"start": 0, "end": 7, "label": "PERSON", "text": "Blinken"},
                "target": "peace",
                "label": "support",
                "target_span": {"start": 16, "end": 21},
                "evidence": {"start": 0, "end": 22},
            },
        ],
    }
    results, skipped = prediction_to_results(pred, text, lset)
    assert len(skipped) == 4
    rel = [r for r in results if r["type"] == "relation"]
    assert rel == [
        {
            "from_id": "e0",
            "to_id": "t0",
            "type": "relation",
            "direction": "right",
            "labels": ["support"],
        }
    ]
    assert prediction_score(pred) == 0.75
    back = results_to_records(results, text, lset)
    assert back.problems == [] and back.stances[0]["target_span"] == {"start": 16, "end": 21}


def test_config_problems(lset):
    assert config.config_problems(lset) == []
    xml = config.label_config(lset).replace('<Label value="EVENT"', '<Label value="EVT"')
    problems = config.config_problems(lset, xml)
    assert any("lacks entity labels: EVENT" in p for p in problems)
    assert any("unknown entity labels: EVT" in p for p in problems)
    assert config.config_problems(lset, "<View><Text")[0].startswith("labeling config is not")
    hyper = config.label_config(lset).replace("<Text ", "<HyperText ")
    assert any("HyperText" in p for p in config.config_problems(lset, hyper))


def test_config_labels_match_schema(lset):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(config.label_config(lset))
    ents = root.find("Labels[@name='entity']")
    assert [(c.get("value"), c.get("background"), c.get("hotkey")) for c in ents] == [
        (e.name, e.color, e.hotkey) for e in lset.entities
    ]
    # annotators read the names; results store the ids (the alias)
    targets = root.find("Labels[@name='target']")
    assert [c.get("alias") for c in targets] == lset.target_ids
    assert [c.get("value") for c in targets] == ["Ceasefire", "Humanitarian pause"]
    assert [c.get("value") for c in root.find("Relations")] == lset.stance_names
    assert root.find("Header").get("value") == "$title"
    assert root.find("Text").get("value") == "$text"


def _moved(ann: dict[str, Any], region: str, start: int, end: int, text: str | None) -> list:
    """A recorded annotation's results with one region's offsets (and value.text) changed."""
    result = json.loads(json.dumps(ann["result"]))
    for r in result:
        if r.get("id") == region and r["type"] == "labels":
            r["value"].update(start=start, end=end)
            if text is not None:
                r["value"]["text"] = text
    return result


def test_edge_whitespace_is_trimmed_and_noted_not_dropped(lset, annotations):
    ann, text = annotations["accepted"]
    fr = text.index("France")
    for start, end in ((fr - 1, fr + 6), (fr, fr + 7), (fr - 1, fr + 7)):
        covered = text[start:end]
        got = results_to_records(_moved(ann, "e4", start, end, covered), text, lset)
        assert ("France", fr, fr + 6) in {(e["text"], e["start"], e["end"]) for e in got.entities}
        assert [p["kind"] for p in got.problems] == ["trimmed"], got.problems
        assert got.trimmed == 1 and fatal_problems(got.problems) == []
    # a newline at the edge, as the UI saves it (a literal backslash-n in value.text)
    ml, ml_text = annotations["multiline"]
    nl = ml_text.index("\n")
    got = results_to_records(_moved(ml, "ml", nl, nl + 7, "\\nÉlysée"), ml_text, lset)
    assert [(e["text"], e["start"]) for e in got.entities] == [("Élysée", nl + 1)]
    assert got.trimmed == 1 and fatal_problems(got.problems) == []


def test_whitespace_only_region_is_still_invalid(lset, annotations):
    ann, text = annotations["accepted"]
    gap = text.index(" Gaza")
    got = results_to_records(_moved(ann, "e2", gap, gap + 1, " "), text, lset)
    assert "Gaza" not in {e["text"] for e in got.entities}
    (problem,) = fatal_problems(got.problems)
    assert "only whitespace" in problem["problem"]


def test_value_text_must_be_the_text_the_offsets_cover(lset, annotations):
    ann, text = annotations["accepted"]
    gaza = text.index("Gaza")
    got = results_to_records(_moved(ann, "e2", gaza + 2, gaza + 6, None), text, lset)
    (problem,) = fatal_problems(got.problems)
    assert "'Gaza'" in problem["problem"] and repr(text[gaza + 2 : gaza + 6]) in problem["problem"]
    assert all(e["text"] != text[gaza + 2 : gaza + 6] for e in got.entities)
    # the UI's literal "\n" for a newline is the same text
    ml, ml_text = annotations["multiline"]
    start, end = (ml["result"][0]["value"][k] for k in ("start", "end"))
    ui = ml_text[start:end].replace("\n", "\\n")
    got = results_to_records(_moved(ml, "ml", start, end, ui), ml_text, lset)
    assert got.problems == [] and len(got.entities) == 1


def test_holder_relation_starts_at_the_region_with_the_holder_label(lset):
    """Two labels on one span (ORG and PERSON on "Ruiz"): the stance keeps its PERSON holder."""
    text = "Ruiz backed a truce."
    ruiz = {"start": 0, "end": 4, "text": "Ruiz"}
    prediction = {
        "entities": [{**ruiz, "label": "ORG"}, {**ruiz, "label": "PERSON"}],
        "stances": [
            {
                "holder": {**ruiz, "label": "PERSON"},
                "target": "ceasefire",
                "target_span": {"start": 14, "end": 19},
                "label": "support",
            }
        ],
    }
    results, skipped = prediction_to_results(prediction, text, lset)
    assert skipped == []
    (relation,) = [r for r in results if r["type"] == "relation"]
    assert relation["from_id"] == "e1"
    back = results_to_records(results, text, lset)
    assert back.problems == []
    assert [s["holder"]["label"] for s in back.stances] == ["PERSON"]


def test_a_target_saved_by_its_name_reads_as_its_id(lset, annotations):
    """A result saved under a config without the alias carries the name: the same target."""
    ann, text = annotations["accepted"]
    by_id = convert.results_to_records(ann["result"], text, lset)
    renamed = json.loads(json.dumps(ann["result"]))
    names = {t.id: t.display_name for t in lset.targets}
    for r in renamed:
        if r.get("from_name") == "target":
            r["value"]["labels"] = [names[r["value"]["labels"][0]]]
    by_name = convert.results_to_records(renamed, text, lset)
    assert by_name.stances == by_id.stances and by_name.stances and not by_name.problems


def test_results_of_a_body_layout_task_move_into_the_unit_text(lset, annotations):
    """A task pushed before the title was labelable shows the body: pull moves its spans."""
    from annotate import spans as sp

    ann, body = annotations["accepted"]
    title = "UN weighs a truce"
    unit = sp.unit_text(title, body)
    assert convert.task_layout({"text": body}) == sp.BODY_LAYOUT
    read = convert.results_to_records(ann["result"], body, lset)
    moved = convert.unit_records(read, sp.task_shift(sp.BODY_LAYOUT, title))
    assert moved.entities and len(moved.entities) == len(read.entities)
    for e in moved.entities:
        assert unit[e["start"] : e["end"]] == e["text"]
    for st in moved.stances:
        h = st["holder"]
        assert unit[h["start"] : h["end"]] == h["text"]
        assert unit[st["target_span"]["start"] : st["target_span"]["end"]] in unit
    assert convert.unit_records(read, 0) is read


def test_other_evidence_becomes_the_holder_region_note_and_reads_back_as_one_stance(lset):
    text = "Oslo backs a truce. Oslo said again it wants a truce now. Rain fell."
    holder = {"start": 0, "end": 4, "label": "GPE", "text": "Oslo"}
    second = text.index("Oslo said")
    pred = {
        "entities": [holder],
        "stances": [
            {
                "holder": holder,
                "target": "ceasefire",
                "label": "support",
                "target_span": {"start": 13, "end": 18},
                "evidence": {"start": 0, "end": 19},
                "other_evidence": [
                    {
                        "holder": {"start": second, "end": second + 4},
                        "evidence": {"start": second, "end": text.index(" Rain")},
                        "label": "support",
                    },
                    {  # outside the text: nothing to quote, left out of the note
                        "holder": {"start": 0, "end": 4},
                        "evidence": {"start": 60, "end": 999},
                        "label": "oppose",
                    },
                ],
            }
        ],
    }
    results, skipped = prediction_to_results(pred, text, lset)
    assert skipped == []
    (region,) = [r for r in results if r.get("meta")]
    assert region["value"]["text"] == "Oslo"
    assert region["meta"] == {
        "text": [
            "support Ceasefire; also read in: support: “Oslo said again it wants a truce now.”"
        ]
    }
    back = results_to_records(results, text, lset)  # the note is not read back as data
    assert back.problems == [] and len(back.stances) == 1 and len(back.entities) == 1
