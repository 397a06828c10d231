"""The `annotate` command line: a thin layer over the library's functions."""

from __future__ import annotations

from typing import Annotated

import typer

from annotate.cli import (
    db,
    evaluate,
    export,
    ingest,
    preannotate,
    review,
    status,
    studio,
    sync,
    validate,
)
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


# In the order data flows: ingest -> preannotate -> push -> pull -> review -> export.
app.command("ingest")(ingest.ingest)
app.command("preannotate")(preannotate.preannotate)
app.command("push")(sync.push)
app.command("pull")(sync.pull)
app.command("review")(review.review)
app.command("export")(export.export)
app.command("status")(status.status)
app.command("validate")(validate.validate)
app.command("evaluate")(evaluate.evaluate)
app.add_typer(studio.app, name="studio")
app.add_typer(db.app, name="db")


def main() -> None:
    app()
