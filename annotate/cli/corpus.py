"""`annotate import`: annotated corpora (CoNLL, gold JSONL, Label Studio JSON) into the store."""

from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.common import State, console, progress_bar


def import_(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Annotated files, all of one format.")],
    fmt: Annotated[
        str, typer.Option("--format", help="conll, jsonl (gold records) or labelstudio (JSON).")
    ],
    name: Annotated[
        str | None,
        typer.Option(help="Corpus name: annotations by import:NAME (default: first file's stem)."),
    ] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="CoNLL type FROM=TO: TO a schema label, A|B (either, refined by the rules), "
            "or - (left out). Default: the schema's conll column.",
        ),
    ] = None,
) -> None:
    """Import human-annotated corpora as annotations of project import:NAME, one transaction.

    Articles are deduplicated by content hash; each annotation records its file and line.

    Example: annotate import conll2003/train.txt --format conll --name conll2003
    """
    from annotate.cli.preannotate import _labelset
    from annotate.corpora import import_corpora

    state: State = ctx.obj
    labelset = _labelset(None)
    with progress_bar("import") as progress:
        bar = progress.add_task("files", total=len(paths))
        report = import_corpora(
            state.engine(),
            paths,
            fmt,
            labelset,
            name=name,
            mapping=mapping,
            on_file=lambda _p: progress.advance(bar),
        )
    unmapped = ", ".join(f"{n} {t}" for t, n in sorted(report.unmapped.items()))
    console.print(
        f"{report.project}: {report.documents} document(s) read, {report.annotations} "
        f"annotation(s) stored ({report.new_articles} new article(s), {report.already} "
        f"already imported, {report.duplicates} repeated in the input); {report.entities} "
        f"entities ({report.refined} coarse spans refined by the rules), {report.stances} "
        f"stances" + (f"; kept out of the labels: {unmapped}" if unmapped else ""),
        highlight=False,
        soft_wrap=True,
    )
