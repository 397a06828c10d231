"""Every query of annotate: nothing outside `annotate/store/` writes SQL.

Functions take a `Session` (one transaction, opened by the caller with `session_scope`) and
speak plain values or the store's models. Readers that feed the comparison of annotations
(`load_task_items`) return domain `Judgement`s, so the review loop, the progress figures
and the export read annotations the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

import orjson
from more_itertools import chunked
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session, selectinload

from annotate.errors import StoreError
from annotate.judgement import Judgement, Triple, public_article_id, record_judgement
from annotate.problem import fatal_problems, notes
from annotate.spans import Span, spans_from, unit_text
from annotate.store.models import (
    Annotation,
    Article,
    EntitySpan,
    ExportRun,
    Prediction,
    Project,
    StanceTriple,
    Task,
    TrainingRun,
    utcnow,
)

# Rows per `IN (...)` list: under SQLite's and PostgreSQL's limits on bound parameters.
IN_CHUNK = 900


def aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone columns: they are UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# -- projects ------------------------------------------------------------------------------


def _imported() -> Any:
    """Projects of imported corpora (see `is_import`): never the default project."""
    return (Project.ls_project_id == 0) & (Project.ls_url == "")


def project_names(session: Session) -> list[str]:
    return list(session.scalars(select(Project.name).order_by(Project.name)))


def find_project(session: Session, name: str) -> Project | None:
    return session.scalar(select(Project).where(Project.name == name))


def get_project(session: Session, name: str) -> Project:
    """The named project, or a StoreError listing the projects there are."""
    project = find_project(session, name)
    if project is None:
        known = ", ".join(project_names(session)) or "none yet: run `annotate push` first"
        raise StoreError(f"no project named {name!r} in the store (known: {known})")
    return project


def resolve_project(session: Session, name: str | None) -> Project:
    """The named project, or the only one (review projects aside) when no name is given."""
    if name is not None:
        return get_project(session, name)
    projects = list(
        session.scalars(
            select(Project)
            .where(Project.review_of_id.is_(None), ~_imported())
            .order_by(Project.name)
        )
    )
    if not projects:
        raise StoreError("the store has no project yet: run `annotate push` first")
    if len(projects) > 1:
        names = ", ".join(p.name for p in projects)
        raise StoreError(f"several projects ({names}): choose one with --project")
    return projects[0]


def only_project_name(session: Session) -> str | None:
    """The one non-review project's name, or None when there are none or several."""
    names = list(
        session.scalars(select(Project.name).where(Project.review_of_id.is_(None), ~_imported()))
    )
    return names[0] if len(names) == 1 else None


def add_project(
    session: Session, name: str, ls_url: str, ls_project_id: int, model_version: str | None
) -> Project:
    row = Project(
        name=name, ls_url=ls_url, ls_project_id=ls_project_id, model_version=model_version
    )
    session.add(row)
    session.flush()
    return row


# -- articles and predictions --------------------------------------------------------------


def known_hashes(session: Session, hashes: Sequence[str]) -> set[str]:
    """Which of these content hashes the store already holds."""
    out: set[str] = set()
    for chunk in chunked(hashes, IN_CHUNK):
        out.update(
            session.scalars(select(Article.content_hash).where(Article.content_hash.in_(chunk)))
        )
    return out


def insert_articles(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk insert of article rows (column values), in chunks."""
    for chunk in chunked(rows, IN_CHUNK // 2):
        session.execute(insert(Article), chunk)


def articles_to_predict(
    session: Session, model_version: str, force: bool = False, limit: int | None = None
) -> list[int]:
    """Ids of the articles without a prediction of this version (all with `force`)."""
    query = select(Article.id).order_by(Article.id)
    if not force:
        done = select(Prediction.article_id).where(Prediction.model_version == model_version)
        query = query.where(Article.id.not_in(done))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def article_texts(session: Session, ids: Sequence[int]) -> list[tuple[int, str]]:
    """(row id, unit text) of some articles: what the pre-annotator reads and offsets index."""
    return [
        (row_id, unit_text(title, text))
        for row_id, title, text in session.execute(
            select(Article.id, Article.title, Article.text).where(Article.id.in_(ids))
        )
    ]


def replace_predictions(session: Session, version: str, records: list[dict[str, Any]]) -> None:
    """Store one prediction per record (`id` = article row id), replacing this version's."""
    row_ids = [int(r["id"]) for r in records]
    session.execute(
        delete(Prediction).where(
            Prediction.article_id.in_(row_ids), Prediction.model_version == version
        )
    )
    session.add_all(
        Prediction(
            article_id=int(rec["id"]),
            model_version=version,
            entities=rec["entities"],
            stances=rec["stances"],
        )
        for rec in records
    )


def articles_by_public_id(
    session: Session, ids: Sequence[str]
) -> dict[str, list[tuple[int, str | None, str]]]:
    """(row id, title, body) of the stored articles each id names: the article's own id
    (`external_id`), its content hash, or the hash prefix that is the public id of an
    article without one (`judgement.public_article_id`). Several rows: the id is ambiguous."""
    out: dict[str, list[tuple[int, str | None, str]]] = defaultdict(list)
    wanted = set(ids)
    cols = (Article.id, Article.title, Article.text, Article.external_id, Article.content_hash)
    rows = []
    for chunk in chunked(sorted(wanted), IN_CHUNK // 2):
        rows += session.execute(
            select(*cols).where(
                (Article.external_id.in_(chunk)) | (Article.content_hash.in_(chunk))
            )
        ).all()
    found = {r.external_id for r in rows} | {r.content_hash for r in rows}
    # Hash prefixes: a range per id, so the content hash's unique index serves them.
    prefixes = sorted(i for i in wanted - found if len(i) == 16)
    for chunk in chunked(prefixes, IN_CHUNK // 4):
        rows += session.execute(
            select(*cols).where(
                Article.external_id.is_(None),
                or_(*(Article.content_hash.between(p, p + "~") for p in chunk)),
            )
        ).all()
    seen: set[int] = set()
    for r in rows:
        if r.id in seen:
            continue
        seen.add(r.id)
        for key in {
            r.external_id,
            r.content_hash,
            public_article_id(r.external_id, r.content_hash),
        }:
            if key in wanted:
                out[key].append((r.id, r.title, r.text))
    return out


def store_prediction_rows(session: Session, rows: list[dict[str, Any]]) -> int:
    """Bulk insert of prediction rows (`article_id`, `model_version`, `entities`,
    `stances`), each replacing its article's prediction of the same version (the
    dialect's executemany: psycopg's batched fast path on PostgreSQL); how many it replaced."""
    by_version: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_version[row["model_version"]].append(row["article_id"])
    replaced = 0
    for version, article_ids in by_version.items():
        for chunk in chunked(article_ids, IN_CHUNK):
            result = session.execute(
                delete(Prediction).where(
                    Prediction.model_version == version, Prediction.article_id.in_(chunk)
                )
            )
            replaced += result.rowcount or 0
    for chunk in chunked(rows, IN_CHUNK):
        session.execute(insert(Prediction), chunk)
    return replaced


def latest_predictions(session: Session, article_ids: Sequence[int]) -> dict[int, Prediction]:
    """The newest prediction of each article (by creation time, then id)."""
    out: dict[int, Prediction] = {}
    for chunk in chunked(article_ids, IN_CHUNK):
        rows = session.scalars(
            select(Prediction)
            .where(Prediction.article_id.in_(chunk))
            .order_by(Prediction.created_at, Prediction.id)
        )
        for p in rows:
            out[p.article_id] = p
    return out


def articles_by_id(session: Session, ids: Sequence[int]) -> dict[int, Article]:
    out: dict[int, Article] = {}
    for chunk in chunked(ids, IN_CHUNK):
        out.update((a.id, a) for a in session.scalars(select(Article).where(Article.id.in_(chunk))))
    return out


# -- tasks ---------------------------------------------------------------------------------


def task_count(session: Session, project_id: int) -> int:
    return int(
        session.scalar(select(func.count(Task.id)).where(Task.project_id == project_id)) or 0
    )


def known_ls_task_ids(session: Session, project_id: int) -> list[int]:
    """The Label Studio tasks the store knows in a project: its tasks' and those its
    annotations came from (duplicates adopted), in id order."""
    tasks = select(Task.ls_task_id).where(Task.project_id == project_id)
    adopted = (
        select(Annotation.ls_task_id)
        .join(Task, Annotation.task_id == Task.id)
        .where(Task.project_id == project_id, Annotation.ls_task_id.is_not(None))
    )
    return sorted({int(i) for i in session.scalars(tasks.union(adopted)) if i is not None})


def task_article_ids(
    session: Session, project_id: int, among: Sequence[int] | None = None
) -> set[int]:
    """Article row ids that have a task in the project (of those `among`, when given)."""
    query = select(Task.article_id).where(Task.project_id == project_id)
    if among is None:
        return set(session.scalars(query))
    out: set[int] = set()
    for chunk in chunked(among, IN_CHUNK):
        out.update(session.scalars(query.where(Task.article_id.in_(chunk))))
    return out


def task_ids_by_article(
    session: Session, project_id: int, article_ids: Sequence[int]
) -> dict[int, int]:
    """Article row id -> Label Studio task id, for these articles' tasks in the project."""
    out: dict[int, int] = {}
    for chunk in chunked(article_ids, IN_CHUNK):
        rows = session.execute(
            select(Task.article_id, Task.ls_task_id).where(
                Task.project_id == project_id, Task.article_id.in_(chunk)
            )
        )
        out.update((art, int(ls_id)) for art, ls_id in rows)
    return out


def articles_without_task(session: Session, project_id: int, limit: int | None) -> list[int]:
    pushed = select(Task.article_id).where(Task.project_id == project_id)
    query = select(Article.id).where(Article.id.not_in(pushed)).order_by(Article.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def task_hashes(session: Session, project_id: int) -> dict[str, int]:
    """content_hash -> Label Studio task id of every task of the project in the store."""
    rows = session.execute(
        select(Article.content_hash, Task.ls_task_id)
        .join(Task, Task.article_id == Article.id)
        .where(Task.project_id == project_id)
    )
    return {h: int(t) for h, t in rows}


def add_tasks(
    session: Session, project_id: int, rows: Iterable[tuple[int, int, list[str]]]
) -> None:
    """Record tasks: (article row id, Label Studio task id, model versions pushed with it)."""
    session.add_all(
        Task(project_id=project_id, article_id=art, ls_task_id=ls_id, model_versions=versions)
        for art, ls_id, versions in rows
    )


def adopt_tasks(session: Session, project_id: int, remote: dict[str, list[int]]) -> int:
    """Record the Label Studio tasks (content_hash -> task ids) the store does not know.

    A push that died between Label Studio's answer and the store's commit leaves such
    tasks; each is matched to its article by content hash. Returns how many were recorded.
    """
    known = task_hashes(session, project_id)
    known_ids = set(known.values())
    missing = {h: ids for h, ids in remote.items() if h not in known}
    added = 0
    for chunk in chunked(list(missing), IN_CHUNK):
        for art_id, h in session.execute(
            select(Article.id, Article.content_hash).where(Article.content_hash.in_(chunk))
        ):
            ids = [i for i in missing[h] if i not in known_ids]
            if not ids:
                continue
            session.add(Task(project_id=project_id, article_id=art_id, ls_task_id=min(ids)))
            added += 1
    return added


def duplicate_tasks(
    session: Session, project_id: int, remote: dict[str, list[int]]
) -> list[dict[str, Any]]:
    """Label Studio tasks (content_hash -> task ids) that duplicate an article's task: the
    article, the task the store keeps and the extra ones."""
    known = task_hashes(session, project_id)
    out = []
    for h, ids in sorted(remote.items()):
        extra = sorted(i for i in ids if i != known.get(h))
        if h in known and extra:
            out.append({"content_hash": h, "task": known[h], "duplicates": extra})
    return out


def tasks_needing_prediction(
    session: Session, project_id: int, remote_annotated: Iterable[int] = ()
) -> tuple[list[tuple[int, int, Prediction, Article, str]], int]:
    """(task id, Label Studio task id, prediction, article, task layout) for every task whose
    article's latest prediction has a model version not yet pushed with it and that no human
    has annotated yet, and how many such tasks were left alone because one has.

    Annotated: a live (not deleted) annotation in the store, submitted or skipped, or a
    Label Studio task id in ``remote_annotated`` (annotated since the last pull). A task a
    human has worked on keeps the pre-annotation they saw.
    """
    tasks = list(session.scalars(select(Task).where(Task.project_id == project_id)))
    preds = latest_predictions(session, [t.article_id for t in tasks])
    stale = [
        (t, preds[t.article_id])
        for t in tasks
        if t.article_id in preds and preds[t.article_id].model_version not in t.model_versions
    ]
    annotated = set(
        session.scalars(
            select(Annotation.task_id)
            .join(Task, Annotation.task_id == Task.id)
            .where(Task.project_id == project_id, Annotation.deleted.is_(False))
            .distinct()
        )
    )
    remote = set(remote_annotated)
    todo = [(t, p) for t, p in stale if t.id not in annotated and t.ls_task_id not in remote]
    arts = articles_by_id(session, [t.article_id for t, _ in todo])
    out = [(t.id, t.ls_task_id, p, arts[t.article_id], t.layout) for t, p in todo]
    return out, len(stale) - len(todo)


def add_task_versions(session: Session, versions: Iterable[tuple[int, str]]) -> None:
    """Append a model version pushed with each task: (task id, model version)."""
    for task_id, version in versions:
        task = session.get(Task, task_id)
        if task is not None:
            task.model_versions = [*task.model_versions, version]


def update_project(session: Session, project_id: int, **values: Any) -> Project:
    row = session.get(Project, project_id)
    if row is None:
        raise StoreError(f"project {project_id} vanished from the store")
    for key, value in values.items():
        setattr(row, key, value)
    return row


# -- pull ----------------------------------------------------------------------------------


@dataclass
class PulledAnnotation:
    """One Label Studio annotation as column values (`result` raw, as Label Studio sent it)."""

    ls_annotation_id: int
    values: dict[str, Any]


@dataclass
class PulledTask:
    ls_task_id: int
    content_hash: str | None
    annotations: list[PulledAnnotation]
    # the task's own `data.layout`: used only for a task the store adopts (no row yet)
    layout: str = "body"


@dataclass
class Records:
    """What an annotation's result means: entity spans and stance triples (public format)
    plus the items that could not be read."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    stances: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PullCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    invalid: int = 0
    trimmed: int = 0
    unknown: int = 0
    # annotations of duplicate tasks, stored under their article's task
    adopted: int = 0
    # Label Studio task id -> annotations on it that match no article: not stored
    unknown_annotations: dict[int, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)


def _same(row: Annotation, values: dict[str, Any]) -> bool:
    return (
        row.result == values["result"]
        and bool(row.cancelled) == values["cancelled"]
        and bool(row.ground_truth) == values["ground_truth"]
        and aware(row.updated_at) == values["updated_at"]
        and not row.deleted
    )


def _span_columns(records: Records) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    spans = [
        {k: e[k] for k in ("region_id", "start", "end", "label", "text")} for e in records.entities
    ]
    triples = [
        {
            "holder_start": st["holder"]["start"],
            "holder_end": st["holder"]["end"],
            "holder_label": st["holder"]["label"],
            "holder_text": st["holder"]["text"],
            "target": st["target"],
            "target_start": st["target_span"]["start"],
            "target_end": st["target_span"]["end"],
            "label": st["label"],
        }
        for st in records.stances
    ]
    return spans, triples


def _adopt_task(
    session: Session, project_id: int, content_hash: str | None, layout: str
) -> tuple[Task | None, bool]:
    """The store's task for a pulled task it does not know, matched by content hash, and
    whether that pulled task is a duplicate of it.

    A push that died before recording its tasks leaves a task the store never linked: a
    new store task is made for it. A duplicate task (two pushes at once, a task imported by
    hand) is another Label Studio task of an article already linked: its annotations are
    adopted onto the article's task. (None, False) when no article has the hash.
    """
    if not content_hash:
        return None, False
    article = session.scalar(select(Article).where(Article.content_hash == content_hash))
    if article is None:
        return None, False
    existing = session.scalar(
        select(Task).where(Task.project_id == project_id, Task.article_id == article.id)
    )
    if existing is not None:
        return existing, True
    task = Task(project_id=project_id, article_id=article.id, article=article, layout=layout)
    return task, False


def store_pulled(
    session: Session,
    project_id: int,
    tasks: Sequence[PulledTask],
    to_records: Callable[[Any, Task], Records],
) -> PullCounts:
    """Upsert the annotations of some pulled tasks; mark the ones gone from them deleted.

    `to_records(result, task)` reads a changed annotation's result on the text its task
    shows, into offsets of the unit text (the caller owns Label Studio's JSON and the
    layouts). Unchanged annotations are not read again.
    """
    counts = PullCounts()
    ids = [t.ls_task_id for t in tasks]
    local = {
        t.ls_task_id: t
        for t in session.scalars(
            select(Task)
            .where(Task.project_id == project_id, Task.ls_task_id.in_(ids))
            .options(selectinload(Task.annotations), selectinload(Task.article))
        )
    }
    pending: list[tuple[dict[str, Any], Records]] = []
    for data in tasks:
        task = local.get(data.ls_task_id)
        source: int | None = None  # the duplicate task the annotations came from
        if task is None:
            task, duplicate = _adopt_task(session, project_id, data.content_hash, data.layout)
            if task is None:
                counts.unknown += 1
                if data.annotations:
                    counts.unknown_annotations[data.ls_task_id] = len(data.annotations)
                continue
            if duplicate:
                source = data.ls_task_id
            else:
                task.ls_task_id = data.ls_task_id
                session.add(task)
                session.flush()
        stored = {a.ls_annotation_id: a for a in task.annotations if a.ls_task_id == source}
        seen: set[int] = set()
        for ann in data.annotations:
            seen.add(ann.ls_annotation_id)
            row = stored.get(ann.ls_annotation_id)
            unchanged = row is not None and _same(row, ann.values)
            if unchanged and not fatal_problems(row.problems):
                counts.unchanged += 1
                continue
            values = {**ann.values, "deleted": False, "pulled_at": utcnow()}
            records = to_records(values["result"], task)
            if unchanged and records.problems == row.problems:
                counts.unchanged += 1  # still invalid, as reported when it was pulled
                continue
            if row is None:
                values.update(
                    task_id=task.id, ls_annotation_id=ann.ls_annotation_id, ls_task_id=source
                )
                pending.append((values, records))
                counts.new += 1
                counts.adopted += source is not None
            else:
                for key, value in values.items():
                    setattr(row, key, value)
                row.problems = records.problems
                spans, triples = _span_columns(records)
                row.entities = [EntitySpan(**v) for v in spans]
                row.stances = [StanceTriple(**v) for v in triples]
                counts.updated += 1
            counts.trimmed += len(notes(records.problems))
            fatal = fatal_problems(records.problems)
            if fatal:
                counts.invalid += 1
                counts.problems += [
                    {
                        "task": data.ls_task_id,
                        "annotation": ann.ls_annotation_id,
                        "article_id": task.article.article_id,
                        "problem": p["problem"],
                    }
                    for p in fatal
                ]
        for ann_id, row in stored.items():
            if ann_id not in seen and not row.deleted:
                row.deleted = True
                row.pulled_at = utcnow()
                counts.deleted += 1
    session.flush()
    _insert_annotations(session, pending)
    return counts


def _insert_annotations(session: Session, pending: list[tuple[dict[str, Any], Records]]) -> None:
    """Bulk-insert new annotations and their spans and triples (the bulk of a first pull)."""
    if not pending:
        return
    rows = [{**values, "problems": rec.problems} for values, rec in pending]
    ids = (
        session.execute(
            insert(Annotation).returning(Annotation.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    spans: list[dict[str, Any]] = []
    triples: list[dict[str, Any]] = []
    for ann_id, (_, rec) in zip(ids, pending, strict=True):
        sp, tr = _span_columns(rec)
        spans += [{**v, "annotation_id": ann_id} for v in sp]
        triples += [{**v, "annotation_id": ann_id} for v in tr]
    if spans:
        session.execute(insert(EntitySpan), spans)
    if triples:
        session.execute(insert(StanceTriple), triples)


def mark_vanished(session: Session, project_id: int, seen_task_ids: set[int]) -> int:
    """Annotations of tasks no longer in Label Studio are deleted there; returns how many."""
    n = 0
    rows = session.execute(
        select(Annotation, Task.ls_task_id)
        .join(Task, Annotation.task_id == Task.id)
        .where(Task.project_id == project_id, Annotation.deleted.is_(False))
    )
    for row, ls_task_id in rows:
        if (row.ls_task_id or ls_task_id) not in seen_task_ids:
            row.deleted = True
            row.pulled_at = utcnow()
            n += 1
    return n


def adjudicated_count(session: Session, review: Project) -> tuple[str, int]:
    """(original project, articles with a reviewer's resolution): what a review pull gives."""
    original = session.get(Project, review.review_of_id)
    n = session.scalar(
        select(func.count(func.distinct(Task.article_id)))
        .join(Annotation, Annotation.task_id == Task.id)
        .where(
            Task.project_id == review.id,
            Annotation.deleted.is_(False),
            Annotation.cancelled.is_(False),
        )
    )
    return (original.name if original else "?"), int(n or 0)


# -- reading annotations as judgements -----------------------------------------------------


# The columns `stored_triple` reads, for queries that load triples as plain rows.
TRIPLE_COLUMNS = (
    StanceTriple.annotation_id,
    StanceTriple.holder_start,
    StanceTriple.holder_end,
    StanceTriple.holder_label,
    StanceTriple.holder_text,
    StanceTriple.target,
    StanceTriple.label,
    StanceTriple.target_start,
    StanceTriple.target_end,
)


def stored_triple(t: Any) -> Triple:
    """A stored stance triple (a `StanceTriple` or a row of `TRIPLE_COLUMNS`, read without
    the ORM's identity map) as the adjudicator compares it."""
    return Triple(
        holder=Span(t.holder_start, t.holder_end, t.holder_label),
        holder_text=t.holder_text,
        target=t.target,
        label=t.label,
        target_span=(t.target_start, t.target_end) if t.target_start is not None else None,
    )


def _order(updated_at: datetime | None, created_at: datetime | None, ls_id: int) -> tuple:
    """Oldest to newest: updated (or created) time in UTC, then Label Studio's id."""
    when = updated_at or created_at or datetime.min
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return (when, ls_id)


def prediction_judgement(version: str, entities: list, stances: list) -> Judgement:
    """A stored prediction as the judgement of `model:<version>`."""
    return record_judgement(f"model:{version}", {"entities": entities, "stances": stances})


@dataclass
class TaskItem:
    """One task's article and its usable human annotations, read as plain rows."""

    public_id: str
    content_hash: str
    text: str  # the unit text (title + body), which every stored offset indexes
    model_versions: list[str]
    judgements: list[Judgement]
    pull_problems: int
    predictions: dict[str, tuple[datetime, list, list]] = field(default_factory=dict)
    task_id: int = 0
    article_pk: int = 0
    resolution: Judgement | None = None  # the reviewer's, from a review project
    title: str | None = None
    url: str | None = None
    # The judgements (also in `judgements`) whose annotation failed its pull checks, with
    # why: the export leaves them out of the labels (see `annotate.problem`).
    invalid: list[tuple[Judgement, list[str]]] = field(default_factory=list)

    def shown_prediction(self) -> tuple[str, Judgement] | None:
        """The prediction of the newest model version pushed with the task, if stored."""
        version = next((v for v in reversed(self.model_versions) if v in self.predictions), None)
        if version is None:
            return None
        _created, entities, stances = self.predictions[version]
        return version, prediction_judgement(version, entities, stances)


def _spans_and_triples(
    session: Session, ann_ids: list[int]
) -> tuple[dict[int, list[Span]], dict[int, list[Triple]]]:
    """Entity spans and stance triples of some annotations, keyed by annotation id."""
    spans: dict[int, list[Span]] = defaultdict(list)
    triples: dict[int, list[Triple]] = defaultdict(list)
    if not ann_ids:
        return spans, triples
    for ann_id, start, end, label in session.execute(
        select(EntitySpan.annotation_id, EntitySpan.start, EntitySpan.end, EntitySpan.label)
        .where(EntitySpan.annotation_id.in_(ann_ids))
        .order_by(EntitySpan.annotation_id, EntitySpan.start, EntitySpan.end, EntitySpan.id)
    ):
        spans[ann_id].append(Span(start, end, label))
    for t in session.execute(
        select(*TRIPLE_COLUMNS)
        .where(StanceTriple.annotation_id.in_(ann_ids))
        .order_by(StanceTriple.annotation_id, StanceTriple.id)
    ):
        triples[t.annotation_id].append(stored_triple(t))
    return spans, triples


def _resolutions(session: Session, task_ids: list[int]) -> dict[int, Judgement]:
    """article pk -> the newest reviewer's annotation of it in a review project of the
    tasks' project (cancelled and deleted ones left out)."""
    original = Task.__table__.alias("original")
    rows = session.execute(
        select(
            Annotation.id,
            Annotation.annotator,
            Annotation.updated_at,
            Annotation.created_at,
            Annotation.ls_annotation_id,
            Task.article_id,
        )
        .join(Task, Annotation.task_id == Task.id)
        .join(Project, Task.project_id == Project.id)
        .join(
            original,
            (original.c.project_id == Project.review_of_id)
            & (original.c.article_id == Task.article_id),
        )
        .where(
            original.c.id.in_(task_ids),
            Annotation.cancelled.is_(False),
            Annotation.deleted.is_(False),
        )
    ).all()
    if not rows:
        return {}
    spans, triples = _spans_and_triples(session, [r.id for r in rows])
    out: dict[int, Judgement] = {}
    for r in sorted(rows, key=lambda r: _order(r.updated_at, r.created_at, r.ls_annotation_id)):
        out[r.article_id] = Judgement(
            r.annotator,
            _order(r.updated_at, r.created_at, r.ls_annotation_id),
            tuple(spans[r.id]),
            tuple(triples[r.id]),
        )
    return out


def driver_rows(connection: Connection, statement: Select) -> list[tuple]:
    """A Core select's rows as the database driver's own tuples.

    For the few queries of plain integers and strings that read every span and triple of
    a store (the export's): SQLAlchemy compiles the statement for the connection's
    dialect, the driver's cursor runs it, and no Row is built per row (a third less
    time on SQLite). Columns needing a type processor (JSON, dates) must not come here.
    """
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    params: Any = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup or ())
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()


def packed_rows(connection: Connection, statement: Select) -> list[Sequence[Any]]:
    """A Core select's rows, in no particular order (callers sort), each value as its
    column's type reads it (SQLAlchemy's own result processors: dates, JSON, booleans).

    For queries of many small rows (an export's spans and triples). On SQLite the
    database packs all of them into one row, a JSON array of arrays that SQLite builds
    in C and orjson reads in C: a quarter less time than fetching an export's span rows
    one by one. (A few hundred rows of long texts or JSON documents read faster as rows:
    packed, they are escaped, then parsed twice.) And the sqlite3 module lets go of the
    GIL for each row it steps to and takes it back for the next, so a read on a thread
    beside a busy one waited for the GIL at every row (17,000 span rows took over a
    minute beside a busy thread, 0.4 s alone); one row is one wait. Other databases'
    drivers fetch a whole result without the GIL, so their rows come as they are (the
    driver's own tuples when no column needs a processor, as `driver_rows`).

    Columns must be integers, text, booleans, dates or JSON (SQLite's JSON prints a REAL
    with 15 digits). Row order: an aggregate's input order is undefined on SQLite before
    3.44, so none is asked of the database.
    """
    dialect = connection.dialect
    processors = [
        (k, convert)
        for k, column in enumerate(statement.selected_columns)
        if (convert := column.type._cached_result_processor(dialect, None)) is not None
    ]
    if dialect.name != "sqlite":
        if processors:
            return connection.execute(statement).all()  # type: ignore[return-value]
        return driver_rows(connection, statement)
    inner = statement.subquery()
    packed = connection.execute(
        select(func.json_group_array(func.json_array(*inner.c)))
    ).scalar_one()
    rows: list[list[Any]] = orjson.loads(packed)
    if processors:
        for row in rows:
            for k, convert in processors:
                row[k] = convert(row[k])
    return rows


_ANNOTATION_OF_ROW = itemgetter(0)
_SPAN_OF_ROW = itemgetter(1, 2, 4)  # (annotation_id, start, end, id, label) rows
_TASK_OF_ROW = itemgetter(1)
_TRIPLE_ORDER = itemgetter(0, 1)  # (annotation_id, id, ...) rows


def load_task_items(
    session: Session,
    task_ids: list[int],
    with_predictions: bool = False,
    with_resolutions: bool = False,
) -> list[TaskItem]:
    """A chunk of tasks with annotations, spans and triples, in four Core queries.

    Plain rows rather than ORM objects: the identity map costs more than the export itself
    on large stores. The queries run on the session's connection, so their rows skip the
    ORM's result layer too, and the many-row ones (annotations, spans, triples) come
    packed (`packed_rows`).
    """
    connection = session.connection()
    # the texts as rows: packed, their JSON escaping would cost more than the rows
    tasks = connection.execute(
        select(
            Task.id,
            Task.model_versions,
            Article.id,
            Article.external_id,
            Article.content_hash,
            Article.text,
            Article.title,
            Article.url,
        )
        .join(Article, Task.article_id == Article.id)
        .where(Task.id.in_(task_ids))
    ).all()
    # (id, task_id, annotator, updated_at, created_at, ls_annotation_id, ground_truth,
    # problems) rows, each task's together
    anns = sorted(
        packed_rows(
            connection,
            select(
                Annotation.id,
                Annotation.task_id,
                Annotation.annotator,
                Annotation.updated_at,
                Annotation.created_at,
                Annotation.ls_annotation_id,
                Annotation.ground_truth,
                Annotation.problems,
            ).where(
                Annotation.task_id.in_(task_ids),
                Annotation.cancelled.is_(False),
                Annotation.deleted.is_(False),
            ),
        ),
        key=_TASK_OF_ROW,
    )
    # Each annotation's spans, its rows sorted and grouped in C: (annotation_id, start,
    # end, id, label) rows, in annotation order, become one tuple of Spans per annotation.
    span_rows = packed_rows(
        connection,
        select(
            EntitySpan.annotation_id,
            EntitySpan.start,
            EntitySpan.end,
            EntitySpan.id,
            EntitySpan.label,
        )
        .join(Annotation, EntitySpan.annotation_id == Annotation.id)
        .where(Annotation.task_id.in_(task_ids)),
    )
    span_rows.sort()
    spans: dict[int, tuple[Span, ...]] = {
        ann_id: spans_from(map(_SPAN_OF_ROW, rows))
        for ann_id, rows in groupby(span_rows, key=_ANNOTATION_OF_ROW)
    }
    triple_rows = packed_rows(
        connection,
        select(StanceTriple.annotation_id, StanceTriple.id, *TRIPLE_COLUMNS[1:])
        .join(Annotation, StanceTriple.annotation_id == Annotation.id)
        .where(Annotation.task_id.in_(task_ids)),
    )
    triple_rows.sort(key=_TRIPLE_ORDER)
    triples: dict[int, list[Triple]] = defaultdict(list)
    new = tuple.__new__  # a NamedTuple built in C, without its Python __new__
    for ann_id, _id, h_start, h_end, h_label, h_text, target, label, t_start, t_end in triple_rows:
        target_span = (t_start, t_end) if t_start is not None else None
        holder = new(Span, (h_start, h_end, h_label))
        # Triple(holder, holder_text, target, label, target_span, evidence), built in C
        triples[ann_id].append(new(Triple, (holder, h_text, target, label, target_span, None)))
    by_task = {task_id: list(rows) for task_id, rows in groupby(anns, key=_TASK_OF_ROW)}
    predictions: dict[int, dict[str, tuple[datetime, list, list]]] = defaultdict(dict)
    if with_predictions:
        for p in connection.execute(
            select(
                Prediction.article_id,
                Prediction.model_version,
                Prediction.created_at,
                Prediction.entities,
                Prediction.stances,
            ).where(Prediction.article_id.in_([t[2] for t in tasks]))
        ).all():
            predictions[p.article_id][p.model_version] = (p.created_at, p.entities, p.stances)
    resolutions = _resolutions(session, task_ids) if with_resolutions else {}
    items = {}
    for task_id, versions, art_pk, external_id, content_hash, text, title, url in tasks:
        ordered = sorted(
            ((_order(a[3], a[4], a[5]), a) for a in by_task.get(task_id, ())),
            key=itemgetter(0),
        )
        rows = [a for _order_key, a in ordered]
        judgements = [
            Judgement(
                a[2],
                order,
                spans.get(a[0], ()),
                tuple(triples[a[0]]),
                bool(a[6]),
            )
            for order, a in ordered
        ]
        invalid = [
            (j, [str(p.get("problem")) for p in fatal])
            for j, a in zip(judgements, rows, strict=True)
            if (fatal := fatal_problems(a[7]))
        ]
        items[task_id] = TaskItem(
            public_id=public_article_id(external_id, content_hash),
            content_hash=content_hash,
            text=unit_text(title, text),
            model_versions=[str(v) for v in versions or []],
            judgements=judgements,
            pull_problems=len(invalid),
            invalid=invalid,
            predictions=predictions.get(art_pk, {}),
            task_id=task_id,
            article_pk=art_pk,
            resolution=resolutions.get(art_pk),
            title=title,
            url=url,
        )
    return [items[t] for t in task_ids if t in items]


def project_task_ids(session: Session, project_id: int) -> list[int]:
    """Task ids in public article-id order (`public_id_order`), sorted by the database."""
    statement = (
        select(Task.id)
        .join(Article, Task.article_id == Article.id)
        .where(Task.project_id == project_id)
        .order_by(*public_id_order(session))
    )
    return list(session.connection().scalars(statement))


def public_id_order(session: Session) -> tuple[ColumnElement, ColumnElement]:
    """`public_article_id` as SQL sort keys (then the whole hash, as ties go), compared
    by code point as Python compares strings: binary collation, SQLite's default and "C"
    on PostgreSQL (UTF-8's byte order is code point order), so every database gives
    Python's order. A sort in the database, not in Python: an export may read a million
    articles, and their hashes alone would take hundreds of MB here."""
    binary = "C" if session.get_bind().dialect.name == "postgresql" else "BINARY"
    public_id = func.coalesce(
        func.nullif(Article.external_id, ""), func.substr(Article.content_hash, 1, 16)
    )
    return public_id.collate(binary), Article.content_hash.collate(binary)


def iter_task_items(
    session_factory: Callable[[], Any],
    task_ids: list[int],
    chunk: int = 500,
    **options: bool,
) -> Iterator[list[TaskItem]]:
    """`load_task_items` chunk by chunk, each chunk in its own short transaction."""
    for ids in chunked(task_ids, chunk):
        with session_factory() as session:
            yield load_task_items(session, list(ids), **options)


def latest_annotation_states(session: Session, project_id: int) -> dict[tuple[int, str], Any]:
    """(task id, annotator) -> that annotator's latest live annotation of the task: whether
    it is a skip, its lead time, and when it was created and updated."""
    rows = session.execute(
        select(
            Annotation.task_id,
            Annotation.annotator,
            Annotation.cancelled,
            Annotation.lead_time,
            Annotation.created_at,
            Annotation.updated_at,
            Annotation.ls_annotation_id,
        )
        .join(Task, Annotation.task_id == Task.id)
        .where(Task.project_id == project_id, Annotation.deleted.is_(False))
        .order_by(Annotation.updated_at, Annotation.ls_annotation_id)
    ).all()
    last: dict[tuple[int, str], Any] = {}
    for r in rows:
        last[(r.task_id, r.annotator)] = r
    return last


# -- export runs and counts ----------------------------------------------------------------


def record_export(
    session: Session,
    project: str | None,
    out_dir: str,
    options: dict[str, Any],
    manifest: dict[str, Any],
) -> int:
    run = ExportRun(project=project, out_dir=out_dir, options=options, manifest=manifest)
    session.add(run)
    session.flush()
    return run.id


def last_export(session: Session, project: str) -> ExportRun | None:
    """The project's most recent export run (to tell whether a new one adds anything)."""
    return session.scalar(
        select(ExportRun).where(ExportRun.project == project).order_by(ExportRun.id.desc())
    )


# -- training runs -------------------------------------------------------------------------


# The figures of a cross-validation: a retrain without one (`--folds 0`) keeps them.
_CV_FIELDS = ("folds", "entity_f1", "rules_entity_f1", "stance_f1", "rules_stance_f1")


def record_training_run(session: Session, **fields: Any) -> tuple[TrainingRun, bool]:
    """Record one `annotate train` under its model version; True when the version is new.

    The same data gives the same version: its row is updated (the latest folder, sources
    and training time, `runs` + 1) instead of a second point on the learning curve. The
    cross-validated figures are replaced only by a run that cross-validated.
    """
    row = session.scalar(
        select(TrainingRun).where(TrainingRun.model_version == fields["model_version"])
    )
    if row is None:
        row = TrainingRun(**fields)
        session.add(row)
        session.flush()
        return row, True
    keep_cv = not fields.get("folds")
    for name, value in fields.items():
        if keep_cv and (name in _CV_FIELDS or name == "cross_validation"):
            continue
        setattr(row, name, value)
    row.runs += 1
    row.updated_at = utcnow()
    session.flush()
    return row, False


def training_runs(session: Session) -> list[TrainingRun]:
    """Every recorded model, smallest training data first (the learning curve's order)."""
    return list(
        session.scalars(
            select(TrainingRun).order_by(
                TrainingRun.articles, TrainingRun.tokens, TrainingRun.created_at, TrainingRun.id
            )
        )
    )


def stage_counts(session: Session, model_version: str | None) -> dict[str, int | str | None]:
    """How many articles reached each stage. `predictions` counts the given model version.

    The statements live in `annotate.store.counts`, which `annotate status` also runs
    without SQLAlchemy on a SQLite store.
    """
    from sqlalchemy import text

    from annotate.store import counts

    return counts.stage_counts(lambda sql, params: session.scalar(text(sql), params), model_version)


# -- imported corpora ----------------------------------------------------------------------


def import_project(session: Session, name: str) -> Project:
    """The project row of an imported corpus (no Label Studio link: url '' and id 0)."""
    row = find_project(session, name)
    if row is None:
        row = add_project(session, name, "", 0, None)
    return row


def is_import(project: Project) -> bool:
    """An imported corpus' project: it has no Label Studio project behind it."""
    return project.ls_project_id == 0 and not project.ls_url


def store_imported(
    session: Session,
    project: Project,
    articles: Sequence[dict[str, Any]],
    annotator: str,
) -> tuple[int, int, int]:
    """Insert imported articles (new content hashes), one task and one annotation each.

    Each item holds `article` (column values), `entities`, `stances` (public format) and
    `provenance` (stored as the annotation's `result`). Returns (new articles, annotations
    added, articles the project already had).
    """
    hashes = [a["article"]["content_hash"] for a in articles]
    known = known_hashes(session, hashes)
    insert_articles(
        session, [a["article"] for a in articles if a["article"]["content_hash"] not in known]
    )
    ids: dict[str, int] = {}
    for chunk in chunked(hashes, IN_CHUNK):
        ids.update(
            (h, i)
            for h, i in session.execute(
                select(Article.content_hash, Article.id).where(Article.content_hash.in_(chunk))
            )
        )
    have = set(session.scalars(select(Task.article_id).where(Task.project_id == project.id)))
    now = utcnow()
    pending: list[tuple[dict[str, Any], Records]] = []
    tasks = []
    for item in articles:
        art_id = ids[item["article"]["content_hash"]]
        if art_id in have:
            continue
        have.add(art_id)
        tasks.append({"project_id": project.id, "article_id": art_id, "ls_task_id": art_id})
    if tasks:
        session.execute(insert(Task), tasks)
    task_of = {
        a: t
        for a, t in session.execute(
            select(Task.article_id, Task.id).where(Task.project_id == project.id)
        )
    }
    added = 0
    new_tasks = {t["article_id"] for t in tasks}
    for item in articles:
        art_id = ids[item["article"]["content_hash"]]
        if art_id not in new_tasks:
            continue
        new_tasks.discard(art_id)
        values = {
            "task_id": task_of[art_id],
            "ls_annotation_id": 1,
            "annotator": annotator,
            "created_at": now,
            "updated_at": now,
            "result": [item["provenance"]],
            "pulled_at": now,
        }
        pending.append((values, Records(item["entities"], item["stances"])))
        added += 1
    _insert_annotations(session, pending)
    return len(hashes) - len(known), added, len(articles) - added


def import_provenance(session: Session, task_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """task id -> the provenance record of its imported annotation (tasks of imports)."""
    out: dict[int, dict[str, Any]] = {}
    for chunk in chunked(task_ids, IN_CHUNK):
        for task_id, result in session.execute(
            select(Annotation.task_id, Annotation.result).where(
                Annotation.task_id.in_(chunk), Annotation.ls_annotation_id == 1
            )
        ):
            if result and isinstance(result[0], dict) and result[0].get("type") == "import":
                out[task_id] = result[0]
    return out


def stored_revisions(engine: Engine) -> list[str] | None:
    """The migration revisions recorded in the store (Alembic's own table), None when it
    has none; read with plain SQL so a read-only command need not import Alembic."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


# -- the silver export: pre-annotated articles, no project ----------------------------------


def latest_prediction_version(session: Session) -> str | None:
    """The model version of the store's newest prediction (None: nothing pre-annotated)."""
    return session.scalar(
        select(Prediction.model_version)
        .order_by(Prediction.created_at.desc(), Prediction.id.desc())
        .limit(1)
    )


def predicted_article_ids(session: Session, model_version: str) -> list[int]:
    """Ids of the articles with a prediction of this version, in public article-id order
    (`public_id_order`, as `project_task_ids`)."""
    predicted = (
        select(Prediction.id)
        .where(Prediction.article_id == Article.id, Prediction.model_version == model_version)
        .exists()
    )
    statement = select(Article.id).where(predicted).order_by(*public_id_order(session))
    return list(session.connection().scalars(statement))


def load_prediction_items(
    session: Session, article_ids: list[int], model_version: str
) -> list[TaskItem]:
    """Articles with their prediction of `model_version` as items the exporter reads like
    tasks nobody annotated (no task, no judgement)."""
    rows = session.execute(
        select(
            Article.id,
            Article.external_id,
            Article.content_hash,
            Article.text,
            Article.title,
            Article.url,
            Prediction.created_at,
            Prediction.entities,
            Prediction.stances,
        )
        .join(Prediction, Prediction.article_id == Article.id)
        .where(Article.id.in_(article_ids), Prediction.model_version == model_version)
        .order_by(Prediction.created_at, Prediction.id)
    ).all()
    items: dict[int, TaskItem] = {}
    for pk, external_id, content_hash, text, title, url, created, entities, stances in rows:
        items[pk] = TaskItem(  # a later prediction of the version (a --force rerun) wins
            public_id=public_article_id(external_id, content_hash),
            content_hash=content_hash,
            text=unit_text(title, text),
            model_versions=[model_version],
            judgements=[],
            pull_problems=0,
            predictions={model_version: (created, entities, stances)},
            article_pk=pk,
            title=title,
            url=url,
        )
    return [items[a] for a in article_ids if a in items]
