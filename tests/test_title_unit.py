"""The title is labelable: store mode, offline mode and the migration agree on the unit text."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, select, text

from annotate.ingest.readers import read_txt
from annotate.judgement import shift_record
from annotate.preannotate.batch import predict_stream, read_articles
from annotate.predictions import pending, preannotate_store
from annotate.schemas import load_labelset
from annotate.spans import title_shift, unit_text
from annotate.store.migrate import downgrade, upgrade
from annotate.store.models import Article, Prediction, Task
from annotate.store.session import session_scope

ARTICLE = "UN backs a truce in Gaza\n\nThe UN said on Monday it backs a truce in Gaza.\n"


def test_unit_text_puts_the_title_first() -> None:
    assert unit_text("UN backs a truce", "Body.") == "UN backs a truce\n\nBody."
    assert unit_text(None, "Body.") == unit_text("", "Body.") == "Body."
    assert title_shift("UN") == 4 and title_shift(None) == 0


def test_shift_record_moves_and_drops_what_falls_off() -> None:
    rec = {
        "entities": [{"start": 0, "end": 2, "label": "ORG", "text": "UN"}],
        "stances": [
            {
                "holder": {"start": 10, "end": 12, "label": "ORG", "text": "UN"},
                "target": "ceasefire",
                "label": "support",
                "target_span": {"start": 20, "end": 25},
                "evidence": {"start": 8, "end": 30},
            }
        ],
    }
    moved, dropped = shift_record(rec, -5)
    assert dropped == 1 and moved["entities"] == []
    assert moved["stances"][0]["holder"]["start"] == 5
    assert moved["stances"][0]["evidence"] == {"start": 3, "end": 25}


def test_store_mode_tags_the_title_with_offline_offsets(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "truce.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    (art,) = list(read_txt(path, 10_000))
    assert art.title == "UN backs a truce in Gaza"
    with session_scope(engine) as s:
        s.add(Article(content_hash="c" * 64, title=art.title, text=art.text))
    labelset = load_labelset()
    ids = pending(engine, "x", force=True)
    preannotate_store(engine, labelset, ids)
    with session_scope(engine) as s:
        pred = s.scalars(select(Prediction)).one()
        stored = sorted((e["start"], e["end"], e["label"]) for e in pred.entities)
    unit = unit_text(art.title, art.text)
    assert any(e[1] <= len(art.title) for e in stored), "no entity in the title"
    (offline,) = list(predict_stream(read_articles([path]), labelset))
    # the file is in normal form (title, blank line, body): offline indexes the same text
    assert path.read_text(encoding="utf-8").rstrip("\n") == unit
    assert sorted((e["start"], e["end"], e["label"]) for e in offline["entities"]) == stored


def test_migration_moves_stored_offsets_into_the_unit_text(engine: Engine) -> None:
    """A store made before 0004 keeps working: its body offsets move, its tasks say 'body'."""
    downgrade(engine, "0003")
    title, body = "UN weighs truce", "The UN backs a truce."
    un = body.index("UN")
    ent = {"start": un, "end": un + 2, "label": "ORG", "text": "UN"}
    stance = {
        "holder": ent,
        "target": "ceasefire",
        "label": "support",
        "target_span": {"start": body.index("truce"), "end": body.index("truce") + 5},
        "evidence": {"start": 0, "end": len(body)},
    }
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO articles (id, content_hash, title, text, ingested_at, meta) "
                "VALUES (1, :h, :t, :b, CURRENT_TIMESTAMP, '{}')"
            ),
            {"h": "d" * 64, "t": title, "b": body},
        )
        conn.execute(
            text(
                "INSERT INTO predictions (id, article_id, model_version, created_at, entities, "
                "stances) VALUES (1, 1, 'v0', CURRENT_TIMESTAMP, :e, :s)"
            ),
            {"e": json.dumps([ent]), "s": json.dumps([stance])},
        )
        conn.execute(
            text(
                "INSERT INTO projects (id, name, ls_url, ls_project_id, overlap, created_at) "
                "VALUES (1, 'p', 'http://x', 1, 1, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO tasks (id, project_id, article_id, ls_task_id, model_versions, "
                "pushed_at) VALUES (1, 1, 1, 7, '[]', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO annotations (id, task_id, ls_annotation_id, annotator, cancelled, "
                "ground_truth, deleted, result, problems, pulled_at) "
                "VALUES (1, 1, 9, 'a', false, false, false, '[]', '[]', CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                'INSERT INTO entity_spans (annotation_id, start, "end", label, text) '
                "VALUES (1, :s, :e, 'ORG', 'UN')"
            ),
            {"s": un, "e": un + 2},
        )
    upgrade(engine)
    unit = unit_text(title, body)
    with session_scope(engine) as s:
        assert s.scalars(select(Task)).one().layout == "body"
        pred = s.scalars(select(Prediction)).one()
        e = pred.entities[0]
        assert unit[e["start"] : e["end"]] == "UN" and e["start"] == un + title_shift(title)
        st = pred.stances[0]
        assert unit[st["target_span"]["start"] : st["target_span"]["end"]] == "truce"
        assert st["evidence"] == {"start": title_shift(title), "end": len(unit)}
        start, end = s.execute(text('SELECT start, "end" FROM entity_spans')).one()
        assert unit[start:end] == "UN"
        s.execute(
            text(
                "INSERT INTO projects (id, name, ls_url, ls_project_id, overlap, created_at) "
                "VALUES (2, 'q', 'http://x', 2, 1, CURRENT_TIMESTAMP)"
            )
        )
        s.execute(
            text(
                "INSERT INTO tasks (id, project_id, article_id, ls_task_id, model_versions, "
                "pushed_at) VALUES (2, 2, 1, 8, '[]', CURRENT_TIMESTAMP)"
            )
        )
        assert s.scalars(select(Task).where(Task.ls_task_id == 8)).one().layout == "unit"
    downgrade(engine, "0003")
    with engine.connect() as conn:
        assert conn.execute(text('SELECT start, "end" FROM entity_spans')).one() == (un, un + 2)
