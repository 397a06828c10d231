"""Secrets stay secret: no command of the pipeline prints, logs or exports the login or token."""

from __future__ import annotations

import base64
import hmac
import json
import time
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


def _refresh_token(expires_in: int) -> str:
    """A well-formed JWT refresh token, as Label Studio issues them, signed with a wrong key."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(time.time())
    claims = {
        "token_type": "refresh",
        "exp": now + expires_in,
        "iat": now,
        "jti": "x1",
        "user_id": 1,
    }
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(b"not-the-server-key", f"{head}.{body}".encode(), "sha256").digest())
    return f"{head}.{body}.{sig}"


@pytest.mark.parametrize("expires_in", [-3600, 3600], ids=["expired", "wrong-signature"])
def test_a_bad_personal_access_token_is_a_one_line_error(
    studio: Studio, tmp_path: Path, expires_in: int
) -> None:
    token = _refresh_token(expires_in)
    env = {
        "ANNOTATE_DB": str(tmp_path / "store.db"),
        "LABEL_STUDIO_URL": studio.url,
        "LABEL_STUDIO_API_KEY": token,
    }
    assert studio.cli("ingest", str(samples_dir()), env=env).returncode == 0
    for args in (("push", "--project", "jwt-check"), ("studio", "invite")):
        res = studio.cli(*args, env=env)
        assert res.returncode == 1, (args, res.stdout, res.stderr)
        (line,) = res.stderr.strip().splitlines()
        assert line.startswith("error: ") and "LABEL_STUDIO_API_KEY" in line, line
        assert "unexpectedly" not in line and token not in res.stdout + res.stderr
        assert token.split(".")[2] not in res.stdout + res.stderr
