"""`annotate report`: a self-contained HTML page of plots about one project's dataset."""

import json
from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.common import JsonOpt, ProjectOpt, console


def report(
    ctx: typer.Context,
    project: ProjectOpt = None,
    out: Annotated[
        Path, typer.Option(help="The HTML file to write (replaced if it exists).")
    ] = Path("report.html"),
    as_json: JsonOpt = False,
) -> None:
    """Write one HTML page with plots of how the project's dataset is doing.

    Progress over time (articles annotated per day, per annotator), label distribution per
    split (as `annotate export` makes it with its defaults), agreement per label and per
    pair of annotators, each annotator's acceptance of the pre-annotations, the rule
    ledger, and the learning curve of the models `annotate train` recorded. The page
    needs no network to open: inline SVG and CSS, no script.

    Example: annotate report --project news --out report.html
    """
    from annotate.report import build_report

    summary = build_report(ctx.obj.engine(), project, out)
    if as_json:
        typer.echo(json.dumps(summary.to_dict()))
        return
    shown = [s.title for s in summary.sections if s.svg]
    console.print(
        f"wrote {out} ({len(shown)} plots) for project {summary.project!r}: "
        f"{summary.articles_annotated} of {summary.tasks} tasks annotated by "
        f"{len(summary.annotators)} annotator(s)",
        highlight=False,
    )
    for section in summary.sections:
        if not section.svg:
            console.print(f"  {section.title}: {section.note}", highlight=False)
