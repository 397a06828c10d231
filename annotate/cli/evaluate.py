"""`annotate evaluate`: score the pre-annotator on gold data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from annotate.cli.common import console, err_console, fail


def evaluate(
    gold: Annotated[Path, typer.Option(help="Gold file: CoNLL-2003 or gold JSONL.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="conll or jsonl (default: from the file extension)."),
    ] = None,
    targets: Annotated[
        Path | None, typer.Option(help="YAML/JSON targets file replacing the schema targets.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Run the pre-annotator on gold data: per-label P/R/F1, CoNLL F1, stance triples.

    Spans match exactly (start, end, label). CoNLL-2003 files are read directly
    (document text = tokens joined by spaces, sentences by newlines).

    Example: annotate evaluate --gold conll2003/dev.txt
    """
    from annotate.cli.preannotate import _labelset
    from annotate.evaluate import GoldError, read_gold
    from annotate.evaluate import evaluate as run
    from annotate.preannotate.model import preannotator

    if fmt not in (None, "conll", "jsonl"):
        fail(f"--format {fmt!r}: use conll or jsonl")
    if not gold.is_file():
        fail(f"{gold}: no such file")
    labelset = _labelset(targets)
    model = preannotator(labelset)
    try:
        with Progress(
            TextColumn("evaluate"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            bar = progress.add_task("gold", total=gold.stat().st_size)
            report = run(
                read_gold(gold, fmt, labelset),
                model.predict,
                labelset,
                progress=lambda n: progress.advance(bar, n),
            )
    except GoldError as exc:
        fail(str(exc))
    data = report.as_dict()
    data["model_version"] = model.model_version
    if as_json:
        console.print_json(json.dumps(data))
        return
    console.print(
        f"{data['documents']} documents, {data['words']} words, model {model.model_version}"
    )
    if data["entities"]:
        console.print(_table("Entities (exact span)", data["entities"], data["entities_micro"]))
    console.print(_table("CoNLL-mapped (exact span)", data["conll"], data["conll_micro"]))
    if data["stance"]["support"] or data["stance"]["predicted"]:
        console.print(_table("Stance triples", data["stance_labels"], data["stance"]))
    if data["confusions"]:
        conf = Table(title="Most frequent confusions (gold -> predicted)")
        for col in ("gold", "predicted", "count"):
            conf.add_column(col, justify="right" if col == "count" else "left")
        for row in data["confusions"]:
            conf.add_row(row["gold"], row["predicted"], str(row["count"]))
        console.print(conf)


def _table(title: str, rows: dict, micro: dict) -> Table:
    table = Table(title=title)
    table.add_column("label")
    for col in ("precision", "recall", "f1", "support", "predicted"):
        table.add_column(col, justify="right")

    def cells(v: dict) -> list[str]:
        return [
            f"{v['precision']:.3f}",
            f"{v['recall']:.3f}",
            f"{v['f1']:.3f}",
            str(v["support"]),
            str(v["predicted"]),
        ]

    for label, v in rows.items():
        table.add_row(label, *cells(v))
    table.add_row(Text("micro", style="bold"), *cells(micro))
    return table
