"""`annotate export`: the store's human annotations as a Hugging Face dataset folder."""

from pathlib import Path
from typing import Annotated

import typer

from annotate.cli.common import ProjectOpt, console, fail, progress_bar
from annotate.export.splits import DEFAULT_SPLITS


def export(
    ctx: typer.Context,
    project: ProjectOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder (default: exports/<project>-<UTC timestamp>)."),
    ] = None,
    policy: Annotated[
        str,
        typer.Option(
            help="Adjudication: latest, majority, ground-truth, annotator:EMAIL, or "
            "adjudicated (a reviewer's resolution from `annotate review`, else --fallback)."
        ),
    ] = "latest",
    fallback: Annotated[
        str,
        typer.Option(help="With --policy adjudicated: the policy for articles not reviewed."),
    ] = "latest",
    split: Annotated[
        str, typer.Option(help="Split names and ratios, summing to 1.")
    ] = DEFAULT_SPLITS,
    seed: Annotated[int, typer.Option(help="Seed of the per-article split hash.")] = 0,
    min_annotators: Annotated[
        int, typer.Option(min=1, help="Leave out articles with fewer human annotators.")
    ] = 1,
    include_unreviewed: Annotated[
        bool,
        typer.Option(
            help="Export the prediction for articles no human annotated, marked "
            "source=prediction (never as gold otherwise)."
        ),
    ] = False,
    include_invalid: Annotated[
        bool,
        typer.Option(
            help="Export articles whose only annotations failed their checks at pull, "
            "from those annotations, marked source=human-invalid (left out otherwise)."
        ),
    ] = False,
    license: Annotated[str, typer.Option(help="License id for the dataset card.")] = "other",
    language: Annotated[str, typer.Option(help="Language code for the dataset card.")] = "en",
    pretty_name: Annotated[str | None, typer.Option(help="Dataset card title.")] = None,
    targets: Annotated[
        Path | None,
        typer.Option(help="Stance targets file (YAML/JSON) if the project used custom targets."),
    ] = None,
    push_to_hub: Annotated[
        str | None,
        typer.Option(
            "--push-to-hub",
            metavar="REPO_ID",
            help="Also upload the folder to this Hub dataset repo (needs HF_TOKEN or "
            "`hf auth login`, and network).",
        ),
    ] = None,
    private: Annotated[bool, typer.Option(help="Create the Hub repo as private.")] = False,
    silver: Annotated[
        bool,
        typer.Option(
            "--silver",
            help="Export every pre-annotated article of the store instead (the newest model "
            "version, source=prediction): no project, task or Label Studio needed.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes turning articles into rows (the files are the same "
            "for any number).",
        ),
    ] = 1,
) -> None:
    """Export human-checked entities and stances as a Hugging Face dataset folder.

    Writes data/entities/<split>.parquet, data/stance/<split>.parquet and a README.md
    dataset card, so `datasets.load_dataset(DIR, "entities")` and `(DIR, "stance")` work
    locally exactly as from the Hub. Only human annotations are exported unless
    --include-unreviewed. Splits are assigned per article by a hash of its content and
    --seed: stable as articles are added, never separating one article's rows.

    --push-to-hub REPO_ID uploads the same folder (card, its picture and Parquet files,
    byte for byte) with huggingface_hub's `HfApi.upload_folder`, creating the dataset repo
    if needed.

    --policy adjudicated takes the reviewer's resolution of the articles `annotate
    review` sent to NAME-review (pulled with `annotate pull --project NAME-review`) and
    --fallback for the rest; the card says how many rows were adjudicated.

    --silver exports the pre-annotations of every article instead (same configs and card,
    every row source=prediction), for a corpus-scale dataset beside the human-checked one.

    --workers N spreads the articles over N processes, as `annotate preannotate --workers`
    does; the rows still come out in article order, so the files are byte for byte those
    of one process.

    Example: annotate export --project news --policy majority --out exports/news-v1
    """
    from annotate.errors import UsageError
    from annotate.export.adjudicate import parse_policy
    from annotate.export.hf import (
        SILVER,
        ExportOptions,
        default_out_dir,
        export_project,
        export_silver,
        project_name,
    )
    from annotate.export.splits import parse_splits
    from annotate.schemas import load_labelset, load_targets

    parsed_policy = parse_policy(policy, fallback=fallback)
    ratios = parse_splits(split)
    labels = load_labelset()
    if targets is not None:
        labels = labels.with_targets(load_targets(targets))
    if silver and (project is not None or include_invalid or policy != "latest"):
        raise UsageError(
            "--silver exports predictions: it takes no --project, --policy or --include-invalid"
        )
    engine = ctx.obj.engine()
    out_dir = out or default_out_dir(SILVER if silver else project_name(engine, project))
    options = ExportOptions(
        out_dir=out_dir,
        policy=parsed_policy,
        splits=ratios,
        project=project,
        seed=seed,
        min_annotators=min_annotators,
        include_unreviewed=include_unreviewed,
        include_invalid=include_invalid,
        license=license,
        language=language,
        pretty_name=pretty_name,
    )
    with progress_bar("export") as bar:
        job = bar.add_task("exporting articles", total=None)
        advance = lambda done, total: bar.update(job, completed=done, total=total)  # noqa: E731
        if silver:
            summary = export_silver(engine, options, labels, progress=advance, workers=workers)
        else:
            summary = export_project(
                engine,
                options,
                labels,
                progress=advance,
                reuse_identical=out is None,
                home=ctx.obj.settings.home,
                workers=workers,
            )
    _render(
        summary, adjudicated=parsed_policy.kind == "adjudicated", include_invalid=include_invalid
    )
    if push_to_hub:
        from annotate.export.hf import push_to_hub as push

        try:
            url = push(summary.out_dir, push_to_hub, private=private)
        except Exception as exc:  # network, auth, permissions: one line, not a traceback
            fail(f"push to {push_to_hub} failed ({type(exc).__name__}): {exc}")
        console.print(f"pushed to https://huggingface.co/datasets/{push_to_hub} ({url})")


def _render(summary, adjudicated: bool = False, include_invalid: bool = False) -> None:
    """The export summary: rows per split, and everything reported instead of dropped."""
    from rich.table import Table

    table = Table("config", *next(iter(summary.rows.values())).keys(), title=str(summary.out_dir))
    for config, per_split in summary.rows.items():
        table.add_row(config, *(str(n) for n in per_split.values()))
    console.print(table)
    console.print(f"sources: {summary.sources}  annotators: {len(summary.annotators)}")
    if adjudicated:
        console.print(
            f"adjudicated by a reviewer: {summary.adjudicated} (reviewers: {summary.reviewers})",
            highlight=False,
        )
    if summary.invalid_annotations:
        fate = (
            "exported as source=human-invalid where no valid annotation was left"
            if include_invalid
            else "left out (rerun with --include-invalid to export them marked human-invalid)"
        )
        console.print(
            f"{summary.invalid_annotations} annotation(s) failed their checks at pull and "
            f"were {fate}; fix them in Label Studio and pull again:",
            highlight=False,
            soft_wrap=True,
        )
        _examples(summary, summary.invalid_examples, summary.invalid_annotations)
    for title, counts, examples in (
        ("left out", summary.skipped, []),
        ("spans aligned or not taggable", summary.alignment, summary.alignment_examples),
        ("stances not exported", summary.stance_problems, summary.stance_problem_examples),
        ("ties", summary.ties, summary.tie_examples),
    ):
        if counts:
            console.print(f"{title}: {counts}", highlight=False)
            _examples(summary, examples, sum(counts.values()))
    if summary.identical_to is not None:
        console.print(
            f"identical to export run {summary.identical_to} ({summary.out_dir}): same inputs "
            "and options, nothing new recorded",
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"export run {summary.export_run_id}; inputs sha256 {summary.inputs_sha256[:16]}; "
        f"load with datasets.load_dataset({str(summary.out_dir)!r}, 'entities')",
        highlight=False,
    )


def _examples(summary, examples: list[str], total: int) -> None:
    """The first five examples, and where the rest are (nothing reported is out of reach)."""
    from annotate.export.summary import MAX_EXAMPLES, REPORT_FILE

    for example in examples[:5]:
        console.print(f"  {example}", highlight=False, markup=False, soft_wrap=True)
    if total > 5:
        console.print(
            f"  ... and {total - 5} more: the card's manifest lists the first "
            f"{min(total, MAX_EXAMPLES)}, {summary.out_dir / REPORT_FILE} all {total}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
