"""Learning curve of the learned layer on CoNLL-2003: rules only, then trained on the first
25, 50, 100, 200 documents and on all of train.

Each point imports the first N documents of CONLL_TRAIN into a fresh SQLite store
(`annotate import`, default mapping), trains from the store (`annotate train`, no
cross-validation: its seconds are the fit alone), and scores CONLL_DEV with annotate's
CoNLL-mapped exact-span F1. Words/s is the whole process: `annotate preannotate` run as
a fresh command over dev repeated --reps times (10: half a million words) with the model
(rules only for the first row): start-up, lexicon and model loading, reading and writing
JSONL included; wall clock and the command's CPU seconds, against the 100,000 words/s
target of issue 12.

Usage: python benchmarks/learning.py CONLL_TRAIN CONLL_DEV [--sizes 25,50,100,200,all]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from timing import timed

TARGET_WPS = 100_000


def whole_process(
    articles: Path, words: int, model: Path | None, runs: int
) -> tuple[float, float, float]:
    """(median words/s by the wall clock, by the command's CPU time, and the first run's
    wall words/s) of ``runs`` fresh `annotate preannotate` commands. The first run with a
    new model also compiles its weights into the user cache; the median is the steady
    cost."""
    out = articles.with_suffix(".out.jsonl")
    cmd = [sys.executable, "-m", "annotate", "preannotate", str(articles), "-o", str(out)]
    if model is not None:
        cmd += ["--model", str(model)]
    walls, cpus = zip(*(timed(cmd) for _ in range(runs)), strict=True)
    return words / statistics.median(walls), words / statistics.median(cpus), words / walls[0]


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
    ap.add_argument("--reps", type=int, default=10, help="dev repeated for words/s (10)")
    ap.add_argument("--runs", type=int, default=3, help="whole-process runs per point (3)")
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
    work = Path(tempfile.mkdtemp(prefix="learning-"))
    articles = work / "dev.jsonl"
    with articles.open("w", encoding="utf-8") as f:
        for r in range(args.reps):
            for d in dev:
                f.write(json.dumps({"id": f"{r}-{d.id}", "text": d.text}) + "\n")
    words = args.reps * sum(len(d.text.split()) for d in dev)

    def score(predict, model: Path | None) -> dict[str, float]:
        report = evaluate(dev, predict, labels)
        wall, cpu, first = whole_process(articles, words, model, args.runs)
        return {
            "dev_f1": report.as_dict()["conll_micro"]["f1"],
            "words_s": wall,
            "cpu_words_s": cpu,
            "first_words_s": first,
        }

    rows.append(
        {
            "train_docs": 0,
            "model": "rules",
            "train_s": 0.0,
            **score(preannotator(labels).predict, None),
        }
    )
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
            scores = score(model.predict, root / "model")
            engine.dispose()
        rows.append(
            {
                "train_docs": report.documents,
                "model": manifest["model_version"],
                "train_s": manifest["training_seconds"],
                **scores,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    print(
        f"words/s: `annotate preannotate` over {words} words, whole process, median of "
        f"{args.runs} runs (first: the first run, which compiles a new model's weights); "
        f"target {TARGET_WPS:,}"
    )
    print(
        f"{'train docs':>10} {'dev F1':>7} {'train s':>8} {'words/s':>9} {'/target':>7} "
        f"{'cpu w/s':>9} {'/target':>7} {'first':>9}  model"
    )
    for r in rows:
        print(
            f"{r['train_docs']:>10} {r['dev_f1']:>7.4f} {r['train_s']:>8.1f} "
            f"{r['words_s']:>9.0f} {r['words_s'] / TARGET_WPS:>7.2f} "
            f"{r['cpu_words_s']:>9.0f} {r['cpu_words_s'] / TARGET_WPS:>7.2f} "
            f"{r['first_words_s']:>9.0f}  {r['model']}"
        )


if __name__ == "__main__":
    main()
