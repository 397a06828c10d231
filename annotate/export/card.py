"""The dataset card (README.md): a generated YAML header and a body built from the export.

The header is produced by `huggingface_hub.DatasetCardData` plus the `datasets` helpers the
library itself uses when pushing (`DatasetInfosDict`, `MetadataConfigs`), never templated by
hand, so the Hub and `load_dataset` read it the way they read their own. The card holds
no clock time: the same export gives the same card (the store's ExportRun has the time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from annotate.export.features import CONFIGS, features_for
from annotate.export.summary import (
    MAX_EXAMPLES,
    PLOT_FILE,
    REPORT_FILE,
    ExportOptions,
    ExportSummary,
)
from annotate.schemas import LabelSet

TASKS = {
    "entities": ("token-classification", "named-entity-recognition"),
    "stance": ("text-classification", "multi-class-classification"),
}

POLICY_TEXT = {
    "latest": "each article's most recently updated human annotation is the gold one.",
    "majority": (
        "per entity span (exact offsets) and per stance (holder name, target, evidence "
        'sentence) the option most annotators chose wins, "not marked" being an option; '
        "ties go to the most recent annotator among the tied options and are counted below."
    ),
    "ground-truth": (
        "the annotation marked *ground truth* in Label Studio is the gold one; articles "
        "without one are left out (counted below)."
    ),
    "annotator": "the named annotator's annotation is the gold one; other articles are left out.",
    "adjudicated": (
        "where annotators disagreed, `annotate review` sent the article to a review project "
        "and a reviewer's resolution is the gold one; other articles follow the fallback "
        "policy."
    ),
}


def adjudication_text(summary: ExportSummary, options: ExportOptions) -> str:
    """What the `adjudicated` policy did: the fallback, and how many rows a reviewer settled."""
    policy = options.policy
    if policy.kind != "adjudicated" or policy.fallback is None:
        return ""
    adj = summary.adjudicated
    rows = {c: sum(per_split.values()) for c, per_split in summary.rows.items()}
    reviewers = ", ".join(f"{who} ({n})" for who, n in summary.reviewers.items()) or "none"
    return (
        f" Fallback `{policy.fallback}`: {POLICY_TEXT[policy.fallback.kind]}"
        f" Adjudicated by a reviewer: {adj.get('entities_rows', 0)} of "
        f"{rows.get('entities', 0)} entities rows and {adj.get('stance_rows', 0)} of "
        f"{rows.get('stance', 0)} stance rows (reviewers, articles: {reviewers})."
    )


def size_category(n: int) -> str:
    """The Hub's size bucket for a number of rows."""
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
        (10_000_000, "1M<n<10M"),
    ):
        if n < limit:
            return name
    return "10M<n<100M"


def card_data(summary: ExportSummary, options: ExportOptions, labels: LabelSet):
    """The YAML header: configs with data_files, dataset_info features, task metadata."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    total = sum(sum(splits.values()) for splits in summary.rows.values())
    creators = ["expert-generated"]
    if summary.sources.get("prediction"):
        creators.append("machine-generated")
    data = DatasetCardData(
        language=[options.language],
        license=options.license,
        annotations_creators=creators,
        language_creators=["found"],
        multilinguality="monolingual",
        size_categories=[size_category(total)],
        source_datasets=["original"],
        task_categories=sorted({TASKS[c][0] for c in CONFIGS}),
        task_ids=sorted({TASKS[c][1] for c in CONFIGS}),
        pretty_name=pretty_name(summary, options),
        tags=["stance-detection", "news", "annotate"],
    )
    files = summary.data_files()
    MetadataConfigs(
        {
            config: {
                "data_files": [
                    {"split": split, "path": f"data/{config}/{split}.parquet"} for split in splits
                ]
            }
            for config, splits in files.items()
        }
    ).to_dataset_card_data(data)
    infos = {}
    for config, splits in files.items():
        split_dict = SplitDict()
        for split in splits:
            split_dict.add(
                SplitInfo(
                    name=split,
                    num_bytes=summary.num_bytes[config][split],
                    num_examples=summary.rows[config][split],
                )
            )
        infos[config] = DatasetInfo(
            features=features_for(config, labels),
            splits=split_dict,
            dataset_size=sum(summary.num_bytes[config].values()),
        )
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def pretty_name(summary: ExportSummary, options: ExportOptions) -> str:
    return options.pretty_name or f"{summary.project}: entities and stance in news"


def _counts_table(counts: dict[str, dict[str, int]], splits: list[str], first: str) -> str:
    if not counts:
        return "_none_\n"
    lines = [f"| {first} | " + " | ".join(splits) + " | total |", "|---" * (len(splits) + 2) + "|"]
    for key in sorted(counts):
        per = counts[key]
        cells = [str(per.get(s, 0)) for s in splits]
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {sum(per.values())} |")
    return "\n".join(lines) + "\n"


def _fmt(x: Any) -> str:
    if isinstance(x, dict):
        return ", ".join(f"{k}: {v}" for k, v in x.items())
    return "n/a" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def card_body(summary: ExportSummary, options: ExportOptions, labels: LabelSet) -> str:
    """Markdown: what the data is, labels, counts, annotators, agreement, policy, manifest."""
    splits = list(options.splits)
    missing = [c for c in CONFIGS if c not in summary.data_files()]
    name = pretty_name(summary, options)
    rows = summary.rows
    agreement = summary.agreement
    out = [
        f"# {name}\n",
        "News articles annotated with named entities and stances (holder, target, "
        f"support/oppose/neutral) in Label Studio, exported by `annotate` from project "
        f"`{summary.project}`. Only human annotations are gold"
        + (
            "; articles nobody reviewed carry the model's prediction and are marked "
            '`source = "prediction"`.'
            if summary.sources.get("prediction")
            else "; no model prediction appears in this data."
        )
        + "\n",
        "```python\nfrom datasets import load_dataset\n"
        'entities = load_dataset("<this repo or folder>", "entities")\n'
        'stance = load_dataset("<this repo or folder>", "stance")\n```\n',
        *at_a_glance(summary, options),
        "## Configurations\n",
        "- `entities`: one row per article: `text`, `tokens` with `token_offsets` "
        "(character offsets, end exclusive), `ner_tags` (BIO, `ClassLabel`), `spans` "
        "(the annotated character spans), `annotators`, `n_annotators`, `agreement` "
        "(mean pairwise exact span F1 between annotators), `source` (`human`, "
        "`prediction` with --include-unreviewed, `human-invalid` with --include-invalid).",
        "- `stance`: one row per stance triple: the evidence `sentence` and its "
        "`sentence_start` in the article, `holder` with `holder_type` (`ClassLabel`) and "
        "`holder_start`/`holder_end` (offsets into the article text: subtract "
        "`sentence_start` to index `sentence` when the holder lies in it), `target` and "
        "`label` (`ClassLabel`), `n_annotators`, `agreement` (share of the article's "
        "annotators who gave this label), `source`.\n",
        "Offsets count Unicode code points, end exclusive. Splits are assigned per article "
        f"by a hash of its content and the seed ({options.seed}): an article's rows never "
        "straddle splits and an article keeps its split when new articles are added.\n",
        "| config | " + " | ".join(splits) + " |",
        "|---" * (len(splits) + 1) + "|",
        *[f"| {c} | " + " | ".join(str(rows[c].get(s, 0)) for s in splits) + " |" for c in CONFIGS],
        "",
        "Splits without rows have no file and are not declared in the header"
        + (f"; config(s) {', '.join(missing)} have no rows at all." if missing else ".")
        + "\n",
        "## Labels\n",
        "### Entities\n",
        "| label | CoNLL | definition |",
        "|---|---|---|",
        *[f"| {e.name} | {e.conll} | {' '.join(e.description.split())} |" for e in labels.entities],
        "",
        f"`ner_tags` ids: {', '.join(f'{i}={n}' for i, n in enumerate(labels.bio_names))}.\n",
        "### Stance\n",
        "| label | definition |",
        "|---|---|",
        *[f"| {s.name} | {' '.join(s.description.split())} |" for s in labels.stance_labels],
        "",
        f"Holder types: {', '.join(labels.holder_labels)}.\n",
        "| target | definition | cues |",
        "|---|---|---|",
        *[f"| {t.id} | {t.description} | {', '.join(t.cues)} |" for t in labels.targets],
        "",
        "## Counts\n",
        "### Entity spans per label and split\n",
        _counts_table(summary.entity_counts, splits, "label"),
        "### Stances per label and split\n",
        _counts_table(summary.stance_counts, splits, "label"),
        "### Stances per target and split\n",
        _counts_table(summary.target_counts, splits, "target"),
        "## Annotators\n",
        "| annotator | articles |",
        "|---|---|",
        *[f"| {who} | {n} |" for who, n in summary.annotators.items()],
        "",
        "## Agreement\n",
        f"Over the {agreement.get('articles_with_2plus_annotators', 0)} articles with two or "
        "more annotators. Entities: exact span F1 between pairs of annotators. Stance: "
        'Krippendorff\'s alpha (nominal, "no stance" counted as a value) over '
        f"{agreement.get('stance_units', 0)} stance units, per label one-vs-rest, and the "
        "mean pairwise Cohen's kappa.\n",
        "| entity label | span F1 |",
        "|---|---|",
        *[f"| {k} | {_fmt(v)} |" for k, v in agreement.get("entities_span_f1", {}).items()],
        "",
        "| stance label | Krippendorff's alpha |",
        "|---|---|",
        *[
            f"| {k} | {_fmt(v)} |"
            for k, v in agreement.get("stance_krippendorff_alpha", {}).items()
        ],
        "",
        f"Mean pairwise Cohen's kappa (stance): "
        f"{_fmt(agreement.get('stance_cohen_kappa_mean_pairwise'))}.\n",
        "## Adjudication\n",
        f"Policy `{options.policy}`: {POLICY_TEXT[options.policy.kind]}"
        + adjudication_text(summary, options)
        + (
            f" Minimum annotators per article: {options.min_annotators}."
            if options.min_annotators > 1
            else ""
        )
        + "\n",
        f"Ties: {_fmt(summary.ties or 'none')}. Articles left out: {_fmt(summary.skipped or 'none')}.\n",
        invalid_text(summary, options),
        "Entity spans that do not fall on token boundaries are widened outward for "
        "`ner_tags` (the `spans` column keeps the annotated offsets), counted as "
        "`grapheme` when an end cuts a character (a grapheme cluster); spans overlapping "
        "an earlier span cannot be BIO-tagged and keep only their `spans` entry. "
        f"Counts: {_fmt(summary.alignment or 'none')}.\n",
        "## Pre-annotation\n",
        "Model versions pushed with the tasks (tasks per version): "
        + (", ".join(f"`{v}` ({n})" for v, n in summary.model_versions.items()) or "none")
        + ".\n",
        "## Schema\n",
        f"Label schema version {labels.schema_version} (fingerprint "
        f"`{labels.fingerprint()}`). Labels are only ever appended, so `ClassLabel` ids "
        "keep their meaning across versions.\n",
    ]
    if labels.guidelines:
        out += [
            "<details><summary>Annotation guidelines</summary>\n",
            ("\n" + labels.guidelines.strip()).replace("\n# ", "\n### ").replace("\n## ", "\n### "),
            "\n</details>\n",
        ]
    out += [
        "## Manifest\n",
        f"The manifest keeps the first {MAX_EXAMPLES} examples of each kind of reported item; "
        f"`{REPORT_FILE}` in the export folder lists every one (it is not uploaded to the Hub).\n",
        "```json",
        json.dumps(summary.manifest(options, labels), indent=2, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(out)


def _splits(options: ExportOptions) -> list[str]:
    return [s for s, ratio in options.splits.items() if ratio > 0]


def at_a_glance(summary: ExportSummary, options: ExportOptions) -> list[str]:
    """The key figures and the label picture, right under the title."""
    rows = summary.rows
    agreement = summary.agreement
    articles = sum(rows.get("entities", {}).values())
    per_split = ", ".join(f"{s} {rows.get('entities', {}).get(s, 0)}" for s in _splits(options))
    spans = sum(n for per in summary.entity_counts.values() for n in per.values())
    f1 = agreement.get("entities_span_f1", {}).get("all")
    return [
        "## At a glance\n",
        "| articles | entity spans | stances | annotators | entity span F1 | stance kappa |",
        "|---|---|---|---|---|---|",
        f"| {articles} ({per_split}) | {spans} | {sum(rows.get('stance', {}).values())} | "
        f"{len(summary.annotators)} | {_fmt(f1)} | "
        f"{_fmt(agreement.get('stance_cohen_kappa_mean_pairwise'))} |",
        "",
        f"![Entity spans and stances per label and split]({PLOT_FILE})\n",
    ]


def label_plot(summary: ExportSummary, options: ExportOptions, labels: LabelSet) -> str:
    """The card's picture, drawn by the same code as `annotate report`'s (deterministic SVG)."""
    from annotate import plots

    return plots.label_distribution(
        "labels",
        _splits(options),
        labels.entity_names,
        summary.entity_counts,
        labels.stance_names,
        summary.stance_counts,
    )


def invalid_text(summary: ExportSummary, options: ExportOptions) -> str:
    """What became of the annotations that failed their checks at pull (never gold)."""
    if not summary.invalid_annotations:
        return "No annotation failed its checks at pull.\n"
    fate = (
        "articles with no valid annotation are exported from them, marked "
        '`source = "human-invalid"` (`--include-invalid`); never use those rows as gold'
        if options.include_invalid
        else "their articles use the other annotators' annotations, or are left out"
    )
    lines = [
        f"{summary.invalid_annotations} annotation(s) failed their checks at pull (an "
        f"unknown label, a span outside the text...) and are not used as labels: {fate}. "
        "Examples:\n",
        *[f"- {e}" for e in summary.invalid_examples],
        "",
    ]
    return "\n".join(lines)


def write_card(
    root: Path, summary: ExportSummary, options: ExportOptions, labels: LabelSet
) -> Path:
    """Write README.md (YAML header + body) and its picture into the export folder."""
    from huggingface_hub import DatasetCard

    (root / PLOT_FILE).write_text(label_plot(summary, options, labels), encoding="utf-8")
    data = card_data(summary, options, labels)
    card = DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{card_body(summary, options, labels)}")
    path = root / "README.md"
    card.save(path)
    return path
