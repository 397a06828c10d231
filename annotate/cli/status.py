"""`annotate status`: what the store holds, stage by stage, and what to do next."""

import json
import os
from typing import TYPE_CHECKING, Annotated, Any

import typer

from annotate.cli.common import JsonOpt, State, check_project, command, console
from annotate.config import review_name

if TYPE_CHECKING:
    from rich.table import Table


def _current_model_version() -> str:
    """The rules' version, from their files' hash: no lexicon is built to print it."""
    from annotate.preannotate.version import model_version
    from annotate.schemas import load_labelset

    return model_version(load_labelset(check=False))


def _quick(state: State) -> dict[str, Any] | None:
    """Counts and project names of a SQLite store at the code's migration head, read
    without SQLAlchemy (`annotate.store.counts`); None: take the usual path."""
    from annotate.store.counts import sqlite_status
    from annotate.store.migrate import quick_head

    file, head = state.settings.store_file(), quick_head()
    if file is None or head is None or not file.is_file():
        return None
    return sqlite_status(file, head, _current_model_version())


def _stage_counts(state: State) -> dict[str, Any]:
    from annotate.store import queries
    from annotate.store.session import session_scope

    with session_scope(state.engine(read_only=True)) as session:
        return dict(queries.stage_counts(session, _current_model_version()))


def _where(state: State) -> dict[str, str]:
    """Which workspace and store this run uses (found as git finds its repository)."""
    from annotate.private import safe_url

    settings = state.settings
    return {
        "workspace": str(settings.home),
        "workspace_from": settings.home_from,
        "store": safe_url(settings.db_url.replace("+psycopg", "", 1)),
    }


_FROM = {
    "found": "the nearest .annotate/ from here",
    "ANNOTATE_HOME": "ANNOTATE_HOME",
    "argument": "given",
}


def _default_project(state: State, quick: dict[str, Any] | None) -> str:
    """The project the next steps name: the store's only one (as every command defaults
    to), else the first of several, else the one `push` creates."""
    from annotate.config import DEFAULT_PROJECT

    if quick is not None:
        defaults, names = quick["default_projects"], quick["project_names"]
        only = defaults[0] if len(defaults) == 1 else None
    else:
        from annotate.store import queries
        from annotate.store.session import session_scope

        with session_scope(state.engine(read_only=True)) as session:
            only, names = queries.only_project_name(session), queries.project_names(session)
    names = [n for n in names if not n.endswith("-review")]
    return only or (names[0] if names else DEFAULT_PROJECT)


def next_steps(state: State, project: str, team: bool = False) -> str | None:
    """What an annotator and a maintainer do next, when a Label Studio is known.

    `team`: several annotators work on the project, so the review loop is the next step.
    """
    from annotate.private import safe_url
    from annotate.studio.client import KEY_ENV, URL_ENV
    from annotate.studio.server import LocalStudio
    from annotate.studio.team import users_file

    if os.environ.get(URL_ENV) and os.environ.get(KEY_ENV):
        url, login = safe_url(os.environ[URL_ENV]), "your Label Studio account"
    else:
        studio = LocalStudio(state.settings.home)
        status, creds = studio.status(), studio.credentials()
        if not status.running or creds is None:
            return None
        url = status.url
        login = f"{creds.username} (password: {command('studio', 'credentials')})"
        if users_file(state.settings.home).is_file():
            login = f"your own account (from {command('studio', 'add-user')} or the invite link)"
    review = review_name(project)
    steps = (
        f"Annotators: open {url}, log in as {login},\n"
        f"  open project {project!r} and click 'Label All Tasks'.\n"
        f"Maintainers: {command('pull', '--project', project)} brings the corrections back,\n"
        f"  {command('export', '--project', project)} writes the Hugging Face dataset.\n"
    )
    if team:
        steps += (
            f"Disagreements: {command('review', '--project', project)}, a reviewer resolves\n"
            f"  {review}, {command('pull', '--project', review)}, then\n"
            f"  {command('export', '--project', project, '--policy', 'adjudicated')}.\n"
        )
    return steps + f"Stop the local server with {command('studio', 'stop')}."


def status(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    project: Annotated[
        str | None,
        typer.Option(
            help="Also show this project's progress per annotator (annotated, skipped, "
            "median lead time, pre-annotations kept, agreement with the others).",
            callback=check_project,
        ),
    ] = None,
) -> None:
    """Show counts per stage, and with --project the progress of each annotator.

    Per annotator (from what `annotate pull` brought): tasks annotated and skipped, median
    lead time (s), share of predicted spans and stances kept unchanged, and agreement with
    the other annotators on shared tasks (entity span F1, Cohen's kappa of stance labels).
    --json adds `project` and `annotators` / `pairs` to the stage counts. Reads only:
    outside a workspace (no .annotate/ here or above, no ANNOTATE_HOME) it says so and
    creates nothing.

    Example: annotate status --project news --json
    """
    state: State = ctx.obj
    quick = _quick(state) if project is None else None
    counts = quick["counts"] if quick is not None else _stage_counts(state)
    progress = None
    if project is not None:
        from annotate.progress import project_progress

        facts, progress = project_progress(state.engine(), project)
    where = _where(state)
    if as_json:
        if progress is not None:
            counts["project"] = facts
            counts.update(progress.to_dict())
        typer.echo(json.dumps({**counts, **where}))
        return
    origin = _FROM.get(where["workspace_from"], where["workspace_from"])
    console.print(f"workspace: {where['workspace']} ({origin})", highlight=False, soft_wrap=True)
    console.print(f"store: {where['store']}", highlight=False, soft_wrap=True)
    from rich.table import Table

    table = Table("stage", "count", title="annotate store")
    for key, value in counts.items():
        table.add_row(key, str(value))
    console.print(table)
    if progress is not None:
        if progress.annotators:
            console.print(_annotator_table(facts, progress))
        else:
            console.print(
                f"project {facts['project']!r}: {facts['tasks']} tasks, no annotations pulled yet"
            )
        if progress.pairs:
            console.print(_pairs_table(progress))
    team = progress is not None and (len(progress.annotators) > 1 or facts["overlap"] > 1)
    if progress is not None and facts.get("review_of"):
        project, team = facts["review_of"], True
    steps = next_steps(state, project or _default_project(state, quick), team)
    if steps:
        # Plain lines, never a box: a panel wraps a long command inside its border, and the
        # printed command must run as printed when pasted (with a long venv path, too).
        console.print("Next steps:", style="bold")
        console.print(steps, highlight=False, markup=False, soft_wrap=True, end="")


def _fmt(x: Any, pct: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:.0%}" if pct else (f"{x:.2f}" if isinstance(x, float) else str(x))


def _annotator_table(facts: dict[str, Any], progress: Any) -> "Table":
    """One column per annotator (a few people, many figures: reads well at 80 columns)."""
    title = f"project {facts['project']!r}: {facts['tasks']} tasks, overlap {facts['overlap']}"
    if facts.get("review_of"):
        title += f" (review of {facts['review_of']!r})"
    from rich.table import Table

    people = progress.annotators
    table = Table("", *(a.annotator for a in people), title=title)
    table.columns[0].no_wrap = True
    for column in table.columns[1:]:
        column.overflow = "fold"
    rows = [
        ("tasks annotated", lambda a: str(a.annotated)),
        ("tasks skipped", lambda a: str(a.skipped)),
        ("median lead time (s)", lambda a: _fmt(a.median_lead_time)),
        (
            "predicted spans kept",
            lambda a: f"{_fmt(a.span_acceptance, True)} ({a.spans_kept}/{a.spans_predicted})",
        ),
        (
            "predicted stances kept",
            lambda a: f"{_fmt(a.stance_acceptance, True)} ({a.stances_kept}/{a.stances_predicted})",
        ),
        ("tasks shared with others", lambda a: str(a.shared_tasks)),
        ("span F1 vs others", lambda a: _fmt(a.span_f1)),
        ("stance kappa vs others", lambda a: _fmt(a.stance_kappa)),
    ]
    for label, value in rows:
        table.add_row(label, *(value(a) for a in people))
    return table


def _pairs_table(progress: Any) -> "Table":
    from rich.table import Table

    table = Table(
        "annotator",
        "annotator",
        "shared tasks",
        "span F1",
        "stance units",
        "stance kappa",
        title="agreement per pair",
    )
    for p in progress.pairs:
        table.add_row(
            p.a,
            p.b,
            str(p.shared_tasks),
            _fmt(p.span_f1),
            str(p.stance_units),
            _fmt(p.stance_kappa),
        )
    return table
