"""The store: migrations match the models, go down and up, and SQLite runs WAL + foreign keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from annotate.store.migrate import (
    OutdatedDatabase,
    alembic_config,
    current_revision,
    downgrade,
    ensure_current,
    head_revision,
    upgrade,
)
from annotate.store.models import Article, Base, Prediction, Project, Task
from annotate.store.session import make_engine, session_scope


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == [], f"models differ from migrations; add an Alembic revision: {diff}"


def test_downgrade_to_base_then_upgrade(engine: Engine) -> None:
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert "articles" in inspect(engine).get_table_names()


def test_single_head(engine: Engine) -> None:
    assert len(ScriptDirectory.from_config(alembic_config(engine)).get_heads()) == 1


def test_fresh_database_is_migrated_on_first_use(db_url: str) -> None:
    eng = make_engine(db_url)
    ensure_current(eng)
    assert current_revision(eng) == head_revision(eng)
    eng.dispose()


def test_outdated_database_is_refused_with_the_command_to_run(engine: Engine) -> None:
    revisions = list(ScriptDirectory.from_config(alembic_config(engine)).walk_revisions())
    if len(revisions) < 2:
        pytest.skip("only one migration so far: no older revision to be behind")
    downgrade(engine, revisions[-1].revision)
    with pytest.raises(OutdatedDatabase, match="annotate db upgrade"):
        ensure_current(engine)


def test_content_hash_is_unique(engine: Engine) -> None:
    with session_scope(engine) as s:
        s.add(Article(content_hash="a" * 64, text="one"))
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Article(content_hash="a" * 64, text="two"))


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        s.add(Prediction(article_id=999, model_version="x", entities=[], stances=[]))
        s.flush()


def test_sqlite_runs_with_wal(sqlite_url: str) -> None:
    eng = make_engine(sqlite_url)
    with eng.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    eng.dispose()


def test_failed_transaction_leaves_the_store_as_it_was(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        s.add(Article(content_hash="b" * 64, text="kept?"))
        s.flush()
        raise RuntimeError("boom")
    with session_scope(engine) as s:
        assert s.query(Article).count() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://reader:s3cret-pw@127.0.0.1:1/none", "cannot open the database"),
        ("notadialect://x", "not a usable database URL"),
        ("postgresql://u:s3cret-pw@127.0.0.1:abc/db", "not a usable database URL"),
        ("/proc/no-such-dir/store.db", "no store at /proc/no-such-dir/store.db"),  # read-only
    ],
)
def test_unusable_database_is_a_one_line_error_without_the_password(url: str, message: str) -> None:
    from annotate.cli import app
    from tests.conftest import runner

    result = runner.invoke(app, ["--db", url, "status"])
    assert result.exit_code == 1
    assert message in result.output and "s3cret-pw" not in result.output
    assert "unexpectedly" not in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2


def test_a_store_that_cannot_be_created_is_a_one_line_error(workspace: Path) -> None:
    from annotate.cli import app
    from tests.conftest import runner

    result = runner.invoke(app, ["--db", "/proc/no-such-dir/store.db", "ingest", str(workspace)])
    assert result.exit_code == 1
    assert "cannot create the database file" in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2


@pytest.mark.parametrize("command", [["status"], ["db", "upgrade"], ["ingest", "."]])
def test_a_store_from_a_newer_annotate_says_to_upgrade_annotate(
    tmp_path: Path, command: list[str]
) -> None:
    """A revision this code does not know is ahead of it: not "run annotate db upgrade"
    (which would fail in Alembic), but a one-line error saying to upgrade annotate."""
    from annotate.cli import app
    from tests.conftest import runner

    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = runner.invoke(app, ["--db", url, *command])
    assert result.exit_code == 1, result.output
    assert "revision 9999, which this annotate does not know" in result.output
    assert "upgrade annotate" in result.output and "unexpectedly" not in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2


def test_revision_0005_adds_and_drops_training_runs_only(engine: Engine) -> None:
    """Down to 0004 and back: the table of recorded models goes and comes, articles stay."""
    with session_scope(engine) as s:
        s.add(Article(content_hash="c" * 64, text="kept"))
    downgrade(engine, "0004")
    assert "training_runs" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "training_runs" in inspect(engine).get_table_names()
    with session_scope(engine) as s:
        assert s.query(Article).count() == 1


def test_revision_0006_indexes_spans_and_triples_by_annotation(engine: Engine) -> None:
    """Without the index every chunk of an export scanned all spans: cost grew with the
    square of the store. The database must look an annotation's spans up, not scan."""

    def indexed(table: str) -> bool:
        return any(
            i["column_names"] == ["annotation_id"] for i in inspect(engine).get_indexes(table)
        )

    assert indexed("entity_spans") and indexed("stance_triples")
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT s.start FROM entity_spans s JOIN annotations a "
                    "ON s.annotation_id = a.id WHERE a.task_id IN (1, 2, 3)"
                )
            ).all()
        assert not any(str(row[-1]).startswith("SCAN s") for row in plan), plan
    downgrade(engine, "0005")
    assert not indexed("entity_spans") and not indexed("stance_triples")
    upgrade(engine)
    assert indexed("entity_spans") and indexed("stance_triples")


def test_export_order_is_python_string_order_on_every_database(engine: Engine) -> None:
    """The database sorts an export's tasks and the silver export's articles (a million
    hashes would not fit in memory here) exactly as `sorted` orders public ids: by code
    point, not by locale."""
    from annotate.judgement import public_article_id
    from annotate.store import queries

    ids = ["b", "B", "a", "é", "Z", "z10", "z9", "日本", "𝔘", None, "", "a b", "a-b"]
    with session_scope(engine) as session:
        for i, external in enumerate(ids):
            session.add(
                Article(
                    content_hash=f"{(i * 7919) % 97:02d}".ljust(64, "f"),
                    external_id=external,
                    text=f"text {i}",
                )
            )
        session.flush()
        articles = session.query(Article).all()
        for a in articles[:-1]:  # the last one has no prediction of the version
            session.add(Prediction(article_id=a.id, model_version="v1", entities=[], stances=[]))
        session.add(
            Prediction(article_id=articles[0].id, model_version="v0", entities=[], stances=[])
        )  # a second version: still one row
        session.add(
            Prediction(article_id=articles[-1].id, model_version="v0", entities=[], stances=[])
        )
        project = Project(name="p", ls_url="http://127.0.0.1:1", ls_project_id=1)
        other = Project(name="q", ls_url="http://127.0.0.1:1", ls_project_id=2)
        session.add_all([project, other])
        session.flush()
        tasks = {
            a.id: Task(project_id=project.id, article_id=a.id, ls_task_id=k)
            for k, a in enumerate(reversed(articles[1:]))
        }
        session.add_all(
            [*tasks.values(), Task(project_id=other.id, article_id=articles[0].id, ls_task_id=99)]
        )
        session.flush()
        task_of = {a_id: t.id for a_id, t in tasks.items()}
        project_id = project.id

    def in_python_order(chosen: list[Article]) -> list[Article]:
        return sorted(
            chosen,
            key=lambda a: (public_article_id(a.external_id, a.content_hash), a.content_hash),
        )

    with session_scope(engine) as session:
        got = queries.predicted_article_ids(session, "v1")
        assert got == [a.id for a in in_python_order(articles[:-1])]
        got = queries.project_task_ids(session, project_id)
        assert got == [task_of[a.id] for a in in_python_order(articles[1:])]


def test_json_columns_read_what_orjson_refuses_as_json_does(engine: Engine) -> None:
    """JSON columns are read by orjson, falling back to `json` for what it refuses: an
    integer past 64 bits (and NaN, which only SQLite stores) reads back unchanged."""
    import math

    values: list = [2**70, {"deep": [1.5, "é", None]}]
    if engine.dialect.name == "sqlite":
        values.append(float("nan"))
    with session_scope(engine) as session:
        article = Article(content_hash="a" * 64, text="t")
        session.add(article)
        session.flush()
        session.add(
            Prediction(article_id=article.id, model_version="v", entities=values, stances=[])
        )
    with session_scope(engine) as session:
        stored = session.query(Prediction).one().entities
    assert stored[:2] == values[:2]
    if engine.dialect.name == "sqlite":
        assert math.isnan(stored[2])


def test_task_items_read_spans_and_triples_packed_on_every_database(
    engine: Engine,
) -> None:
    """`load_task_items` reads spans and triples packed (`packed_rows`: one JSON row on
    SQLite, the driver's tuples elsewhere): on both databases it gives what the ORM holds,
    each annotation's spans in (start, end, id) order, over an IN list longer than one
    bound parameter and with a label holding a quote and a placeholder-like "%s"."""
    from annotate.judgement import Triple
    from annotate.spans import Span
    from annotate.store import queries
    from annotate.store.models import Annotation, EntitySpan, Project, StanceTriple, Task

    with session_scope(engine) as session:
        project = Project(name="p", ls_url="http://127.0.0.1:1", ls_project_id=1)
        session.add(project)
        session.flush()
        for n in range(30):
            article = Article(content_hash=f"{n:064d}", external_id=f"a{n}", text="x" * 80)
            session.add(article)
            session.flush()
            task = Task(project_id=project.id, article_id=article.id, ls_task_id=n)
            session.add(task)
            session.flush()
            for k, who in enumerate(["ann1", "ann2"]):
                ann = Annotation(task_id=task.id, ls_annotation_id=n * 2 + k, annotator=who)
                session.add(ann)
                session.flush()
                for start, end, label in [(9, 12, "ORG"), (2, 5, "GPE"), (2, 5, "it's %s")]:
                    session.add(
                        EntitySpan(annotation_id=ann.id, start=start + n, end=end + n,
                                   label=label, text="x")
                    )  # fmt: skip
                session.add(
                    StanceTriple(annotation_id=ann.id, holder_start=n, holder_end=n + 3,
                                 holder_label="ORG", holder_text="xxx", target="ceasefire",
                                 target_start=None if n % 2 else 40, target_end=None if n % 2 else 45,
                                 label="support")
                )  # fmt: skip
        task_ids = [t.id for t in session.query(Task).order_by(Task.id)]
    with session_scope(engine) as session:
        items = queries.load_task_items(session, task_ids)
    assert [i.public_id for i in items] == [f"a{n}" for n in range(30)]
    for n, item in enumerate(items):
        assert len(item.judgements) == 2
        for j in item.judgements:
            assert j.spans == (
                Span(2 + n, 5 + n, "GPE"), Span(2 + n, 5 + n, "it's %s"), Span(9 + n, 12 + n, "ORG")
            )  # fmt: skip
            assert j.triples == (
                Triple(Span(n, n + 3, "ORG"), "xxx", "ceasefire", "support",
                       None if n % 2 else (40, 45)),
            )  # fmt: skip
            assert all(type(s) is Span for s in j.spans)


def test_packed_rows_are_the_rows_sqlalchemy_reads_on_every_database(engine: Engine) -> None:
    """`packed_rows` gives each row's values as SQLAlchemy's types read them (dates, JSON,
    booleans, NULL, text with quotes, line breaks and emoji, and NUL where the database
    stores one, 64-bit integers), in
    any order, whether SQLite packs them into one JSON row or the driver fetches them."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from annotate.store import queries
    from annotate.store.models import Annotation, Project, Task

    nul = "\x00" if engine.dialect.name == "sqlite" else ""  # PostgreSQL text refuses NUL
    awkward = f'a{nul}b "quoted" \\ back\nslash\té 😀 %s'
    with session_scope(engine) as session:
        project = Project(name="p", ls_url="http://127.0.0.1:1", ls_project_id=1)
        session.add(project)
        session.flush()
        for n in range(3):
            article = Article(content_hash=f"{n:064d}", text=awkward, title=None)
            session.add(article)
            session.flush()
            task = Task(project_id=project.id, article_id=article.id, ls_task_id=2**40 + n)
            session.add(task)
            session.flush()
            session.add(
                Annotation(
                    task_id=task.id, ls_annotation_id=2**62 + n, annotator=awkward,
                    created_at=datetime(2024, 11, 7, 9, 30, 15, 123456, tzinfo=UTC),
                    updated_at=None if n == 1 else datetime(2024, 11, 8, tzinfo=UTC),
                    ground_truth=n == 2, problems=[{"problem": awkward, "n": n}] if n else [],
                )
            )  # fmt: skip
    statement = (
        select(
            Annotation.id,
            Annotation.ls_annotation_id,
            Annotation.annotator,
            Annotation.created_at,
            Annotation.updated_at,
            Annotation.ground_truth,
            Annotation.problems,
            Article.text,
            Article.title,
            Task.model_versions,
        )
        .join(Task, Annotation.task_id == Task.id)
        .join(Article, Task.article_id == Article.id)
    )
    with session_scope(engine) as session:
        connection = session.connection()
        expected = sorted(tuple(row) for row in connection.execute(statement))
        got = sorted(tuple(row) for row in queries.packed_rows(connection, statement))
        empty = queries.packed_rows(connection, statement.where(Annotation.id < 0))
    assert got == expected
    assert len(got) == 3 and got[2][6] == [{"problem": awkward, "n": 2}]
    assert [type(v) for v in got[2][3:6]] == [datetime, datetime, bool]
    assert list(empty) == []
