"""`annotate --help` stays fast: importing the CLI loads no store, dataset or Label Studio
library and no lexicon (each command imports what it needs when it runs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = (
    "sqlalchemy",
    "alembic",
    "datasets",
    "pyarrow",
    "label_studio_sdk",
    "annotate.preannotate.lexicon",
    "annotate.preannotate.entities",
    "annotate.store.queries",
    "dask",
    "distributed",
    "annotate.cluster.runner",
)


def _modules_after(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_library() -> None:
    loaded = _modules_after("import annotate.cli")
    assert "annotate.cli.status" in loaded  # the commands are registered
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_version_module_builds_no_lexicon() -> None:
    """What `annotate status` calls to name the current rules version."""
    loaded = _modules_after(
        "from annotate.preannotate.version import model_version\n"
        "from annotate.schemas import load_labelset\n"
        "print(model_version(load_labelset()))"
    )
    assert "annotate.preannotate.lexicon" not in loaded
    assert "annotate.preannotate.entities" not in loaded


def test_status_is_at_the_head_without_alembic(tmp_path: Path) -> None:
    """A store at the head revision is recognised by plain SQL; Alembic only migrates."""
    from annotate.store.migrate import head_revision, quick_head, upgrade
    from annotate.store.session import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    upgrade(engine)
    assert quick_head() == head_revision(engine)
    loaded = _modules_after(
        "from annotate.store.session import open_store\n"
        f"open_store('sqlite:///{tmp_path / 'a.db'}', create=False)"
    )
    assert "alembic" not in loaded


def test_status_builds_no_lexicon_and_imports_no_alembic(tmp_path: Path) -> None:
    """`annotate status` names the current rules version from file hashes, and reads a
    SQLite store at the head revision with the standard library alone."""
    (tmp_path / "a.txt").write_text("Talks in Oslo went on.\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ANNOTATE_HOME": str(tmp_path / "home")}
    subprocess.run(
        [sys.executable, "-m", "annotate", "ingest", str(tmp_path / "a.txt")],
        env=env,
        check=True,
        capture_output=True,
    )
    code = (
        "import json, sys\n"
        "from annotate.cli import main\n"
        "sys.argv = ['annotate', 'status', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert json.loads(out[0])["articles"] == 1
    loaded = set(json.loads(out[-1]))
    assert "sqlite3" in loaded  # it did read the store
    heavy = {"alembic", "sqlalchemy", "jsonschema"}
    assert not loaded & {*heavy, "annotate.preannotate.lexicon", "annotate.preannotate.entities"}
