"""`annotate import`: annotated corpora (CoNLL, gold JSONL, Label Studio JSON) into the store."""

from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.cli.common import State, console, fail, progress_bar


def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[str],
        typer.Argument(help="Annotated files, all of one format (predictions: also folders)."),
    ],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="conll, jsonl (gold records), labelstudio (JSON), or predictions (prediction "
            "JSONL or Parquet of `annotate preannotate INPUT`, with or without --scheduler).",
        ),
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
    targets: Annotated[
        Path | None,
        typer.Option(help="Predictions: the stance targets they were made with (--targets)."),
    ] = None,
) -> None:
    """Import human-annotated corpora as annotations of project import:NAME, one transaction.

    Articles are deduplicated by content hash; each annotation records its file and line.

    Predictions (`--format predictions`) join their stored articles by id or content hash
    and are stored as the predictions of their model version, replacing that version's.

    Example: annotate import conll2003/train.txt --format conll --name conll2003

    Example: annotate import preds/ --format predictions
    """
    from annotate.cli.preannotate import _labelset

    state: State = ctx.obj
    if fmt == "predictions":
        if name is not None or mapping:
            fail("--name and --map do not apply to --format predictions")
        _predictions(state, paths, _labelset(targets))
        return
    if targets is not None:
        fail("--targets applies to --format predictions")
    from annotate.corpora import import_corpora

    labelset = _labelset(None)
    with progress_bar("import") as progress:
        bar = progress.add_task("files", total=len(paths))
        report = import_corpora(
            state.engine(),
            [Path(p) for p in paths],
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


def _predictions(state: State, paths: list[str], labelset: Any) -> None:
    from annotate.corpora import import_predictions

    with progress_bar("import") as progress:
        bar = progress.add_task("prediction files", total=None)
        report = import_predictions(
            state.engine(), paths, labelset, on_file=lambda _p: progress.advance(bar)
        )
    versions = ", ".join(f"{n} of {v}" for v, n in sorted(report.versions.items()))
    console.print(
        f"{report.predictions} prediction(s) stored from {report.files} file(s)"
        + (f" ({versions})" if versions else "")
        + f"; {report.replaced} replaced an earlier one of the same version"
        + (
            f"; {report.moved} moved from body offsets into the title + body text"
            if report.moved
            else ""
        ),
        highlight=False,
        soft_wrap=True,
    )
