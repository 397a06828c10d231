"""`annotate preannotate`: heuristic entity and stance predictions, stored or written offline."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from annotate.cli.common import State, console, fail, progress_bar


def _labelset(targets: Path | None):
    from annotate.schemas import SchemaError, load_labelset, load_targets

    try:
        labelset = load_labelset()
        if targets is not None:
            labelset = labelset.with_targets(load_targets(targets))
    except SchemaError as exc:
        fail(str(exc))
    return labelset


def preannotate(
    ctx: typer.Context,
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Offline mode: article JSONL (id, text) or .txt files; no database. "
            "With --scheduler: globs or fsspec URLs of JSONL or Parquet shards."
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Offline mode: write JSONL here (default: stdout). With --scheduler: the "
            "folder (or fsspec URL) for one prediction shard per input shard.",
        ),
    ] = None,
    targets: Annotated[
        Path | None,
        typer.Option(help="YAML/JSON list of {id, description, cues} replacing schema targets."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Store mode: redo articles already predicted.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Store mode: at most this many articles.")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    model: Annotated[
        Path | None,
        typer.Option(
            "--model", help="Rules plus this learned layer (a folder of `annotate train`)."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Offline mode on a Dask cluster: tcp://HOST:PORT, or local:N for N local "
            "worker processes (the `cluster` extra)."
        ),
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--output-format",
            help="With --scheduler: jsonl or parquet (default: each input shard's format).",
        ),
    ] = None,
) -> None:
    """Pre-annotate entities and stances with rules, so annotators start from predictions.

    Without INPUT, pre-annotates stored articles lacking a prediction of the current model
    version. With INPUT, runs offline and writes one prediction record per article.

    Example: annotate preannotate --limit 100 --workers 2

    Example: annotate preannotate articles.jsonl -o predictions.jsonl --targets tariffs.yaml

    Example: annotate preannotate --model models/conll

    Example: annotate preannotate 's3://news/articles/*.parquet' --scheduler tcp://10.0.0.5:8786 -o preds/
    """
    labelset = _labelset(targets)
    if scheduler is not None or output_format is not None:
        if not inputs or output is None or scheduler is None:
            fail("--scheduler needs INPUT shards and -o DIR (--output-format goes with it)")
        if force or limit or workers != 1:
            fail("--force, --limit and --workers do not apply with --scheduler")
        _cluster(inputs, output, labelset, scheduler, model, output_format)
    elif inputs:
        if force or limit:
            fail("--force and --limit apply to store mode (no INPUT)")
        _offline(
            [Path(p) for p in inputs],
            None if output is None else Path(output),
            labelset,
            workers,
            model,
        )
    else:
        if output is not None:
            fail("--output needs INPUT files (offline mode)")
        _store(ctx.obj, labelset, force, limit, workers, model)


def _offline(
    inputs: list[Path], output: Path | None, labelset: Any, workers: int, model: Path | None
) -> None:
    """Stream predictions to stdout, or to OUTPUT through a temporary file renamed on success.

    So a failed run leaves OUTPUT as it was: absent, or the previous run's complete file.
    """
    import os
    import secrets
    import shutil
    from typing import TextIO

    from annotate.preannotate.batch import (
        InputError,
        annotator,
        predict_stream,
        read_articles,
        write_jsonl,
    )

    if model is not None:
        annotator(labelset, model)  # refuse a model of another label set before any output

    out: TextIO = sys.stdout
    tmp: Path | None = None
    if output is not None:
        tmp = output.with_name(f".{output.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            out = tmp.open("x", encoding="utf-8")
            if output.is_file():
                shutil.copymode(output, tmp)
        except OSError as exc:
            fail(f"cannot write {output}: {exc.strerror}")
    try:
        # Streaming: the total is unknown, the bar counts articles (and stays off stdout).
        with progress_bar("preannotate", disable=output is None) as progress:
            bar = progress.add_task("articles", total=None)
            n = write_jsonl(
                predict_stream(read_articles(inputs), labelset, workers, model_dir=model),
                out,
                on_record=lambda _n: progress.advance(bar),
            )
        if output is not None and tmp is not None:
            out.close()
            try:
                os.replace(tmp, output)
            except OSError as exc:
                fail(f"cannot write {output}: {exc.strerror}")
    except InputError as exc:
        fail(str(exc))
    finally:
        if tmp is not None:
            out.close()
            tmp.unlink(missing_ok=True)
    if output:
        console.print(f"{n} prediction(s) written to {output}")


def _cluster(
    inputs: list[str],
    output: str,
    labelset: Any,
    scheduler: str,
    model: Path | None,
    fmt: str | None,
) -> None:
    try:
        from annotate.cluster.runner import preannotate_shards
    except ImportError as exc:
        if exc.name not in ("dask", "distributed"):
            raise
        fail('--scheduler needs Dask: pip install "annotate[cluster]"')
    with progress_bar("preannotate") as progress:
        bar = progress.add_task("shards", total=None)
        summary = preannotate_shards(
            inputs,
            output,
            labelset,
            scheduler,
            model_dir=model,
            fmt=fmt,
            on_progress=lambda done, total: progress.update(bar, completed=done, total=total),
        )
    console.print(
        f"{summary.articles} article(s) in {summary.shards} shard(s) pre-annotated with "
        f"{summary.model_version} on {summary.scheduler}: {summary.entities} entities, "
        f"{summary.stances} stances; predictions in {summary.out_dir}",
        highlight=False,
        soft_wrap=True,
    )


def _store(
    state: State, labelset: Any, force: bool, limit: int | None, workers: int, model: Path | None
) -> None:
    from annotate.preannotate.batch import annotator_version
    from annotate.predictions import pending, preannotate_store

    engine = state.engine()
    version = annotator_version(labelset, model)
    ids = pending(engine, version, force, limit)
    if not ids:
        console.print(f"nothing to do: every article has an {version} prediction")
        return
    with progress_bar("preannotate") as progress:
        bar = progress.add_task("articles", total=len(ids))
        summary = preannotate_store(
            engine,
            labelset,
            ids,
            workers,
            on_advance=lambda n: progress.advance(bar, n),
            model_dir=model,
        )
    console.print(
        f"{summary.articles} article(s) pre-annotated with {version}: "
        f"{summary.entities} entities, {summary.stances} stances"
    )
