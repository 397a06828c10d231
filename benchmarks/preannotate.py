"""Throughput of offline pre-annotation (entities + stance) vs spaCy's blank pipeline.

Both run in this process on the same input: the documents of a CoNLL file (text = tokens
joined by spaces, sentences by newlines), repeated until there are at least --words words.
spaCy gets `spacy.blank("en")` plus an EntityRuler of pycountry's country names: the
cheapest pipeline that finds any entities at all. Lexicon loading is timed separately.

Usage: python benchmarks/preannotate.py /path/to/conll2003/dev.txt [--words 500000]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def load_texts(path: Path, min_words: int) -> tuple[list[str], int]:
    from annotate.evaluate import read_conll

    docs = [d.text for d in read_conll(path)]
    if not docs:
        raise SystemExit(f"{path}: no documents")
    per_pass = sum(len(t.split()) for t in docs)
    reps = max(1, -(-min_words // per_pass))
    return docs * reps, per_pass * reps


def bench_ours(texts: list[str]) -> tuple[float, float, int]:
    from annotate.preannotate.model import preannotator
    from annotate.schemas import load_labelset

    t0 = time.perf_counter()
    model = preannotator(load_labelset())
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = 0
    for i, text in enumerate(texts):
        rec = model.predict(text, str(i))
        n += len(rec["entities"])
    return setup, time.perf_counter() - t0, n


def bench_spacy(texts: list[str]) -> tuple[float, float, int]:
    import pycountry
    import spacy

    t0 = time.perf_counter()
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GPE", "pattern": c.name} for c in pycountry.countries])
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = 0
    for doc in nlp.pipe(texts):
        n += len(doc.ents)
    return setup, time.perf_counter() - t0, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conll", type=Path, help="a CoNLL-2003 file, e.g. dev.txt")
    parser.add_argument("--words", type=int, default=500_000, help="minimum words (500000)")
    args = parser.parse_args()
    texts, words = load_texts(args.conll, args.words)
    print(f"input: {len(texts)} documents, {words} words (whitespace tokens)")
    o_setup, o_time, o_ents = bench_ours(texts)
    s_setup, s_time, s_ents = bench_spacy(texts)
    ours, theirs = words / o_time, words / s_time
    print(
        f"annotate (entities + stance): {ours:10,.0f} words/s  "
        f"({o_time:.2f}s, setup {o_setup:.2f}s, {o_ents} entities)"
    )
    print(
        f"spaCy blank + EntityRuler:    {theirs:10,.0f} words/s  "
        f"({s_time:.2f}s, setup {s_setup:.2f}s, {s_ents} entities)"
    )
    whole = (words / (o_time + o_setup)) / (words / (s_time + s_setup))
    print(f"ratio: {ours / theirs:.2f} (including setup: {whole:.2f})")


if __name__ == "__main__":
    main()
