"""Alembic, configured in code (as mlflow does) so migrations work from an installed wheel."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from annotate.errors import StoreError
from annotate.resources import migrations_dir


class OutdatedDatabase(StoreError):
    """The database is behind the code's migrations."""


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return cfg


def head_revision(engine: Engine) -> str:
    heads = ScriptDirectory.from_config(alembic_config(engine)).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads; merge them into one")
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def ensure_current(engine: Engine, create: bool = True) -> None:
    """Migrate a fresh database (unless not `create`: a read-only command writes nothing);
    refuse to touch one that is behind the code."""
    current = current_revision(engine)
    if current is None:
        if not create:
            raise StoreError(
                f"the store at {engine.url.render_as_string(hide_password=True)} is empty: "
                "run `annotate ingest PATH` first"
            )
        upgrade(engine)
    elif current != head_revision(engine):
        raise OutdatedDatabase(
            f"the database is at revision {current}, the code needs {head_revision(engine)}: "
            "run `annotate db upgrade` first"
        )
