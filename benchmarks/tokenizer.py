"""Tokenizer speed on CoNLL-2003 documents: words per second, best of several runs.

Usage: python benchmarks/tokenizer.py [--conll /work/shared/data/conll2003/dev.txt] [--runs 5]

Each document is read as annotate's CoNLL reader builds it (tokens joined by spaces,
sentences by newlines, one text per ``-DOCSTART-``), then ``annotate.spans.tokenize`` runs
over all of them, timed in CPU time (steadier than wall time on a shared machine); words
are the CoNLL tokens. ``--also-accented`` adds a run on the same documents each opened by
a decomposed "Sa\\u0301nchez", which takes the grapheme path.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from annotate.evaluate import read_conll
from annotate.spans import tokenize


def best_rate(texts: list[str], words: int, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        for text in texts:
            tokenize(text)
        best = min(best, time.process_time() - t0)
    return words / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conll", type=Path, default=Path("/work/shared/data/conll2003/dev.txt"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--also-accented", action="store_true")
    args = parser.parse_args()
    texts = [doc.text for doc in read_conll(args.conll)]
    words = sum(len(text.split()) for text in texts)
    print(f"{len(texts)} documents, {words} words")
    print(f"tokenize: {best_rate(texts, words, args.runs):,.0f} words/s (best of {args.runs})")
    if args.also_accented:
        accented = ["Sa\u0301nchez " + text for text in texts]
        rate = best_rate(accented, words + len(texts), args.runs)
        print(f"tokenize, one decomposed accent per document: {rate:,.0f} words/s")


if __name__ == "__main__":
    main()
