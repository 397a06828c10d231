"""`annotate status`: what the store holds, stage by stage, and what to do next."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table

from annotate.cli.common import State, console
from annotate.status import stage_counts


def _current_model_version() -> str:
    from annotate.preannotate.model import preannotator
    from annotate.schemas import load_labelset

    return preannotator(load_labelset()).model_version


def next_steps(state: State, project: str) -> str | None:
    """What an annotator and a maintainer do next, when a Label Studio is known."""
    from annotate.studio.client import KEY_ENV, URL_ENV
    from annotate.studio.server import LocalStudio

    if os.environ.get(URL_ENV) and os.environ.get(KEY_ENV):
        url, login = os.environ[URL_ENV], "your Label Studio account"
    else:
        studio = LocalStudio(state.settings.home)
        status, creds = studio.status(), studio.credentials()
        if not status.running or creds is None:
            return None
        url = status.url
        login = f"{creds.username} (password: `annotate studio credentials`)"
    return (
        f"Annotators: open {url}, log in as {login},\n"
        f"  open project {project!r} and click 'Label All Tasks'.\n"
        f"Maintainers: `annotate pull --project {project}` brings the corrections back,\n"
        f"  `annotate export --project {project}` writes the Hugging Face dataset.\n"
        "Stop the local server with `annotate studio stop` (or `make stop`)."
    )


def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    project: Annotated[str, typer.Option(help="Project named in the next steps.")] = "annotate",
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
    steps = next_steps(state, project)
    if steps:
        console.print(Panel(steps, title="Next steps", expand=False), highlight=False)
