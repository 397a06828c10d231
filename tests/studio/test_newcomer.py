"""A newcomer's path: the next steps run as printed, and pull needs no --project."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.studio.conftest import ANNOTATE, Workspace, add_articles, article_text

pytestmark = pytest.mark.studio


def _without_venv_on_path(ws: Workspace) -> dict[str, str]:
    """The shell of a newcomer who did not activate the venv (as after `make demo`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    bin_dir = os.path.dirname(ANNOTATE)
    env["PATH"] = os.pathsep.join(d for d in env.get("PATH", "").split(os.pathsep) if d != bin_dir)
    env.update(ws.env)
    return env


def test_the_next_steps_status_prints_run_as_printed(ws: Workspace) -> None:
    add_articles(ws, [article_text(0)])
    assert ws.push().exit_code == 0
    env = _without_venv_on_path(ws)
    here = ws.db.parent  # outside the checkout: the printed path is the absolute one
    status = subprocess.run(  # a narrow terminal: a printed command must not wrap
        [ANNOTATE, "status"], env={**env, "COLUMNS": "40"}, capture_output=True, text=True, timeout=120, cwd=here
    )
    assert status.returncode == 0, status.stderr
    steps = re.findall(r"`([^`]+)`", status.stdout)
    assert steps and all(s.startswith(f"{ANNOTATE} ") for s in steps), status.stdout
    pull = next(s for s in steps if " pull --project " in s)
    for command in [pull, f"{ANNOTATE} studio credentials"]:
        ran = subprocess.run(
            ["bash", "-c", command], env=env, capture_output=True, text=True, timeout=120, cwd=here
        )
        assert ran.returncode == 0, (command, ran.stderr)
    assert "password: " in ran.stdout


def test_pull_without_project_uses_the_only_project_and_lists_several(ws: Workspace) -> None:
    add_articles(ws, [article_text(1)])
    assert ws.push().exit_code == 0
    pulled = ws.invoke("pull")
    assert pulled.exit_code == 0, pulled.output
    assert f"of {ws.project!r}" in pulled.output
    other = f"{ws.project}-other"
    assert ws.invoke("push", "--project", other).exit_code == 0
    several = ws.invoke("pull")
    assert several.exit_code == 1
    assert f"several projects ({ws.project}, {other}): choose one with --project" in (
        several.output
    )
