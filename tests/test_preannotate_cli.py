"""`annotate preannotate`: offline streaming output, bad input, and store mode."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from annotate.cli import app
from annotate.schemas import validator
from annotate.store.models import Article, Prediction
from annotate.store.session import session_scope
from tests.conftest import runner

FIXTURES = Path(__file__).parent / "fixtures" / "preannotate"


def test_offline_jsonl_validates_against_prediction_schema(tmp_path: Path) -> None:
    out = tmp_path / "pred.jsonl"
    res = runner.invoke(
        app,
        [
            "preannotate",
            str(FIXTURES / "articles.jsonl"),
            "-o",
            str(out),
            "--targets",
            str(FIXTURES / "targets-tariffs.yaml"),
        ],
    )
    assert res.exit_code == 0, res.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["a1", "a2", "bad-utf8-free"]
    check = validator("prediction")
    source = [json.loads(line) for line in (FIXTURES / "articles.jsonl").read_text().splitlines()]
    for rec, art in zip(records, source, strict=True):
        assert not list(check.iter_errors(rec))
        for ent in rec["entities"]:
            assert art["text"][ent["start"] : ent["end"]] == ent["text"]
    assert {s["target"] for s in records[0]["stances"]} == {"tariffs"}


def test_offline_txt_to_stdout(tmp_path: Path) -> None:
    src = tmp_path / "story.txt"
    src.write_text("France voted in favour of a truce.", encoding="utf-8")
    res = runner.invoke(app, ["preannotate", str(src)])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.stdout.strip())
    assert rec["id"] == "story"
    assert rec["stances"][0]["label"] == "support"


def test_bad_input_names_file_and_line(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["preannotate", str(FIXTURES / "bad.jsonl"), "-o", str(tmp_path / "o.jsonl")]
    )
    assert res.exit_code == 1
    assert "bad.jsonl:2: invalid JSON" in res.output


def test_bad_targets_file_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("- id: x\n", encoding="utf-8")
    res = runner.invoke(
        app, ["preannotate", str(FIXTURES / "articles.jsonl"), "--targets", str(bad)]
    )
    assert res.exit_code == 1
    assert "t.yaml" in res.output


def test_store_mode_predicts_once_per_model_version(db_url: str, engine) -> None:
    with session_scope(engine) as s:
        for i, text in enumerate(["Britain abstained on the truce.", "Japan backed a ceasefire."]):
            s.add(Article(content_hash=f"{i:064d}", text=text))
    res = runner.invoke(app, ["--db", db_url, "preannotate"])
    assert res.exit_code == 0, res.output
    assert "2 article(s)" in res.output
    res = runner.invoke(app, ["--db", db_url, "preannotate"])
    assert "nothing to do" in res.output
    res = runner.invoke(app, ["--db", db_url, "preannotate", "--force", "--limit", "1"])
    assert "1 article(s)" in res.output
    with session_scope(engine) as s:
        preds = s.scalars(select(Prediction)).all()
        assert len(preds) == 2
        labels = sorted(p.stances[0]["label"] for p in preds)
        assert labels == ["neutral", "support"]


def test_worker_processes_give_the_same_predictions_as_one(tmp_path: Path) -> None:
    articles = tmp_path / "articles.jsonl"
    texts = [
        "Britain abstained on the truce.",
        "Japan backed a ceasefire, Foreign Minister Yoko Kamikawa said.",
        "Norway rejected a humanitarian pause.",
    ] * 30
    articles.write_text(
        "".join(json.dumps({"id": f"a{i}", "text": t}) + "\n" for i, t in enumerate(texts))
    )
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"pred-{workers}.jsonl"
        res = runner.invoke(
            app, ["preannotate", str(articles), "-o", str(out), "--workers", workers]
        )
        assert res.exit_code == 0, res.output
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == len(texts)


def test_invalid_utf8_is_a_one_line_error_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.jsonl"
    good = b'{"id": "a", "text": "ok", "entities": [], "stances": []}\n'
    bad.write_bytes(good + b'{"id": "b", "text": "caf\xe9", "entities": [], "stances": []}\n')
    for args in (["preannotate", str(bad)], ["evaluate", "--gold", str(bad), "--format", "jsonl"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 1, res.output
        assert "latin1.jsonl:2: invalid UTF-8 at byte" in res.output
        assert "Traceback" not in res.output


DEEP = "[" * 100_000 + "]" * 100_000


def test_deeply_nested_json_is_a_one_line_error(tmp_path: Path) -> None:
    """Both strict readers (offline articles, gold JSONL) share iter_json_lines."""
    good = '{"id": "a", "text": "Rome.", "entities": [], "stances": []}\n'
    for n, line in enumerate([DEEP, '{"id": "b", "text": ' + DEEP + "}"]):
        deep = tmp_path / f"deep{n}.jsonl"
        deep.write_text(good + line + "\n")
        for args in (
            ["preannotate", str(deep), "-o", str(tmp_path / "out.jsonl")],
            ["evaluate", "--gold", str(deep)],
        ):
            res = runner.invoke(app, args)
            assert res.exit_code == 1, (args, res.output)
            assert f"deep{n}.jsonl:2: nested too deeply" in res.output, res.output
            assert "Traceback" not in res.output


def test_failed_offline_run_leaves_the_output_as_it_was(tmp_path: Path) -> None:
    """A half-written predictions file looks complete to the next tool; never leave one."""
    articles = tmp_path / "in" / "articles.jsonl"
    articles.parent.mkdir()
    good = "".join(
        json.dumps({"id": f"a{i}", "text": "Japan backed a ceasefire."}) + "\n" for i in range(200)
    )
    articles.write_text(good + '{"id": "bad", "text": }\n' + good)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    existing, fresh = out_dir / "old.jsonl", out_dir / "new.jsonl"
    existing.write_text("earlier predictions\n")
    for out in (existing, fresh):
        res = runner.invoke(app, ["preannotate", str(articles), "-o", str(out)])
        assert res.exit_code == 1 and "articles.jsonl:201: invalid JSON" in res.output
    assert existing.read_text() == "earlier predictions\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["old.jsonl"]
    articles.write_text(good)
    res = runner.invoke(app, ["preannotate", str(articles), "-o", str(existing)])
    assert res.exit_code == 0, res.output
    assert len(existing.read_text().splitlines()) == 200
    assert sorted(p.name for p in out_dir.iterdir()) == ["old.jsonl"]


def test_unwritable_output_is_a_one_line_error(tmp_path: Path) -> None:
    out = tmp_path / "missing-folder" / "pred.jsonl"
    res = runner.invoke(app, ["preannotate", str(FIXTURES / "articles.jsonl"), "-o", str(out)])
    assert res.exit_code == 1 and "pred.jsonl" in res.output
    assert isinstance(res.exception, SystemExit)


def test_article_line_that_is_not_an_object_with_text(tmp_path: Path) -> None:
    for n, line in enumerate(['["Rome"]', '{"id": "b", "text": 5}']):
        src = tmp_path / f"in{n}.jsonl"
        src.write_text('{"id": "a", "text": "Rome."}\n' + line + "\n")
        res = runner.invoke(app, ["preannotate", str(src)])
        assert res.exit_code == 1
        assert f"in{n}.jsonl:2: expected an object with a string `text`" in res.output


def test_utf8_bom_jsonl_is_read_by_every_jsonl_command(tmp_path: Path) -> None:
    """Excel and Notepad write a UTF-8 BOM; ingest accepts it, so the other readers must too."""
    rec = {"id": "a", "text": "Rome backed a truce.", "entities": [], "stances": []}
    src = tmp_path / "bom.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps(rec).encode() + b"\n")
    for args in (
        ["preannotate", str(src)],
        ["evaluate", "--gold", str(src)],
        ["validate", str(src), "--kind", "gold"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
