"""`annotate validate`: schemas, labeling config, and data files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.common import console, err_console, fail


def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Article, prediction or gold JSONL files, or export folders."),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option(help="Force the record kind: article, prediction or gold (default: detect)."),
    ] = None,
) -> None:
    """Validate the shipped schemas, or data files against them; exit 1 on any problem.

    Prints `file:line: field: problem` for every problem.

    Example: annotate validate predictions.jsonl articles.jsonl
    """
    from annotate.schemas import SchemaError
    from annotate.validate import check_schemas, validate_files

    if kind not in (None, "article", "prediction", "gold"):
        fail(f"--kind {kind!r}: use article, prediction or gold")
    try:
        problems = list(validate_files(paths, kind=kind)) if paths else check_schemas()
    except SchemaError as exc:
        fail(str(exc))
    for problem in problems:
        err_console.print(str(problem), highlight=False, soft_wrap=True, markup=False)
    if problems:
        fail(f"{len(problems)} problem(s) found")
    what = f"{len(paths)} path(s)" if paths else "schemas and labeling config"
    console.print(f"ok: {what} valid")
