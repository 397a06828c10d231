"""`annotate ingest`: files -> articles in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from annotate.cli.common import State, console, err_console, fail, progress_bar
from annotate.ingest import DEFAULT_MAX_BYTES, IngestFailed, ingest_paths
from annotate.ingest.readers import expand


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of .txt, .jsonl, .html.")],
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Store the good articles, report the bad ones.")
    ] = False,
    max_bytes: Annotated[
        int, typer.Option(help="Reject an article larger than this many bytes.")
    ] = DEFAULT_MAX_BYTES,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every article.")] = False,
) -> None:
    """Ingest articles: boilerplate removed, deduplicated by content hash, one transaction.

    Example: annotate ingest news/ extra.jsonl --skip-bad
    """
    state: State = ctx.obj
    engine = state.engine()
    files = [p for p in expand(paths) if isinstance(p, Path)]
    with progress_bar("ingest") as progress:
        bar = progress.add_task("files", total=len(files))
        try:
            report = ingest_paths(
                engine,
                paths,
                skip_bad=skip_bad,
                max_bytes=max_bytes,
                on_file=lambda _p: progress.advance(bar),
            )
        except IngestFailed as exc:
            for bad in exc.report.rejected:
                err_console.print(
                    f"[red]error:[/] {escape(str(bad))}", highlight=False, soft_wrap=True
                )
            fail(
                f"{len(exc.report.rejected)} bad input(s); nothing was stored. "
                "Fix them, or pass --skip-bad to store the good ones."
            )
    for bad in report.rejected:
        err_console.print(
            f"[yellow]rejected:[/] {escape(str(bad))}", highlight=False, soft_wrap=True
        )
    if verbose:
        for origin in report.new:
            console.print(f"new: {escape(origin)}", highlight=False)
        for origin in report.duplicates:
            console.print(f"duplicate: {escape(origin)}", highlight=False)
    console.print(
        f"{len(report.new)} new, {len(report.duplicates)} duplicate, "
        f"{len(report.rejected)} rejected"
    )
    if report.rejected:
        raise typer.Exit(1)
