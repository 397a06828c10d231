"""One label list: Label Studio's config == labels.yaml == the exported ClassLabel names."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from annotate.export.features import entities_features, stance_features
from annotate.schemas import load_labelset
from annotate.studio.config import ENTITY, TARGET, label_config


def test_label_studio_labels_equal_schema_labels_equal_feature_names() -> None:
    labels = load_labelset()
    root = ET.fromstring(label_config(labels))

    def values(tag: str, name: str | None = None) -> list[str]:
        found = [el for el in root.iter(tag) if name is None or el.get("name") == name]
        # a stored value is the label's alias when it has one (targets: the id)
        return [child.get("alias") or child.get("value") for el in found for child in el]

    ls_entities = values("Labels", ENTITY)
    ls_targets = values("Labels", TARGET)
    ls_stances = values("Relations")

    assert ls_entities == labels.entity_names
    assert ls_targets == labels.target_ids
    assert ls_stances == labels.stance_names

    ner = entities_features(labels)["ner_tags"].feature
    bio = ["O"] + [f"{p}-{name}" for name in ls_entities for p in ("B", "I")]
    assert ner.names == bio == labels.bio_names

    stance = stance_features(labels)
    assert stance["target"].names == ls_targets
    assert stance["label"].names == ls_stances
    assert stance["holder_type"].names == list(labels.holder_labels)
    assert set(stance["holder_type"].names) <= set(ls_entities)
