"""Annotations that failed their checks at pull never reach a dataset as labels."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from annotate.cli import app
from annotate.export.check import validate_export
from annotate.store.models import Annotation
from annotate.store.session import session_scope
from tests.conftest import runner
from tests.test_export import TEXT, Ann, Store, all_rows, disagreeing, load, run, store

__all__ = ["store"]  # the fixture, shared with test_export

RECORDED = Path(__file__).parent / "studio" / "recorded"


def _bad_label_problem() -> dict:
    """The problem the pull stores for the recorded result labelled WEAPON (an unknown label)."""
    for task in json.loads((RECORDED / "export.json").read_text(encoding="utf-8")):
        for ann in task["annotations"]:
            for i, res in enumerate(ann["result"]):
                if res.get("id") == "bad-label":
                    return {
                        "index": i,
                        "kind": "invalid",
                        "problem": "unknown entity label 'WEAPON'",
                        "result": res,
                    }
    raise AssertionError("recorded payload without the bad-label result")


def _mark_invalid(store: Store, annotator: str, problem: dict) -> None:
    """The annotator's annotation as the pull stores an invalid one: its valid part only."""
    with session_scope(store.engine) as s:
        for row in s.scalars(select(Annotation).where(Annotation.annotator == annotator)):
            row.problems = [problem]
            row.entities = []
            row.stances = []


def _store(store: Store) -> None:
    # "only": its one annotation failed the checks: no valid annotation is left
    store.article("only", "Japan backs a ceasefire.", [Ann("bad@example.org", 1, [])])
    # "g7": ann2's newer annotation failed; ann1's is valid and must be the one exported
    store.article("g7", TEXT, [disagreeing()[0], Ann("ann2@example.org", 5, [])])
    problem = _bad_label_problem()
    _mark_invalid(store, "bad@example.org", problem)
    _mark_invalid(store, "ann2@example.org", problem)


def test_invalid_annotations_are_left_out_and_reported(store: Store, tmp_path: Path) -> None:
    _store(store)
    out = tmp_path / "out"
    summary = run(store, out, split="train=1")
    assert summary.invalid_annotations == 2
    assert any(
        "only: bad@example.org: unknown entity label 'WEAPON'" in e
        for e in summary.invalid_examples
    )
    assert summary.skipped == {"only invalid annotations (failed pull checks)": 1}
    assert summary.sources == {"human": 1}
    rows = {r["article_id"]: r for r in all_rows(load(out, tmp_path)["entities"])}
    assert set(rows) == {"g7"}  # no all-O row teaching that "only" names nobody
    assert rows["g7"]["annotators"] == ["ann1@example.org"]
    assert {"start": 0, "end": 6, "label": "GPE"} in rows["g7"]["spans"]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "2 annotation(s) failed their checks at pull" in card
    assert "unknown entity label 'WEAPON'" in card
    assert list(validate_export(out)) == []


def test_include_invalid_exports_them_marked(store: Store, tmp_path: Path) -> None:
    _store(store)
    out = tmp_path / "out"
    summary = run(store, out, split="train=1", include_invalid=True)
    assert summary.sources == {"human": 1, "human-invalid": 1}
    assert summary.skipped == {}
    data = load(out, tmp_path)
    rows = {r["article_id"]: r for r in all_rows(data["entities"])}
    assert rows["only"]["source"] == "human-invalid"
    assert rows["only"]["annotators"] == ["bad@example.org"]
    assert rows["g7"]["source"] == "human"
    assert "human-invalid" in (out / "README.md").read_text(encoding="utf-8")
    assert list(validate_export(out)) == []


def test_cli_reports_invalid_annotations_and_offers_the_flag(
    store: Store, workspace: Path, tmp_path: Path
) -> None:
    _store(store)
    url = str(store.engine.url.render_as_string(hide_password=False))
    base = ["--db", url, "export", "--split", "train=1"]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "2 annotation(s) failed their checks at pull and were left out" in result.output
    assert "only: bad@example.org: unknown entity label 'WEAPON'" in result.output
    assert "--include-invalid" in result.output
    flagged = runner.invoke(app, [*base, "--out", str(tmp_path / "b"), "--include-invalid"])
    assert flagged.exit_code == 0, flagged.output
    assert "human-invalid" in flagged.output
