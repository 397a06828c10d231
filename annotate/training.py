"""`annotate train`: fit the learned entity layer from the store's human annotations.

The annotation per article is chosen as export chooses it (`--policy`, latest by default),
over the named projects and imported sources together (all of them without either).
Spans an imported corpus had no single schema label for train a coarse class (never a
negative). Everything that decides the model (examples in content-hash order, the rules'
version, the features, the parameters, the label set) is hashed into `model_version`, and
the CRF is deterministic, so training twice on the same data gives the same model file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from annotate import spans as sp
from annotate.config import IMPORT_PREFIX
from annotate.errors import UsageError
from annotate.evaluate import GoldDoc, Report, evaluate
from annotate.export.adjudicate import Policy, adjudicate, parse_policy
from annotate.judgement import ArticleText, Triple
from annotate.preannotate import learned as L
from annotate.preannotate import stance_model as SM
from annotate.preannotate.model import PreAnnotator, preannotator
from annotate.schemas import LabelSet
from annotate.spans import Span
from annotate.store import queries
from annotate.store.session import session_scope

PARAMS: dict[str, Any] = {
    "c1": 0.05,
    "c2": 0.01,
    "max_iterations": 120,
    "feature.possible_transitions": True,
    "feature.minfreq": 1,
}


# The stance classifier: L2-regularised multinomial logistic regression, classes weighted
# against their frequency (most candidates are 'none'); lbfgs is deterministic.
STANCE_PARAMS: dict[str, Any] = {"C": 1.0, "class_weight": "balanced", "max_iter": 2000}


class TrainError(UsageError):
    """Nothing to train on, or a project or source that does not exist."""


def collect_examples(
    engine: Engine,
    projects: Sequence[str] = (),
    sources: Sequence[str] = (),
    policy: Policy | None = None,
) -> list[L.Example]:
    """One example per article: its judgements in the chosen projects, adjudicated."""
    policy = policy or parse_policy("latest")
    with session_scope(engine) as session:
        rows = _chosen(session, projects, sources)
        task_ids = [t for r in rows for t in queries.project_task_ids(session, r.id)]
        by_article: dict[str, list[Any]] = {}
        coarse: dict[str, list[tuple[int, int, tuple[str, ...]]]] = {}
        for item in queries.load_task_items(session, task_ids, with_resolutions=True):
            by_article.setdefault(item.content_hash, []).append(item)
        prov = queries.import_provenance(session, task_ids)
        task_hash = {i.task_id: i.content_hash for items in by_article.values() for i in items}
        for task_id, p in prov.items():
            coarse.setdefault(task_hash[task_id], []).extend(
                (u["start"], u["end"], tuple(u["labels"]))
                for u in p.get("unmapped", [])
                if u.get("labels")
            )
    examples: list[L.Example] = []
    for digest in sorted(by_article):
        items = by_article[digest]
        invalid = {id(j) for i in items for j, _ in i.invalid}
        judgements = [j for i in items for j in i.judgements if id(j) not in invalid]
        if not judgements:
            continue
        text = items[0].text
        resolution = next((i.resolution for i in items if i.resolution is not None), None)
        result = adjudicate(policy, judgements, ArticleText(text).stance_key, resolution)
        if result.skipped:
            continue
        spans = sorted({(s.start, s.end, s.label) for s in result.spans})
        unknown = [
            c for c in coarse.get(digest, []) if not any(s < c[1] and c[0] < e for s, e, _ in spans)
        ]
        triples = sorted({t for t, _agreement in result.triples}, key=_triple_order)
        examples.append(L.Example(digest, text, spans, sorted(set(unknown)), triples))
    if not examples:
        raise TrainError("no human annotation to train on: pull or import some first")
    return examples


def _chosen(session: Session, projects: Sequence[str], sources: Sequence[str]) -> list[Any]:
    """The projects to train on: the named ones, else every project but review projects."""
    for src in sources:
        if not src.startswith("import:"):
            raise TrainError(f"--source {src!r}: name an imported corpus, import:NAME")
    names = list(projects) + list(sources)
    if names:
        return [queries.get_project(session, n) for n in names]
    rows = [queries.get_project(session, n) for n in queries.project_names(session)]
    return [r for r in rows if r.review_of_id is None]


def _triple_order(t: Triple) -> tuple:
    return (t.holder.start, t.holder.end, t.holder.label, t.target, t.label, t.target_span or ())


def _triple_json(t: Triple) -> list[Any]:
    return [t.holder.start, t.holder.end, t.holder.label, t.target, t.label, t.target_span]


def data_hash(examples: Sequence[L.Example], labelset: LabelSet, rules_version: str) -> str:
    h = hashlib.sha256()
    h.update(
        json.dumps(
            {
                "features": L.FEATURES_VERSION,
                "params": PARAMS,
                "labels": labelset.fingerprint(),
                "rules": rules_version,
                "lexicon": [L.LEXICON_MIN_DOCS, L.LEXICON_AGREEMENT],
                "stance": [SM.FEATURES_VERSION, STANCE_PARAMS],
            },
            sort_keys=True,
        ).encode()
    )
    for ex in examples:
        h.update(json.dumps([ex.key, ex.text, ex.spans, ex.coarse]).encode())
        if ex.triples:
            h.update(json.dumps([_triple_json(t) for t in ex.triples]).encode())
    return h.hexdigest()


def _fit(examples: Sequence[L.Example], rules: PreAnnotator, model_path: Path) -> L.LearnedLexicon:
    import pycrfsuite

    lexicon = L.LearnedLexicon.build(examples)
    feats = L.Featurizer(rules, lexicon)
    trainer = pycrfsuite.Trainer(verbose=False)
    trainer.set_params(PARAMS)
    for ex in examples:
        tokens, xseq, _m = feats.featurize(ex.text, own=L.doc_surfaces(ex))
        if tokens:
            trainer.append(xseq, L.bio_labels(tokens, ex))
    trainer.train(str(model_path))
    return lexicon


def stance_rows(
    examples: Sequence[L.Example], rules: PreAnnotator
) -> tuple[list[list[str]], list[str]]:
    """(features, label) per candidate of every article with human triples: the human
    triple's label when one has the candidate's key (`ArticleText.stance_key`), else none."""
    x: list[list[str]] = []
    y: list[str] = []
    for ex in examples:
        if not ex.triples:
            continue
        mentions = [m for m in rules.entities.tag(ex.text) if m.label]
        ruled = rules.stances.find(ex.text, mentions)
        key = ArticleText(ex.text).stance_key
        gold = {key(t): t.label for t in ex.triples}
        names = SM.rule_names(ex.text, ruled)
        for c in SM.candidates(ex.text, mentions, ruled, rules.stances):
            h = c.holder
            t = Triple(Span(h.start, h.end, str(h.label)), h.text, c.target[2], "", c.target[:2])
            x.append(SM.features(ex.text, c, names))
            y.append(gold.get(key(t), SM.NONE))
    return x, y


def _fit_stance(examples: Sequence[L.Example], rules: PreAnnotator) -> dict[str, Any] | None:
    """The stance classifier's weights (`stance_model.StanceModel`), or None when the
    articles give no positive and no negative to learn from."""
    x, y = stance_rows(examples, rules)
    if len(set(y)) < 2:
        return None
    from sklearn.linear_model import LogisticRegression

    vocab = sorted({f for fs in x for f in fs})
    matrix = SM.one_hot(x, {f: i for i, f in enumerate(vocab)})
    clf = LogisticRegression(**STANCE_PARAMS).fit(matrix, y)
    return {
        "features_version": SM.FEATURES_VERSION,
        "classes": [str(c) for c in clf.classes_],
        "features": vocab,
        "coef": [[round(float(w), 8) for w in row] for row in clf.coef_],
        "intercept": [round(float(b), 8) for b in clf.intercept_],
        "candidates": dict(sorted(Counter(y).items())),
    }


def _coarse_default(examples: Sequence[L.Example]) -> dict[str, str]:
    """Each coarse class's most frequent fine label among the training spans."""
    freq = Counter(lab for ex in examples for _s, _e, lab in ex.spans)
    classes = {L.coarse_class(labs) for ex in examples for _s, _e, labs in ex.coarse}
    return {c: max(c.split("|"), key=lambda lab: (freq.get(lab, 0), lab)) for c in sorted(classes)}


def _write_model(
    examples: Sequence[L.Example],
    labelset: LabelSet,
    rules: PreAnnotator,
    out: Path,
    manifest: dict[str, Any],
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    lexicon = _fit(examples, rules, out / L.MODEL_FILE)
    (out / L.LEXICON_FILE).write_text(
        json.dumps(lexicon.to_json(), sort_keys=True, ensure_ascii=False), encoding="utf-8"
    )
    stance = _fit_stance(examples, rules)
    manifest["stance"] = {"trained": stance is not None}
    if stance is not None:
        manifest["stance"]["candidates"] = stance["candidates"]
        (out / SM.STANCE_FILE).write_text(
            json.dumps(stance, sort_keys=True, ensure_ascii=False), encoding="utf-8"
        )
    (out / L.MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def _gold(ex: L.Example) -> GoldDoc:
    stances = [
        {
            "holder": {
                "start": t.holder.start,
                "end": t.holder.end,
                "label": t.holder.label,
                "text": ex.text[t.holder.start : t.holder.end] or t.holder_text,
            },
            "target": t.target,
            "label": t.label,
        }
        for t in ex.triples
    ]
    return GoldDoc(
        ex.key[:12],
        ex.text,
        [{"start": s, "end": e, "label": lab, "text": ex.text[s:e]} for s, e, lab in ex.spans],
        stances,
    )


def _scores(report: Report) -> dict[str, Any]:
    d = report.as_dict()
    return {
        "entities": d["entities"],
        "micro": d["entities_micro"],
        "conll_micro": d["conll_micro"],
    }


def cross_validate(
    examples: Sequence[L.Example], labelset: LabelSet, folds: int, workdir: Path
) -> dict[str, Any]:
    """Scores of models trained without each fold of articles, on that fold; and the
    rules' scores on the same articles. Coarse spans are not scored (no single label)."""
    rules = preannotator(labelset)
    ordered = sorted(examples, key=lambda ex: hashlib.sha256(ex.key.encode()).hexdigest())
    parts = [ordered[i::folds] for i in range(folds)]
    learned_preds: dict[str, dict[str, Any]] = {}
    for i, held in enumerate(parts):
        train = [ex for j, p in enumerate(parts) if j != i for ex in p]
        fold_dir = workdir / f"fold{i}"
        manifest = {
            "features_version": L.FEATURES_VERSION,
            "label_set": labelset.fingerprint(),
            "model_version": f"{L.NAME}-fold{i}",
            "coarse_default": _coarse_default(train),
        }
        _write_model(train, labelset, rules, fold_dir, manifest)
        model = L.LearnedAnnotator(fold_dir, labelset)
        for ex in held:
            learned_preds[ex.key[:12]] = model.predict(ex.text, ex.key[:12])
        shutil.rmtree(fold_dir)
    gold = [_gold(ex) for ex in ordered]
    rule_preds = {g.id: rules.predict(g.text, g.id) for g in gold}  # once, for both scores
    learned = evaluate(gold, lambda _t, i: learned_preds[i], labelset)
    base = evaluate(gold, lambda _t, i: rule_preds[i], labelset)
    out = {
        "folds": folds,
        "split": "by article (content hash)",
        "learned": _scores(learned),
        "rules": _scores(base),
    }
    # stance: on the articles with human triples only (the others have no stance gold)
    with_stance = [g for g, ex in zip(gold, ordered, strict=True) if ex.triples]
    if with_stance:
        s_learned = evaluate(with_stance, lambda _t, i: learned_preds[i], labelset)
        s_rules = evaluate(with_stance, lambda _t, i: rule_preds[i], labelset)
        out["stance"] = {
            "articles": len(with_stance),
            "learned": s_learned.as_dict()["stance"],
            "rules": s_rules.as_dict()["stance"],
        }
    return out


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("python-crfsuite", "hmmlearn", "scikit-learn", "annotate"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "-"
    return out


def train(
    examples: Sequence[L.Example],
    labelset: LabelSet,
    out: Path,
    *,
    folds: int = 3,
    sources: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit on all examples into ``out`` (model, lexicon, manifest); returns the manifest."""
    if folds == 1 or folds < 0:
        raise TrainError("--folds must be 0 (no cross-validation) or at least 2")
    if out.exists() and any(out.iterdir()) and not (out / L.MANIFEST_FILE).is_file():
        raise TrainError(f"{out}: a folder that holds no model: choose an empty or new --out")
    rules = preannotator(labelset)
    digest = data_hash(examples, labelset, rules.model_version)
    counts = Counter(lab for ex in examples for _s, _e, lab in ex.spans)
    coarse = Counter(L.coarse_class(labs) for ex in examples for _s, _e, labs in ex.coarse)
    manifest: dict[str, Any] = {
        "model_version": f"{L.NAME}-{digest[:12]}",
        "features_version": L.FEATURES_VERSION,
        "training_data_sha256": digest,
        "label_set": labelset.fingerprint(),
        "labels": labelset.entity_names,
        "targets": labelset.target_ids,
        "rules_version": rules.model_version,
        "articles": len(examples),
        "tokens": sum(len(sp.tokenize(ex.text)) for ex in examples),
        "counts": dict(sorted(counts.items())),
        "coarse_counts": dict(sorted(coarse.items())),
        "stance_counts": dict(
            sorted(Counter(t.label for ex in examples for t in ex.triples).items())
        ),
        "coarse_default": _coarse_default(examples),
        "params": PARAMS,
        "libraries": _versions(),
        "sources": sources or {},
    }
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        t0 = time.perf_counter()
        if folds and len(examples) >= folds:
            if progress:
                progress(f"cross-validating on {folds} folds of articles")
            manifest["cross_validation"] = cross_validate(examples, labelset, folds, staging)
        t1 = time.perf_counter()
        if progress:
            progress(f"training on {len(examples)} articles")
        manifest["training_seconds"] = 0.0
        _write_model(examples, labelset, rules, staging, manifest)
        t2 = time.perf_counter()
        manifest["training_seconds"] = round(t2 - t1, 2)
        manifest["cross_validation_seconds"] = round(t1 - t0, 2)
        (staging / L.MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n"
        )
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


@dataclass
class Trained:
    """What `annotate train` did: the model's manifest, and its record in the store."""

    manifest: dict[str, Any]
    new: bool  # False: this model version was recorded before (same data), its row updated
    runs: int  # how many times this model version was trained


def run_record(manifest: dict[str, Any], out: Path, trained_on: dict[str, Any]) -> dict[str, Any]:
    """The store's row of one training run (`queries.record_training_run`), from the
    manifest: the learning curve reads the same figures the manifest holds."""
    cv = manifest.get("cross_validation") or {}

    def f1(*keys: str) -> float | None:
        value: Any = cv
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return float(value) if isinstance(value, int | float) else None

    return {
        "model_version": manifest["model_version"],
        "out_dir": str(out),
        "sources": trained_on,
        "rules_version": manifest["rules_version"],
        "articles": manifest["articles"],
        "tokens": manifest["tokens"],
        "spans": sum(manifest["counts"].values()) + sum(manifest["coarse_counts"].values()),
        "folds": cv.get("folds", 0),
        "entity_f1": f1("learned", "micro", "f1"),
        "rules_entity_f1": f1("rules", "micro", "f1"),
        "stance_f1": f1("stance", "learned", "f1"),
        "rules_stance_f1": f1("stance", "rules", "f1"),
        "training_seconds": manifest["training_seconds"],
        "cross_validation": cv,
    }


def train_store(
    engine: Engine,
    labelset: LabelSet,
    out: Path,
    *,
    projects: Sequence[str] = (),
    sources: Sequence[str] = (),
    policy: str = "latest",
    folds: int = 3,
    progress: Callable[[str], None] | None = None,
) -> Trained:
    """`annotate train`: collect the store's examples, `train`, and record the run in the
    store (once per model version) for the report's learning curve."""
    chosen = parse_policy(policy)
    examples = collect_examples(engine, projects, sources, chosen)
    manifest = train(
        examples,
        labelset,
        out,
        folds=folds,
        sources={"projects": list(projects), "sources": list(sources), "policy": str(chosen)},
        progress=progress,
    )
    with session_scope(engine) as session:
        names = [p.name for p in _chosen(session, projects, sources)]
        trained_on = {
            "projects": [n for n in names if not n.startswith(IMPORT_PREFIX)],
            "imports": [n for n in names if n.startswith(IMPORT_PREFIX)],
            "policy": str(chosen),
        }
        row, new = queries.record_training_run(
            session, **run_record(manifest, out.resolve(), trained_on)
        )
        runs = row.runs
    return Trained(manifest, new, runs)
