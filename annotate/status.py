"""Counts per pipeline stage, for `annotate status`."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from annotate.store.models import Annotation, Article, ExportRun, Prediction, Project, Task
from annotate.store.session import session_scope


def stage_counts(engine: Engine, model_version: str | None) -> dict[str, int | str | None]:
    """How many articles reached each stage. `predictions` counts the current model version."""
    with session_scope(engine) as s:
        predicted = select(func.count(func.distinct(Prediction.article_id)))
        if model_version is not None:
            predicted = predicted.where(Prediction.model_version == model_version)
        live = Annotation.deleted.is_(False)
        return {
            "articles": s.scalar(select(func.count(Article.id))) or 0,
            "predictions": s.scalar(predicted) or 0,
            "model_version": model_version,
            "projects": s.scalar(select(func.count(Project.id))) or 0,
            "tasks": s.scalar(select(func.count(Task.id))) or 0,
            "annotations": s.scalar(
                select(func.count(Annotation.id)).where(live, Annotation.cancelled.is_(False))
            )
            or 0,
            "skipped": s.scalar(
                select(func.count(Annotation.id)).where(live, Annotation.cancelled.is_(True))
            )
            or 0,
            "annotated_articles": s.scalar(
                select(func.count(func.distinct(Task.article_id)))
                .join(Annotation, Annotation.task_id == Task.id)
                .where(live, Annotation.cancelled.is_(False))
            )
            or 0,
            "exports": s.scalar(select(func.count(ExportRun.id))) or 0,
        }
