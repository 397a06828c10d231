"""Secrets stay secret: no command of the pipeline prints, logs or exports the login or token."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.resources import samples_dir
from annotate.studio.server import LocalStudio
from tests.studio.conftest import Studio
from tests.test_private import loose

pytestmark = pytest.mark.studio


def test_no_command_output_or_file_holds_the_password_or_token(
    studio: Studio, tmp_path: Path
) -> None:
    creds = LocalStudio(studio.home).credentials()
    assert creds is not None
    env = {"ANNOTATE_DB": str(tmp_path / "store.db")}
    project = "secrets-check"
    out = tmp_path / "export"
    runs = [
        ("ingest", str(samples_dir())),
        ("preannotate",),
        ("push", "--project", project),
        ("pull", "--project", project),
        ("pull", "--project", project, "--full", "--json"),
        ("status", "--project", project),
        ("status", "--json"),
        ("studio", "start", "--port", studio.url.rsplit(":", 1)[1]),
        ("studio", "status"),
        ("studio", "invite"),
        ("validate", "--server"),
        ("review", "--project", project),
        ("export", "--project", project, "--out", str(out), "--include-unreviewed"),
    ]
    for args in runs:
        res = studio.cli(*args, env=env)
        assert res.returncode == 0, (args, res.stdout, res.stderr)
        for secret in (creds.password, creds.token):
            assert secret not in res.stdout + res.stderr, args
    wrong = studio.cli(
        "push",
        "--project",
        project,
        env={**env, "LABEL_STUDIO_URL": studio.url, "LABEL_STUDIO_API_KEY": "not-" + creds.token},
    )
    assert wrong.returncode != 0 and "LABEL_STUDIO_API_KEY" in wrong.stderr + wrong.stdout
    assert creds.token not in wrong.stderr + wrong.stdout and "Traceback" not in wrong.stderr
    stored = [tmp_path / "store.db", *out.rglob("*")]
    for path in stored:
        if path.is_file():
            data = path.read_bytes()
            assert creds.password.encode() not in data and creds.token.encode() not in data, path


def test_the_workspace_is_readable_by_its_owner_only(studio: Studio, tmp_path: Path) -> None:
    """The admin token sits in Label Studio's own database: no file of it may be readable."""
    env = {"ANNOTATE_DB": str(studio.home / "annotate.db")}
    for args in (("ingest", str(samples_dir())), ("push", "--project", "modes-check")):
        res = studio.cli(*args, env=env)
        assert res.returncode == 0, (args, res.stdout, res.stderr)
    assert (studio.home / "studio" / "data").is_dir() and (studio.home / "locks").is_dir()
    assert loose(studio.home) == []


def test_studio_start_repairs_a_workspace_with_wide_modes(studio: Studio) -> None:
    for path in [studio.home, *studio.home.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    res = studio.cli("studio", "start", "--port", studio.url.rsplit(":", 1)[1])
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert loose(studio.home) == []
