"""The rules' label words come from the LabelSet: a label missing there is an error, not loss."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

import annotate.preannotate
from annotate.preannotate.labels import RuleLabels
from annotate.preannotate.model import PreAnnotator
from annotate.resources import schemas_dir
from annotate.schemas import LabelSet, SchemaError, load_labelset, load_targets

GOLD = Path(__file__).parent / "fixtures" / "gold"
RULES = Path(annotate.preannotate.__file__).parent
LABEL_WORDS = ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "support", "oppose", "neutral")


def renamed_schema(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of schemas/ whose labels.yaml calls label ``old`` ``new`` everywhere."""
    shutil.copytree(schemas_dir(), tmp_path / "schemas")
    path = tmp_path / "schemas" / "labels.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in data["entities"] + data["stance"]["labels"]:
        if item["name"] == old:
            item["name"] = new
    data["stance"]["holder_labels"] = [
        new if h == old else h for h in data["stance"]["holder_labels"]
    ]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("old", ["GPE", "oppose"])
def test_a_label_renamed_in_labels_yaml_stops_the_pre_annotator(tmp_path, old):
    labelset = load_labelset(renamed_schema(tmp_path, old, "RENAMED"))
    assert old not in labelset.entity_names + labelset.stance_names
    with pytest.raises(SchemaError) as err:
        PreAnnotator(labelset)
    message = str(err.value)
    assert "\n" not in message
    assert f"emit {old}," in message
    assert "labels.yaml" in message and "add it back" in message


def test_every_missing_label_is_named(tmp_path):
    path = renamed_schema(tmp_path, "EVENT", "HAPPENING")
    labelset = load_labelset(path)
    labelset = LabelSet(
        labelset.schema_version,
        labelset.entities,
        tuple(s for s in labelset.stance_labels if s.name != "neutral"),
        labelset.holder_labels,
        labelset.targets,
    )
    with pytest.raises(SchemaError, match=r"emit EVENT, neutral, .* add them back"):
        RuleLabels.from_labelset(labelset)


def test_mapping_to_a_label_the_set_lacks_is_refused():
    with pytest.raises(SchemaError, match="COUNTRY"):
        RuleLabels.from_labelset(load_labelset(), {"GPE": "COUNTRY"})
    with pytest.raises(SchemaError, match="cannot map PLACE"):
        RuleLabels.from_labelset(load_labelset(), {"PLACE": "GPE"})


def gold_texts() -> list[str]:
    lines = (GOLD / "news.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines]


def used_labels(model: PreAnnotator) -> tuple[set[str], set[str], set[str]]:
    ents, holders, stances = set(), set(), set()
    for text in gold_texts():
        rec = model.predict(text, "t")
        ents |= {e["label"] for e in rec["entities"]}
        holders |= {s["holder"]["label"] for s in rec["stances"]}
        stances |= {s["label"] for s in rec["stances"]}
    return ents, holders, stances


@pytest.mark.parametrize(("old", "new"), [(None, None), ("GPE", "COUNTRY"), ("oppose", "against")])
def test_predictions_only_use_labels_of_the_label_set(tmp_path, old, new):
    labelset = load_labelset(renamed_schema(tmp_path, old, new) if old else None)
    labelset = labelset.with_targets(load_targets(GOLD / "targets.yaml"))
    labels = RuleLabels.from_labelset(labelset, {old: new} if old else None)
    ents, holders, stances = used_labels(PreAnnotator(labelset, labels))
    assert ents <= set(labelset.entity_names)
    assert holders <= set(labelset.holder_labels)
    assert stances <= set(labelset.stance_names)
    # The gold news uses every label: none may go missing on the way.
    assert ents == set(labelset.entity_names)
    assert stances == set(labelset.stance_names)
    if new:
        assert new in ents | stances


def test_no_rule_module_spells_a_label():
    literal = re.compile("[\"'](?:" + "|".join(LABEL_WORDS) + ")[\"']")
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(RULES.glob("*.py"))
        if path.name != "labels.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line)
    ]
    assert found == []
