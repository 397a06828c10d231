"""Acceptance against a real Label Studio: correct a prediction, pull, export, load. `studio`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.studio import conftest as studio_fixtures
from tests.studio.conftest import Workspace, add_articles, article_text

# The real server and per-test workspace of the studio tests, shared rather than copied.
studio = studio_fixtures.studio
ws = studio_fixtures.ws

pytestmark = pytest.mark.studio


def _ok(result) -> None:
    assert result.exit_code == 0, result.output


def test_corrected_labels_reach_the_hub_folder(ws: Workspace, tmp_path: Path) -> None:
    add_articles(ws, [article_text(i) for i in range(3)])
    _ok(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    task = next(iter(client.iter_tasks(pid)))
    result = json.loads(json.dumps(task["predictions"][0]["result"]))
    # The annotator relabels Gaza (predicted GPE) as LOC and turns one stance to oppose.
    for r in result:
        if r.get("value", {}).get("text") == "Gaza":
            r["value"]["labels"] = ["LOC"]
        if r.get("type") == "relation" and r["from_id"] == "e3":
            r["labels"] = ["oppose"]
    client.create_annotation(task["id"], result)
    _ok(ws.pull())

    outs = [tmp_path / "one", tmp_path / "two"]
    for out in outs:
        _ok(ws.invoke("export", "--project", ws.project, "--out", str(out), "--split", "train=1"))
    _ok(ws.invoke("validate", str(outs[0])))
    for rel in ("data/entities/train.parquet", "data/stance/train.parquet", "README.md"):
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes()

    from datasets import load_dataset

    entities = load_dataset(str(outs[0]), "entities", cache_dir=str(tmp_path / "c"))["train"]
    assert entities.num_rows == 1  # the two unannotated tasks are not exported
    row = entities[0]
    tags = entities.features["ner_tags"].feature
    by_token = dict(zip(row["tokens"], map(tags.int2str, row["ner_tags"]), strict=True))
    assert by_token["Gaza"] == "B-LOC"  # the correction, not the prediction's B-GPE
    assert by_token["Antony"] == "B-PERSON" and by_token["Blinken"] == "I-PERSON"
    assert row["source"] == "human"

    stance = load_dataset(str(outs[0]), "stance", cache_dir=str(tmp_path / "c"))["train"]
    names = stance.features["label"]
    got = {r["holder"]: names.int2str(r["label"]) for r in stance}
    assert got == {"United States": "support", "France": "oppose"}
