"""`annotate import`: existing annotated corpora into the store as human annotations.

An import is a project `import:<name>` with no Label Studio link; each article gets one
task and one annotation by `import:<name>`, whose `result` records the provenance (format,
file, line, document id) and the source spans the schema has no single label for. So the
annotations export, train and adjudicate like any other, and nothing is dropped silently.

Label mapping: a CoNLL type maps back through the label set's `conll` column. A type that
several schema labels share (CoNLL LOC: GPE or LOC; MISC: NORP or EVENT) is *coarse*: where
the rule pre-annotator gives the same span one of those labels, that label is kept
(recorded as refined by the rules); otherwise the span is kept in the provenance only,
out of the exported labels and out of training as a negative. `--map FROM=TO` overrides a
type: `TO` a schema label, `A|B` a coarse set, or `-` to leave the type out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from more_itertools import chunked
from sqlalchemy import Engine

from annotate.config import import_name
from annotate.errors import InputError, UsageError
from annotate.evaluate import GoldDoc, GoldError, read_conll, read_gold_jsonl
from annotate.ingest.clean import content_hash
from annotate.judgement import shift_record
from annotate.schemas import LabelSet, validator
from annotate.spans import title_shift, unit_text
from annotate.store import queries
from annotate.store.session import session_scope
from annotate.validate import json_path, semantic_problems

FORMATS = ("conll", "jsonl", "labelstudio")
Mapping = dict[str, tuple[str, ...]]


@dataclass
class ImportReport:
    project: str
    files: int = 0
    documents: int = 0
    new_articles: int = 0
    annotations: int = 0
    already: int = 0  # articles this import already had (same content hash)
    duplicates: int = 0  # documents repeated within the input
    entities: int = 0
    stances: int = 0
    refined: int = 0  # coarse spans given a label by agreeing rules
    unmapped: dict[str, int] = field(default_factory=dict)  # coarse or left-out, by type


def default_conll_mapping(labelset: LabelSet) -> Mapping:
    """CoNLL type -> the schema labels whose `conll` column names it."""
    out: dict[str, list[str]] = {}
    for label, conll in labelset.conll_map.items():
        out.setdefault(conll, []).append(label)
    return {k: tuple(v) for k, v in out.items()}


def parse_mapping(pairs: list[str], labelset: LabelSet, base: Mapping | None = None) -> Mapping:
    """`FROM=TO` options over ``base``: TO a schema label, `A|B` (coarse) or `-` (left out)."""
    mapping = dict(base or {})
    names = set(labelset.entity_names)
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        src, dst = src.strip(), dst.strip()
        if not sep or not src or not dst:
            raise UsageError(f"--map {pair!r}: write FROM=TO (TO a label, A|B, or -)")
        labels = () if dst == "-" else tuple(d.strip() for d in dst.split("|"))
        unknown = [d for d in labels if d not in names]
        if unknown:
            raise UsageError(
                f"--map {pair!r}: {unknown[0]!r} is not a label of the schema "
                f"({', '.join(labelset.entity_names)})"
            )
        mapping[src] = labels
    return mapping


def _read_labelstudio(path: Path, labelset: LabelSet) -> Iterator[GoldDoc]:
    """A Label Studio JSON export: each task's latest annotation, read by studio.convert."""
    from annotate.studio.convert import results_to_records

    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", 1)
        raise GoldError(f"{path}:{line}: not a Label Studio JSON export ({exc})") from None
    if not isinstance(tasks, list):
        raise GoldError(f"{path}:1: a Label Studio JSON export is a list of tasks")
    for i, task in enumerate(tasks):
        where = f"{path}: task {task.get('id', i) if isinstance(task, dict) else i}"
        text = task.get("data", {}).get("text") if isinstance(task, dict) else None
        if not isinstance(text, str):
            raise GoldError(f"{where}: no data.text")
        anns = [
            a
            for a in task.get("annotations") or []
            if isinstance(a, dict) and not a.get("was_cancelled")
        ]
        if not anns:
            continue
        ann = max(anns, key=lambda a: (str(a.get("updated_at") or ""), a.get("id") or 0))
        conv = results_to_records(ann.get("result"), text, labelset)
        bad = [p for p in conv.problems if p.get("kind") != "trimmed"]
        if bad:
            raise GoldError(f"{where}: annotation {ann.get('id')}: {bad[0]['problem']}")
        yield GoldDoc(str(task.get("id", i)), text, conv.entities, conv.stances, line=i + 1)


def read_corpus(path: Path, fmt: str, labelset: LabelSet, mapping: Mapping) -> Iterator[GoldDoc]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if fmt == "conll":
        return read_conll(path, labelset, types=set(mapping))
    if fmt == "jsonl":
        return read_gold_jsonl(path, labelset)
    if fmt == "labelstudio":
        return _read_labelstudio(path, labelset)
    raise UsageError(f"--format {fmt!r}: use {', '.join(FORMATS)}")


def _map_entities(
    doc: GoldDoc,
    mapping: Mapping,
    rule_spans: Callable[[str], dict[tuple[int, int], str]] | None,
    report: ImportReport,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """(schema-labeled spans, spans kept only in the provenance, refined count)."""
    if not doc.conll:
        return [dict(e) for e in doc.entities], [], 0
    kept: list[dict[str, Any]] = []
    unmapped: list[dict[str, Any]] = []
    refined = 0
    rules: dict[tuple[int, int], str] | None = None
    for ent in doc.entities:
        labels = mapping.get(ent["label"], ())
        if len(labels) == 1:
            kept.append({**ent, "label": labels[0]})
            continue
        if labels and rule_spans is not None:
            rules = rules if rules is not None else rule_spans(doc.text)
            ruled = rules.get((ent["start"], ent["end"]))
            if ruled in labels:
                kept.append({**ent, "label": ruled})
                refined += 1
                continue
        unmapped.append({**ent, "labels": list(labels)})
        report.unmapped[ent["label"]] = report.unmapped.get(ent["label"], 0) + 1
    return kept, unmapped, refined


def import_corpora(
    engine: Engine,
    paths: list[Path],
    fmt: str,
    labelset: LabelSet,
    *,
    name: str | None = None,
    mapping: list[str] | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Read every file first, then store everything in one transaction (or nothing)."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: use {', '.join(FORMATS)}")
    if not paths:
        raise UsageError("give at least one file to import")
    if mapping and fmt != "conll":
        raise UsageError("--map applies to CoNLL files; JSONL and Label Studio use schema labels")
    project = import_name(name or paths[0].stem)
    maps = parse_mapping(mapping or [], labelset, default_conll_mapping(labelset))
    rule_spans = _rule_spans(labelset) if fmt == "conll" else None
    report = ImportReport(project)
    items: dict[str, dict[str, Any]] = {}
    for path in paths:
        for doc in read_corpus(path, fmt, labelset, maps):
            report.documents += 1
            digest = content_hash(doc.text)
            if digest in items:
                report.duplicates += 1
                continue
            entities, unmapped, refined = _map_entities(doc, maps, rule_spans, report)
            report.refined += refined
            items[digest] = {
                "article": {
                    "content_hash": digest,
                    "external_id": doc.id,
                    "title": None,
                    "text": doc.text,
                    "url": None,
                    "source": project,
                    "published": None,
                    "meta": {"import": {"file": str(path), "line": doc.line}},
                },
                "entities": [
                    {k: e[k] for k in ("start", "end", "label", "text")} | {"region_id": None}
                    for e in entities
                ],
                "stances": [_stance(s) for s in doc.stances],
                "provenance": {
                    "type": "import",
                    "format": fmt,
                    "file": str(path),
                    "line": doc.line,
                    "document": doc.id,
                    "refined_by_rules": refined,
                    "unmapped": [
                        {k: u[k] for k in ("start", "end", "label", "text", "labels")}
                        for u in unmapped
                    ],
                },
            }
        report.files += 1
        if on_file:
            on_file(path)
    with session_scope(engine) as session:
        row = queries.find_project(session, project)
        if row is not None and not queries.is_import(row):
            raise UsageError(f"{project!r} is a Label Studio project: choose another --name")
        row = queries.import_project(session, project)
        report.new_articles, report.annotations, report.already = queries.store_imported(
            session, row, list(items.values()), project
        )
    stored = [i for i in items.values()]
    report.entities = sum(len(i["entities"]) for i in stored)
    report.stances = sum(len(i["stances"]) for i in stored)
    return report


@dataclass
class PredictionImport:
    files: int = 0
    predictions: int = 0
    replaced: int = 0  # predictions of the same article and version stored before
    moved: int = 0  # records whose offsets indexed the body of a titled article
    versions: dict[str, int] = field(default_factory=dict)


# Records read, checked and inserted at a time (all in the run's one transaction).
PREDICTION_CHUNK = 1000


def import_predictions(
    engine: Engine,
    paths: list[str],
    labelset: LabelSet,
    on_file: Callable[[str], None] | None = None,
) -> PredictionImport:
    """Prediction shards (JSONL or Parquet: offline or `--scheduler` output, files or
    folders) into the store as the predictions of their model versions, one transaction.

    A record joins its article by `id`: the article's own id, its content hash, or the
    hash prefix a store names an article without one by. Offsets index the unit text (title,
    blank line, body); a record made from the body alone (the article JSONL's `text`) is
    moved into it. An unknown id, a span not on the article's text or a second prediction
    of one article and version is an InputError naming the file and line, and nothing is
    stored."""
    from annotate.cluster.shards import expand, read_predictions

    if not paths:
        raise UsageError("give at least one prediction file or folder to import")
    report = PredictionImport()
    check = validator("prediction")
    seen: dict[tuple[int, str], str] = {}
    with session_scope(engine) as session:
        for url in expand(paths):
            for chunk in chunked(read_predictions(url), PREDICTION_CHUNK):
                rows = _prediction_rows(session, chunk, labelset, check, seen, report)
                report.replaced += queries.store_prediction_rows(session, rows)
                report.predictions += len(rows)
            report.files += 1
            if on_file:
                on_file(url)
    return report


def _prediction_rows(
    session: Any,
    chunk: list[tuple[str, Any]],
    labelset: LabelSet,
    check: Any,
    seen: dict[tuple[int, str], str],
    report: PredictionImport,
) -> list[dict[str, Any]]:
    """Store rows of (where, record) pairs, each checked against its article's text."""
    for where, rec in chunk:
        err = next(iter(check.iter_errors(rec)), None)
        if err is not None:
            raise InputError(
                f"{where}: not a prediction record: {json_path(err.absolute_path)}: {err.message}"
            )
    articles = queries.articles_by_public_id(session, [rec["id"] for _, rec in chunk])
    rows = []
    for where, rec in chunk:
        found = articles.get(rec["id"], [])
        if not found:
            raise InputError(
                f"{where}: no stored article has id {rec['id']!r}: ingest the articles first "
                "(the id is an article's own id or its content hash)"
            )
        if len(found) > 1:
            raise InputError(
                f"{where}: id {rec['id']!r} names {len(found)} stored articles; "
                "give the article's content hash as its id"
            )
        article_id, title, body = found[0]
        rec = _on_unit_text(where, rec, labelset, title, body, report)
        key = (article_id, rec["model_version"])
        if key in seen:
            raise InputError(
                f"{where}: a second {rec['model_version']} prediction of article "
                f"{rec['id']!r} (the first at {seen[key]})"
            )
        seen[key] = where
        report.versions[rec["model_version"]] = report.versions.get(rec["model_version"], 0) + 1
        rows.append(
            {
                "article_id": article_id,
                "model_version": rec["model_version"],
                "entities": rec["entities"],
                "stances": rec["stances"],
            }
        )
    return rows


def _on_unit_text(
    where: str,
    rec: dict[str, Any],
    labelset: LabelSet,
    title: str | None,
    body: str,
    report: PredictionImport,
) -> dict[str, Any]:
    """The record with offsets into the unit text; an InputError when they fit neither it
    nor (for a titled article) the body."""
    problems = list(semantic_problems(where, rec, labelset, unit_text(title, body)))
    if not problems:
        return rec
    if title and not list(semantic_problems(where, rec, labelset, body)):
        report.moved += 1
        moved, _ = shift_record(rec, title_shift(title))
        return {**rec, **moved}
    raise InputError(f"{problems[0]} (of the stored article {rec['id']!r})")


def _stance(st: dict[str, Any]) -> dict[str, Any]:
    span = st.get("target_span") or {"start": None, "end": None}
    return {**st, "target_span": span}


def _rule_spans(labelset: LabelSet) -> Callable[[str], dict[tuple[int, int], str]]:
    """(start, end) -> label of the rule pre-annotator, to refine coarse source types."""
    from annotate.preannotate.model import preannotator

    model = preannotator(labelset)

    def spans(text: str) -> dict[tuple[int, int], str]:
        return {(m.start, m.end): m.label for m in model.entities.tag(text) if m.label}

    return spans
