"""What every command shares: the settings, a lazily opened store, and error output."""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from annotate.config import Settings
from annotate.errors import StoreError, UsageError

if TYPE_CHECKING:  # imported where used: `annotate --help` loads none of them
    from rich.console import Console
    from rich.progress import Progress
    from sqlalchemy import Engine

# Markup is off by default: file names, project and annotator names are printed as they are
# (a name like `[/x]` would crash rich, `[bold]x` would be rewritten). Our own styling goes
# through `styled`, which escapes the user's part.


class LazyConsole:
    """A rich Console made on first use: importing rich.console is a sixth of the time of
    `annotate --help`, which prints through click."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def rich(self) -> Console:
        """The Console itself (for rich objects that take one, e.g. a Progress)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)


console = LazyConsole(markup=False)
err_console = LazyConsole(stderr=True, markup=False)


def check_project(value: str | None) -> str | None:
    """A project name must show: an empty or blank one would make a project no one can
    name again (every --project option runs this)."""
    if value is not None and not value.strip():
        raise UsageError("--project must not be empty or blank: give the project's name")
    return value


# Help is click's plain text, not Typer's rich panels: those import rich.markdown and
# markdown-it, which doubled the time of `annotate --help` (benchmarks/startup.py).
HELP_MARKUP = None


# Options several commands share, declared once.
ProjectOpt = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Label Studio project title (default: the store's only project).",
        show_default=False,
        callback=check_project,
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

    def engine(self, migrate: bool = True, read_only: bool = False) -> Engine:
        """The store's engine, opened on first use (see `annotate.store.session.open_store`).

        `read_only`: the command only reads, so a missing workspace or store is an error
        saying what to do, never created.
        """
        if self._engine is None:
            from annotate.store.session import open_store

            if read_only and (missing := self.settings.missing_store()):
                raise StoreError(missing)
            self._engine = open_store(self.settings.db_url, migrate=migrate, create=not read_only)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def program() -> str:
    """This `annotate` as a shell runs it again from here: `annotate` when PATH finds this
    very script, else its path (`.venv/bin/annotate` from the checkout), or
    `python -m annotate` with this interpreter."""
    argv0 = Path(sys.argv[0])
    if argv0.name == "__main__.py" and argv0.parent.name == "annotate":
        return f"{shlex.quote(sys.executable)} -m annotate"
    if argv0.name != "annotate":  # embedded, or under a test runner
        return "annotate"
    on_path = shutil.which("annotate")
    if on_path and Path(on_path).resolve() == argv0.resolve():
        return "annotate"
    path = argv0.absolute()
    if path.is_relative_to(Path.cwd()):
        relative = str(path.relative_to(Path.cwd()))
        return shlex.quote(relative if "/" in relative else f"./{relative}")
    return shlex.quote(str(path))


def runnable(text: str) -> str:
    """`text` with each `annotate ...` command in backticks written as `program()` runs it:
    every hint the tool prints can be pasted as printed."""
    prog = program()
    return text if prog == "annotate" else text.replace("`annotate ", f"`{prog} ")


def command(*words: str) -> str:
    """One runnable command in backticks, its words quoted for the shell (project names)."""
    return runnable("`" + " ".join(["annotate", *(shlex.quote(w) for w in words)]) + "`")


def styled(prefix: str, text: str, console: LazyConsole = err_console) -> None:
    """One line: our fixed `prefix` as markup (e.g. `[red]error:[/]`), `text` verbatim
    (its `annotate ...` hints made runnable)."""
    from rich.markup import escape

    console.print(
        f"{prefix} {escape(runnable(text))}", markup=True, highlight=False, soft_wrap=True
    )


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error and exit non-zero."""
    styled("[bold red]error:[/]", message)
    raise typer.Exit(code)


def progress_bar(label: str, disable: bool = False) -> Progress:
    """The one progress bar style of the CLI (on stderr, gone when done)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console.rich,
        transient=True,
        disable=disable or not err_console.is_terminal,  # no bar (nor blank lines) in logs
    )


def print_capped(lines: list[str], cap: int = 20) -> None:
    """The first problems one per line, then how many more (all are in the store)."""
    for line in lines[:cap]:
        err_console.print(line, highlight=False, markup=False, soft_wrap=True)
    if len(lines) > cap:
        err_console.print(f"... and {len(lines) - cap} more (kept in the store)", highlight=False)
