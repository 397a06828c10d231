"""What every command shares: the settings, a lazily opened store, and error output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from annotate.config import Settings

console = Console()
err_console = Console(stderr=True)


@dataclass
class State:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def create(cls, db_url: str | None) -> State:
        return cls(Settings.load(db=db_url))

    def engine(self, migrate: bool = True) -> Engine:
        """The store's engine; migrates a fresh database, refuses an outdated one."""
        if self._engine is None:
            from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

            from annotate.store.migrate import OutdatedDatabase, ensure_current
            from annotate.store.session import make_engine

            try:
                self._engine = make_engine(self.settings.db_url)
                if migrate:
                    ensure_current(self._engine)
            except OutdatedDatabase as exc:
                fail(str(exc))
            except (ArgumentError, NoSuchModuleError, ImportError) as exc:
                fail(
                    f"--db / ANNOTATE_DB is not a usable database URL ({exc}); see README, Storage"
                )
            except OSError as exc:
                fail(f"cannot create the database file {self.safe_db_url()}: {exc.strerror}")
            except OperationalError as exc:
                reason = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
                fail(f"cannot open the database {self.safe_db_url()}: {reason}")
        return self._engine

    def safe_db_url(self) -> str:
        """The database URL with any password masked, for messages."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.settings.db_url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - an unparsable URL is shown as a placeholder
            return "<unparsable URL>"

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    err_console.print(
        f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True
    )
    raise typer.Exit(code)


def progress_bar(label: str, disable: bool = False) -> Progress:
    """The one progress bar style of the CLI (on stderr, gone when done)."""
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=disable or not err_console.is_terminal,  # no bar (nor blank lines) in logs
    )
