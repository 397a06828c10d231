"""Validation of the schemas themselves and of article, prediction and gold JSONL files.

JSON Schema (jsonschema) checks the shape; the semantic checks below check what a schema
cannot: labels known to labels.yaml, offsets inside the text, `text` equal to the slice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from annotate import spans as sp
from annotate.jsonl import TooDeep, parse_json
from annotate.problem import Problem
from annotate.schemas import (
    SCHEMA_FILES,
    LabelSet,
    check_labelset_data,
    json_schema,
    load_labelset,
    validator,
)


def check_schemas() -> list[Problem]:
    """Meta-validate every shipped JSON Schema, the label set, and the generated LS config."""
    import yaml
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from annotate.resources import schemas_dir

    problems: list[Problem] = []
    for name, fname in SCHEMA_FILES.items():
        try:
            Draft202012Validator.check_schema(json_schema(name))
        except SchemaError as exc:
            problems.append(Problem(fname, "/".join(map(str, exc.path)) or "<root>", exc.message))
    labels_file = schemas_dir() / "labels.yaml"
    data = yaml.safe_load(labels_file.read_text(encoding="utf-8"))
    for problem in check_labelset_data(data):
        field, _, message = problem.partition(": ")
        problems.append(Problem("labels.yaml", field, message))
    if not problems:
        problems += _label_config_problems(load_labelset())
    return problems


def _label_config_problems(labelset: LabelSet) -> list[Problem]:
    try:
        from annotate.studio.config import config_problems
    except ImportError:
        return []
    return [Problem("label config", "xml", p) for p in config_problems(labelset)]


def json_path(parts: Iterable[str | int]) -> str:
    """`entities[0].start`, the way the semantic checks name fields too."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<record>"


def _detect_kind(record: dict[str, Any]) -> str:
    if "entities" in record or "stances" in record:
        return "gold" if "text" in record else "prediction"
    return "article"


def _span_problems(
    where: str, field: str, span: dict[str, Any], text: str | None, name: bool
) -> Iterator[Problem]:
    """Offsets that cannot stand on the text, by the one rule of `spans.check_span`.

    `name`: the span marks a name (an entity, a holder), so whitespace at an edge is a
    problem too and its `text` must equal the slice; evidence and target ranges are only
    checked to lie inside the text.
    """
    start, end = span.get("start"), span.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        # JSON Schema's "integer" takes 3.0; Label Studio and slicing do not.
        if any(isinstance(x, float) and x.is_integer() for x in (start, end)):
            yield Problem(where, field, f"offsets {start!r}, {end!r} must be written as integers")
        return
    if start >= end:
        yield Problem(where, field, f"start {start} is not before end {end}")
        return
    if text is None:
        return
    if end > len(text):
        yield Problem(
            where, field, f"end {end} is past the end of the text ({len(text)} characters)"
        )
        return
    if not name:
        return
    for problem in sp.check_span(text, sp.Span(start, end, "")):
        yield Problem(where, field, problem)
    if "text" in span and text[start:end] != span["text"]:
        yield Problem(
            where,
            field,
            f"text {span['text']!r} differs from the text at {start}:{end}: {text[start:end]!r}",
        )


def semantic_problems(
    where: str, record: dict[str, Any], labelset: LabelSet, text: str | None
) -> Iterator[Problem]:
    """Checks beyond the JSON Schema for a prediction or gold record."""
    entity_labels = set(labelset.entity_names)
    targets = set(labelset.target_ids)
    for i, ent in enumerate(record.get("entities", [])):
        field = f"entities[{i}]"
        if ent.get("label") not in entity_labels:
            yield Problem(where, f"{field}.label", f"unknown label {ent.get('label')!r}")
        yield from _span_problems(where, field, ent, text, True)
    for i, stance in enumerate(record.get("stances", [])):
        field = f"stances[{i}]"
        holder = stance.get("holder", {})
        if holder.get("label") not in labelset.holder_labels:
            yield Problem(
                where, f"{field}.holder.label", f"{holder.get('label')!r} cannot hold a stance"
            )
        if stance.get("target") not in targets:
            yield Problem(where, f"{field}.target", f"unknown target {stance.get('target')!r}")
        yield from _span_problems(where, f"{field}.holder", holder, text, True)
        for key in ("evidence", "target_span"):
            if key in stance:
                yield from _span_problems(
                    where, f"{field}.{key}", stance[key], text, key == "target_span"
                )


def _walkable(record: dict[str, Any]) -> bool:
    """Whether semantic_problems can walk the record; when not, its schema errors say why."""

    def span_ok(span: Any, labelled: bool) -> bool:
        return isinstance(span, dict) and (not labelled or isinstance(span.get("label", ""), str))

    entities, stances = record.get("entities", []), record.get("stances", [])
    if not isinstance(entities, list) or not isinstance(stances, list):
        return False
    return all(span_ok(ent, True) for ent in entities) and all(
        isinstance(st, dict)
        and span_ok(st.get("holder", {}), True)
        and isinstance(st.get("target", ""), str)
        and all(span_ok(st[key], False) for key in ("evidence", "target_span") if key in st)
        for st in stances
    )


def overlap_problems(where: str, record: dict[str, Any]) -> Iterator[Problem]:
    """Each pair of entities sharing a character; the dataset has one label per character."""
    entities = record.get("entities")
    spans = sorted(
        (ent["start"], ent["end"], i, ent.get("label"))
        for i, ent in enumerate(entities if isinstance(entities, list) else [])
        if isinstance(ent, dict)
        and isinstance(ent.get("start"), int)
        and isinstance(ent.get("end"), int)
        and ent["start"] < ent["end"]
    )
    open_spans: list[tuple[int, int, int, Any]] = []
    pairs: list[tuple[int, int]] = []
    by_index = {span[2]: span for span in spans}
    for span in spans:
        open_spans = [o for o in open_spans if o[1] > span[0]]
        pairs += [(max(span[2], o[2]), min(span[2], o[2])) for o in open_spans]
        open_spans.append(span)
    for j, i in sorted(pairs):
        start, end, _, label = by_index[i]
        same = by_index[j][:2] == (start, end) and by_index[j][3] == label
        verb = "repeats" if same else "overlaps"
        yield Problem(where, f"entities[{j}]", f"{verb} entities[{i}] [{start}, {end})")


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield 0, Problem(str(path), "file", f"cannot open: {exc.strerror}")
        return
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                record = parse_json(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
            except UnicodeDecodeError as exc:
                yield lineno, Problem(where, "line", f"invalid UTF-8 at byte {exc.start}")
                continue
            except TooDeep as exc:
                yield lineno, Problem(where, "line", str(exc))
                continue
            except json.JSONDecodeError as exc:
                yield lineno, Problem(where, "line", f"malformed JSON: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield lineno, Problem(where, "line", "not a JSON object")
                continue
            yield lineno, record


def _article_texts(paths: Iterable[Path]) -> dict[str, str]:
    """Texts of the article and gold files given, so prediction offsets can be checked."""
    texts: dict[str, str] = {}
    for path in paths:
        for _, record in _read_jsonl(path):
            if isinstance(record, dict) and "id" in record and isinstance(record.get("text"), str):
                texts[str(record["id"])] = record["text"]
    return texts


def validate_files(
    paths: list[Path], labelset: LabelSet | None = None, kind: str | None = None
) -> Iterator[Problem]:
    """Every problem in the given JSONL files (and export folders), in file and line order."""
    labelset = labelset or load_labelset()
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            yield from _validate_export_dir(path)
        elif path.is_file():
            files.append(path)
        else:
            yield Problem(str(path), "file", "no such file or folder")
    texts = _article_texts(files)
    validators = {name: validator(name) for name in ("article", "prediction", "gold")}
    for path in files:
        file_kind = kind
        seen = False
        for lineno, record in _read_jsonl(path):
            if isinstance(record, Problem):
                yield record
                continue
            seen = True
            where = f"{path}:{lineno}"
            file_kind = file_kind or _detect_kind(record)
            for err in sorted(
                validators[file_kind].iter_errors(record), key=lambda e: list(e.absolute_path)
            ):
                yield Problem(where, json_path(err.absolute_path), err.message)
            if file_kind == "article":
                continue
            text = record.get("text") if file_kind == "gold" else texts.get(str(record.get("id")))
            if not _walkable(record):
                continue
            yield from semantic_problems(
                where, record, labelset, text if isinstance(text, str) else None
            )
            yield from overlap_problems(where, record)
        if not seen:
            yield Problem(str(path), "file", "no records (empty file)")


def _validate_export_dir(path: Path) -> Iterator[Problem]:
    try:
        from annotate.export.check import validate_export
    except ImportError:
        yield Problem(str(path), "folder", "is a folder; give JSONL files")
        return
    yield from validate_export(path)
