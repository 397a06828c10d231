"""Store mode of the pre-annotator: stored articles lacking a prediction -> Prediction rows.

Kept apart from `annotate.preannotate`, which stays pure (text in, record out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from more_itertools import chunked
from sqlalchemy import Engine

from annotate.preannotate.batch import annotator_version, predict_stream
from annotate.schemas import LabelSet
from annotate.store import queries
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
        return queries.articles_to_predict(session, model_version, force, limit)


def _texts(engine: Engine, ids: list[int]) -> Iterator[tuple[str, str]]:
    """(row id, text) of every article, read BATCH at a time, each read in its own short
    transaction that ends before the texts are handed on (so no read stays open while the
    predictions of an earlier batch are written)."""
    for chunk in chunked(ids, BATCH):
        with session_scope(engine) as session:
            rows = queries.article_texts(session, chunk)
        for row_id, text in rows:
            yield str(row_id), text


def preannotate_store(
    engine: Engine,
    labelset: LabelSet,
    ids: list[int],
    workers: int = 1,
    on_advance: Callable[[int], None] | None = None,
    model_dir: Path | None = None,
) -> PredictionSummary:
    """Predict and store the given articles, one transaction per batch (resumable).

    One `predict_stream` (so one process pool, each worker building the lexicon once) for
    the whole run; its records, in input order, are stored BATCH at a time.
    With ``model_dir``, the rules plus that learned layer, stored under its version."""
    version = annotator_version(labelset, model_dir)
    summary = PredictionSummary(version)
    stream = predict_stream(_texts(engine, ids), labelset, workers, model_dir=model_dir)
    for records in chunked(stream, BATCH):
        with session_scope(engine) as session:
            queries.replace_predictions(session, version, records)
        summary.articles += len(records)
        summary.entities += sum(len(r["entities"]) for r in records)
        summary.stances += sum(len(r["stances"]) for r in records)
        if on_advance:
            on_advance(len(records))
    return summary
