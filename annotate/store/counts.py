"""The store's stage counts as plain SQL, one definition for every database.

`queries.stage_counts` runs these statements through SQLAlchemy on any store.
`sqlite_status` runs the very same statements with the standard library's sqlite3, for
`annotate status` on a SQLite store: importing SQLAlchemy alone takes longer than the
whole 0.4 s that status may take. This module therefore imports nothing but the
standard library (and `annotate.private`, which keeps the store's files owner-only, as
opening it through SQLAlchemy does).
"""

from __future__ import annotations

import sqlite3
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
        counts: dict[str, Any] = {}
        for key, sql in STAGE_COUNTS.items():
            if key == "predictions" and model_version is not None:
                sql = PREDICTIONS_OF_VERSION  # sqlite3 binds `:model_version` by name too
            (counts[key],) = conn.execute(sql, {"model_version": model_version}).fetchone()
            if key == "predictions":
                counts["model_version"] = model_version
        defaults = [n for (n,) in conn.execute(DEFAULT_PROJECTS)]
        names = [n for (n,) in conn.execute(PROJECT_NAMES)]
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return {"counts": counts, "default_projects": defaults, "project_names": names}
