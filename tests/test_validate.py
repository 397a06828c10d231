"""`annotate validate`: the schemas are valid, and broken files are reported precisely."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.cli import app
from annotate.validate import check_schemas, validate_files
from tests.conftest import FIXTURES, runner

V = FIXTURES / "validate"


def test_shipped_schemas_are_valid() -> None:
    assert check_schemas() == []


def test_good_predictions_pass_with_their_articles() -> None:
    assert list(validate_files([V / "articles.jsonl", V / "predictions-good.jsonl"])) == []


def test_broken_predictions_are_reported_per_line_and_field() -> None:
    problems = [
        str(p) for p in validate_files([V / "articles.jsonl", V / "predictions-broken.jsonl"])
    ]
    broken = str(V / "predictions-broken.jsonl")
    assert problems == [
        f"{broken}:2: entities[0].label: unknown label 'PERSONA'",
        f"{broken}:2: entities[1]: text 'New Zealandd' differs from the text at 35:46: 'New Zealand'",
        f"{broken}:2: stances[0].target: unknown target 'tariffs'",
        f"{broken}:3: entities[0].start: '15' is not of type 'integer'",
    ]


def test_gold_offsets_outside_the_text(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text(
        '{"id": "g", "text": "Rome", "entities": [{"start": 0, "end": 9, '
        '"label": "GPE", "text": "Rome"}], "stances": []}\n'
    )
    assert [str(p) for p in validate_files([gold])] == [
        f"{gold}:1: entities[0]: end 9 is past the end of the text (4 characters)"
    ]


def test_cli_exit_codes() -> None:
    ok = runner.invoke(app, ["validate"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(
        app, ["validate", str(V / "articles.jsonl"), str(V / "predictions-broken.jsonl")]
    )
    assert bad.exit_code == 1
    assert "predictions-broken.jsonl:2: entities[0].label: unknown label 'PERSONA'" in bad.output


def test_server_check_without_a_server_says_what_to_do(tmp_path: Path) -> None:
    env = {
        "ANNOTATE_HOME": str(tmp_path / "ws"),
        "LABEL_STUDIO_URL": None,
        "LABEL_STUDIO_API_KEY": None,
    }
    result = runner.invoke(app, ["validate", "--server"], env=env)
    assert result.exit_code == 1
    assert "run `annotate studio start`" in result.output


def test_targets_file_replaces_the_schema_targets(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("- {id: tariffs, description: Import duties, cues: [tariff, tariffs]}\n")
    broken = [str(V / "articles.jsonl"), str(V / "predictions-broken.jsonl")]
    result = runner.invoke(app, ["validate", *broken, "--targets", str(targets)])
    assert "unknown target 'tariffs'" not in result.output
    assert "unknown label 'PERSONA'" in result.output
    good = runner.invoke(
        app,
        [
            "validate",
            str(V / "articles.jsonl"),
            str(V / "predictions-good.jsonl"),
            "--targets",
            str(targets),
        ],
    )
    assert good.exit_code == 1 and "unknown target 'ceasefire'" in good.output


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "n": ' + "9" * 5000 + "}", "number with too many digits"),
        ('{"id": "a", "text": "Rome \\udfff."}', "lone surrogate escape, not Unicode text"),
    ],
)
def test_huge_numbers_and_lone_surrogates_are_one_problem(
    tmp_path: Path, line: str, message: str
) -> None:
    data = tmp_path / "odd.jsonl"
    data.write_text('{"id": "b", "text": "Rome."}\n' + line + "\n")
    assert [str(p) for p in validate_files([data])] == [
        f"{data}:2: line: malformed JSON: {message}"
    ]
    res = runner.invoke(app, ["validate", str(data)])
    assert res.exit_code == 1 and message in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("line", [DEEP, '{"id": "a", "text": ' + DEEP + "}"])
def test_deeply_nested_json_is_one_problem(tmp_path: Path, line: str) -> None:
    data = tmp_path / "deep.jsonl"
    data.write_text('{"id": "a", "text": "Rome."}\n' + line + "\n")
    problems = [str(p) for p in validate_files([data])]
    assert len(problems) == 1
    assert problems[0].startswith(f"{data}:2: ") and "nested too deeply" in problems[0]
    res = runner.invoke(app, ["validate", str(data)])
    assert res.exit_code == 1 and "nested too deeply" in res.output
    assert "Traceback" not in res.output


def test_overlapping_and_repeated_entities_are_reported(tmp_path: Path) -> None:
    """The dataset has one label per character: nested or repeated spans cannot be exported."""
    text = "New York City Council met in Rome."
    ents = [
        (0, 8, "GPE"),
        (0, 21, "ORG"),
        (29, 33, "GPE"),
        (4, 13, "GPE"),
        (29, 33, "GPE"),
        (22, 25, "ORG"),
    ]
    rec = {
        "id": "g",
        "text": text,
        "entities": [{"start": s, "end": e, "label": lab, "text": text[s:e]} for s, e, lab in ents],
        "stances": [],
    }
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(rec) + "\n")
    assert [str(p) for p in validate_files([gold])] == [
        f"{gold}:1: entities[1]: overlaps entities[0] [0, 8)",
        f"{gold}:1: entities[3]: overlaps entities[0] [0, 8)",
        f"{gold}:1: entities[3]: overlaps entities[1] [0, 21)",
        f"{gold}:1: entities[4]: repeats entities[2] [29, 33)",
    ]


def test_lines_that_are_not_records(tmp_path: Path) -> None:
    data = tmp_path / "articles.jsonl"
    data.write_text('{"id": "a", "text": "Rome."}\n[1]\n{"id": "b", "text": 5}\n')
    assert [str(p) for p in validate_files([data], kind="article")] == [
        f"{data}:2: line: not a JSON object",
        f"{data}:3: text: 5 is not of type 'string'",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('"entities": 5, "stances": []', "entities"),
        ('"entities": ["Rome"], "stances": []', "entities[0]"),
        (
            '"entities": [{"start": 0, "end": 4, "label": ["GPE"], "text": "Rome"}], "stances": []',
            "entities[0].label",
        ),
        ('"entities": [], "stances": [3]', "stances[0]"),
        (
            '"entities": [], "stances": [{"holder": 1, "target": "ceasefire", "label": "support", '
            '"evidence": {"start": 0, "end": 4}}]',
            "stances[0].holder",
        ),
        (
            '"entities": [], "stances": [{"holder": {"start": 0, "end": 4, "label": "GPE", '
            '"text": "Rome"}, "target": {}, "label": "support", "evidence": 7}]',
            "stances[0].evidence",
        ),
    ],
)
def test_wrongly_shaped_records_get_schema_errors_not_a_traceback(
    tmp_path: Path, body: str, field: str
) -> None:
    data = tmp_path / "pred.jsonl"
    data.write_text('{"id": "a", "model_version": "m", ' + body + "}\n")
    problems = [str(p) for p in validate_files([data])]
    assert problems and all(p.startswith(f"{data}:1: ") for p in problems)
    assert any(p.startswith(f"{data}:1: {field}: ") for p in problems), problems


def test_offsets_written_as_floats_are_a_problem(tmp_path: Path) -> None:
    """3.0 is an integer to JSON Schema; the conversion to Label Studio rejects it."""
    articles = tmp_path / "articles.jsonl"
    articles.write_text('{"id": "a", "text": "Quito voted."}\n')
    ent = '{"start": 0.0, "end": 5, "label": "GPE", "text": "Quito"}'
    preds = tmp_path / "predictions.jsonl"
    preds.write_text(
        '{"id": "a", "model_version": "m", "entities": [' + ent + '], "stances": []}\n'
    )
    assert [str(p) for p in validate_files([preds, articles])] == [
        f"{preds}:1: entities[0]: offsets 0.0, 5 must be written as integers"
    ]
