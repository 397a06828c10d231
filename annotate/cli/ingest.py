"""`annotate ingest`: files -> articles in the store."""

from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.common import State, console, fail, progress_bar, styled
from annotate.config import DEFAULT_MAX_BYTES


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
    from annotate.ingest import IngestFailed, ingest_paths
    from annotate.ingest.readers import expand

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
                styled("[red]error:[/]", str(bad))
            fail(
                f"{len(exc.report.rejected)} bad input(s); nothing was stored. "
                "Fix them, or pass --skip-bad to store the good ones."
            )
    for bad in report.rejected:
        styled("[yellow]rejected:[/]", str(bad))
    if verbose:
        for origin in report.new:
            console.print(f"new: {origin}", highlight=False, soft_wrap=True)
        for origin in report.duplicates:
            console.print(f"duplicate: {origin}", highlight=False, soft_wrap=True)
    console.print(
        f"{len(report.new)} new, {len(report.duplicates)} duplicate, "
        f"{len(report.rejected)} rejected"
    )
    if report.rejected:
        raise typer.Exit(1)
