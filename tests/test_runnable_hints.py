"""Every command the tool prints runs as printed, whether or not `annotate` is on PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from annotate.resources import samples_dir

ANNOTATE = Path(sys.executable).with_name("annotate")  # the real executable of this venv
BIN = str(ANNOTATE.parent)


def _env(with_venv_on_path: bool, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ANNOTATE_HOME", "ANNOTATE_DB")}
    dirs = [d for d in env.get("PATH", "").split(os.pathsep) if d and d != BIN]
    env["PATH"] = os.pathsep.join([BIN, *dirs] if with_venv_on_path else dirs)
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _hint(output: str) -> str:
    """The first command in backticks of a message."""
    match = re.search(r"`([^`]+)`", output)
    assert match, output
    return match.group(1)


def test_a_hint_names_the_executable_by_its_path_when_path_does_not_find_it(
    tmp_path: Path,
) -> None:
    env = _env(with_venv_on_path=False)
    result = _run([str(ANNOTATE), "status"], tmp_path, env)
    assert result.returncode == 1, result.stderr
    hint = _hint(result.stderr)
    assert hint == f"{ANNOTATE} ingest PATH", result.stderr
    ran = _run(["bash", "-c", hint.replace("PATH", str(samples_dir()))], tmp_path, env)
    assert ran.returncode == 0 and "4 new" in ran.stdout, ran.stderr
    status = _run([str(ANNOTATE), "status"], tmp_path / ".annotate", env)  # found from below
    assert status.returncode == 0 and f"workspace: {tmp_path / '.annotate'}" in status.stdout


def test_a_hint_is_relative_from_the_checkout_as_make_runs_it(tmp_path: Path) -> None:
    """`make demo` runs `.venv/bin/annotate` from the checkout: hints say the same."""
    checkout = ANNOTATE.parent.parent.parent
    env = _env(with_venv_on_path=False, ANNOTATE_HOME=str(tmp_path / "ws"))
    relative = str(ANNOTATE.relative_to(checkout))
    result = _run([relative, "status"], checkout, env)
    assert result.returncode == 1 and not (tmp_path / "ws").exists()
    assert _hint(result.stderr) == f"{relative} ingest PATH", result.stderr
    usage = _run([relative, "ingest"], checkout, env)
    assert f"Try '{relative} ingest --help'" in usage.stderr, usage.stderr


def test_a_hint_is_plain_annotate_when_path_finds_this_executable(tmp_path: Path) -> None:
    result = _run(["annotate", "status"], tmp_path, _env(with_venv_on_path=True))
    assert result.returncode == 1
    assert _hint(result.stderr) == "annotate ingest PATH", result.stderr
