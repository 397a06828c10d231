"""Store mode of the pre-annotator: stored articles lacking a prediction -> Prediction rows.

Kept apart from `annotate.preannotate`, which stays pure (text in, record out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select

from annotate.preannotate.batch import predict_stream
from annotate.preannotate.model import preannotator
from annotate.schemas import LabelSet
from annotate.store.models import Article, Prediction
from annotate.store.session import session_scope

BATCH = 200


@dataclass
class PredictionSummary:
    model_version: str
    articles: int = 0
    entities: int = 0
    stances: int = 0


def pending(
    engine: Engine, model_version: str, force: bool = False, limit: int | None = None
) -> list[int]:
    """Ids of the articles to pre-annotate: those without this version's prediction (or all)."""
    with session_scope(engine) as session:
        query = select(Article.id).order_by(Article.id)
        if not force:
            done = select(Prediction.article_id).where(Prediction.model_version == model_version)
            query = query.where(Article.id.not_in(done))
        if limit:
            query = query.limit(limit)
        return list(session.scalars(query))


def _batches(engine: Engine, ids: list[int]) -> Iterator[list[tuple[str, str]]]:
    """(row id, text) batches, each read in its own short transaction."""
    for i in range(0, len(ids), BATCH):
        with session_scope(engine) as session:
            rows = session.execute(
                select(Article.id, Article.text).where(Article.id.in_(ids[i : i + BATCH]))
            )
            yield [(str(row_id), text) for row_id, text in rows]


def preannotate_store(
    engine: Engine,
    labelset: LabelSet,
    ids: list[int],
    workers: int = 1,
    on_advance: Callable[[int], None] | None = None,
) -> PredictionSummary:
    """Predict and store the given articles, one transaction per batch (resumable)."""
    version = preannotator(labelset).model_version
    summary = PredictionSummary(version)
    for batch in _batches(engine, ids):
        records = list(predict_stream(batch, labelset, workers))
        with session_scope(engine) as session:
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
        summary.articles += len(records)
        summary.entities += sum(len(r["entities"]) for r in records)
        summary.stances += sum(len(r["stances"]) for r in records)
        if on_advance:
            on_advance(len(records))
    return summary
