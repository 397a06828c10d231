"""Engine factory and transactions. SQLite gets WAL and enforced foreign keys."""

from __future__ import annotations

import contextlib
import errno
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from annotate.errors import StoreError
from annotate.private import private_sqlite, safe_url


def _json_loads(text: str | bytes) -> Any:
    """JSON columns read with orjson (3x faster than `json` on the predictions and
    annotations an export reads); what orjson refuses (NaN, integers past 64 bits) still
    reads as `json` reads it."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            private_sqlite(Path(db_path))
        engine = create_engine(url, connect_args={"timeout": 30}, json_deserializer=_json_loads)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, json_deserializer=_json_loads)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back everything on any error.

    The database failing under us (a full disk, a lost connection) is a one-line
    StoreError: SQLAlchemy's own message would print the statement and its parameters,
    i.e. article text.
    """
    from sqlalchemy.exc import OperationalError

    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except (OperationalError, OSError) as exc:
        with contextlib.suppress(Exception):
            session.rollback()
        failure = _store_failure(exc)
        if failure is None:
            raise
        raise failure from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_DISK_FULL = ("database or disk is full", "no space left on device", "could not extend file")


def _store_failure(exc: BaseException) -> StoreError | None:
    """The StoreError saying what happened and what to do; None for an OSError that is
    not a full disk (a bug, shown as such). Never the statement nor its parameters."""
    orig = getattr(exc, "orig", None) or exc
    if isinstance(exc, OSError) and exc.errno != errno.ENOSPC:
        return None
    lines = str(orig).strip().splitlines()
    reason = lines[0] if lines else type(orig).__name__
    full = (
        getattr(orig, "errno", None) == errno.ENOSPC
        or getattr(orig, "sqlstate", None) == "53100"  # PostgreSQL's disk_full
        or any(s in reason.lower() for s in _DISK_FULL)
    )
    if full:
        return StoreError(
            f"the store ran out of space ({reason}); the change was rolled back: free disk "
            "space (or raise the database's size limit) and run the command again"
        )
    return StoreError(
        f"the store failed ({reason}); the change was rolled back: run the command again"
    )


def open_store(url: str, migrate: bool = True, create: bool = True) -> Engine:
    """An engine on the store at `url`; migrates a fresh database, refuses an outdated one.

    Without `create` (a read-only command) a missing SQLite file or an empty database is a
    StoreError: reading never leaves a new store behind. Every way the URL or the database
    can be unusable is a one-line StoreError, with any password masked.
    """
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from annotate.store.migrate import ensure_current

    file = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    if not create and file and file != ":memory:" and not Path(file).exists():
        raise StoreError(f"no store at {file}: run `annotate ingest PATH` to create it")
    try:
        engine = make_engine(url)
        if migrate:
            ensure_current(engine, create=create)
    except StoreError:
        raise
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"--db / ANNOTATE_DB is not a usable database URL ({type(exc).__name__}); "
            "see README, Storage"
        ) from None
    except ValueError:  # SQLAlchemy's URL parser on a port that is not a number
        raise StoreError(
            f"--db / ANNOTATE_DB is not a usable database URL: {safe_url(url)} "
            "(is the port a number?); see README, Storage"
        ) from None
    except OSError as exc:
        raise StoreError(
            f"cannot create the database file {safe_url(url)}: {exc.strerror}"
        ) from None
    except OperationalError as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreError(f"cannot open the database {safe_url(url)}: {reason}") from None
    return engine
