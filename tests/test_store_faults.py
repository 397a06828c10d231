"""Nothing lost: a full disk and a concurrent writer are one-line answers, never a traceback."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, event, func, select

from annotate.cli import app
from annotate.ingest import IngestReport, ingest_paths
from annotate.resources import samples_dir
from annotate.store.models import Article
from annotate.store.session import make_engine, session_scope
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


def test_two_ingests_of_one_folder_at_once_store_each_article_once(
    engine: Engine, db_url: str
) -> None:
    """Both runs read the known hashes before either inserts (a barrier on the insert):
    the loser hits the unique constraint, re-reads, and reports the articles as duplicates."""
    barrier = threading.Barrier(2, timeout=30)
    reports: list[IngestReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        own = make_engine(db_url)
        waited = threading.Event()

        @event.listens_for(own, "before_cursor_execute")
        def meet(_conn, _cursor, statement: str, *_args) -> None:
            if statement.startswith("INSERT INTO articles") and not waited.is_set():
                waited.set()
                barrier.wait()

        try:
            reports.append(ingest_paths(own, [samples_dir()]))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted((len(r.new), len(r.duplicates)) for r in reports) == [(0, 4), (4, 0)]
    with session_scope(engine) as s:
        assert s.scalar(select(func.count(Article.id))) == 4
    assert all("already in the store" in d for r in reports for d in r.duplicates)
