"""Every reported item of an export is findable; an identical re-export records nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from annotate.cli import app
from annotate.export.hf import MAX_EXAMPLES
from annotate.store.models import ExportRun
from annotate.store.session import session_scope
from tests.conftest import runner
from tests.test_export import TEXT, Ann, Store, disagreeing, run, store

__all__ = ["store"]  # the fixture, shared with test_export


def _url(store: Store) -> str:
    return str(store.engine.url.render_as_string(hide_password=False))


def _runs(store: Store) -> int:
    with session_scope(store.engine) as s:
        return int(s.scalar(select(func.count(ExportRun.id))))


def _widened_store(store: Store) -> int:
    """Articles with one span each, off the token boundary: one widened span per article."""
    n = MAX_EXAMPLES + 3
    for i in range(n):
        store.article(
            f"il{i:02}",
            f"Israeli officials met Blinken {i}.",
            [Ann("a@x", 1, [("Israel", "NORP")])],
        )
    return n


def test_cli_says_how_many_more_and_the_report_file_holds_all(
    store: Store, workspace: Path, tmp_path: Path
) -> None:
    n = _widened_store(store)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["--db", _url(store), "export", "--split", "train=1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"... and {n - 5} more" in result.output
    assert "report.jsonl" in result.output
    lines = [json.loads(x) for x in (out / "report.jsonl").read_text().splitlines()]
    widened = [x for x in lines if x["kind"] == "alignment"]
    assert len(widened) == n and all("widened NORP" in x["item"] for x in widened)
    assert "report.jsonl" in (out / "README.md").read_text(encoding="utf-8")


def test_identical_export_records_no_new_run(store: Store, tmp_path: Path) -> None:
    store.article("g7", TEXT, disagreeing())
    first = run(store, tmp_path / "a", split="train=1")
    again = run(store, tmp_path / "b", split="train=1")
    assert _runs(store) == 1
    assert again.identical_to == first.export_run_id == again.export_run_id
    other = run(store, tmp_path / "c", split="train=1", seed=3)  # other options: a new run
    assert other.identical_to is None and _runs(store) == 2
    store.article("solo", "Japan backs a ceasefire.", [Ann("b@x", 1, [("Japan", "GPE")])])
    changed = run(store, tmp_path / "d", split="train=1", seed=3)  # other inputs: a new run
    assert changed.identical_to is None and _runs(store) == 3


def test_cli_identical_export_says_so_and_writes_no_new_default_folder(
    store: Store, workspace: Path
) -> None:
    store.article("g7", TEXT, disagreeing())
    args = ["--db", _url(store), "export", "--split", "train=1"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    (folder,) = (workspace / "exports").iterdir()
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "identical to export run 1" in again.output and "nothing new recorded" in again.output
    assert list((workspace / "exports").iterdir()) == [folder]
    assert _runs(store) == 1


def test_the_report_keeps_each_article_s_lines_together_in_order(
    store: Store, tmp_path: Path
) -> None:
    """The export decides a group of articles before it writes any (`ALIGN_GROUP`), yet
    each article's report lines come together, in article order: its tie, then its
    widened span, across the groups' edges."""
    from annotate.export.hf import ALIGN_GROUP

    n = ALIGN_GROUP + 5
    for i in range(n):
        text = f"Israeli officials met Blinken {i}."
        store.article(
            f"il{i:02}",
            text,
            [
                Ann("a@x", 1, [("Israel", "NORP"), ("Blinken", "PERSON")]),
                Ann("b@x", 2, [("Israel", "NORP"), ("Blinken", "ORG")]),
            ],
        )
    out = tmp_path / "out"
    run(store, out, policy="majority", split="train=1")
    lines = [json.loads(x) for x in (out / "report.jsonl").read_text().splitlines()]
    kinds = [(x["item"].split(":")[0], x["kind"]) for x in lines]
    ids = sorted(f"il{i:02}" for i in range(n))  # the export's order: public ids
    assert kinds == [(a, kind) for a in ids for kind in ("tie", "alignment")]
