"""Where local state lives. Read from the environment at call time, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# The largest article ingest accepts (in config, not ingest: `annotate --help` shows it
# without importing the store).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

WORKSPACE_DIR = ".annotate"  # the folder `find_workspace` looks for, as git looks for .git


@dataclass(frozen=True)
class Settings:
    """The workspace (`home`) and store (`db_url`) a command uses, and where each came from.

    `home_from`: "argument", "ANNOTATE_HOME", "found" (a `.annotate/` in the current folder
    or a parent) or "new" (none found: `./.annotate`, made only by a command that writes).
    `db_from`: "argument", "ANNOTATE_DB" or "workspace" (its `annotate.db`).
    """

    home: Path
    db_url: str
    home_from: str = "argument"
    db_from: str = "argument"

    @classmethod
    def load(
        cls, db: str | None = None, home: str | Path | None = None, cwd: Path | None = None
    ) -> Settings:
        here = (cwd or Path.cwd()).absolute()
        if home:
            home_path, home_from = Path(home).absolute(), "argument"
        elif os.environ.get("ANNOTATE_HOME"):
            home_path, home_from = Path(os.environ["ANNOTATE_HOME"]).absolute(), "ANNOTATE_HOME"
        elif (found := find_workspace(here)) is not None:
            home_path, home_from = found, "found"
        else:
            home_path, home_from = here / WORKSPACE_DIR, "new"
        if db:
            url, db_from = db, "argument"
        elif os.environ.get("ANNOTATE_DB"):
            url, db_from = os.environ["ANNOTATE_DB"], "ANNOTATE_DB"
        else:
            url, db_from = f"sqlite:///{home_path / 'annotate.db'}", "workspace"
        return cls(home_path, normalize_db_url(url), home_from, db_from)

    def store_file(self) -> Path | None:
        """The SQLite file of the store, None for a server database or an in-memory one."""
        if not self.db_url.startswith("sqlite"):
            return None
        path = self.db_url.split("///", 1)[-1]
        return Path(path) if path and path != ":memory:" else None

    def missing_store(self) -> str | None:
        """Why a read-only command has no store to read (it never creates one), or None.

        One line that says what to do, for the CLI to show as it is.
        """
        file = self.store_file()
        if file is None or file.exists():
            return None
        create = "run `annotate ingest PATH` to create it"
        if self.db_from != "workspace":
            return f"no store at {file} (--db / ANNOTATE_DB): {create}, or fix the path"
        if self.home_from == "new":
            return (
                f"no workspace: no {WORKSPACE_DIR}/ in {self.home.parent} or a parent folder; "
                f"run `annotate ingest PATH` to create one here, cd into a folder that has "
                "one, or set ANNOTATE_HOME"
            )
        if not self.home.is_dir():
            return f"no workspace at {self.home} ({self.home_from}): {create}, or fix the path"
        return f"the workspace {self.home} has no store yet: run `annotate ingest PATH` first"


CEILING_ENV = "ANNOTATE_CEILING_DIRECTORIES"


def find_workspace(start: Path) -> Path | None:
    """The nearest `.annotate/` folder in `start` or one of its parents, as git finds `.git`.

    As with GIT_CEILING_DIRECTORIES, the search never enters the folders listed in
    ANNOTATE_CEILING_DIRECTORIES (colon-separated) nor any folder above them.
    """
    ceilings = {Path(p).resolve() for p in os.environ.get(CEILING_ENV, "").split(os.pathsep) if p}
    for folder in (start, *start.parents):
        if folder.resolve() in ceilings:
            return None
        candidate = folder / WORKSPACE_DIR
        if candidate.is_dir():
            return candidate
    return None


def normalize_db_url(url: str) -> str:
    """Accept a bare file path as a SQLite database and plain postgresql:// URLs for psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).absolute()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


# Defaults every command shares, owned here once.
DEFAULT_PROJECT = "annotate"  # the project `push` creates when none is named or known
DEFAULT_BATCH = 500  # tasks per Label Studio import request
REVIEW_SUFFIX = "-review"
IMPORT_PREFIX = "import:"  # the project (and annotator) of an imported corpus: import:<name>


def import_name(name: str) -> str:
    """The store project and annotator of an imported corpus."""
    return name if name.startswith(IMPORT_PREFIX) else f"{IMPORT_PREFIX}{name}"


def review_name(project: str) -> str:
    """The review project of `project` (filled by `annotate review`)."""
    return f"{project}{REVIEW_SUFFIX}"
