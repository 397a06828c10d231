"""`annotate ledger`: each rule family and the learned layer against the humans."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich import box
from rich.table import Table

from annotate.cli.common import JsonOpt, ProjectOpt, console

# Column headers of the outcomes, short so a table fits a terminal.
COLUMNS = ("pred.", "kept", "relab.", "moved", "del.")
OUTCOMES = ("predicted", "kept", "relabeled", "moved", "deleted")


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def ledger(ctx: typer.Context, project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """Show, per rule family (and the learned layer), label and model version, how many
    predictions the annotators kept, relabeled, moved or deleted, what they added that
    nothing predicted, and the precision and recall against them.

    Each task's prediction shown in Label Studio is compared with each annotator's latest
    annotation (imported corpora left out): run `annotate pull` first.

    Example: annotate ledger --project news --json
    """
    from annotate.ledger import project_ledger

    result = project_ledger(ctx.obj.engine(read_only=True), project)
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
        return
    console.print(
        f"project {result.project!r}: {result.comparisons} annotation(s) of {result.tasks} "
        "task(s) compared with the prediction they were shown",
        highlight=False,
    )
    if not result.rows and not result.totals:
        console.print("nothing to compare: no pulled annotation of a task with a prediction")
        return
    groups: dict[tuple[str, str], list[Any]] = {}
    for r in [*result.rows, *result.totals]:
        groups.setdefault((r.kind, r.model_version), []).append(r)
    for (kind, version), rows in sorted(groups.items()):
        # stances have no boundaries to move
        shown = [
            (h, c)
            for h, c in zip(COLUMNS, OUTCOMES, strict=True)
            if kind == "entity" or c != "moved"
        ]
        table = Table(
            title=f"{'entities' if kind == 'entity' else 'stances'} of {version}",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
            collapse_padding=True,
        )
        table.add_column("source", overflow="fold", min_width=16)
        table.add_column("label", overflow="fold")
        for header, _ in shown:
            table.add_column(header, justify="right")
        for header in ("added", "P", "R"):
            table.add_column(header, justify="right")
        for r in rows:
            table.add_row(
                r.source,
                r.label,
                *(str(getattr(r, c)) for _, c in shown),
                str(r.added) if r.source == "all" else "",
                _fmt(r.precision),
                _fmt(r.recall),
            )
        console.print(table)
    console.print(
        "P: kept / predicted; R: kept / the humans' items of that label (source all: found by "
        "any); added: human items nothing predicted.",
        highlight=False,
    )
