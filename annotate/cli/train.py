"""`annotate train`: fit the learned entity layer from the store's human annotations."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from annotate.cli.common import State, check_project, console, err_console

if TYPE_CHECKING:
    from annotate.training import Trained


def train(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="Model folder to write (replaced).")],
    projects: Annotated[
        list[str] | None,
        typer.Option(
            "--project",
            help="Train on this project (repeatable).",
            callback=lambda v: [check_project(p) for p in v or []],
        ),
    ] = None,
    sources: Annotated[
        list[str] | None,
        typer.Option("--source", help="Train on this imported corpus, import:NAME (repeatable)."),
    ] = None,
    policy: Annotated[
        str, typer.Option(help="Annotation per article, as export: latest, majority, ...")
    ] = "latest",
    folds: Annotated[
        int, typer.Option(min=0, help="Cross-validation folds split by article (0: none).")
    ] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Train the learned layer (a CRF over the rules' decisions, and a learned lexicon).

    With neither --project nor --source, trains on every project and imported corpus.
    MODEL_DIR gets the model, the lexicon and manifest.json (data hash, label set, counts,
    cross-validated scores, training time, library versions). The store records the run
    once per model version, for `annotate report`'s learning curve (training again on the
    same data updates that record).

    Example: annotate train --source import:conll2003 --out models/conll
    """
    from annotate.cli.preannotate import _labelset
    from annotate.training import train_store

    state: State = ctx.obj
    trained = train_store(
        state.engine(),
        _labelset(None),
        out,
        projects=projects or [],
        sources=sources or [],
        policy=policy,
        folds=folds,
        progress=lambda msg: (
            err_console.print(msg, highlight=False) if err_console.is_terminal else None
        ),
    )
    manifest = trained.manifest
    if as_json:
        console.print_json(json.dumps({**manifest, "recorded": _recorded(trained)}))
        return
    cv = manifest.get("cross_validation")
    line = (
        f"{manifest['model_version']}: {manifest['articles']} article(s), "
        f"{sum(manifest['counts'].values())} spans, trained in {manifest['training_seconds']} s"
    )
    if cv:
        line += (
            f"; cross-validated F1 (by article, {cv['folds']} folds): learned "
            f"{cv['learned']['micro']['f1']:.3f}, rules {cv['rules']['micro']['f1']:.3f}"
        )
    console.print(line + f"; written to {out}", highlight=False, soft_wrap=True)
    console.print(_recorded(trained), highlight=False, soft_wrap=True)


def _recorded(trained: "Trained") -> str:
    version = trained.manifest["model_version"]
    if trained.new:
        return f"recorded {version} in the store (the report's learning curve)"
    return (
        f"{version} was recorded before (the same training data): its record is updated, "
        f"trained {trained.runs} times, still one point on the learning curve"
    )
