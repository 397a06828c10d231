"""Record Label Studio payloads for the offline tests of `annotate.studio.convert`.

Run against a real server (the tests' fixture does not run this; a human does, once per
Label Studio upgrade):

    ANNOTATE_HOME=/tmp/rec annotate studio start --port 18090
    ANNOTATE_HOME=/tmp/rec .venv/bin/python tests/studio/record.py

It creates a project with the generated labeling config, imports tasks with predictions made
by `prediction_to_results`, adds annotations through the REST API (valid ones, and ones a
careless client or UI could produce: a relation without a stance label, a dangling relation
endpoint, a span past the end of the text, a relation drawn from the target to the holder,
a skipped task), then saves what the server returns: the export, the task list (as the
incremental pull reads it), the stored labeling config, and the server version.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from annotate.schemas import load_labelset
from annotate.studio import config
from annotate.studio.client import resolve_connection
from annotate.studio.convert import prediction_to_results
from tests.studio.lsclient import TestClient

OUT = Path(__file__).parent / "recorded"

TEXTS = [
    # accents, emoji (outside the BMP, and a flag: two code points), CJK, a newline
    "Zoë Blinken 🇺🇸 said the U.S. backs a ceasefire in Gaza.\n"
    "Élysée officials said France 😀 wants a truce; 東京 stayed silent.",
    "Hamas rejected a humanitarian pause, the Associated Press reported. "
    "Germany abstained on the ceasefire vote.",
]


def _span(text: str, needle: str, label: str) -> dict[str, Any]:
    start = text.index(needle)
    return {"start": start, "end": start + len(needle), "label": label, "text": needle}


def _predictions(lset: Any) -> list[dict[str, Any]]:
    t0, t1 = TEXTS
    us, cf = _span(t0, "U.S.", "GPE"), _span(t0, "ceasefire", "x")
    fr, truce = _span(t0, "France", "GPE"), _span(t0, "truce", "x")
    hamas, pause = _span(t1, "Hamas", "ORG"), _span(t1, "humanitarian pause", "x")
    de, cf1 = _span(t1, "Germany", "GPE"), _span(t1, "ceasefire", "x")
    return [
        {
            "id": "a0",
            "model_version": "rec-v1",
            "entities": [
                {**_span(t0, "Zoë Blinken", "PERSON"), "score": 0.91},
                {**us, "score": 0.8},
                {**_span(t0, "Gaza", "GPE"), "score": 0.88},
                {**_span(t0, "Élysée", "ORG"), "score": 0.5},
                {**fr, "score": 0.9},
                {**_span(t0, "東京", "GPE"), "score": 0.7},
            ],
            "stances": [
                {
                    "holder": us,
                    "target": "ceasefire",
                    "label": "support",
                    "score": 0.7,
                    "target_span": {"start": cf["start"], "end": cf["end"]},
                    "evidence": {"start": 0, "end": t0.index("\n")},
                },
                {
                    "holder": fr,
                    "target": "ceasefire",
                    "label": "support",
                    "score": 0.6,
                    "target_span": {"start": truce["start"], "end": truce["end"]},
                    "evidence": {"start": t0.index("\n") + 1, "end": len(t0)},
                },
            ],
        },
        {
            "id": "a1",
            "model_version": "rec-v1",
            "entities": [
                {**hamas, "score": 0.95},
                {**_span(t1, "Associated Press", "ORG"), "score": 0.9},
                {**de, "score": 0.93},
            ],
            "stances": [
                {
                    "holder": hamas,
                    "target": "humanitarian_pause",
                    "label": "oppose",
                    "target_span": {"start": pause["start"], "end": pause["end"]},
                    "evidence": {"start": 0, "end": 67},
                },
                {
                    "holder": de,
                    "target": "ceasefire",
                    "label": "neutral",
                    "target_span": {"start": cf1["start"], "end": cf1["end"]},
                    "evidence": {"start": 68, "end": len(t1)},
                },
            ],
        },
    ]


def main() -> None:
    lset = load_labelset()
    client = TestClient(resolve_connection(Path(os.environ.get("ANNOTATE_HOME", ".annotate"))))
    xml = config.label_config(lset)
    project = client.create_project("recorded-payloads", xml, config.instructions(lset))
    pid = int(project["id"])
    preds = _predictions(lset)
    tasks = []
    for text, pred in zip(TEXTS, preds, strict=True):
        results, skipped = prediction_to_results(pred, text, lset)
        assert not skipped, skipped
        tasks.append(
            {
                "data": {
                    "text": text,
                    "title": f"Title {pred['id']}",
                    "article_id": pred["id"],
                    "content_hash": f"hash-{pred['id']}",
                    "url": "",
                },
                "predictions": [{"model_version": "rec-v1", "score": 0.8, "result": results}],
            }
        )
    ids = client.import_tasks(pid, tasks)
    client.update_project(pid, model_version="rec-v1")
    pred0 = prediction_to_results(preds[0], TEXTS[0], lset)[0]
    pred1 = prediction_to_results(preds[1], TEXTS[1], lset)[0]
    second = client.create_user("recorder-2@annotate.local", first_name="Second")
    outcomes: dict[str, Any] = {}

    def annotate(key: str, task: int, result: list[dict[str, Any]], **kw: Any) -> None:
        try:
            outcomes[key] = client.create_annotation(task, result, **kw)["id"]
        except Exception as exc:  # noqa: BLE001 - a rejection is a recorded fact too
            outcomes[key] = f"rejected: {exc}"

    # 1. the prediction accepted as is (admin)
    annotate("accepted", ids[0], pred0)
    # 2. a second annotator relabels Élysée as GPE and drops France's stance
    changed = json.loads(json.dumps(pred0))
    for r in changed:
        if r.get("value", {}).get("text") == "Élysée":
            r["value"]["labels"] = ["GPE"]
    changed = [
        r
        for r in changed
        if not (r.get("type") == "relation" and r["labels"] == ["support"] and r["from_id"] != "e1")
    ]
    annotate("second_annotator", ids[0], changed, completed_by=second["id"])
    # 3. broken results: relation without a label, dangling endpoint, span past the end
    broken = json.loads(json.dumps(pred1))
    for r in broken:
        if r.get("type") == "relation" and r["labels"] == ["neutral"]:
            del r["labels"]
    broken.append(
        {
            "from_id": "e0",
            "to_id": "missing",
            "type": "relation",
            "direction": "right",
            "labels": ["oppose"],
        }
    )
    broken.append(
        {
            "id": "past-end",
            "from_name": "entity",
            "to_name": "text",
            "type": "labels",
            "value": {
                "start": len(TEXTS[1]) - 3,
                "end": len(TEXTS[1]) + 5,
                "text": "vote.",
                "labels": ["EVENT"],
            },
        }
    )
    broken.append(
        {
            "id": "bad-label",
            "from_name": "entity",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 5, "text": "Hamas", "labels": ["WEAPON"]},
        }
    )
    annotate("broken", ids[1], broken)
    # 4. a relation drawn from the target to the holder, and one with direction "left"
    reverse = [r for r in pred1 if r.get("type") != "relation"] + [
        {
            "from_id": "t0",
            "to_id": "e0",
            "type": "relation",
            "direction": "right",
            "labels": ["oppose"],
        },
        {
            "from_id": "t1",
            "to_id": "e2",
            "type": "relation",
            "direction": "left",
            "labels": ["neutral"],
        },
    ]
    annotate("reverse_relations", ids[1], reverse, completed_by=second["id"])
    # 5. a skipped task
    annotate("skipped", ids[1], [], was_cancelled=True)
    # 6. a multi-line span (crosses the newline)
    nl = TEXTS[0].index("\n")
    annotate(
        "multiline",
        ids[0],
        [
            {
                "id": "ml",
                "from_name": "entity",
                "to_name": "text",
                "type": "labels",
                "value": {
                    "start": nl - 5,
                    "end": nl + 7,
                    "text": TEXTS[0][nl - 5 : nl + 7],
                    "labels": ["EVENT"],
                },
            }
        ],
    )

    OUT.mkdir(parents=True, exist_ok=True)

    def save(name: str, data: Any) -> None:
        (OUT / name).write_text(
            json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )

    version = client._raw("GET", "api/version", "read the version")
    save("export.json", client.export_json(pid))
    save("tasks.json", list(client.iter_tasks(pid)))
    save(
        "meta.json",
        {
            "label_studio": version.get("release") if isinstance(version, dict) else None,
            "label_config": client.get_project(pid)["label_config"],
            "annotation_outcomes": outcomes,
            "texts": TEXTS,
            "predictions": preds,
        },
    )
    client.delete_project(pid)
    print(f"recorded into {OUT}: {outcomes}")


if __name__ == "__main__":
    main()
