"""Where local state lives. Read from the environment at call time, never at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str

    @classmethod
    def load(cls, db: str | None = None, home: str | Path | None = None) -> Settings:
        home_path = Path(home or os.environ.get("ANNOTATE_HOME") or ".annotate").absolute()
        url = db or os.environ.get("ANNOTATE_DB") or f"sqlite:///{home_path / 'annotate.db'}"
        return cls(home=home_path, db_url=normalize_db_url(url))


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
