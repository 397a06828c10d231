"""The built wheel carries schemas/ and migrations/: a non-editable install works anywhere."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_install_runs_db_upgrade_and_validate(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(dist.glob("annotate-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Reuse this environment's dependencies (no network needed), but not its editable annotate:
    # a plain path entry does not process the .pth file of the editable install.
    new_site = next((venv / "lib").glob("python3*/site-packages"))
    (new_site / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([venv / "bin" / "pip", "install", "-q", "--no-deps", str(wheel)], check=True)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("ANNOTATE_DB", "PYTHONPATH")}
    env["ANNOTATE_HOME"] = str(elsewhere / "ws")
    annotate = str(venv / "bin" / "annotate")

    where = subprocess.run(
        [
            venv / "bin" / "python",
            "-c",
            "import annotate.resources as r; print(r.schemas_dir(), r.migrations_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(new_site / "annotate" / "_data" / "schemas") in where
    assert str(ROOT) not in where

    up = subprocess.run(
        [annotate, "db", "upgrade"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert up.returncode == 0, up.stderr
    assert "database at revision" in up.stdout
    assert (elsewhere / "ws" / "annotate.db").is_file()
    ok = subprocess.run(
        [annotate, "validate"], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
