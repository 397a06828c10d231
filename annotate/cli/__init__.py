"""The `annotate` command line: a thin layer over the library's functions."""

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from annotate.cli import (
    corpus,
    db,
    evaluate,
    export,
    ingest,
    ledger,
    preannotate,
    report,
    review,
    status,
    studio,
    sync,
    train,
    validate,
)
from annotate.cli.common import HELP_MARKUP, State, err_console, fail, program
from annotate.errors import AnnotateError

# Exit code of a bug (an exception outside the AnnotateError family), as sysexits' EX_SOFTWARE.
BUG_EXIT = 70


class _Commands(TyperGroup):
    """Maps the library's one exception family to a one-line error, in one place."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AnnotateError as exc:
            fail(str(exc), exc.exit_code)
        except Exception as exc:
            # Typer's own exits, usage errors and aborts (it vendors click) pass through.
            if type(exc).__module__.split(".")[0] in ("typer", "click"):
                raise
            if isinstance(ctx.obj, State) and ctx.obj.debug:
                raise
            command = " ".join(["annotate", *_subcommands(ctx)])
            err_console.print(
                f"[bold red]error:[/] {command} failed unexpectedly ({type(exc).__name__}); "
                "rerun with --debug for the traceback, and please report it",
                markup=True,  # our fixed text only: the command words, the exception type
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(BUG_EXIT) from None


def _subcommands(ctx: Any) -> list[str]:
    """The command words after `annotate` (e.g. `studio start`), never their arguments."""
    return [ctx.invoked_subcommand] if ctx.invoked_subcommand else []


app = typer.Typer(
    name="annotate",
    cls=_Commands,
    help="News articles in, human-checked entity and stance datasets out.\n\n"
    "Example: annotate ingest articles/ && annotate status",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=HELP_MARKUP,
)


@app.callback()
def _root(
    ctx: typer.Context,
    db_url: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="ANNOTATE_DB",
            help="Database URL or SQLite file (default: $ANNOTATE_HOME/annotate.db).",
            show_envvar=True,
        ),
    ] = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar="ANNOTATE_DEBUG",
            help="Show the traceback of an unexpected error.",
        ),
    ] = False,
) -> None:
    """News articles in, human-checked entity and stance datasets out."""
    state = State.create(db_url, debug=debug)
    ctx.obj = state
    ctx.call_on_close(state.close)


# In the order data flows: ingest -> preannotate -> push -> pull -> review -> export.
app.command("ingest")(ingest.ingest)
app.command("import")(corpus.import_)
app.command("preannotate")(preannotate.preannotate)
app.command("push")(sync.push)
app.command("pull")(sync.pull)
app.command("review")(review.review)
app.command("export")(export.export)
app.command("report")(report.report)
app.command("ledger")(ledger.ledger)
app.command("train")(train.train)
app.command("status")(status.status)
app.command("validate")(validate.validate)
app.command("evaluate")(evaluate.evaluate)
app.add_typer(studio.app, name="studio")
app.add_typer(db.app, name="db")


def main() -> None:
    app(prog_name=program())  # usage lines and "Try ... --help" as this shell runs them
