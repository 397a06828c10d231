"""Nothing lost: a full disk and a concurrent writer are one-line answers, never a traceback."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, event

from annotate.cli import app
from annotate.resources import samples_dir
from tests.conftest import runner

SECRET_WORD = "Zanzibarian-rows"


@contextlib.contextmanager
def size_limited_sqlite() -> Iterator[None]:
    """Every SQLite connection may not grow its file: what a full disk looks like to SQLite."""

    def limit(dbapi_conn, _record) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", limit)
    yield
    event.remove(Engine, "connect", limit)


def test_a_full_store_is_one_line_and_stores_nothing(workspace: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["ingest", str(samples_dir())]).exit_code == 0
    folder = tmp_path / "big"
    folder.mkdir()
    for i in range(40):
        body = f"{SECRET_WORD} report {i}: " + " ".join(f"word{i}x{j}" for j in range(800))
        (folder / f"a{i}.txt").write_text(body + "\n")
    with size_limited_sqlite():
        result = runner.invoke(app, ["ingest", str(folder)])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and "full" in line and "free" in line, line
    assert SECRET_WORD not in result.output and "INSERT" not in result.output
    status = runner.invoke(app, ["status", "--json"])
    assert '"articles": 4' in status.output, status.output
