"""`annotate evaluate`: CoNLL reading, exact-span scoring, stance triples, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli import app
from annotate.evaluate import GoldDoc, GoldError, evaluate, read_conll
from annotate.schemas import load_labelset
from tests.conftest import runner

FIXTURES = Path(__file__).parent / "fixtures" / "preannotate"


def test_read_conll_documents_text_and_spans() -> None:
    docs = list(read_conll(FIXTURES / "tiny.conll"))
    assert len(docs) == 2
    first = docs[0]
    assert first.text.split("\n")[1] == "BERLIN 1996-05-10"
    got = [(e["text"], e["label"]) for e in first.entities]
    assert ("Steffi Graf", "PER") in got and ("German", "MISC") in got
    assert ("Reuters", "ORG") in got
    assert [(e["text"], e["label"]) for e in docs[1].entities] == [("European Union", "ORG")]


def test_bad_conll_line_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.conll"
    bad.write_text("-DOCSTART- -X- -X- O\n\nParis NNP I-NP X-LOC\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"bad.conll:3: bad IOB tag"):
        list(read_conll(bad))


def test_scores_exact_spans_and_stances() -> None:
    labelset = load_labelset()
    text = "France backed a truce."
    gold = GoldDoc(
        "d",
        text,
        [{"start": 0, "end": 6, "label": "GPE", "text": "France"}],
        [
            {
                "holder": {"start": 0, "end": 6, "label": "GPE", "text": "France"},
                "target": "ceasefire",
                "label": "support",
                "evidence": {"start": 0, "end": 22},
            }
        ],
    )

    def predict(_text: str, doc_id: str) -> dict:
        return {
            "id": doc_id,
            "model_version": "m",
            "entities": [
                {"start": 0, "end": 6, "label": "GPE", "text": "France"},
                {"start": 16, "end": 21, "label": "ORG", "text": "truce"},
            ],
            "stances": [dict(gold.stances[0])],
        }

    rep = evaluate([gold], predict, labelset).as_dict()
    assert rep["entities"]["GPE"]["f1"] == 1.0
    assert rep["entities_micro"]["precision"] == 0.5
    assert rep["conll"]["LOC"]["f1"] == 1.0
    assert rep["stance"]["f1"] == 1.0
    assert {"gold": "none", "predicted": "ORG", "count": 1} in rep["confusions"]


def test_cli_on_conll_prints_table_and_json() -> None:
    res = runner.invoke(app, ["evaluate", "--gold", str(FIXTURES / "tiny.conll")])
    assert res.exit_code == 0, res.output
    assert "CoNLL-mapped" in res.output and "PER" in res.output
    res = runner.invoke(app, ["evaluate", "--gold", str(FIXTURES / "tiny.conll"), "--json"])
    data = json.loads(res.stdout)
    assert data["conll_micro"]["f1"] > 0.8
    assert data["documents"] == 2


def test_cli_jsonl_gold_round_trip(tmp_path: Path) -> None:
    """Predictions used as gold score perfectly: the formats agree."""
    pred = tmp_path / "pred.jsonl"
    runner.invoke(app, ["preannotate", str(FIXTURES / "articles.jsonl"), "-o", str(pred)])
    texts = {
        json.loads(x)["id"]: json.loads(x)["text"]
        for x in (FIXTURES / "articles.jsonl").read_text().splitlines()
    }
    gold = tmp_path / "gold.jsonl"
    with gold.open("w") as fh:
        for line in pred.read_text().splitlines():
            rec = json.loads(line)
            rec["text"] = texts[rec["id"]]
            fh.write(json.dumps(rec) + "\n")
    res = runner.invoke(app, ["evaluate", "--gold", str(gold), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["entities_micro"]["f1"] == 1.0


def test_cli_missing_gold_is_an_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["evaluate", "--gold", str(tmp_path / "nope.txt")])
    assert res.exit_code == 1
    assert "nope.txt" in res.output


def _gold_line(label: str, holder: str = "GPE") -> str:
    span = {"start": 0, "end": 6, "label": label, "text": "France"}
    stance = {
        "holder": {**span, "label": holder},
        "target": "ceasefire",
        "label": "support",
        "evidence": {"start": 0, "end": 22},
    }
    rec = {"id": "d", "text": "France backed a truce.", "entities": [span], "stances": [stance]}
    return json.dumps(rec) + "\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("gold.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8", "gold.txt:1: invalid UTF-8"),
        ("nul.conll", b"Paris NNP I-NP I-LOC\nRome\x00 NNP I-NP I-LOC\n", "nul.conll:2: NUL"),
        (
            "gold.jsonl",
            (_gold_line("GPE") + _gold_line("PERSONA")).encode(),
            "gold.jsonl:2: entities[0].label: unknown label 'PERSONA'",
        ),
        (
            "holder.jsonl",
            _gold_line("GPE", holder="LOC").encode(),
            "holder.jsonl:1: stances[0].holder.label: 'LOC' cannot hold a stance",
        ),
        (
            "types.conll",
            b"-DOCSTART- -X- -X- O\n\nParis NNP I-NP I-LOC\nRome NNP I-NP B-CITY\n",
            "types.conll:4: entity type 'CITY' is not a CoNLL type",
        ),
        (
            "three.conll",
            b"Paris NNP I-LOC\n",
            "three.conll:1: expected 4 columns (token POS chunk NER), got 3",
        ),
        ("five.conll", b"Paris NNP I-NP I-LOC extra\n", "five.conll:1: expected 4 columns"),
        (
            "floats.jsonl",
            _gold_line("GPE").replace('"start": 0', '"start": 0.0').encode(),
            "floats.jsonl:1: entity offsets must be whole numbers",
        ),
        (
            "digits.jsonl",
            _gold_line("GPE").replace('"end": 22', '"end": ' + "2" * 5000).encode(),
            "digits.jsonl:1: invalid JSON: number with too many digits",
        ),
    ],
)
def test_bad_gold_is_a_one_line_error(tmp_path: Path, name: str, content: bytes, message: str):
    """Gold that cannot be scored stops `evaluate` with the file and line, not a traceback."""
    gold = tmp_path / name
    gold.write_bytes(content)
    res = runner.invoke(app, ["evaluate", "--gold", str(gold)])
    assert res.exit_code == 1, res.output
    assert message in res.output
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)


def test_conll_docstart_and_blank_lines_still_separate(tmp_path: Path) -> None:
    gold = tmp_path / "ok.conll"
    gold.write_text(
        "-DOCSTART-\n\nParis NNP I-NP B-LOC\n\n\n-DOCSTART- -X- -X- O\nOslo NNP I-NP I-LOC\n",
        encoding="utf-8",
    )
    docs = list(read_conll(gold))
    assert [(d.text, d.entities[0]["label"]) for d in docs] == [("Paris", "LOC"), ("Oslo", "LOC")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", "gold.jsonl:2: <root>: [1, 2] is not of type 'object'"),
        ('"Rome"', "gold.jsonl:2: <root>: 'Rome' is not of type 'object'"),
        (
            '{"id": "b", "text": 5, "entities": [], "stances": []}',
            "gold.jsonl:2: text: 5 is not of type 'string'",
        ),
    ],
)
def test_gold_line_that_is_not_a_record(tmp_path: Path, line: str, message: str) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(_gold_line("GPE") + line + "\n")
    res = runner.invoke(app, ["evaluate", "--gold", str(gold)])
    assert res.exit_code == 1 and message in res.output, res.output


def test_markup_in_a_gold_label_prints_as_text(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(_gold_line("[/b]"))
    res = runner.invoke(app, ["evaluate", "--gold", str(gold)])
    assert res.exit_code == 1, res.output
    assert "entities[0].label: unknown label '[/b]'" in res.output
