"""`annotate validate`: schemas, labeling config, and data files."""

from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.common import State, console, err_console, fail


def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Article, prediction or gold JSONL files, or export folders."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="Force the record kind: article, prediction or gold (default: detect)."),
    ] = None,
    targets: Annotated[
        Path | None,
        typer.Option(
            help="YAML/JSON list of {id, description, cues} replacing the schema's targets."
        ),
    ] = None,
    server: Annotated[
        bool,
        typer.Option(
            "--server",
            help="Also have the running Label Studio (local, or LABEL_STUDIO_URL) check the config.",
        ),
    ] = False,
) -> None:
    """Validate the shipped schemas, or data files against them; exit 1 on any problem.

    Prints `file:line: field: problem` for every problem.

    Example: annotate validate predictions.jsonl articles.jsonl --targets tariffs.yaml
    """
    from annotate.schemas import SchemaError, load_labelset, load_targets
    from annotate.validate import Problem, check_schemas, validate_files

    if kind not in (None, "article", "prediction", "gold"):
        fail(f"--kind {kind!r}: use article, prediction or gold")
    try:
        labelset = load_labelset()
        if targets:
            labelset = labelset.with_targets(load_targets(targets))
        problems = list(validate_files(paths, labelset, kind=kind)) if paths else check_schemas()
    except SchemaError as exc:
        fail(str(exc))
    if server:
        from annotate.studio.client import StudioError, connect
        from annotate.studio.config import server_config_problems

        state: State = ctx.obj
        try:
            client = connect(state.settings.home)
            remote = server_config_problems(load_labelset(), client)
        except StudioError as exc:
            fail(str(exc))
        problems += [Problem(f"label config at {client.url}", "xml", p) for p in remote]
    for problem in problems:
        err_console.print(str(problem), highlight=False, soft_wrap=True, markup=False)
    if problems:
        fail(f"{len(problems)} problem(s) found")
    what = f"{len(paths)} path(s)" if paths else "schemas and labeling config"
    console.print(f"ok: {what} valid" + (" (and accepted by the server)" if server else ""))
