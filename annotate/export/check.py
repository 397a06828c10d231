"""Check an export folder the way a consumer would meet it (used by `annotate validate DIR`).

Every row against the export JSON Schemas; tokens, offsets and tags line up; spans inside
the text; BIO well-formed; stance sentences and holders equal their slice of the article;
no article in two splits; and the card's YAML header parses and matches the files and the
label schema. Reads Parquet in batches, so large exports are checked in flat memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate import spans as sp
from annotate.export.features import CONFIGS, SOURCES, features_for
from annotate.problem import Problem
from annotate.schemas import LabelSet, load_labelset, validator


def _header(root: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    import yaml

    readme = root / "README.md"
    if not readme.is_file():
        return None, [Problem(str(root), "README.md", "missing dataset card")]
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        return None, [Problem(str(readme), "header", "no YAML header between --- lines")]
    try:
        header = yaml.safe_load(text[4 : text.index("\n---", 4)])
    except yaml.YAMLError as exc:
        return None, [Problem(str(readme), "header", f"YAML does not parse: {exc}")]
    if not isinstance(header, dict):
        return None, [Problem(str(readme), "header", "YAML header is not a mapping")]
    problems = [
        Problem(str(readme), key, "missing from the card header")
        for key in (
            "configs",
            "dataset_info",
            "task_categories",
            "task_ids",
            "language",
            "license",
            "size_categories",
            "annotations_creators",
            "pretty_name",
        )
        if key not in header
    ]
    return header, problems


def _declared(root: Path, header: dict[str, Any], labels: LabelSet) -> Iterator[Problem]:
    """Configs, files and features in the header agree with the folder and the schema."""
    from datasets import Features

    readme = str(root / "README.md")
    declared_paths = set()
    for config in header.get("configs") or []:
        name = config.get("config_name")
        if name not in CONFIGS:
            yield Problem(readme, "configs", f"unknown config {name!r}")
            continue
        for entry in config.get("data_files") or []:
            path = root / str(entry.get("path"))
            declared_paths.add(path.resolve())
            if not path.is_file():
                yield Problem(readme, f"configs/{name}", f"{entry.get('path')} does not exist")
    for path in sorted((root / "data").rglob("*.parquet")) if (root / "data").is_dir() else []:
        if path.resolve() not in declared_paths:
            yield Problem(str(path), "file", "not declared in the card's configs")
    infos = header.get("dataset_info") or []
    for info in [infos] if isinstance(infos, dict) else infos:
        name = info.get("config_name")
        if name not in CONFIGS:
            continue
        try:
            declared = Features._from_yaml_list(info.get("features") or [])
        except Exception as exc:  # any malformed YAML feature list
            yield Problem(readme, f"dataset_info/{name}", f"features do not parse: {exc}")
            continue
        if declared != features_for(name, labels):
            yield Problem(readme, f"dataset_info/{name}", "features differ from the label schema's")
        for split in info.get("splits") or []:
            path = root / "data" / name / f"{split.get('name')}.parquet"
            if path.is_file():
                import pyarrow.parquet as pq

                rows = pq.ParquetFile(path).metadata.num_rows
                if rows != split.get("num_examples"):
                    yield Problem(
                        readme,
                        f"dataset_info/{name}/{split.get('name')}",
                        f"num_examples {split.get('num_examples')} but the file has {rows} rows",
                    )


# Per-token arrays are typed by the Parquet schema (checked against the Features for every
# file), and every item's value is checked in Python below; the JSON Schema sees their
# first item only. Validating thousands of tokens per row item by item through jsonschema
# would take minutes per thousand articles.
_PER_TOKEN = ("tokens", "token_offsets", "ner_tags")


def _schema_view(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[:1] if k in _PER_TOKEN else v) for k, v in row.items()}


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pyarrow.parquet as pq

    n = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1000):
        for row in batch.to_pylist():
            yield n, row
            n += 1


def _entity_problems(row: dict[str, Any], labels: LabelSet) -> Iterator[tuple[str, str]]:
    text, tokens, offsets, tags = row["text"], row["tokens"], row["token_offsets"], row["ner_tags"]
    if not (len(tokens) == len(offsets) == len(tags)):
        yield "tokens", f"{len(tokens)} tokens, {len(offsets)} offsets, {len(tags)} tags"
        return
    for i, (tok, off) in enumerate(zip(tokens, offsets, strict=True)):
        if not 0 <= off["start"] <= off["end"] <= len(text):
            yield f"token_offsets/{i}", f"[{off['start']}, {off['end']}) outside the text"
            break
        if text[off["start"] : off["end"]] != tok:
            yield f"token_offsets/{i}", f"text[{off['start']}:{off['end']}] is not {tok!r}"
            break
    names = labels.bio_names
    if any(not 0 <= t < len(names) for t in tags):
        yield "ner_tags", f"tag id outside 0..{len(names) - 1}"
        return
    for problem in sp.bio_problems([names[t] for t in tags], labels.entity_names):
        yield "ner_tags", problem
    for i, s in enumerate(row["spans"]):
        span = sp.Span(s["start"], s["end"], s["label"])
        for problem in sp.check_span(text, span, labels.entity_names):
            yield f"spans/{i}", problem
    if row["n_annotators"] != len(row["annotators"]):
        yield "n_annotators", f"{row['n_annotators']} but {len(row['annotators'])} annotators"


def _stance_problems(
    row: dict[str, Any], labels: LabelSet, texts: dict[str, str]
) -> Iterator[tuple[str, str]]:
    for key, names in (
        ("holder_type", labels.holder_labels),
        ("target", labels.target_ids),
        ("label", labels.stance_names),
    ):
        if row[key] >= len(names):
            yield key, f"id {row[key]} outside 0..{len(names) - 1}"
    if row["holder_end"] <= row["holder_start"]:
        yield "holder_end", "holder span is empty or reversed"
    text = texts.get(row["article_id"])
    if text is None:
        return
    start = row["sentence_start"]
    if text[start : start + len(row["sentence"])] != row["sentence"]:
        yield "sentence", f"is not the article text at {start}"
    if text[row["holder_start"] : row["holder_end"]] != row["holder"]:
        yield "holder", f"is not text[{row['holder_start']}:{row['holder_end']}]"


def _card_images(root: Path) -> Iterator[Problem]:
    """Every picture the card shows is in the folder, and is an SVG that parses."""
    import re
    import xml.etree.ElementTree as ET

    readme = root / "README.md"
    for ref in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme.read_text(encoding="utf-8")):
        if "://" in ref:
            continue
        path = root / ref
        if not path.is_file():
            yield Problem(str(readme), ref, "the card shows a picture that is not in the folder")
        elif path.suffix == ".svg":
            try:
                ET.parse(path)
            except ET.ParseError as exc:
                yield Problem(str(path), "svg", f"does not parse: {exc}")


def validate_export(root: Path, labels: LabelSet | None = None) -> Iterator[Problem]:
    """Every problem of an export folder (nothing yielded means it is valid)."""
    labels = labels or load_labelset()
    header, problems = _header(root)
    yield from problems
    if header is None:
        return
    yield from _declared(root, header, labels)
    yield from _card_images(root)
    row_schema = {c: validator(f"{c}-row") for c in CONFIGS}
    split_of: dict[str, str] = {}
    texts: dict[str, str] = {}
    for config in CONFIGS:
        ids: set[str] = set()
        for path in sorted((root / "data" / config).glob("*.parquet")):
            split = path.stem
            expected = features_for(config, labels)
            if _stored_features(path) != expected:
                yield Problem(str(path), "features", "Parquet features differ from the schema's")
            if not _arrow_schema(path).equals(expected.arrow_schema, check_metadata=False):
                yield Problem(str(path), "schema", "Parquet column types differ from the Features")
                continue
            leaks: dict[str, int] = defaultdict(int)
            for n, row in _rows(path):
                where = f"{path}:row {n}"
                errors = list(row_schema[config].iter_errors(_schema_view(row)))
                for err in errors:
                    field = "/".join(str(p) for p in err.absolute_path) or "<row>"
                    yield Problem(where, field, err.message)
                if errors:
                    continue
                if row["id"] in ids:
                    yield Problem(where, "id", f"duplicate id {row['id']!r}")
                ids.add(row["id"])
                if row["source"] not in SOURCES:
                    yield Problem(where, "source", f"unknown source {row['source']!r}")
                seen = split_of.setdefault(row["article_id"], split)
                if seen != split:
                    leaks[row["article_id"]] += 1
                if config == "entities":
                    texts[row["article_id"]] = row["text"]
                    found = _entity_problems(row, labels)
                else:
                    found = _stance_problems(row, labels, texts)
                for field, message in found:
                    yield Problem(where, field, message)
            for article_id in sorted(leaks):
                yield Problem(
                    str(path), "split", f"article {article_id} also in {split_of[article_id]}"
                )


def _arrow_schema(path: Path):
    import pyarrow.parquet as pq

    return pq.read_schema(path)


def _stored_features(path: Path):
    """The `datasets` features embedded in a Parquet file's metadata, if any."""
    import json

    import pyarrow.parquet as pq
    from datasets import Features

    meta = pq.read_schema(path).metadata or {}
    raw = meta.get(b"huggingface")
    if not raw:
        return None
    return Features.from_dict(json.loads(raw)["info"]["features"])
