"""Throughput of offline pre-annotation (entities + stance) vs spaCy's blank pipeline.

Usage: python benchmarks/preannotate.py /path/to/conll2003/dev.txt [--words 500000]
       [--runs 3] [--before DIR]

The input is the documents of a CoNLL file (text = tokens joined by spaces, sentences by
newlines), repeated until there are at least --words words (dev: x10, 513k words). spaCy
gets `spacy.blank("en")` plus an EntityRuler of pycountry's country names: the cheapest
pipeline that finds any entities at all. Each side runs in a fresh child process, in turn,
--runs times; medians are printed side by side:

- in-process: the prediction loop alone, in CPU seconds of that one process (one core;
  steadier than wall time on a shared machine), next to the floor: `annotate.spans.tokenize`
  over the same texts in the same process. "first pass" is one pass over the distinct
  documents with an empty run memo (every run of capitalised words seen for the first time),
  the least of three.
- whole process: `annotate preannotate FILE -o OUT` (imports, lexicon, reading, writing)
  against a script doing the same with spaCy, wall and CPU seconds; the compiled lexicon
  is in the cache (a warm-up run builds it first).

--before DIR times another checkout of annotate (e.g. `git worktree add /tmp/before REV`)
the same way, in the same run, and prints the ratios of this tree to it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import timed

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]


def load_texts(path: Path, min_words: int) -> tuple[list[str], int, int]:
    """The repeated documents, their word count and the number of distinct documents."""
    from annotate.evaluate import read_conll

    docs = [d.text for d in read_conll(path)]
    if not docs:
        raise SystemExit(f"{path}: no documents")
    per_pass = sum(len(t.split()) for t in docs)
    reps = max(1, -(-min_words // per_pass))
    return docs * reps, per_pass * reps, len(docs)


def child_ours(texts: list[str], distinct: int) -> dict[str, float]:
    """In-process figures of the annotate on sys.path (a child process of main)."""
    from annotate.preannotate.model import PreAnnotator, preannotator
    from annotate.schemas import load_labelset
    from annotate.spans import tokenize

    t0 = time.perf_counter()
    labelset = load_labelset()
    model = preannotator(labelset)
    setup = time.perf_counter() - t0
    first_pass = float("inf")
    for _ in range(3):  # the least of three, each with its own empty memo
        first = PreAnnotator(labelset)
        c0 = time.process_time()
        for i, text in enumerate(texts[:distinct]):
            first.predict(text, str(i))
        first_pass = min(first_pass, time.process_time() - c0)
    c0, t0 = time.process_time(), time.perf_counter()
    n = 0
    for i, text in enumerate(texts):
        n += len(model.predict(text, str(i))["entities"])
    cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    c0 = time.process_time()
    for text in texts:
        tokenize(text)
    floor = time.process_time() - c0
    return {
        "setup": setup,
        "cpu": cpu,
        "wall": wall,
        "entities": n,
        "first_pass": first_pass,
        "floor": floor,
    }


def child_spacy(texts: list[str]) -> dict[str, float]:
    nlp, setup = _spacy()
    c0, t0 = time.process_time(), time.perf_counter()
    n = sum(len(doc.ents) for doc in nlp.pipe(texts))
    return {
        "setup": setup,
        "cpu": time.process_time() - c0,
        "wall": time.perf_counter() - t0,
        "entities": n,
    }


def _spacy():  # noqa: ANN202 (spaCy is imported lazily: an optional extra)
    import pycountry
    import spacy

    t0 = time.perf_counter()
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GPE", "pattern": c.name} for c in pycountry.countries])
    return nlp, time.perf_counter() - t0


def spacy_file(src: Path, out: Path) -> None:
    """spaCy's side of the whole-process run: JSONL articles in, one JSON line out each."""
    nlp, _ = _spacy()
    records = [json.loads(line) for line in src.open(encoding="utf-8")]
    with out.open("w", encoding="utf-8") as fh:
        docs = nlp.pipe(r["text"] for r in records)
        for rec, doc in zip(records, docs, strict=True):
            ents = [{"start": e.start_char, "end": e.end_char, "label": e.label_} for e in doc.ents]
            fh.write(json.dumps({"id": rec["id"], "entities": ents}, ensure_ascii=False) + "\n")


def run_child(args: list[str], pythonpath: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    out = subprocess.run(
        [sys.executable, str(HERE), *args], env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.splitlines()[-1])


def med(samples: list[dict[str, float]], key: str) -> float:
    return statistics.median(s[key] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conll", type=Path, help="a CoNLL-2003 file, e.g. dev.txt")
    parser.add_argument("--words", type=int, default=500_000, help="minimum words (500000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (3)")
    parser.add_argument("--before", type=Path, help="another annotate checkout to compare")
    parser.add_argument("--child", choices=["ours", "spacy"], help=argparse.SUPPRESS)
    parser.add_argument("--spacy-file", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.spacy_file:
        spacy_file(*args.spacy_file)
        return
    texts, words, distinct = load_texts(args.conll, args.words)
    if args.child:
        fig = child_ours(texts, distinct) if args.child == "ours" else child_spacy(texts)
        print(json.dumps(fig))
        return

    trees = {"this tree": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    per_pass = words * distinct // len(texts)
    print(f"input: {len(texts)} documents ({distinct} distinct), {words} words")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (shared machine)")
    common = [str(args.conll), "--words", str(args.words)]
    inproc: dict[str, list[dict[str, float]]] = {name: [] for name in [*trees, "spaCy"]}
    for _ in range(args.runs):
        for name, tree in trees.items():
            inproc[name].append(run_child([*common, "--child", "ours"], tree))
        inproc["spaCy"].append(run_child([*common, "--child", "spacy"], ROOT))
    spacy_rate = words / med(inproc["spaCy"], "cpu")
    print(f"\nin-process, CPU seconds of one process, median of {args.runs}:")
    rates = {}
    for name in trees:
        s = inproc[name]
        rates[name] = words / med(s, "cpu")
        floor = words / med(s, "floor")
        first = per_pass / med(s, "first_pass")
        print(
            f"  annotate ({name}): {rates[name]:10,.0f} words/s  (first pass {first:,.0f} words/s;"
            f" setup {med(s, 'setup'):.2f}s; {int(med(s, 'entities'))} entities)"
        )
        print(
            f"    floor spans.tokenize: {floor:,.0f} words/s; annotate is {floor / rates[name]:.2f}x"
            f" slower than the floor (target <= 3x); {rates[name] / 600_000:.2f}x the 600k target"
        )
    print(
        f"  spaCy blank + EntityRuler: {spacy_rate:10,.0f} words/s  "
        f"(setup {med(inproc['spaCy'], 'setup'):.2f}s, {int(med(inproc['spaCy'], 'entities'))}"
        " entities)"
    )
    for name in trees:
        print(f"  ratio annotate ({name}) / spaCy: {rates[name] / spacy_rate:.2f}")
    if "before" in trees:
        print(f"  ratio this tree / before: {rates['this tree'] / rates['before']:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "conll.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i, text in enumerate(texts):
                fh.write(json.dumps({"id": str(i), "text": text}, ensure_ascii=False) + "\n")
        commands = {
            name: (
                [sys.executable, "-m", "annotate", "preannotate", str(src), "-o", str(out)],
                {**os.environ, "PYTHONPATH": str(tree), "ANNOTATE_HOME": str(Path(tmp) / "ws")},
            )
            for name, tree in trees.items()
        }
        commands["spaCy"] = (
            [sys.executable, str(HERE), "x", "--spacy-file", str(src), str(out)],
            {**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for argv, env in commands.values():
            timed(argv, env, Path(tmp))  # warm-up: page cache, .pyc files, the compiled lexicon
        whole: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (argv, env) in commands.items():
                whole[name].append(timed(argv, env, Path(tmp)))
    print(f"\nwhole process, JSONL in and out, median of {args.runs}:")
    wall = {n: statistics.median(w for w, _ in s) for n, s in whole.items()}
    cpu = {n: statistics.median(c for _, c in s) for n, s in whole.items()}
    for name in whole:
        print(
            f"  {name:>9}: {words / wall[name]:10,.0f} words/s wall ({wall[name]:.2f}s), "
            f"{words / cpu[name]:10,.0f} words/s CPU ({cpu[name]:.2f}s)"
        )
    for name in trees:
        print(
            f"  ratio annotate ({name}) / spaCy: {wall['spaCy'] / wall[name]:.2f} wall, "
            f"{cpu['spaCy'] / cpu[name]:.2f} CPU (target >= 2.0)"
        )
    if "before" in trees:
        print(
            f"  ratio this tree / before: {wall['before'] / wall['this tree']:.2f} wall, "
            f"{cpu['before'] / cpu['this tree']:.2f} CPU"
        )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
