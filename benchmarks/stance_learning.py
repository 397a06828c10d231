"""Held-out stance F1 of the rules against rules + the stance classifier, on our own gold.

Two honest settings on tests/fixtures/gold (our own sentences, 17 articles):

- cross-validation by article over news.jsonl and heldout.jsonl together (the union of
  their targets): `annotate train --folds K`'s own figures from the manifest, each
  article scored by a model that never saw it;
- train on news.jsonl (its targets), score heldout.jsonl (other targets, other topics).
  A model is refused on other targets, so this applies the news model's classifier
  through `StanceModel` directly: how far its target-independent features carry.

Usage: python benchmarks/stance_learning.py [--folds 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

GOLD = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "gold"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()

    from annotate.corpora import import_corpora
    from annotate.evaluate import evaluate, read_gold_jsonl
    from annotate.preannotate.learned import LearnedAnnotator
    from annotate.preannotate.model import PreAnnotator
    from annotate.preannotate.stance_model import STANCE_FILE, StanceModel
    from annotate.schemas import load_labelset, load_targets
    from annotate.store.migrate import upgrade
    from annotate.store.session import make_engine
    from annotate.training import collect_examples, train

    base = load_labelset()
    news_t = load_targets(GOLD / "targets.yaml")
    held_t = load_targets(GOLD / "heldout-targets.yaml")
    both = base.with_targets(news_t + held_t)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = make_engine(f"sqlite:///{root / 'cv.db'}")
        upgrade(engine)
        for name in ("news", "heldout"):
            import_corpora(engine, [GOLD / f"{name}.jsonl"], "jsonl", both, name=name)
        manifest = train(collect_examples(engine), both, root / "cv", folds=args.folds)
        cv = manifest["cross_validation"]["stance"]
        print(f"cross-validation by article, {args.folds} folds, {cv['articles']} articles:")
        for side in ("rules", "learned"):
            s = cv[side]
            print(f"  {side:8s} stance P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f}")
        engine.dispose()

        news = base.with_targets(news_t)
        held = base.with_targets(held_t)
        engine = make_engine(f"sqlite:///{root / 'news.db'}")
        upgrade(engine)
        import_corpora(engine, [GOLD / "news.jsonl"], "jsonl", news, name="news")
        train(collect_examples(engine), news, root / "news", folds=0)
        engine.dispose()
        rules = PreAnnotator(held)
        stance = StanceModel(json.loads((root / "news" / STANCE_FILE).read_text()))
        learned = LearnedAnnotator(root / "news", news)

        def with_classifier(text: str, i: str) -> dict:
            mentions, _r = learned.spans(text)
            ruled = rules.stances.find(text, mentions)
            rec = rules.predict(text, i)
            rec["stances"] = stance.find(text, mentions, ruled, rules.stances)
            return rec

        docs = list(read_gold_jsonl(GOLD / "heldout.jsonl", held))
        print("trained on news.jsonl, scored on heldout.jsonl (other targets):")
        for side, fn in (("rules", rules.predict), ("learned", with_classifier)):
            s = evaluate(docs, fn, held).as_dict()["stance"]
            print(f"  {side:8s} stance P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f}")


if __name__ == "__main__":
    main()
