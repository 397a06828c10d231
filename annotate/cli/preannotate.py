"""`annotate preannotate`: heuristic entity and stance predictions, stored or written offline."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from annotate.cli.common import State, console, err_console, fail


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
        list[Path] | None,
        typer.Argument(help="Offline mode: article JSONL (id, text) or .txt files; no database."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Offline mode: write JSONL here (default: stdout)."),
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
) -> None:
    """Pre-annotate entities and stances with rules, so annotators start from predictions.

    Without INPUT, pre-annotates stored articles lacking a prediction of the current model
    version. With INPUT, runs offline and writes one prediction record per article.

    Example: annotate preannotate --limit 100 --workers 2

    Example: annotate preannotate articles.jsonl -o predictions.jsonl --targets tariffs.yaml
    """
    labelset = _labelset(targets)
    if inputs:
        if force or limit:
            fail("--force and --limit apply to store mode (no INPUT)")
        _offline(inputs, output, labelset, workers)
    else:
        if output is not None:
            fail("--output needs INPUT files (offline mode)")
        _store(ctx.obj, labelset, force, limit, workers)


def _offline(inputs: list[Path], output: Path | None, labelset: Any, workers: int) -> None:
    from annotate.preannotate.batch import InputError, predict_stream, read_articles, write_jsonl

    out = output.open("w", encoding="utf-8") if output else sys.stdout
    try:
        with Progress(
            SpinnerColumn(), TextColumn("preannotate {task.completed} articles"),
            TimeElapsedColumn(), console=err_console, transient=True,
            disable=output is None,
        ) as progress:
            bar = progress.add_task("articles", total=None)
            n = write_jsonl(
                predict_stream(read_articles(inputs), labelset, workers),
                out,
                on_record=lambda _n: progress.advance(bar),
            )
    except InputError as exc:
        fail(str(exc))
    finally:
        if output:
            out.close()
    if output:
        console.print(f"{n} prediction(s) written to {output}")


def _pending(engine: Any, model_version: str, force: bool, limit: int | None) -> list[int]:
    from sqlalchemy import select

    from annotate.store.models import Article, Prediction
    from annotate.store.session import session_scope

    with session_scope(engine) as session:
        query = select(Article.id).order_by(Article.id)
        if not force:
            done = select(Prediction.article_id).where(Prediction.model_version == model_version)
            query = query.where(Article.id.not_in(done))
        if limit:
            query = query.limit(limit)
        return list(session.scalars(query))


def _batches(engine: Any, ids: list[int], size: int = 200) -> Iterator[list[tuple[str, str]]]:
    """(row id, text) batches read in their own short transactions."""
    from sqlalchemy import select

    from annotate.store.models import Article
    from annotate.store.session import session_scope

    for i in range(0, len(ids), size):
        with session_scope(engine) as session:
            rows = session.execute(
                select(Article.id, Article.text).where(Article.id.in_(ids[i : i + size]))
            )
            yield [(str(row_id), text) for row_id, text in rows]


def _store(state: State, labelset: Any, force: bool, limit: int | None, workers: int) -> None:
    from sqlalchemy import delete

    from annotate.preannotate.batch import predict_stream
    from annotate.preannotate.model import preannotator
    from annotate.store.models import Prediction
    from annotate.store.session import session_scope

    engine = state.engine()
    version = preannotator(labelset).model_version
    ids = _pending(engine, version, force, limit)
    if not ids:
        console.print(f"nothing to do: every article has a {version} prediction")
        return
    n_ent = n_st = 0
    with Progress(
        TextColumn("preannotate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console, transient=True,
    ) as progress:
        bar = progress.add_task("articles", total=len(ids))
        for batch in _batches(engine, ids):
            records = list(predict_stream(batch, labelset, workers))
            with session_scope(engine) as session:
                row_ids = [int(r["id"]) for r in records]
                session.execute(
                    delete(Prediction).where(
                        Prediction.article_id.in_(row_ids), Prediction.model_version == version
                    )
                )
                for rec in records:
                    session.add(
                        Prediction(
                            article_id=int(rec["id"]),
                            model_version=version,
                            entities=rec["entities"],
                            stances=rec["stances"],
                        )
                    )
                    n_ent += len(rec["entities"])
                    n_st += len(rec["stances"])
            progress.advance(bar, len(records))
    console.print(
        f"{len(ids)} article(s) pre-annotated with {version}: "
        f"{n_ent} entities, {n_st} stances"
    )
