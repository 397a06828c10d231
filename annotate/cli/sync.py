"""`annotate push` and `annotate pull`: sync the store with a Label Studio project."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from annotate.cli.common import (
    JsonOpt,
    ProjectOpt,
    State,
    command,
    console,
    fail,
    print_capped,
    progress_bar,
)
from annotate.config import DEFAULT_BATCH


@contextmanager
def _progress(label: str) -> Iterator[tuple[Callable[[int], None], Callable[[int], None]]]:
    with progress_bar(label) as bar:
        task = bar.add_task(label, total=None)

        def on_total(n: int) -> None:
            bar.update(task, total=n)

        def on_advance(n: int) -> None:
            bar.advance(task, n)

        yield on_total, on_advance


def _connect(state: State):
    from annotate.studio.client import connect

    return connect(state.settings.home)


def _print_summary(data: dict[str, Any], as_json: bool, keys: list[str], title: str) -> None:
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    console.print(title + ": " + ", ".join(f"{k} {data[k]}" for k in keys), highlight=False)


def push(
    ctx: typer.Context,
    project: ProjectOpt = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Tasks per import request.")
    ] = DEFAULT_BATCH,
    limit: Annotated[int | None, typer.Option(min=1, help="Push at most N new articles.")] = None,
    update_config: Annotated[
        bool, typer.Option(help="Replace the project's labeling config if it differs.")
    ] = False,
    update_predictions: Annotated[
        bool,
        typer.Option(
            help="Add newer model versions' predictions to pushed tasks no human has "
            "annotated yet (annotated tasks are never touched)."
        ),
    ] = False,
    overlap: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="How many annotators see each task (Label Studio's maximum annotations "
            "per task, for every task); recorded in the store.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Push articles not yet in the Label Studio project, with their latest predictions.

    Idempotent and resumable: pushing twice creates no duplicates, and an interrupted push
    is completed by the next one. Uses LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY when set,
    else the local server (`annotate studio start`). With --overlap N, "Label All Tasks"
    hands each task to N different annotators (see `annotate status --project NAME`).
    Without --project: the store's only project, or a new project `annotate`.

    Example: annotate push --project news --batch-size 1000 --overlap 2
    """
    from annotate.schemas import load_labelset
    from annotate.studio.sync import push as run_push

    state: State = ctx.obj
    labelset = load_labelset()
    client = _connect(state)
    with _progress("pushing") as (on_total, on_advance):
        summary = run_push(
            state.engine(),
            client,
            labelset,
            state.settings.home,
            project,
            batch_size=batch_size,
            limit=limit,
            update_config=update_config,
            update_predictions=update_predictions,
            overlap=overlap,
            on_total=on_total,
            on_advance=on_advance,
        )
    print_capped([f"skipped prediction item: {line}" for line in summary.skipped])
    print_capped(
        [
            f"duplicate task(s) {', '.join(map(str, d['duplicates']))} of article "
            f"{d['content_hash'][:16]} (task {d['task']})"
            for d in summary.duplicates
        ]
    )
    _print_summary(
        {
            **summary.to_dict(),
            "duplicate_tasks": sum(len(d["duplicates"]) for d in summary.duplicates),
        },
        as_json,
        [
            "created",
            "already",
            "reconciled",
            "predictions_added",
            "predictions_held",
            "without_prediction",
            "overlap",
            "duplicate_tasks",
        ],
        f"pushed to {summary.project!r} (Label Studio project {summary.ls_project_id} at {summary.url})",
    )
    if summary.duplicates and not as_json:
        console.print(
            f"{len(summary.duplicates)} article(s) have duplicate tasks in Label Studio: run "
            f"{command('pull', '--project', summary.project, '--full')} (it adopts their annotations "
            "onto the article's task), then delete the duplicate tasks listed above in Label "
            "Studio",
            highlight=False,
            soft_wrap=True,
        )


def pull(
    ctx: typer.Context,
    project: ProjectOpt = None,
    full: Annotated[
        bool, typer.Option(help="Re-read every task and mark annotations deleted in Label Studio.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Pull annotations of tasks updated since the last pull into the store.

    Every annotator's annotation is kept; updates replace earlier versions; results that
    fail a check are stored raw and listed. Pulling a review project (NAME-review, made
    by `annotate review`) stores the reviewer's resolutions as the adjudicated annotations
    of the original articles, used by `annotate export --policy adjudicated`.

    Example: annotate pull --project news --full
    """
    from annotate.schemas import load_labelset
    from annotate.studio.sync import pull as run_pull

    state: State = ctx.obj
    labelset = load_labelset()
    client = _connect(state)
    with _progress("pulling") as (on_total, on_advance):
        summary = run_pull(
            state.engine(),
            client,
            labelset,
            state.settings.home,
            project,
            full=full,
            on_total=on_total,
            on_advance=on_advance,
        )
    if not as_json:
        print_capped(
            [
                f"invalid: task {p['task']} annotation {p['annotation']}: {p['problem']}"
                for p in summary.problems
            ]
        )
    _print_summary(
        summary.to_dict(),
        as_json,
        ["new", "updated", "unchanged", "deleted", "invalid", "trimmed", "adopted"],
        f"pulled {summary.tasks_read} task(s) of {summary.project!r}",
    )
    if summary.unknown_annotations:
        lost = summary.unknown_annotations
        fail(
            f"{sum(lost.values())} annotation(s) on {len(lost)} Label Studio task(s) that match "
            f"no article in the store (task {', '.join(map(str, sorted(lost)))}) were not "
            "stored: ingest and push their articles (or point ANNOTATE_DB at the right store), "
            "then pull again"
        )
    if summary.review_of is not None and not as_json:
        console.print(
            f"adjudicated: {summary.adjudicated} article(s) of {summary.review_of!r} have a "
            "reviewer's resolution ("
            f"{command('export', '--project', summary.review_of, '--policy', 'adjudicated')})",
            highlight=False,
            soft_wrap=True,
        )
