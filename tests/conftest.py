"""Shared fixtures: a migrated store on SQLite, and on PostgreSQL when one is configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from annotate.store.migrate import upgrade
from annotate.store.session import make_engine

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def pytest_configure(config: pytest.Config) -> None:
    """Workspace discovery stops at the temporary folder: a stray /tmp/.annotate left by
    someone's run must not become every test's workspace."""
    import tempfile

    os.environ.setdefault("ANNOTATE_CEILING_DIRECTORIES", str(Path(tempfile.gettempdir())))


def _postgres_server() -> str | None:
    url = os.environ.get("ANNOTATE_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must set ANNOTATE_TEST_POSTGRES_URL: store tests run on PostgreSQL there")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server in ANNOTATE_TEST_POSTGRES_URL, dropped after."""
    server = _postgres_server()
    if not server:
        pytest.skip("ANNOTATE_TEST_POSTGRES_URL is not set (CI always sets it)")
    import psycopg

    name = f"annotate_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = server.rsplit("/", 1)[0]
    yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory with its own ANNOTATE_HOME, as a new user has."""
    home = tmp_path / "ws"
    home.mkdir()
    monkeypatch.chdir(home)
    monkeypatch.setenv("ANNOTATE_HOME", str(home / ".annotate"))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    return home


def stored_predictions(engine: Engine) -> list[tuple[int, str, Any, Any]]:
    """Every stored prediction as (article row id, model version, entities, stances)."""
    from sqlalchemy import select

    from annotate.store.models import Prediction
    from annotate.store.session import session_scope

    with session_scope(engine) as s:
        rows = s.execute(
            select(
                Prediction.article_id,
                Prediction.model_version,
                Prediction.entities,
                Prediction.stances,
            ).order_by(Prediction.article_id, Prediction.model_version)
        ).all()
    return [tuple(r) for r in rows]
