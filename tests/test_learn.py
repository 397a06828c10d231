"""The learned layer: import, train, pre-annotate with the model, refuse a foreign model.

The corpus is tests/fixtures/learn/wire.conll (our own templated sentences, see
build_wire.py): its first 40 articles train, the last 20 are held back.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from annotate.cli import app
from annotate.corpora import import_corpora
from annotate.errors import SchemaError
from annotate.evaluate import evaluate, read_conll, read_gold_jsonl
from annotate.preannotate.batch import annotator
from annotate.preannotate.learned import LearnedAnnotator
from annotate.preannotate.model import preannotator
from annotate.predictions import preannotate_store
from annotate.schemas import Target, load_labelset, load_targets
from annotate.store.models import Article, Prediction
from annotate.store.queries import training_runs
from annotate.store.session import session_scope
from annotate.training import TrainError, collect_examples, train, train_store
from tests.conftest import FIXTURES, runner

LEARN = FIXTURES / "learn"
LABELS = load_labelset()


def _split(tmp_path: Path) -> tuple[Path, Path]:
    docs = LEARN.joinpath("wire.conll").read_text(encoding="utf-8").split("-DOCSTART-")[1:]
    train_file, held_file = tmp_path / "wire-train.conll", tmp_path / "wire-held.conll"
    train_file.write_text("".join("-DOCSTART-" + d for d in docs[:40]), encoding="utf-8")
    held_file.write_text("".join("-DOCSTART-" + d for d in docs[40:]), encoding="utf-8")
    return train_file, held_file


@pytest.fixture
def imported(engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    train_file, held = _split(tmp_path)
    import_corpora(engine, [train_file], "conll", LABELS, name="wire")
    import_corpora(engine, [LEARN / "gold.jsonl"], "jsonl", LABELS, name="gold")
    return engine, held


def test_train_writes_model_and_manifest(imported: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, _held = imported
    manifest = train_store(engine, LABELS, tmp_path / "model", folds=2).manifest
    files = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert files == ["entities.crfsuite", "lexicon.json", "manifest.json", "stance.json"]
    on_disk = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert on_disk == manifest
    assert manifest["model_version"] == f"annotate-learned-{manifest['training_data_sha256'][:12]}"
    assert manifest["label_set"] == LABELS.fingerprint()
    assert manifest["articles"] == 42  # 40 CoNLL articles and 2 gold records
    assert manifest["counts"]["ORG"] > 50 and manifest["counts"]["PERSON"] > 20
    # LOC spans of towns the rules do not know: a coarse class, not negatives.
    assert manifest["coarse_counts"].get("GPE|LOC", 0) > 0
    cv = manifest["cross_validation"]
    assert cv["folds"] == 2 and cv["split"].startswith("by article")
    assert cv["learned"]["micro"]["f1"] > cv["rules"]["micro"]["f1"]
    assert manifest["libraries"]["python-crfsuite"] != "-"
    assert manifest["training_seconds"] >= 0
    lexicon = json.loads((tmp_path / "model" / "lexicon.json").read_text())
    assert lexicon["Vantrix"] == {"ORG": lexicon["Vantrix"]["ORG"]}


def test_training_twice_gives_the_same_model(imported: tuple[Engine, Path], tmp_path: Path):
    engine, _held = imported
    first = train_store(engine, LABELS, tmp_path / "a", folds=0)
    second = train_store(engine, LABELS, tmp_path / "b", folds=0)
    a, b = first.manifest, second.manifest
    assert a["model_version"] == b["model_version"]
    for name in ("entities.crfsuite", "lexicon.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # the store records the model once: the second training updates its row
    assert first.new and not second.new and second.runs == 2
    only_gold = train_store(engine, LABELS, tmp_path / "c", sources=["import:gold"], folds=0)
    assert only_gold.new and only_gold.manifest["model_version"] != a["model_version"]
    assert only_gold.manifest["articles"] == 2
    with session_scope(engine) as s:
        rows = {r.model_version: r for r in training_runs(s)}
    assert set(rows) == {a["model_version"], only_gold.manifest["model_version"]}
    again = rows[a["model_version"]]
    assert again.runs == 2 and again.out_dir == str((tmp_path / "b").resolve())
    assert again.sources == {
        "projects": [],
        "imports": ["import:gold", "import:wire"],
        "policy": "latest",
    }
    assert rows[only_gold.manifest["model_version"]].sources["imports"] == ["import:gold"]


def test_model_beats_the_rules_on_held_back_articles(
    imported: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, held = imported
    train_store(engine, LABELS, tmp_path / "model", sources=["import:wire"], folds=0)
    docs = list(read_conll(held, LABELS))
    assert len(docs) == 20
    learned = evaluate(docs, LearnedAnnotator(tmp_path / "model", LABELS).predict, LABELS)
    rules = evaluate(docs, preannotator(LABELS).predict, LABELS)
    f_learned = learned.as_dict()["conll_micro"]["f1"]
    f_rules = rules.as_dict()["conll_micro"]["f1"]
    assert f_learned > f_rules + 0.2, (f_learned, f_rules)


def test_preannotate_store_with_model(imported: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, _held = imported
    manifest = train_store(engine, LABELS, tmp_path / "model", folds=0).manifest
    with session_scope(engine) as s:
        ids = list(s.scalars(select(Article.id).order_by(Article.id)))
    summary = preannotate_store(engine, LABELS, ids, model_dir=tmp_path / "model")
    assert summary.model_version == manifest["model_version"]
    assert summary.articles == len(ids) and summary.entities > 0
    with session_scope(engine) as s:
        preds = list(s.scalars(select(Prediction)))
    assert {p.model_version for p in preds} == {manifest["model_version"]}
    gold = next(p for p in preds if any(e["text"] == "Rhona Vesk" for e in p.entities))
    assert all(0 <= e["score"] <= 1 for e in gold.entities)
    # the learned layer tags its own spans; the stance classifier labels its stances
    assert {e["source"] for p in preds for e in p.entities} == {"learned"}
    assert {st["source"] for p in preds for st in p.stances} <= {"learned"}


def test_a_model_of_another_label_set_or_targets_is_refused(
    imported: tuple[Engine, Path], tmp_path: Path
) -> None:
    engine, _held = imported
    train_store(engine, LABELS, tmp_path / "model", folds=0)
    other_targets = LABELS.with_targets((Target("tariffs", "Tariffs.", ("tariff",)),))
    with pytest.raises(SchemaError, match="trained on label set .*targets ceasefire"):
        annotator(other_targets, tmp_path / "model")
    fewer = dataclasses.replace(LABELS, entities=LABELS.entities[:4])
    with pytest.raises(SchemaError, match="retrain it with `annotate train`"):
        LearnedAnnotator(tmp_path / "model", fewer)
    with pytest.raises(SchemaError, match="no manifest.json"):
        LearnedAnnotator(tmp_path, LABELS)


def test_nothing_to_train_on(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(TrainError, match="no human annotation"):
        collect_examples(engine)
    with pytest.raises(TrainError, match="holds no model"):
        (tmp_path / "keep").mkdir()
        (tmp_path / "keep" / "notes.txt").write_text("mine")
        train([], LABELS, tmp_path / "keep")


def test_cli_train_preannotate_and_evaluate_with_model(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    train_file, held = _split(tmp_path)
    base = ["--db", db]
    ok = runner.invoke(app, [*base, "import", str(train_file), "--format", "conll"])
    assert ok.exit_code == 0, ok.output
    model = tmp_path / "model"
    ok = runner.invoke(app, [*base, "train", "--source", "import:wire-train", "--out", str(model)])
    assert ok.exit_code == 0, ok.output
    assert "annotate-learned-" in ok.output and "cross-validated F1" in ok.output
    assert "recorded annotate-learned-" in ok.output and "in the store" in ok.output
    again = runner.invoke(
        app, [*base, "train", "--source", "import:wire-train", "--out", str(model)]
    )
    assert again.exit_code == 0, again.output
    assert "was recorded before (the same training data)" in " ".join(again.output.split())
    articles = tmp_path / "a.jsonl"
    articles.write_text(json.dumps({"id": "x", "text": "Shares of Zumora rose on Monday."}) + "\n")
    out = tmp_path / "p.jsonl"
    ok = runner.invoke(app, ["preannotate", str(articles), "-o", str(out), "--model", str(model)])
    assert ok.exit_code == 0, ok.output
    rec = json.loads(out.read_text())
    assert rec["model_version"].startswith("annotate-learned-")
    assert [(e["text"], e["label"]) for e in rec["entities"]] == [("Zumora", "ORG")]
    ok = runner.invoke(app, ["evaluate", "--gold", str(held), "--model", str(model), "--json"])
    assert ok.exit_code == 0, ok.output
    both = json.loads(ok.output)
    assert both["learned"]["conll_micro"]["f1"] > both["rules"]["conll_micro"]["f1"]
    ok = runner.invoke(app, ["evaluate", "--gold", str(held), "--model", str(model)])
    assert both["rules"]["model_version"] in ok.output and "CoNLL-mapped" in ok.output
    assert both["learned"]["model_version"] in ok.output
    targets = tmp_path / "t.yaml"
    targets.write_text("- {id: tariffs, description: Tariffs., cues: [tariff]}\n")
    bad = runner.invoke(
        app, ["preannotate", str(articles), "--model", str(model), "--targets", str(targets)]
    )
    assert bad.exit_code != 0 and "retrain it with `annotate train`" in bad.output
    assert not bad.output.strip().count("\n")


def test_numpy_decoding_equals_crfsuite(imported: tuple[Engine, Path], tmp_path: Path) -> None:
    """The cached-emission decoding (crf.LinearChain) gives crfsuite's own tags and marginals,
    and its emission sums are those of the feature strings crfsuite is trained on."""
    import numpy as np

    engine, held = imported
    train_store(engine, LABELS, tmp_path / "model", folds=0)
    fast = LearnedAnnotator(tmp_path / "model", LABELS)
    exact = LearnedAnnotator(tmp_path / "model", LABELS, crfsuite=True)
    texts = [d.text for d in read_conll(held, LABELS)]
    texts += [json.loads(line)["text"] for line in (LEARN / "gold.jsonl").open()]
    texts += ["", "Vantrix.", "Zumora\n\nrose.\nShares of Vantrix and Zumora fell!? Rhona Vesk"]
    spans = 0
    for text in texts:
        tokens, xseq, _m = fast.features.featurize(text)
        _s, _e, emissions, _m = fast.fast.emissions(text)
        reference = np.array([fast.chain.vector(f) for f in xseq]).reshape(emissions.shape)
        assert np.allclose(emissions, reference, atol=1e-9), text[:40]
        got, want = fast.predict(text)["entities"], exact.predict(text)["entities"]
        assert [(e["start"], e["end"], e["label"]) for e in got] == [
            (e["start"], e["end"], e["label"]) for e in want
        ]
        for a, b in zip(got, want, strict=True):
            assert abs(a["score"] - b["score"]) <= 0.001
        spans += len(got)
    assert spans > 100


def test_the_crf_weights_load_from_the_cache_as_crfsuite_wrote_them(
    imported: tuple[Engine, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load reads crfsuite's dump and writes an owner-only artifact; the next
    loads it without pycrfsuite; a damaged artifact is rebuilt; the key is the file's
    bytes."""
    import stat
    import sys

    import numpy as np
    import pycrfsuite

    from annotate.preannotate.cache import CACHE_ENV
    from annotate.preannotate.crf import LinearChain

    engine, _held = imported
    train_store(engine, LABELS, tmp_path / "model", folds=0)
    model_file = tmp_path / "model" / "entities.crfsuite"
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_file))
    want = LinearChain.from_tagger(tagger)
    first = LinearChain.load(model_file)
    (artifact,) = folder.glob("crf-*.marshal")
    assert stat.S_IMODE(artifact.stat().st_mode) == 0o600
    monkeypatch.setitem(sys.modules, "pycrfsuite", None)  # importing it now fails
    for chain in (first, LinearChain.load(model_file)):
        assert chain.labels == want.labels and chain.attributes == want.attributes
        assert np.array_equal(chain.state, want.state)
        assert np.array_equal(chain.trans, want.trans)
    monkeypatch.delitem(sys.modules, "pycrfsuite")
    artifact.write_bytes(b"damaged")
    assert LinearChain.load(model_file).attributes == want.attributes
    assert artifact.read_bytes() != b"damaged"
    model_file.write_bytes(model_file.read_bytes())  # same bytes: same key
    assert LinearChain.load(model_file).attributes == want.attributes
    assert len(list(folder.glob("crf-*.marshal"))) == 1


def test_stance_classifier_trains_on_human_triples_only(engine: Engine, tmp_path: Path) -> None:
    """Trained from the gold fixture's triples, deterministic, used by --model; a CoNLL
    corpus (no stance annotated) trains none: its candidates are no negatives."""
    gold = FIXTURES / "gold"
    labels = LABELS.with_targets(load_targets(gold / "targets.yaml"))
    import_corpora(engine, [gold / "news.jsonl"], "jsonl", labels, name="news")
    a = train_store(engine, labels, tmp_path / "a", folds=3).manifest
    b = train_store(engine, labels, tmp_path / "b", folds=0).manifest
    assert a["model_version"] == b["model_version"]
    assert (tmp_path / "a" / "stance.json").read_bytes() == (
        tmp_path / "b" / "stance.json"
    ).read_bytes()
    counts = a["stance"]["candidates"]
    assert a["stance"]["trained"] and counts["none"] > 0
    assert sum(v for k, v in counts.items() if k != "none") > 0.8 * sum(a["stance_counts"].values())
    cv = a["cross_validation"]["stance"]
    assert cv["articles"] == 7 and 0 < cv["learned"]["f1"] <= 1 and 0 < cv["rules"]["f1"] <= 1
    model = LearnedAnnotator(tmp_path / "a", labels)
    assert model.stance is not None
    docs = list(read_gold_jsonl(gold / "news.jsonl", labels))
    report = evaluate(docs, model.predict, labels).as_dict()["stance"]
    assert report["f1"] > 0.6  # on its own training articles: it learned the triples
    recs = [model.predict(d.text) for d in docs]
    assert {s["source"] for r in recs for s in r["stances"]} == {"learned"}
    import_corpora(engine, [_split(tmp_path)[0]], "conll", LABELS, name="wire")
    conll_only = train_store(
        engine, LABELS, tmp_path / "c", folds=0, sources=["import:wire"]
    ).manifest
    assert not conll_only["stance"]["trained"]
    assert not (tmp_path / "c" / "stance.json").exists()
