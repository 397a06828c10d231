"""The `annotate` command line: a thin layer over the library's functions."""

from __future__ import annotations

from typing import Annotated

import typer

from annotate.cli import db, ingest, status, studio, validate
from annotate.cli import evaluate as evaluate_cli
from annotate.cli import export as export_cli
from annotate.cli import preannotate as preannotate_cli
from annotate.cli import review as review_cli
from annotate.cli import sync as sync_cli
from annotate.cli.common import State

app = typer.Typer(
    name="annotate",
    help="News articles in, human-checked entity and stance datasets out.\n\n"
    "Example: annotate ingest articles/ && annotate status",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
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
) -> None:
    """News articles in, human-checked entity and stance datasets out."""
    state = State.create(db_url)
    ctx.obj = state
    ctx.call_on_close(state.close)


app.add_typer(db.app, name="db")
app.command("ingest")(ingest.ingest)
app.command("validate")(validate.validate)
app.command("preannotate")(preannotate_cli.preannotate)
app.command("evaluate")(evaluate_cli.evaluate)
app.command("status")(status.status)
app.command("export")(export_cli.export)
app.add_typer(studio.app, name="studio")
app.command("push")(sync_cli.push)
app.command("pull")(sync_cli.pull)
app.command("review")(review_cli.review)


def main() -> None:
    app()
