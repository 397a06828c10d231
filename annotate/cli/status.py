"""`annotate status`: what the store holds, stage by stage."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from annotate.cli.common import State, console
from annotate.status import stage_counts


def _current_model_version() -> str:
    from annotate.preannotate.model import preannotator
    from annotate.schemas import load_labelset

    return preannotator(load_labelset()).model_version


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show counts per stage: articles, predictions, tasks, annotations, exports.

    Example: annotate status --json
    """
    state: State = ctx.obj
    counts = stage_counts(state.engine(), _current_model_version())
    if as_json:
        typer.echo(json.dumps(counts))
        return
    table = Table(
        "stage", "count", title=f"annotate store ({state.settings.db_url.split('://')[0]})"
    )
    for key, value in counts.items():
        table.add_row(key, str(value))
    console.print(table)
