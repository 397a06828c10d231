"""One sentence splitter: a prediction's stance row and a human's row of the same stance
carry the same `sentence`, even around abbreviations (Gen., Adm., St., Mr., U.S.)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq

from annotate.export.adjudicate import parse_policy
from annotate.export.hf import ExportOptions, export_project
from annotate.export.splits import parse_splits
from annotate.preannotate.model import preannotator
from annotate.schemas import load_labelset
from annotate.store.migrate import upgrade
from annotate.store.models import Annotation, Article, Prediction, Project, StanceTriple, Task
from annotate.store.session import make_engine, session_scope

LABELS = load_labelset()
TEXT = (
    "Gen. Ortiz met reporters in St. Louis on Monday. France supports a ceasefire in Gaza, "
    "Adm. Chen Wei said. Mr. Lopez of the U.S. State Department opposed a humanitarian pause."
)


def _stance_rows(out: Path) -> dict[tuple, tuple[str, int]]:
    rows: dict[tuple, tuple[str, int]] = {}
    for path in sorted((out / "data" / "stance").glob("*.parquet")):
        for r in pq.read_table(path).to_pylist():
            key = (r["holder_start"], r["holder_end"], r["target"], r["label"])
            rows[key] = (r["sentence"], r["sentence_start"])
    return rows


def _export(engine, out: Path, include_unreviewed: bool) -> dict[tuple, tuple[str, int]]:
    options = ExportOptions(
        out_dir=out,
        policy=parse_policy("latest"),
        splits=parse_splits("train=1"),
        include_unreviewed=include_unreviewed,
    )
    export_project(engine, options, LABELS)
    return _stance_rows(out)


def test_prediction_and_human_rows_of_one_stance_have_one_sentence(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    model = preannotator(LABELS)
    record = model.predict(TEXT, "a1")
    assert len(record["stances"]) >= 2, "the rules should find the fixture's two stances"
    with session_scope(engine) as s:
        project = Project(name="news", ls_url="http://ls", ls_project_id=1)
        art = Article(
            content_hash=hashlib.sha256(TEXT.encode()).hexdigest(), external_id="a1", text=TEXT
        )
        s.add_all([project, art])
        s.flush()
        s.add(
            Prediction(
                article_id=art.id,
                model_version=model.model_version,
                entities=record["entities"],
                stances=record["stances"],
            )
        )
        task = Task(
            project_id=project.id,
            article_id=art.id,
            ls_task_id=1,
            model_versions=[model.model_version],
        )
        s.add(task)
    predicted = _export(engine, tmp_path / "pred", include_unreviewed=True)
    assert len(predicted) == len(record["stances"])

    # a human keeps every predicted stance (as a pull stores it: no evidence of its own)
    with session_scope(engine) as s:
        task_id = s.query(Task.id).scalar()
        ann = Annotation(task_id=task_id, ls_annotation_id=10, annotator="ana@example.org")
        ann.stances = [
            StanceTriple(
                holder_start=st["holder"]["start"],
                holder_end=st["holder"]["end"],
                holder_label=st["holder"]["label"],
                holder_text=st["holder"]["text"],
                target=st["target"],
                target_start=st["target_span"]["start"],
                target_end=st["target_span"]["end"],
                label=st["label"],
            )
            for st in record["stances"]
        ]
        s.add(ann)
    human = _export(engine, tmp_path / "human", include_unreviewed=False)
    assert human.keys() == predicted.keys()
    for key, (sentence, start) in human.items():
        assert (sentence, start) == predicted[key], key
        assert TEXT[start : start + len(sentence)] == sentence
