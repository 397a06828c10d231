"""`annotate review`: send the articles annotators disagree on to a review project."""

import json
from typing import Annotated

import typer

from annotate.cli.common import JsonOpt, ProjectOpt, State, command, console, print_capped


def review(
    ctx: typer.Context,
    project: ProjectOpt = None,
    min_annotators: Annotated[
        int, typer.Option(min=2, help="Only articles with at least this many annotators.")
    ] = 2,
    as_json: JsonOpt = False,
) -> None:
    """Push the articles whose annotators disagree into the review project NAME-review.

    Reads the store, so run `annotate pull --project NAME` first. An article is disputed
    when its annotators' latest annotations differ in any entity span or stance; agreed
    articles are never sent. Each review task's pre-annotation merges the versions (agreed
    items once, disputed ones per annotator, named in the region's meta). A reviewer
    resolves the tasks in Label Studio; then `annotate pull --project NAME-review` and
    `annotate export --project NAME --policy adjudicated` use the resolutions. Re-running
    sends only newly disputed articles.

    Example: annotate review --project news --min-annotators 2
    """
    from annotate.schemas import load_labelset
    from annotate.studio.client import connect
    from annotate.studio.review import send_to_review

    state: State = ctx.obj
    labelset = load_labelset()
    client = connect(state.settings.home)
    summary = send_to_review(
        state.engine(),
        client,
        labelset,
        state.settings.home,
        project,
        min_annotators=min_annotators,
    )
    project = summary.project
    print_capped([f"skipped prediction item: {line}" for line in summary.skipped])
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), default=str))
        return
    console.print(
        f"{project!r}: {summary.tasks} task(s); {summary.agreed} agreed, "
        f"{summary.disputed} disputed, {summary.too_few_annotators} with fewer than "
        f"{min_annotators} annotators",
        highlight=False,
        soft_wrap=True,
    )
    for item in summary.items:
        console.print(
            f"  {item['article_id']}: {item['entity_differences']} entity and "
            f"{item['stance_differences']} stance difference(s) ({item['status']})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if summary.disputed:
        console.print(
            f"review project {summary.review_project!r} (Label Studio project "
            f"{summary.ls_project_id} at {summary.url}): {summary.created} task(s) created, "
            f"{summary.already_in_review} already there. A reviewer opens it and clicks "
            f"'Label All Tasks'; then {command('pull', '--project', summary.review_project)}.",
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.print("nothing to review: no disputed article", highlight=False)
