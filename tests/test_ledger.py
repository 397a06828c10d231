"""`annotate ledger`: counts per rule family, label and model version, checked against a
store built by hand through the models (see the docstring of `build` for the sums)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, select

from annotate.cli import app
from annotate.ledger import project_ledger
from annotate.store.models import Article, Prediction, Task
from annotate.store.session import session_scope
from tests.conftest import runner
from tests.test_export import Ann, Store, _pred_stance, at

A = "Lena Ostrova told Kestrel Bank in Varna and Sofia that Norway backs a ceasefire."
B = "Marta Quell said Chile opposes a humanitarian pause."
C = "Oslo hosted the talks on Monday."
D = "Kenya sent envoys to Geneva."


def predict(
    engine: Engine,
    text: str,
    version: str,
    entities: list[tuple[str, str, str | None]],
    stances: list[tuple[str, str, str, str, str, str]] = (),
) -> None:
    """Store a prediction of `text`: (word, label, source or None) and stances (holder,
    holder label, target, target word, label, source)."""
    ents: list[dict[str, Any]] = []
    for word, label, source in entities:
        a, b = at(text, word)
        ents.append({"start": a, "end": b, "label": label, "text": word, "score": 0.5})
        if source:
            ents[-1]["source"] = source
    sts = [{**_pred_stance(text, *st[:5]), "source": st[5]} for st in stances]
    with session_scope(engine) as s:
        art = s.scalars(select(Article).where(Article.text == text)).one()
        s.add(Prediction(article_id=art.id, model_version=version, entities=ents, stances=sts))


def pushed(engine: Engine, text: str, versions: list[str]) -> None:
    with session_scope(engine) as s:
        task = s.scalars(select(Task).join(Article).where(Article.text == text)).one()
        task.model_versions = versions


def build(store: Store) -> Store:
    """Task A shows v1 (rules) to ann1, whose latest annotation: keeps Lena Ostrova PERSON
    (first_name) and Norway GPE (gazetteer); relabels Varna GPE -> LOC (gazetteer); moves
    Kestrel Bank -> Kestrel (org_head); deletes ceasefire EVENT (no source: unknown); adds
    Sofia GPE; relabels Norway's support -> oppose (cue) and adds Lena's support. ann1's
    older annotation, ann2 (who skipped it last), and import:wire are left out.

    Task B shows v2 (learned; v1 and an unpushed v3 are stored too) to ann1, who keeps all,
    and ann2, who moves Marta Quell -> Marta, relabels Chile GPE -> ORG, deletes the stance.
    C has a prediction and no annotation; D an annotation and no prediction."""
    e = store.engine
    ann_a = [
        ("Lena Ostrova", "PERSON"),
        ("Kestrel", "ORG"),
        ("Varna", "LOC"),
        ("Sofia", "GPE"),
        ("Norway", "GPE"),
    ]
    st_a = [
        ("Norway", "GPE", "ceasefire", "ceasefire", "oppose"),
        ("Lena Ostrova", "PERSON", "ceasefire", "ceasefire", "support"),
    ]
    everything = [("Lena Ostrova", "PERSON"), ("Kestrel Bank", "ORG"), ("Varna", "GPE")]
    store.article(
        "a",
        A,
        [
            Ann("ann1@example.org", 1, everything),
            Ann("ann1@example.org", 2, ann_a, st_a),
            Ann("ann2@example.org", 1, everything),
            Ann("ann2@example.org", 3, [], cancelled=True),
            Ann("import:wire", 4, everything),
        ],
    )
    predict(
        e,
        A,
        "v1",
        [
            ("Lena Ostrova", "PERSON", "rules:first_name"),
            ("Kestrel Bank", "ORG", "rules:org_head"),
            ("Varna", "GPE", "rules:gazetteer"),
            ("Norway", "GPE", "rules:gazetteer"),
            ("ceasefire", "EVENT", None),
        ],
        [("Norway", "GPE", "ceasefire", "ceasefire", "support", "rules:cue")],
    )
    pushed(e, A, ["v1"])
    chile = ("Chile", "GPE", "humanitarian_pause", "humanitarian pause", "oppose")
    store.article(
        "b",
        B,
        [
            Ann("ann1@example.org", 1, [("Marta Quell", "PERSON"), ("Chile", "GPE")], [chile]),
            Ann("ann2@example.org", 1, [("Marta", "PERSON"), ("Chile", "ORG")]),
        ],
    )
    predict(e, B, "v1", [("Chile", "ORG", "rules:gazetteer")])
    predict(
        e,
        B,
        "v2",
        [("Marta Quell", "PERSON", "learned"), ("Chile", "GPE", "learned")],
        [(*chile, "rules:cue")],
    )
    predict(e, B, "v3", [("Quell", "PERSON", "learned")])
    pushed(e, B, ["v1", "v2"])
    store.article("c", C)
    predict(e, C, "v1", [("Oslo", "GPE", "rules:gazetteer")])
    pushed(e, C, ["v1"])
    store.article("d", D, [Ann("ann1@example.org", 1, [("Kenya", "GPE")])])
    return store


@pytest.fixture
def ledger_store(engine: Engine) -> Store:
    return build(Store(engine))


def _row(r: dict[str, Any]) -> tuple:
    return (r["predicted"], r["kept"], r["relabeled"], r["moved"], r["deleted"])


def test_counts_match_the_hand_computed_case(ledger_store: Store) -> None:
    ledger = project_ledger(ledger_store.engine, None).to_dict()
    assert (ledger["project"], ledger["tasks"], ledger["comparisons"]) == ("news", 2, 3)
    rows = {(r["kind"], r["model_version"], r["source"], r["label"]): r for r in ledger["rows"]}
    # (predicted, kept, relabeled, moved, deleted), precision, recall
    expected = {
        ("entity", "v1", "rules:first_name", "PERSON"): ((1, 1, 0, 0, 0), 1.0, 1.0),
        ("entity", "v1", "rules:gazetteer", "GPE"): ((2, 1, 1, 0, 0), 0.5, 0.5),
        ("entity", "v1", "rules:org_head", "ORG"): ((1, 0, 0, 1, 0), 0.0, 0.0),
        ("entity", "v1", "unknown", "EVENT"): ((1, 0, 0, 0, 1), 0.0, None),
        ("entity", "v2", "learned", "GPE"): ((2, 1, 1, 0, 0), 0.5, 1.0),
        ("entity", "v2", "learned", "PERSON"): ((2, 1, 0, 1, 0), 0.5, 0.5),
        ("stance", "v1", "rules:cue", "support"): ((1, 0, 1, 0, 0), 0.0, 0.0),
        ("stance", "v2", "rules:cue", "oppose"): ((2, 1, 0, 0, 1), 0.5, 1.0),
    }
    assert {k: (_row(r), r["precision"], r["recall"]) for k, r in rows.items()} == expected
    totals = {(r["kind"], r["model_version"], r["label"]): r for r in ledger["totals"]}
    # (predicted, kept, relabeled, moved, deleted), added, humans, precision, recall
    expected_totals = {
        ("entity", "v1", "PERSON"): ((1, 1, 0, 0, 0), 0, 1, 1.0, 1.0),
        ("entity", "v1", "ORG"): ((1, 0, 0, 1, 0), 0, 1, 0.0, 0.0),
        ("entity", "v1", "GPE"): ((2, 1, 1, 0, 0), 1, 2, 0.5, 0.5),  # Sofia added
        ("entity", "v1", "LOC"): ((0, 0, 0, 0, 0), 0, 1, None, 0.0),  # Varna, relabeled
        ("entity", "v1", "EVENT"): ((1, 0, 0, 0, 1), 0, 0, 0.0, None),
        ("entity", "v2", "PERSON"): ((2, 1, 0, 1, 0), 0, 2, 0.5, 0.5),
        ("entity", "v2", "GPE"): ((2, 1, 1, 0, 0), 0, 1, 0.5, 1.0),
        ("entity", "v2", "ORG"): ((0, 0, 0, 0, 0), 0, 1, None, 0.0),
        ("stance", "v1", "support"): ((1, 0, 1, 0, 0), 1, 1, 0.0, 0.0),  # Lena added
        ("stance", "v1", "oppose"): ((0, 0, 0, 0, 0), 0, 1, None, 0.0),
        ("stance", "v2", "oppose"): ((2, 1, 0, 0, 1), 0, 1, 0.5, 1.0),
    }
    got = {
        k: (_row(r), r["added"], r["humans"], r["precision"], r["recall"])
        for k, r in totals.items()
    }
    assert got == expected_totals


def test_cli_prints_the_ledger(ledger_store: Store) -> None:
    db = ledger_store.engine.url.render_as_string(False)
    result = runner.invoke(app, ["--db", db, "ledger", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == project_ledger(ledger_store.engine, "news").to_dict()
    assert data["comparisons"] == 3 and len(data["rows"]) == 8
    table = runner.invoke(app, ["--db", db, "ledger", "--project", "news"])
    assert table.exit_code == 0, table.output
    assert "3 annotation(s) of 2 task(s)" in table.stdout
    assert "rules:gazetteer" in table.stdout and "learned" in table.stdout
    missing = runner.invoke(app, ["--db", db, "ledger", "--project", "nope"])
    assert missing.exit_code != 0 and "nope" in missing.output
