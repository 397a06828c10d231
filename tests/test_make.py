"""The Quickstart's two commands: `make demo` re-runs record nothing new, and `make test`
starts (and stops) its PostgreSQL, or names the Debian package that is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from annotate.cli import app
from tests.conftest import runner
from tests.test_export import TEXT, Store, disagreeing, store
from tests.test_export_runs import _runs, _url

__all__ = ["store"]  # the fixture, shared with test_export

ROOT = Path(__file__).resolve().parents[1]
CI = ROOT / ".ci"
needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _make_n(target: str, **env: str) -> str:
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@needs_make
def test_the_demo_export_step_rerun_records_nothing_new(store: Store, tmp_path: Path) -> None:
    """The demo removes its out folder and exports again: the store still sees the same run."""
    demo = _make_n("demo")
    assert "rm -rf exports/demo && .venv/bin/annotate export --project demo --out exports/demo" in (
        demo
    )
    store.article("g7", TEXT, disagreeing())
    out = tmp_path / "exports" / "news"
    outputs = []
    for _ in range(2):
        shutil.rmtree(out, ignore_errors=True)
        args = ["--db", _url(store), "export", "--project", "news", "--out", str(out)]
        result = runner.invoke(app, [*args, "--split", "train=1"])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "nothing new recorded" not in outputs[0]
    assert "identical to export run 1" in outputs[1] and "nothing new recorded" in outputs[1]
    assert _runs(store) == 1 and (out / "README.md").is_file()


@needs_make
def test_make_test_checks_the_binaries_then_starts_and_stops_postgres() -> None:
    recipe = _make_n("test", ANNOTATE_TEST_POSTGRES_URL="")
    check = recipe.index(".ci/need-test-binaries")
    start = recipe.index("url=$(.ci/start-postgres) || exit 1")
    tests = recipe.index("ANNOTATE_TEST_POSTGRES_URL=$url .venv/bin/pytest -q || rc=$?")
    stop = recipe.index(".ci/stop-postgres; exit $rc")
    assert check < start < tests < stop
    assert recipe.count("start-postgres") == 1  # one server, none when a URL is given
    fast = _make_n("test-fast")
    assert "need-test-binaries" not in fast and "start-postgres" not in fast


@pytest.mark.parametrize(
    ("env", "package"),
    [
        ({"ANNOTATE_PG_BIN": "/nonexistent", "ANNOTATE_TEST_POSTGRES_URL": ""}, "postgresql"),
        ({"ANNOTATE_TEST_CHROMIUM": "/nonexistent/chromium"}, "chromium"),
    ],
)
def test_a_missing_binary_is_one_line_naming_the_package(env: dict[str, str], package: str) -> None:
    path = "/usr/bin:/bin"  # no initdb linked into /usr/local/bin or the like
    result = subprocess.run(
        [str(CI / "need-test-binaries")],
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    wanted = [line for line in lines if f"apt-get install {package} " in line]
    assert len(wanted) == 1 and "make test-fast" in wanted[0], result.stderr


@pytest.mark.slow
@pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")), reason="needs PostgreSQL"
)
def test_start_postgres_records_what_stop_postgres_stops(tmp_path: Path) -> None:
    psycopg = pytest.importorskip("psycopg")
    env = {**os.environ, "ANNOTATE_PG_STATE": str(tmp_path / "state")}
    url = subprocess.run(
        [str(CI / "start-postgres")], env=env, capture_output=True, text=True, timeout=120
    ).stdout.strip()
    (server_dir,) = (tmp_path / "state").read_text().split()
    with psycopg.connect(url) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    subprocess.run([str(CI / "stop-postgres")], env=env, check=True, timeout=120)
    assert not Path(server_dir).exists() and not (tmp_path / "state").exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=5)
