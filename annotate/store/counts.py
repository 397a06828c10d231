"""The store's stage counts as plain SQL, one definition for every database.

`stage_counts` runs the statements with any runner: `queries.stage_counts` through
SQLAlchemy on any store, `sqlite_status` with the standard library's sqlite3 for `annotate
status` on a SQLite store (importing SQLAlchemy alone takes longer than the whole 0.4 s
that status may take). This module therefore imports nothing but the standard library
(and `annotate.private`, which keeps the store's files owner-only, as opening it through
SQLAlchemy does).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotate.private import private_sqlite

_LIVE = "a.deleted = FALSE"
STAGE_COUNTS: dict[str, str] = {
    "articles": "SELECT count(*) FROM articles",
    "predictions": "SELECT count(DISTINCT article_id) FROM predictions",
    "projects": "SELECT count(*) FROM projects",
    "tasks": "SELECT count(*) FROM tasks",
    "annotations": f"SELECT count(*) FROM annotations a WHERE {_LIVE} AND a.cancelled = FALSE",
    "skipped": f"SELECT count(*) FROM annotations a WHERE {_LIVE} AND a.cancelled = TRUE",
    "annotated_articles": (
        "SELECT count(DISTINCT t.article_id) FROM tasks t JOIN annotations a "
        f"ON a.task_id = t.id WHERE {_LIVE} AND a.cancelled = FALSE"
    ),
    "exports": "SELECT count(*) FROM export_runs",
}
# `predictions` counts one model version when one is given (its only parameter).
PREDICTIONS_OF_VERSION = STAGE_COUNTS["predictions"] + " WHERE model_version = :model_version"
# The projects a command defaults to: not review projects, not imported corpora.
DEFAULT_PROJECTS = (
    "SELECT name FROM projects WHERE review_of_id IS NULL "
    "AND NOT (ls_project_id = 0 AND ls_url = '') ORDER BY name"
)
PROJECT_NAMES = "SELECT name FROM projects ORDER BY name"


def stage_counts(
    run: Callable[[str, dict[str, Any]], Any], model_version: str | None
) -> dict[str, Any]:
    """How many articles reached each stage, each statement run by ``run(sql, params)``
    (sqlite3 here, SQLAlchemy in `queries.stage_counts`); `predictions` counts the given
    model version."""
    out: dict[str, Any] = {}
    for key, sql in STAGE_COUNTS.items():
        if key == "predictions" and model_version is not None:
            out[key] = run(PREDICTIONS_OF_VERSION, {"model_version": model_version}) or 0
        else:
            out[key] = run(sql, {}) or 0
        if key == "predictions":
            out["model_version"] = model_version
    return out


def sqlite_status(path: Path, head: str, model_version: str | None) -> dict[str, Any] | None:
    """Stage counts and project names of the SQLite store at `path`, read-only.

    None when the file is not a store at migration `head` (older, newer, locked or not a
    store at all): the caller then opens it the usual way, which explains what is wrong.
    """
    private_sqlite(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        revisions = [r for (r,) in conn.execute("SELECT version_num FROM alembic_version")]
        if revisions != [head]:
            return None
        # sqlite3 binds `:model_version` by name, as SQLAlchemy does
        counts = stage_counts(
            lambda sql, params: conn.execute(sql, params).fetchone()[0], model_version
        )
        defaults = [n for (n,) in conn.execute(DEFAULT_PROJECTS)]
        names = [n for (n,) in conn.execute(PROJECT_NAMES)]
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return {"counts": counts, "default_projects": defaults, "project_names": names}
