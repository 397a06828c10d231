"""The workspace is found as git finds its repository, and reading never creates one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli import app
from annotate.config import Settings
from annotate.resources import samples_dir
from tests.conftest import runner

READ_ONLY = [
    ["status"],
    ["status", "--json"],
    ["db", "current"],
    ["studio", "status"],
    ["studio", "credentials"],
]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANNOTATE_HOME", raising=False)
    monkeypatch.delenv("ANNOTATE_DB", raising=False)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_the_nearest_annotate_folder_in_this_folder_or_a_parent_is_the_workspace(
    tmp_path: Path, no_env: None
) -> None:
    (tmp_path / ".annotate").mkdir()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    found = Settings.load(cwd=deep)
    assert (found.home, found.home_from) == (tmp_path / ".annotate", "found")
    assert found.db_url == f"sqlite:///{tmp_path / '.annotate' / 'annotate.db'}"
    (tmp_path / "a" / ".annotate").mkdir()  # a nearer one wins
    assert Settings.load(cwd=deep).home == tmp_path / "a" / ".annotate"
    none = Settings.load(cwd=tmp_path.parent / "elsewhere-not-made")
    assert none.home_from == "new" and none.home.name == ".annotate"


def test_annotate_home_wins_over_a_found_workspace(
    tmp_path: Path, no_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".annotate").mkdir()
    monkeypatch.setenv("ANNOTATE_HOME", str(tmp_path / "other"))
    settings = Settings.load(cwd=tmp_path)
    assert (settings.home, settings.home_from) == (tmp_path / "other", "ANNOTATE_HOME")


def test_status_from_a_subfolder_uses_the_workspace_above_and_says_which(
    tmp_path: Path, no_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["ingest", str(samples_dir())]).exit_code == 0
    assert (tmp_path / ".annotate" / "annotate.db").is_file()  # a write makes ./.annotate
    sub = tmp_path / "notes" / "drafts"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert f"workspace: {tmp_path / '.annotate'} (the nearest .annotate/ from here)" in (
        result.output
    )
    assert f"store: sqlite:///{tmp_path / '.annotate' / 'annotate.db'}" in result.output
    counts = json.loads(runner.invoke(app, ["status", "--json"]).output)
    assert counts["articles"] == 4 and counts["workspace"] == str(tmp_path / ".annotate")
    assert _tree(sub) == []  # nothing made where the command ran


@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_a_read_only_command_outside_a_workspace_creates_nothing(
    tmp_path: Path, no_env: None, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = runner.invoke(app, args)
    assert _tree(empty) == [], result.output
    if args[0] in ("status", "db"):
        assert result.exit_code == 1
        (line,) = result.output.strip().splitlines()
        assert line.startswith(f"error: no workspace: no .annotate/ in {empty} or a parent"), line
        assert "`annotate ingest PATH` to create one here" in line and "ANNOTATE_HOME" in line


def test_status_with_annotate_home_not_there_creates_nothing(
    tmp_path: Path, no_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANNOTATE_HOME", str(tmp_path / "ws"))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1 and _tree(tmp_path) == []
    assert f"no workspace at {tmp_path / 'ws'} (ANNOTATE_HOME)" in result.output


def test_status_on_an_empty_database_migrates_nothing(db_url: str, workspace: Path) -> None:
    """SQLite: the file is not created; PostgreSQL: the empty database gets no tables."""
    from annotate.store.migrate import current_revision
    from annotate.store.session import make_engine

    result = runner.invoke(app, ["--db", db_url, "status"])
    assert result.exit_code == 1, result.output
    assert "no store at" in result.output or "is empty" in result.output, result.output
    if db_url.startswith("sqlite"):
        assert not Path(db_url.split("///", 1)[1]).exists()
    else:
        engine = make_engine(db_url)
        assert current_revision(engine) is None
        engine.dispose()


def test_the_search_stops_at_a_ceiling_directory(tmp_path: Path, monkeypatch) -> None:
    """Like GIT_CEILING_DIRECTORIES: a workspace above the ceiling is never found."""
    from annotate.config import find_workspace

    (tmp_path / ".annotate").mkdir()
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    monkeypatch.setenv("ANNOTATE_CEILING_DIRECTORIES", "")
    assert find_workspace(inner) == tmp_path / ".annotate"
    monkeypatch.setenv("ANNOTATE_CEILING_DIRECTORIES", str(tmp_path / "a"))
    assert find_workspace(inner) is None
