"""Nothing leaked: the workspace is its owner's only, and URLs are printed without passwords."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from annotate.cli import app
from annotate.locks import project_lock
from annotate.resources import samples_dir
from tests.conftest import runner


def loose(root: Path) -> list[str]:
    """Paths under `root` (itself included) that group or others may read, with their mode."""
    return [
        f"{p} {oct(p.stat().st_mode & 0o777)}"
        for p in [root, *root.rglob("*")]
        if not p.is_symlink() and p.stat().st_mode & 0o077
    ]


def test_a_new_workspace_is_readable_by_its_owner_only(workspace: Path) -> None:
    home = Path(os.environ["ANNOTATE_HOME"])
    result = runner.invoke(app, ["ingest", str(samples_dir())])
    assert result.exit_code == 0, result.output
    with project_lock(home, "news"):
        assert loose(home) == []
    assert (home / "annotate.db").is_file() and (home / "locks").is_dir()


def test_an_existing_store_and_its_locks_are_repaired_when_used(workspace: Path) -> None:
    home = Path(os.environ["ANNOTATE_HOME"])
    assert runner.invoke(app, ["ingest", str(samples_dir())]).exit_code == 0
    with project_lock(home, "news"):
        pass
    db = home / "annotate.db"
    held = sqlite3.connect(db)  # keeps the -wal and -shm files in place
    held.execute("SELECT count(*) FROM articles").fetchall()
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), home / "locks" / "project-news.lock"]
    try:
        for path in files:
            assert path.exists(), path
            path.chmod(0o644)
        (home / "locks").chmod(0o755)
        result = runner.invoke(app, ["status", "--json"])
        assert result.exit_code == 0, result.output
        with project_lock(home, "news"):
            pass
        assert [oct(p.stat().st_mode & 0o777) for p in files] == ["0o600"] * len(files)
        assert oct((home / "locks").stat().st_mode & 0o777) == "0o700"
    finally:
        held.close()


def test_a_password_in_label_studio_url_is_never_printed(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LABEL_STUDIO_URL may carry user info; an unreachable port makes every command say so."""
    from annotate.studio.server import free_port

    assert runner.invoke(app, ["ingest", str(samples_dir())]).exit_code == 0
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://ana:Hunter2-pw@127.0.0.1:{free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef0123456789abcdef01234567")
    for args in (
        ["push", "--project", "news"],
        ["pull", "--project", "news"],
        ["studio", "invite"],
        ["validate", "--server"],
        ["status"],
    ):
        result = runner.invoke(app, args)
        assert "Hunter2-pw" not in result.output, (args, result.output)
        assert "Traceback" not in result.output and "unexpectedly" not in result.output, args
        if args != ["status"]:
            assert result.exit_code == 1 and "ana:***@127.0.0.1" in result.output, args


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://u:pw@host:8080/x?y=1", "http://u:***@host:8080/x?y=1"),
        ("postgresql://u:p@ss@127.0.0.1:abc/db", "postgresql://u:***@127.0.0.1:abc/db"),
        ("http://host/a@b", "http://host/a@b"),
        ("http://user@host", "http://user@host"),
        ("not a url", "not a url"),
    ],
)
def test_safe_url_masks_only_the_password(url: str, shown: str) -> None:
    from annotate.private import safe_url

    assert safe_url(url) == shown
