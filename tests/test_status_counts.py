"""`annotate status` counts: the statements of `annotate.store.counts`, through SQLAlchemy
on every store and through the standard library's sqlite3 on a SQLite one, against counts
worked out by hand on the report's store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from annotate.cli import app
from annotate.store import queries
from annotate.store.counts import sqlite_status
from annotate.store.migrate import quick_head, upgrade
from annotate.store.models import Annotation, Project
from annotate.store.session import make_engine, session_scope
from tests.conftest import runner
from tests.test_export import Store
from tests.test_report import build

# a1: two annotators; a2: one; a3: none; a4: skipped by one (see tests/test_report.build),
# then ann2's annotation of a1 deleted in Label Studio, and two projects that are never the
# default: news-review and an imported corpus.
BY_HAND = {
    "articles": 4,
    "predictions": 2,
    "model_version": None,
    "projects": 3,
    "tasks": 4,
    "annotations": 2,
    "skipped": 1,
    "annotated_articles": 2,
    "exports": 0,
}


def _fill(engine: Engine) -> Engine:
    build(Store(engine))
    with session_scope(engine) as s:
        news = s.scalars(select(Project).where(Project.name == "news")).one()
        s.add(
            Project(name="news-review", ls_url="http://ls", ls_project_id=2, review_of_id=news.id)
        )
        s.add(Project(name="import:conll", ls_url="", ls_project_id=0))
        deleted = s.scalars(
            select(Annotation).where(Annotation.annotator == "ann2@example.org")
        ).all()
        next(a for a in deleted if not a.cancelled).deleted = True
    return engine


@pytest.fixture
def counted(engine: Engine) -> Engine:
    return _fill(engine)


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[Path]:
    eng = make_engine(sqlite_url)
    upgrade(eng)
    _fill(eng)
    eng.dispose()
    yield Path(sqlite_url.split("///", 1)[1])


def test_stage_counts_match_the_hand_counts(counted: Engine) -> None:
    with session_scope(counted) as s:
        assert queries.stage_counts(s, None) == BY_HAND
        assert queries.stage_counts(s, "rules-v1")["predictions"] == 2
        assert queries.stage_counts(s, "another-version")["predictions"] == 0


def test_the_sqlite_reader_gives_the_same_counts_and_projects(sqlite_store: Path) -> None:
    path = sqlite_store
    head = quick_head()
    assert head is not None
    quick = sqlite_status(path, head, None)
    assert quick is not None and quick["counts"] == BY_HAND
    assert quick["default_projects"] == ["news"]
    assert quick["project_names"] == ["import:conll", "news", "news-review"]
    assert sqlite_status(path, head, "rules-v1")["counts"]["predictions"] == 2  # type: ignore[index]
    assert sqlite_status(path, "0000-not-the-head", None) is None  # older or newer: usual path
    not_a_store = path.with_name("not-a-store.db")
    not_a_store.write_bytes(b"plain text, not SQLite")
    assert sqlite_status(not_a_store, head, None) is None


def test_status_prints_the_same_counts_either_way(sqlite_store: Path) -> None:
    sqlite_url = f"sqlite:///{sqlite_store}"
    quick = json.loads(runner.invoke(app, ["--db", sqlite_url, "status", "--json"]).output)
    # --project takes the SQLAlchemy path for the same counts
    full = runner.invoke(app, ["--db", sqlite_url, "status", "--json", "--project", "news"])
    full_counts = json.loads(full.output)
    for key in BY_HAND:
        if key not in ("predictions", "model_version"):
            assert quick[key] == full_counts[key] == BY_HAND[key], key
    assert quick["predictions"] == full_counts["predictions"]
