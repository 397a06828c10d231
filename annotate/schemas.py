"""The only reader of `schemas/`: the label set and the JSON Schemas built on it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from annotate.errors import SchemaError
from annotate.resources import schemas_dir

SCHEMA_FILES = {
    "labels": "labels.schema.json",
    "article": "article.schema.json",
    "prediction": "prediction.schema.json",
    "gold": "gold.schema.json",
    "annotation": "annotation.schema.json",
    "entities-row": "entities-row.schema.json",
    "stance-row": "stance-row.schema.json",
}


@dataclass(frozen=True)
class EntityLabel:
    name: str
    description: str
    conll: str
    color: str = "#888888"
    hotkey: str | None = None


@dataclass(frozen=True)
class StanceLabel:
    name: str
    description: str


@dataclass(frozen=True)
class Target:
    id: str
    description: str
    cues: tuple[str, ...]
    name: str = ""

    @property
    def display_name(self) -> str:
        """What annotators see: the given name, else the id read as words."""
        return self.name or self.id.replace("_", " ").capitalize()


@dataclass(frozen=True)
class LabelSet:
    schema_version: int
    entities: tuple[EntityLabel, ...]
    stance_labels: tuple[StanceLabel, ...]
    holder_labels: tuple[str, ...]
    targets: tuple[Target, ...]
    guidelines: str = ""

    @property
    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities]

    @property
    def stance_names(self) -> list[str]:
        return [s.name for s in self.stance_labels]

    @property
    def target_ids(self) -> list[str]:
        return [t.id for t in self.targets]

    @cached_property
    def target_set(self) -> frozenset[str]:
        """The target ids, for membership tests (an export asks once per stance)."""
        return frozenset(self.target_ids)

    @cached_property
    def holder_set(self) -> frozenset[str]:
        """The holder labels, for membership tests."""
        return frozenset(self.holder_labels)

    @cached_property
    def stance_set(self) -> frozenset[str]:
        """The stance label names, for membership tests."""
        return frozenset(self.stance_names)

    @property
    def conll_map(self) -> dict[str, str]:
        return {e.name: e.conll for e in self.entities}

    @property
    def bio_names(self) -> list[str]:
        """Tag names in ClassLabel order: O, then B-/I- per entity label in schema order."""
        names = ["O"]
        for label in self.entity_names:
            names += [f"B-{label}", f"I-{label}"]
        return names

    def with_targets(self, targets: tuple[Target, ...]) -> LabelSet:
        return LabelSet(
            self.schema_version,
            self.entities,
            self.stance_labels,
            self.holder_labels,
            targets,
            self.guidelines,
        )

    def fingerprint(self) -> str:
        """A short hash of everything that changes what a label means."""
        payload = json.dumps(
            {
                "v": self.schema_version,
                "entities": [e.name for e in self.entities],
                "stance": self.stance_names,
                "targets": [[t.id, list(t.cues)] for t in self.targets],
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:10]


@cache
def json_schema(name: str) -> dict[str, Any]:
    return json.loads((schemas_dir() / SCHEMA_FILES[name]).read_text(encoding="utf-8"))


def validator(name: str):
    """A draft 2020-12 validator that resolves `$ref`s between the shipped schema files."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (fname, Resource.from_contents(json_schema(key))) for key, fname in SCHEMA_FILES.items()
    )
    return Draft202012Validator(json_schema(name), registry=registry)


def _problems(data: Any, schema: str) -> list[str]:
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in validator(schema).iter_errors(data)
    ]


def check_labelset_data(data: Any) -> list[str]:
    """Meta-checks beyond JSON Schema: unique names, holders known, hotkeys distinct."""
    problems = _problems(data, "labels")
    if problems:
        return problems
    names = [e["name"] for e in data["entities"]]
    for kind, values in (
        ("entities", names),
        ("stance.labels", [s["name"] for s in data["stance"]["labels"]]),
        ("targets", [t["id"] for t in data["targets"]]),
        ("hotkeys", [e["hotkey"] for e in data["entities"] if e.get("hotkey")]),
    ):
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            problems.append(f"{kind}: duplicate {', '.join(dupes)}")
    for holder in data["stance"]["holder_labels"]:
        if holder not in names:
            problems.append(f"stance.holder_labels: {holder} is not an entity label")
    for target in data["targets"]:
        if not any(c.strip() for c in target["cues"]):
            problems.append(f"targets/{target['id']}/cues: no cue words")
    return problems


def _targets_from(items: list[dict[str, Any]]) -> tuple[Target, ...]:
    return tuple(
        Target(t["id"], t["description"], tuple(t["cues"]), t.get("name", "")) for t in items
    )


def load_labelset(path: Path | None = None, check: bool = True) -> LabelSet:
    """The label set of `path` (the packaged schemas/labels.yaml by default).

    `check=False` skips the JSON Schema check (jsonschema's import and validator cost
    0.2 s) for a command that only reads the label set's fingerprint, such as `annotate
    status`; a file it cannot read is still a SchemaError naming `annotate validate`.
    """
    path = path or schemas_dir() / "labels.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if check:
        problems = check_labelset_data(data)
        if problems:
            raise SchemaError(f"{path}: {problems[0]}")
    try:
        return _labelset_from(path, data)
    except (KeyError, TypeError, AttributeError) as exc:
        raise SchemaError(
            f"{path}: not a valid label set ({type(exc).__name__}: {exc}); "
            "run `annotate validate` for the details"
        ) from None


def _labelset_from(path: Path, data: Any) -> LabelSet:
    guidelines_file = path.parent / data.get("guidelines", "GUIDELINES.md")
    return LabelSet(
        schema_version=data["schema_version"],
        entities=tuple(EntityLabel(**e) for e in data["entities"]),
        stance_labels=tuple(StanceLabel(**s) for s in data["stance"]["labels"]),
        holder_labels=tuple(data["stance"]["holder_labels"]),
        targets=_targets_from(data["targets"]),
        guidelines=guidelines_file.read_text(encoding="utf-8") if guidelines_file.is_file() else "",
    )


def load_targets(path: Path) -> tuple[Target, ...]:
    """Read a `--targets` file: a YAML or JSON list of {id, description, cues}."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SchemaError(f"{path}: cannot read targets: {exc}") from None
    if isinstance(data, dict) and "targets" in data:
        data = data["targets"]
    from jsonschema import Draft202012Validator

    labels_schema = json_schema("labels")
    schema = {"$schema": labels_schema["$schema"], **labels_schema["$defs"]["targets"]}
    for err in Draft202012Validator(schema).iter_errors(data):
        where = "/".join(str(p) for p in err.absolute_path) or "<root>"
        raise SchemaError(f"{path}: {where}: {err.message}")
    ids = [t["id"] for t in data]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SchemaError(f"{path}: duplicate target id {', '.join(dupes)}")
    return _targets_from(data)
