"""What every command shares: the settings, a lazily opened store, and error output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from annotate.config import Settings

console = Console()
err_console = Console(stderr=True)

# Options several commands share, declared once.
ProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Label Studio project title (default: the store's only project).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")]


@dataclass
class State:
    settings: Settings
    debug: bool = False
    _engine: Engine | None = field(default=None, repr=False)

    @classmethod
    def create(cls, db_url: str | None, debug: bool = False) -> State:
        return cls(Settings.load(db=db_url), debug)

    def engine(self, migrate: bool = True) -> Engine:
        """The store's engine, opened on first use (see `annotate.store.session.open_store`)."""
        if self._engine is None:
            from annotate.store.session import open_store

            self._engine = open_store(self.settings.db_url, migrate=migrate)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error (as text: a path may hold "[/b]") and exit non-zero."""
    err_console.print(
        f"[bold red]error:[/] {escape(message)}", markup=True, highlight=False, soft_wrap=True
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


def print_capped(lines: list[str], cap: int = 20) -> None:
    """The first problems one per line, then how many more (all are in the store)."""
    for line in lines[:cap]:
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)
    if len(lines) > cap:
        err_console.print(f"... and {len(lines) - cap} more (kept in the store)", highlight=False)
