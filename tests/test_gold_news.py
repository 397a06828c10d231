"""The pre-annotator on the hand-written gold news set (tests/fixtures/gold/news.jsonl).

Nine wire-style articles on several topics (tariffs, a climate target, military aid, AI
regulation, two ceasefire debates, an election, football, an airline merger) annotated by the
label guidelines (schemas/GUIDELINES.md): six entity labels, stance triples on the targets in
targets.yaml. The floors sit a little below the figures measured, so a regression fails here.
Measured: entities micro F1 0.984 (P 0.988, R 0.979); stance triples F1 0.932 (P 1.000,
R 0.873), after the oppose/negation/coordination/back-reference/judgement rules
(before: F1 0.716). Before the rules this set prompted: entities 0.882, stance 0.446. The set is no
longer held out for those rules; the held-out bar needs fresh articles.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.evaluate import evaluate, read_gold_jsonl
from annotate.preannotate.model import PreAnnotator
from annotate.schemas import load_labelset, load_targets
from annotate.validate import semantic_problems

GOLD = Path(__file__).parent / "fixtures" / "gold"

ENTITY_FLOORS = {"micro": 0.95, "PERSON": 0.95, "GPE": 0.95, "ORG": 0.93, "NORP": 0.95}
STANCE_F1_FLOOR = 0.90
STANCE_PRECISION_FLOOR = 0.90


@pytest.fixture(scope="module")
def labelset():
    return load_labelset().with_targets(load_targets(GOLD / "targets.yaml"))


@pytest.fixture(scope="module")
def report(labelset):
    model = PreAnnotator(labelset)
    return evaluate(read_gold_jsonl(GOLD / "news.jsonl"), model.predict, labelset).as_dict()


def test_gold_is_valid_against_its_targets(labelset):
    lines = (GOLD / "news.jsonl").read_text(encoding="utf-8").splitlines()
    assert 8 <= len(lines) <= 10
    for n, line in enumerate(lines, 1):
        rec = json.loads(line)
        assert 120 <= len(rec["text"].split()) <= 250
        problems = list(semantic_problems(f"news.jsonl:{n}", rec, labelset, rec["text"]))
        assert not problems, problems
        spans = {(e["start"], e["end"]) for e in rec["entities"]}
        for st in rec["stances"]:
            assert (st["holder"]["start"], st["holder"]["end"]) in spans


def test_entity_figures_stay_above_their_floors(report):
    ents = {**report["entities"], "micro": report["entities_micro"]}
    low = {k: ents[k]["f1"] for k, floor in ENTITY_FLOORS.items() if ents[k]["f1"] < floor}
    assert not low, f"entity F1 below floor: {low}"


def test_stance_figures_stay_above_their_floors(report):
    st = report["stance"]
    assert st["f1"] >= STANCE_F1_FLOOR, st
    assert st["precision"] >= STANCE_PRECISION_FLOOR, st
