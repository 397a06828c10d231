"""A real Label Studio for the `studio` tests, started through `annotate studio start`.

One server per test session, on a free port, in a temporary workspace; each test gets its
own store (ANNOTATE_DB) and its own project name, so tests do not see each other's tasks.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from annotate.studio.client import Connection
from annotate.studio.server import LocalStudio, free_port

from .lsclient import TestClient

ANNOTATE = str(Path(sys.executable).with_name("annotate"))
runner = CliRunner()
_names = itertools.count()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    env.update(extra)
    return env


@dataclass
class Studio:
    home: Path
    url: str
    token: str

    def client(self) -> TestClient:
        return TestClient(Connection(self.url, self.token, "local"))

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run the real `annotate` executable against this workspace."""
        return subprocess.run(
            [ANNOTATE, *args],
            env=_clean_env(ANNOTATE_HOME=str(self.home), **(env or {})),
            capture_output=True,
            text=True,
            timeout=300,
        )


@pytest.fixture(scope="session")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    home = tmp_path_factory.mktemp("studio-home")
    port = free_port()
    s = Studio(home, f"http://127.0.0.1:{port}", "")
    res = s.cli("studio", "start", "--port", str(port))
    if res.returncode != 0:
        log = home / "studio" / "server.log"
        tail = log.read_text()[-3000:] if log.exists() else ""
        pytest.fail(f"annotate studio start failed: {res.stdout}{res.stderr}\n{tail}")
    creds = LocalStudio(home).credentials()
    assert creds is not None
    s.token = creds.token
    yield s
    s.cli("studio", "stop")


@dataclass
class Workspace:
    """One test's store (its own SQLite file) and project on the session's server."""

    studio: Studio
    db: Path
    project: str

    @property
    def env(self) -> dict[str, str]:
        return {"ANNOTATE_HOME": str(self.studio.home), "ANNOTATE_DB": str(self.db)}

    def invoke(self, *args: str) -> Any:
        """Run the CLI in-process (so tests can patch the client)."""
        from annotate.cli import app

        env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("LABEL_STUDIO_")}
        env.update(self.env)
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    def push(self, *args: str) -> Any:
        return self.invoke("push", "--project", self.project, "--json", *args)

    def pull(self, *args: str) -> Any:
        return self.invoke("pull", "--project", self.project, "--json", *args)

    def engine(self):
        from annotate.config import Settings
        from annotate.store.migrate import ensure_current
        from annotate.store.session import make_engine

        engine = make_engine(Settings.load(db=str(self.db)).db_url)
        ensure_current(engine)
        return engine

    def ls_project_id(self) -> int:
        from sqlalchemy import select

        from annotate.store.models import Project
        from annotate.store.session import session_scope

        with session_scope(self.engine()) as s:
            return int(s.scalar(select(Project.ls_project_id).where(Project.name == self.project)))


@pytest.fixture
def ws(studio: Studio, tmp_path: Path) -> Workspace:
    return Workspace(studio, tmp_path / "store.db", f"test-{os.getpid()}-{next(_names)}")


def span(text: str, needle: str, label: str, nth: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return {"start": start, "end": start + len(needle), "label": label, "text": needle}


def article_text(i: int) -> str:
    return (
        f"Report {i}: Antony Blinken said the United States backs a ceasefire in Gaza. "
        "Zoë 🇺🇸 from the Élysée said France wants a truce."
    )


def prediction_for(text: str, model_version: str = "v1") -> dict[str, Any]:
    us = span(text, "United States", "GPE")
    fr = span(text, "France", "GPE")
    cf, truce = span(text, "ceasefire", "x"), span(text, "truce", "x")
    return {
        "model_version": model_version,
        "entities": [
            {**span(text, "Antony Blinken", "PERSON"), "score": 0.9},
            {**us, "score": 0.8},
            {**span(text, "Gaza", "GPE"), "score": 0.85},
            {**fr, "score": 0.9},
        ],
        "stances": [
            {
                "holder": us,
                "target": "ceasefire",
                "label": "support",
                "score": 0.7,
                "target_span": {"start": cf["start"], "end": cf["end"]},
                "evidence": {"start": 0, "end": len(text)},
            },
            {
                "holder": fr,
                "target": "ceasefire",
                "label": "support",
                "score": 0.6,
                "target_span": {"start": truce["start"], "end": truce["end"]},
                "evidence": {"start": 0, "end": len(text)},
            },
        ],
    }


def title_of(text: str) -> str:
    return f"Title: {text[:20]}"


def shown_text(text: str) -> str:
    """The text a task of an `add_articles` article shows: its title, a blank line, it."""
    from annotate.spans import unit_text

    return unit_text(title_of(text), text)


def add_articles(ws: Workspace, texts: list[str], model_version: str | None = "v1") -> list[int]:
    """Insert articles (and a prediction each, in the public format) through the store."""
    from annotate.spans import unit_text
    from annotate.store.models import Article, Prediction
    from annotate.store.session import session_scope

    ids = []
    with session_scope(ws.engine()) as s:
        for text in texts:
            art = Article(
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                text=text,
                title=title_of(text),
                url="https://example.org/a",
            )
            s.add(art)
            s.flush()
            ids.append(art.id)
            if model_version:  # stored offsets index the unit text (title + body)
                p = prediction_for(unit_text(art.title, text), model_version)
                s.add(
                    Prediction(
                        article_id=art.id,
                        model_version=model_version,
                        entities=p["entities"],
                        stances=p["stances"],
                    )
                )
    return ids
