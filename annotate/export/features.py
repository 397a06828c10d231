"""Typed `datasets.Features` of the exported configs, generated from the label schema.

ClassLabel names come from `LabelSet` only, so ids follow the schema's (append-only)
order and never drift from Label Studio's labels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from annotate.schemas import LabelSet

if TYPE_CHECKING:
    from datasets import Features

CONFIGS = ("entities", "stance")
# `human-invalid`: an annotation that failed its pull checks, exported only with
# --include-invalid (for inspection, never as gold).
SOURCES = ("human", "prediction", "human-invalid")


def entities_features(labels: LabelSet) -> Features:
    """One row per article: tokens with offsets, BIO tags and the character spans."""
    from datasets import ClassLabel, Features, List, Value

    return Features(
        {
            "id": Value("string"),
            "article_id": Value("string"),
            "text": Value("string"),
            "tokens": List(Value("string")),
            "token_offsets": List({"start": Value("int32"), "end": Value("int32")}),
            "ner_tags": List(ClassLabel(names=labels.bio_names)),
            "spans": List(
                {"start": Value("int32"), "end": Value("int32"), "label": Value("string")}
            ),
            "annotators": List(Value("string")),
            "n_annotators": Value("int32"),
            "agreement": Value("float64"),
            "source": Value("string"),
        }
    )


def stance_features(labels: LabelSet) -> Features:
    """One row per (holder, target, label) triple, grounded in its evidence sentence."""
    from datasets import ClassLabel, Features, Value

    return Features(
        {
            "id": Value("string"),
            "article_id": Value("string"),
            "sentence": Value("string"),
            "sentence_start": Value("int32"),
            "holder": Value("string"),
            "holder_type": ClassLabel(names=list(labels.holder_labels)),
            "holder_start": Value("int32"),
            "holder_end": Value("int32"),
            "target": ClassLabel(names=labels.target_ids),
            "label": ClassLabel(names=labels.stance_names),
            "n_annotators": Value("int32"),
            "agreement": Value("float64"),
            "source": Value("string"),
        }
    )


def features_for(config: str, labels: LabelSet) -> Features:
    if config == "entities":
        return entities_features(labels)
    if config == "stance":
        return stance_features(labels)
    raise ValueError(f"unknown config {config!r}; expected one of {', '.join(CONFIGS)}")
