"""Learning curve of the learned layer on CoNLL-2003: rules only, then trained on the first
25, 50, 100, 200 documents and on all of train.

Each point imports the first N documents of CONLL_TRAIN into a fresh SQLite store
(`annotate import`, default mapping), trains from the store (`annotate train`, no
cross-validation: its seconds are the fit alone), and scores CONLL_DEV with annotate's
CoNLL-mapped exact-span F1. Words/s is pre-annotation with the model (rules + CRF) over
dev in this one process, the lexicon and model already loaded.

Usage: python benchmarks/learning.py CONLL_TRAIN CONLL_DEV [--sizes 25,50,100,200,all]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def first_docs(path: Path, n: int | None, out: Path) -> Path:
    parts = path.read_text(encoding="utf-8").split("-DOCSTART-")[1:]
    chosen = parts if n is None else parts[:n]
    out.write_text("".join("-DOCSTART-" + p for p in chosen), encoding="utf-8")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("train", type=Path)
    ap.add_argument("dev", type=Path)
    ap.add_argument("--sizes", default="25,50,100,200,all")
    args = ap.parse_args()

    from annotate.corpora import import_corpora
    from annotate.evaluate import evaluate, read_conll
    from annotate.preannotate.learned import LearnedAnnotator
    from annotate.preannotate.model import preannotator
    from annotate.schemas import load_labelset
    from annotate.store.migrate import upgrade
    from annotate.store.session import make_engine
    from annotate.training import collect_examples, train

    labels = load_labelset()
    dev = list(read_conll(args.dev, labels))
    rows = []

    def score(predict) -> tuple[float, float]:
        t = time.perf_counter()
        report = evaluate(dev, predict, labels)
        dt = time.perf_counter() - t
        return report.as_dict()["conll_micro"]["f1"], report.words / dt

    f1, wps = score(preannotator(labels).predict)
    rows.append({"train_docs": 0, "model": "rules", "dev_f1": f1, "train_s": 0.0, "words_s": wps})
    print(json.dumps(rows[-1]), flush=True)
    for size in args.sizes.split(","):
        n = None if size == "all" else int(size)
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            engine = make_engine(f"sqlite:///{root / 'store.db'}")
            upgrade(engine)
            part = first_docs(args.train, n, root / f"train-{size}.conll")
            report = import_corpora(engine, [part], "conll", labels, name=f"conll-{size}")
            examples = collect_examples(engine)
            manifest = train(examples, labels, root / "model", folds=0)
            model = LearnedAnnotator(root / "model", labels)
            f1, wps = score(model.predict)
            engine.dispose()
        rows.append(
            {
                "train_docs": report.documents,
                "model": manifest["model_version"],
                "dev_f1": f1,
                "train_s": manifest["training_seconds"],
                "words_s": wps,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print(f"{'train docs':>10} {'dev F1':>7} {'train s':>8} {'words/s':>9}  model")
    for r in rows:
        print(
            f"{r['train_docs']:>10} {r['dev_f1']:>7.4f} {r['train_s']:>8.1f} "
            f"{r['words_s']:>9.0f}  {r['model']}"
        )


if __name__ == "__main__":
    main()
