"""Alembic, configured in code (as mlflow does) so migrations work from an installed wheel.

Alembic is imported where a migration runs: a store already at the head revision is
recognised with plain SQL and the revision files' own two lines, which keeps Alembic (a
fifth of a second) out of read-only commands such as `annotate status`.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from annotate.errors import StoreError
from annotate.resources import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


class OutdatedDatabase(StoreError):
    """The database is behind the code's migrations."""


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return cfg


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; merge them into one")
    return heads[0]


@cache
def quick_head() -> str | None:
    """The head revision read from the revision files' `revision` / `down_revision` lines,
    or None when they are not the plain one-parent chain this reader understands (then
    Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir() / "versions").glob("*.py"):
        found = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        rev, down = found.get("revision", ""), found.get("down_revision", "")
        plain = re.fullmatch(r"'([^']+)'|\"([^\"]+)\"", rev.strip())
        if not plain or not re.fullmatch(r"None|'[^']+'|\"[^\"]+\"", down.strip()):
            return None
        revisions.add(plain.group(1) or plain.group(2))
        if down.strip() != "None":
            parents.add(down.strip()[1:-1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    current = current_revision(engine)
    if current is not None:
        _refuse_newer(engine, current)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def ensure_current(engine: Engine, create: bool = True) -> None:
    """Migrate a fresh database (unless not `create`: a read-only command writes nothing);
    refuse to touch one that is behind the code."""
    from annotate.store.queries import stored_revisions

    head = quick_head()
    if head is not None and stored_revisions(engine) == [head]:
        return  # at the head: nothing for Alembic to do
    current = current_revision(engine)
    if current is None:
        if not create:
            raise StoreError(
                f"the store at {engine.url.render_as_string(hide_password=True)} is empty: "
                "run `annotate ingest PATH` first"
            )
        upgrade(engine)
    elif current != (head := head_revision(engine)):
        _refuse_newer(engine, current)
        raise OutdatedDatabase(
            f"the database is at revision {current}, the code needs {head}: "
            "run `annotate db upgrade` first"
        )


def _refuse_newer(engine: Engine, current: str) -> None:
    """A store migrated by a newer annotate: say so, rather than Alembic's "Can't locate
    revision" or a request to upgrade a database that is ahead."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        if ScriptDirectory.from_config(alembic_config(engine)).get_revision(current):
            return
    except CommandError:
        pass
    raise StoreError(
        f"the database is at revision {current}, which this annotate does not know (its "
        f"newest is {head_revision(engine)}): a newer annotate wrote it; upgrade annotate "
        "(`pip install -U annotate`) to use it"
    )
