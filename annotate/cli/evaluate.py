"""`annotate evaluate`: score the pre-annotator on gold data."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from annotate.cli.common import console, err_console, fail

if TYPE_CHECKING:
    from rich.table import Table


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
    model_dir: Annotated[
        Path | None,
        typer.Option("--model", help="Also score rules plus this learned layer, side by side."),
    ] = None,
) -> None:
    """Run the pre-annotator on gold data: per-label P/R/F1, CoNLL F1, stance triples.

    Spans match exactly (start, end, label). CoNLL-2003 files are read directly
    (document text = tokens joined by spaces, sentences by newlines).

    Example: annotate evaluate --gold conll2003/dev.txt

    Example: annotate evaluate --gold conll2003/dev.txt --model models/conll
    """
    from annotate.cli.preannotate import _labelset
    from annotate.preannotate.batch import annotator

    if fmt not in (None, "conll", "jsonl"):
        fail(f"--format {fmt!r}: use conll or jsonl")
    if not gold.is_file():
        fail(f"{gold}: no such file")
    labelset = _labelset(targets)
    models = [annotator(labelset)] + ([annotator(labelset, model_dir)] if model_dir else [])
    results = []
    for model in models:
        data = _run(gold, fmt, labelset, model)
        data["model_version"] = model.model_version
        results.append(data)
    if as_json:
        out = results[0] if len(results) == 1 else {"rules": results[0], "learned": results[1]}
        console.print_json(json.dumps(out))
        return
    if len(results) == 2:
        _side_by_side(results[0], results[1])
        return
    _print(results[0])


def _side_by_side(rules: dict, learned: dict) -> None:
    """Per label F1 (and P/R) of the rules and of rules + learned layer, one table each."""
    from rich.table import Table
    from rich.text import Text

    console.print(
        f"{rules['documents']} documents, {rules['words']} words; rules "
        f"{rules['model_version']} vs learned {learned['model_version']}"
    )
    for key, micro, title in (
        ("entities", "entities_micro", "Entities (exact span)"),
        ("conll", "conll_micro", "CoNLL-mapped (exact span)"),
    ):
        if not rules[key] and not learned[key]:
            continue
        table = Table(title=title)
        table.add_column("label")
        for side in ("rules", "learned"):
            for col in ("P", "R", "F1"):
                table.add_column(f"{side} {col}", justify="right")
        table.add_column("support", justify="right")
        empty = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
        labels = sorted(set(rules[key]) | set(learned[key]))
        rows = [(lab, rules[key].get(lab, empty), learned[key].get(lab, empty)) for lab in labels]
        rows.append(("micro", rules[micro], learned[micro]))
        for lab, a, b in rows:
            table.add_row(
                Text(lab, style="bold") if lab == "micro" else lab,
                *(f"{v[m]:.3f}" for v in (a, b) for m in ("precision", "recall", "f1")),
                str(a["support"] or b["support"]),
            )
        console.print(table)
    if rules["stance"]["support"] or rules["stance"]["predicted"]:
        console.print(_table("Stance triples (rules)", rules["stance_labels"], rules["stance"]))
        console.print(
            _table("Stance triples (learned)", learned["stance_labels"], learned["stance"])
        )


def _run(gold: Path, fmt: str | None, labelset, model) -> dict:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

    from annotate.evaluate import GoldError, read_gold
    from annotate.evaluate import evaluate as run

    try:
        with Progress(
            TextColumn("evaluate"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=err_console.rich,
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
    return report.as_dict()


def _print(data: dict) -> None:
    from rich.table import Table

    console.print(
        f"{data['documents']} documents, {data['words']} words, model {data['model_version']}"
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


def _table(title: str, rows: dict, micro: dict) -> "Table":
    from rich.table import Table
    from rich.text import Text

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
