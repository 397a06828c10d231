"""What the store says about each task, read as plain rows: the article, its live human
annotations as judgements, the predictions and a reviewer's resolution.

Shared by the export, the review loop and the per-annotator progress, so all three read
annotations the same way.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from annotate import spans as sp
from annotate.export.adjudicate import Judgement, Triple
from annotate.store.models import (
    Annotation,
    Article,
    EntitySpan,
    Prediction,
    Project,
    StanceTriple,
    Task,
)


def stored_triple(t: StanceTriple) -> Triple:
    """A stored stance triple as the adjudicator compares it."""
    return Triple(
        holder=sp.Span(t.holder_start, t.holder_end, t.holder_label),
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
    spans = tuple(sp.Span(e["start"], e["end"], e["label"]) for e in entities)
    triples = []
    for s in stances:
        h = s["holder"]
        ts = s.get("target_span")
        ev = s.get("evidence")
        triples.append(
            Triple(
                holder=sp.Span(h["start"], h["end"], h["label"]),
                holder_text=h.get("text", ""),
                target=s["target"],
                label=s["label"],
                target_span=(ts["start"], ts["end"]) if ts else None,
                evidence=(ev["start"], ev["end"]) if ev else None,
            )
        )
    return Judgement(f"model:{version}", (), spans, tuple(triples))


@dataclass
class TaskItem:
    """One task's article and its usable human annotations, read as plain rows."""

    public_id: str
    content_hash: str
    text: str
    model_versions: list[str]
    judgements: list[Judgement]
    pull_problems: int
    predictions: dict[str, tuple[datetime, list, list]] = field(default_factory=dict)
    task_id: int = 0
    article_pk: int = 0
    resolution: Judgement | None = None  # the reviewer's, from a review project


def _spans_and_triples(
    session: Session, ann_ids: list[int]
) -> tuple[dict[int, list[sp.Span]], dict[int, list[Triple]]]:
    """Entity spans and stance triples of some annotations, keyed by annotation id."""
    spans: dict[int, list[sp.Span]] = defaultdict(list)
    triples: dict[int, list[Triple]] = defaultdict(list)
    if not ann_ids:
        return spans, triples
    for ann_id, start, end, label in session.execute(
        select(EntitySpan.annotation_id, EntitySpan.start, EntitySpan.end, EntitySpan.label)
        .where(EntitySpan.annotation_id.in_(ann_ids))
        .order_by(EntitySpan.annotation_id, EntitySpan.start, EntitySpan.end, EntitySpan.id)
    ):
        spans[ann_id].append(sp.Span(start, end, label))
    for t in session.execute(
        select(StanceTriple)
        .where(StanceTriple.annotation_id.in_(ann_ids))
        .order_by(StanceTriple.annotation_id, StanceTriple.id)
    ).scalars():
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


def load_task_items(
    session: Session,
    task_ids: list[int],
    with_predictions: bool = False,
    with_resolutions: bool = False,
) -> list[TaskItem]:
    """A chunk of tasks with annotations, spans and triples, in four Core queries.

    Plain rows rather than ORM objects: the identity map costs more than the export itself
    on large stores.
    """
    tasks = session.execute(
        select(
            Task.id,
            Task.model_versions,
            Article.id,
            Article.external_id,
            Article.content_hash,
            Article.text,
        )
        .join(Article, Task.article_id == Article.id)
        .where(Task.id.in_(task_ids))
    ).all()
    anns = session.execute(
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
        )
    ).all()
    spans: dict[int, list[sp.Span]] = defaultdict(list)
    for ann_id, start, end, label in session.execute(
        select(EntitySpan.annotation_id, EntitySpan.start, EntitySpan.end, EntitySpan.label)
        .join(Annotation, EntitySpan.annotation_id == Annotation.id)
        .where(Annotation.task_id.in_(task_ids))
        .order_by(EntitySpan.annotation_id, EntitySpan.start, EntitySpan.end, EntitySpan.id)
    ):
        spans[ann_id].append(sp.Span(start, end, label))
    triples: dict[int, list[Triple]] = defaultdict(list)
    for t in session.execute(
        select(StanceTriple)
        .join(Annotation, StanceTriple.annotation_id == Annotation.id)
        .where(Annotation.task_id.in_(task_ids))
        .order_by(StanceTriple.annotation_id, StanceTriple.id)
    ).scalars():
        triples[t.annotation_id].append(stored_triple(t))
    by_task: dict[int, list] = defaultdict(list)
    for a in anns:
        by_task[a.task_id].append(a)
    predictions: dict[int, dict[str, tuple[datetime, list, list]]] = defaultdict(dict)
    if with_predictions:
        for p in session.execute(
            select(
                Prediction.article_id,
                Prediction.model_version,
                Prediction.created_at,
                Prediction.entities,
                Prediction.stances,
            ).where(Prediction.article_id.in_([t[2] for t in tasks]))
        ):
            predictions[p.article_id][p.model_version] = (p.created_at, p.entities, p.stances)
    resolutions = _resolutions(session, task_ids) if with_resolutions else {}
    items = {}
    for task_id, versions, art_pk, external_id, content_hash, text in tasks:
        rows = sorted(
            by_task[task_id], key=lambda a: _order(a.updated_at, a.created_at, a.ls_annotation_id)
        )
        items[task_id] = TaskItem(
            public_id=external_id or content_hash[:16],
            content_hash=content_hash,
            text=text,
            model_versions=[str(v) for v in versions or []],
            judgements=[
                Judgement(
                    a.annotator,
                    _order(a.updated_at, a.created_at, a.ls_annotation_id),
                    tuple(spans[a.id]),
                    tuple(triples[a.id]),
                    bool(a.ground_truth),
                )
                for a in rows
            ],
            pull_problems=sum(1 for a in rows if a.problems),
            predictions=predictions.get(art_pk, {}),
            task_id=task_id,
            article_pk=art_pk,
            resolution=resolutions.get(art_pk),
        )
    return [items[t] for t in task_ids if t in items]


def project_task_ids(session: Session, project: Project) -> list[int]:
    """Task ids in public article-id order (sorted in Python: the same on any database)."""
    rows = session.execute(
        select(Task.id, Article.external_id, Article.content_hash)
        .join(Article, Task.article_id == Article.id)
        .where(Task.project_id == project.id)
    ).all()
    return [task_id for task_id, _ext, _h in sorted(rows, key=lambda r: (r[1] or r[2][:16], r[2]))]
