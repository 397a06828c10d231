"""Store-mode pre-annotation with workers: one process pool for the whole run, and the same
stored predictions as one worker."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from annotate import predictions
from annotate.ingest import ingest_paths
from annotate.preannotate import batch
from annotate.schemas import load_labelset
from tests.conftest import stored_predictions

PLACES = ["Nairobi", "Lima", "Oslo", "Hanoi", "Accra", "Quito"]
PEOPLE = ["Angela Merkel", "Emmanuel Macron", "William Ruto", "Dina Boluarte"]


def test_two_workers_store_what_one_does_with_one_pool(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(23):
        (tmp_path / f"a{i:02}.txt").write_text(
            f"Talks in {PLACES[i % 6]}, round {i}\n\n{PEOPLE[i % 4]} said France supported "
            f"the truce, while Kenya rejected plan {i} in {PLACES[(i + 1) % 6]}.\n",
            encoding="utf-8",
        )
    assert len(ingest_paths(engine, [tmp_path]).new) == 23
    monkeypatch.setattr(predictions, "BATCH", 4)  # several store batches
    pools: list[int] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", CountedPool)
    labels = load_labelset()
    ids = predictions.pending(engine, "any", force=True)
    one = predictions.preannotate_store(engine, labels, ids, workers=1)
    serial = stored_predictions(engine)
    two = predictions.preannotate_store(engine, labels, ids, workers=2)
    assert pools == [1]  # one pool for the run, not one per batch of 4
    assert stored_predictions(engine) == serial
    assert len(serial) == 23 and any(entities for _a, _v, entities, _s in serial)
    assert (one.articles, one.entities, one.stances) == (two.articles, two.entities, two.stances)


def test_the_version_without_the_lexicon_is_the_annotators() -> None:
    """The parent of a pool names the version from file hashes; the workers stamp the same."""
    labels = load_labelset()
    assert batch.annotator_version(labels) == batch.annotator(labels).model_version


def _worker_dies(chunk: list) -> None:
    os._exit(1)  # as the kernel's OOM killer would end it


def test_a_preannotation_worker_that_dies_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotate.errors import AnnotateError

    monkeypatch.setattr(batch, "_predict_chunk", _worker_dies)
    articles = [(f"a{i}", "Maria Lopez met officials in Lima.") for i in range(10)]
    with pytest.raises(AnnotateError, match="worker stopped.*fewer --workers"):
        list(batch.predict_stream(articles, load_labelset(), workers=2))
