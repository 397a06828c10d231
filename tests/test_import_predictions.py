"""`annotate import --format predictions`: prediction shards back into the store, joined by
article id or content hash, in one transaction (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from annotate import predictions
from annotate.cli import app
from annotate.cluster.shards import write_shard
from annotate.corpora import import_predictions
from annotate.errors import InputError
from annotate.ingest import ingest_paths
from annotate.preannotate.model import predict
from annotate.schemas import load_labelset
from annotate.spans import unit_text
from annotate.store.models import Article, Prediction
from annotate.store.session import session_scope
from tests.conftest import runner, stored_predictions

LABELS = load_labelset()
TEXTS = [
    "Angela Merkel said in Nairobi that France supported the ceasefire on Monday.",
    "The United Nations rejected the tariffs, William Ruto told reporters in Lima.",
    "Dina Boluarte visited Oslo and Hanoi after the summit in Accra.",
]


def _count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Prediction)) or 0)


@pytest.fixture
def articles(engine: Engine, tmp_path: Path) -> Path:
    """Three ingested articles with ids; the same JSONL is the cluster's input."""
    path = tmp_path / "articles.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"n{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS)),
        encoding="utf-8",
    )
    assert len(ingest_paths(engine, [path]).new) == 3
    return path


def _offline(tmp_path: Path, name: str, fmt: str, ids: list[str] | None = None) -> Path:
    ids = ids or [f"n{i}" for i in range(len(TEXTS))]
    out = tmp_path / f"{name}.{fmt}"
    write_shard([predict(t, LABELS, i) for i, t in zip(ids, TEXTS, strict=False)], str(out), fmt)
    return out


def test_imported_predictions_are_what_store_mode_stores(
    engine: Engine, articles: Path, tmp_path: Path
) -> None:
    ids = predictions.pending(engine, "any", force=True)
    predictions.preannotate_store(engine, LABELS, ids)
    store_mode = stored_predictions(engine)
    with session_scope(engine) as s:
        s.execute(Prediction.__table__.delete())
    folder = tmp_path / "preds"
    folder.mkdir()
    write_shard(
        [predict(t, LABELS, f"n{i}") for i, t in enumerate(TEXTS[:2])],
        str(folder / "a.jsonl"),
        "jsonl",
    )
    write_shard([predict(TEXTS[2], LABELS, "n2")], str(folder / "b.parquet"), "parquet")
    report = import_predictions(engine, [str(folder)], LABELS)
    assert (report.files, report.predictions, report.replaced) == (2, 3, 0)
    assert stored_predictions(engine) == store_mode
    assert any(entities for _a, _v, entities, _s in store_mode)
    again = import_predictions(engine, [str(folder)], LABELS)
    assert (again.predictions, again.replaced) == (3, 3)
    assert stored_predictions(engine) == store_mode


def test_unknown_article_is_one_line_and_stores_nothing(
    engine: Engine, articles: Path, tmp_path: Path
) -> None:
    good = _offline(tmp_path, "good", "jsonl")
    bad = _offline(tmp_path, "bad", "jsonl", ids=["n0", "nope"])
    with pytest.raises(InputError) as err:
        import_predictions(engine, [str(good), str(bad)], LABELS)
    assert str(err.value).startswith(f"{bad}:2: no stored article has id 'nope'")
    assert _count(engine) == 0  # the good file's rows were rolled back with the rest
    result = runner.invoke(
        app,
        [
            "--db",
            engine.url.render_as_string(hide_password=False),
            "import",
            str(good),
            str(bad),
            "--format",
            "predictions",
        ],
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: {bad}:2: no stored article has id 'nope': ingest the articles first (the "
        "id is an article's own id or its content hash)"
    ]
    assert _count(engine) == 0


def test_parquet_rows_are_named_in_errors(engine: Engine, articles: Path, tmp_path: Path) -> None:
    bad = _offline(tmp_path, "bad", "parquet", ids=["n0", "n1", "gone"])
    with pytest.raises(InputError, match=r"bad\.parquet: row 3: no stored article"):
        import_predictions(engine, [str(bad)], LABELS)


def test_join_by_content_hash_and_body_offsets_move_under_a_title(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "titled.jsonl"
    path.write_text(json.dumps({"title": "Talks in Oslo", "text": TEXTS[0]}) + "\n")
    ingest_paths(engine, [path])
    with session_scope(engine) as s:
        art = s.scalar(select(Article))
        assert art is not None and art.external_id is None
        digest, prefix, title, body = art.content_hash, art.content_hash[:16], art.title, art.text
    # Made from the body alone (as the article JSONL's `text` is read offline).
    record = predict(body, LABELS, digest)
    write_shard([record], str(tmp_path / "p.jsonl"), "jsonl")
    report = import_predictions(engine, [str(tmp_path / "p.jsonl")], LABELS)
    assert report.moved == 1
    [(_a, _v, entities, _s)] = stored_predictions(engine)
    unit = unit_text(title, body)
    assert [unit[e["start"] : e["end"]] for e in entities] == [
        e["text"] for e in record["entities"]
    ]
    # The public id of an article without its own id: the hash prefix.
    write_shard([predict(unit, LABELS, prefix)], str(tmp_path / "q.jsonl"), "jsonl")
    assert import_predictions(engine, [str(tmp_path / "q.jsonl")], LABELS).moved == 0


def test_offsets_off_the_stored_text_and_repeats_are_refused(
    engine: Engine, articles: Path, tmp_path: Path
) -> None:
    rec = predict(TEXTS[0], LABELS, "n0")
    assert rec["entities"]
    shifted = {
        **rec,
        "entities": [{**e, "start": e["start"] + 1, "end": e["end"] + 1} for e in rec["entities"]],
    }
    write_shard([shifted], str(tmp_path / "off.jsonl"), "jsonl")
    with pytest.raises(
        InputError, match=r"off\.jsonl:1: entities\[0\]: .*of the stored article 'n0'"
    ):
        import_predictions(engine, [str(tmp_path / "off.jsonl")], LABELS)
    write_shard([rec, rec], str(tmp_path / "twice.jsonl"), "jsonl")
    with pytest.raises(InputError, match=r"twice\.jsonl:2: a second .* prediction of article 'n0'"):
        import_predictions(engine, [str(tmp_path / "twice.jsonl")], LABELS)
    (tmp_path / "shape.jsonl").write_text('{"id": "n0", "entities": []}\n')
    with pytest.raises(InputError, match=r"shape\.jsonl:1: not a prediction record"):
        import_predictions(engine, [str(tmp_path / "shape.jsonl")], LABELS)
    assert _count(engine) == 0
