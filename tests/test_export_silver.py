"""`annotate export --silver`: every pre-annotated article, no project or task, through the
same exporter as the human-checked export (configs, splits, card, validate)."""

from __future__ import annotations

import json
from pathlib import Path

from datasets import load_dataset

from annotate.cli import app
from tests.conftest import runner

ARTICLES = [
    {"id": "s1", "text": "Angela Merkel met Emmanuel Macron in Paris on Monday."},
    {"id": "s2", "text": "France voted in favour of a truce, said Kenya's envoy in Nairobi."},
    {"id": "s3", "text": "The United Nations sent aid to Peru after the floods in Lima."},
]


def _store_with_predictions(workspace: Path) -> None:
    src = workspace / "wire.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(src)]).exit_code == 0
    result = runner.invoke(app, ["preannotate"])  # store mode: into the store
    assert result.exit_code == 0, result.output


def test_silver_export_loads_validates_and_is_all_predictions(
    workspace: Path, tmp_path: Path
) -> None:
    _store_with_predictions(workspace)
    status = json.loads(runner.invoke(app, ["status", "--json"]).stdout)
    assert status["projects"] == 0 and status["tasks"] == 0 and status["predictions"] == 3
    out = tmp_path / "silver"
    result = runner.invoke(app, ["export", "--silver", "--out", str(out), "--split", "train=1"])
    assert result.exit_code == 0, result.output
    entities = load_dataset(str(out), "entities", cache_dir=str(tmp_path / "hf"))["train"]
    assert sorted(entities["article_id"]) == ["s1", "s2", "s3"]
    assert set(entities["source"]) == {"prediction"}
    assert all(n == 0 for n in entities["n_annotators"])
    labels = entities.features["ner_tags"].feature.names
    tagged = {
        tok
        for row in entities
        for tok, tag in zip(row["tokens"], row["ner_tags"], strict=True)
        if labels[tag] != "O"
    }
    assert {"Merkel", "Paris", "Nairobi"} <= tagged
    stance = load_dataset(str(out), "stance", cache_dir=str(tmp_path / "hf"))["train"]
    assert set(stance["source"]) == {"prediction"}
    checked = runner.invoke(app, ["validate", str(out)])
    assert checked.exit_code == 0, checked.output
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "configs:" in card and "prediction" in card


def test_silver_export_is_byte_stable_and_needs_predictions(
    workspace: Path, tmp_path: Path
) -> None:
    ingest_only = workspace / "one.txt"
    ingest_only.write_text("Lima hosted the talks.\n", encoding="utf-8")
    assert runner.invoke(app, ["ingest", str(ingest_only)]).exit_code == 0
    empty = runner.invoke(app, ["export", "--silver", "--out", str(tmp_path / "none")])
    assert empty.exit_code != 0 and "pre-annotated" in empty.output
    assert not (tmp_path / "none").exists()
    _store_with_predictions(workspace)
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        result = runner.invoke(app, ["export", "--silver", "--out", str(out)])
        assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(a) for p in (a / "data").rglob("*.parquet"))
    assert files
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    bad = runner.invoke(app, ["export", "--silver", "--project", "news"])
    assert bad.exit_code != 0 and "--silver" in bad.output
