"""Ingest throughput: 10,000 generated articles (JSONL and .txt files) into a fresh SQLite store.

Usage: python benchmarks/ingest.py [--articles 10000]
Prints articles/s for the whole `ingest_paths` call (read, clean, hash, dedupe, insert).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from annotate.ingest import ingest_paths
from annotate.store.migrate import upgrade
from annotate.store.session import make_engine

WORDS = [
    "minister",
    "said",
    "talks",
    "ceasefire",
    "government",
    "the",
    "of",
    "and",
    "in",
    "to",
    "a",
    "on",
    "for",
    "with",
    "parliament",
    "vote",
    "resolution",
    "aid",
    "border",
    "council",
    "agreed",
    "rejected",
    "called",
    "officials",
    "week",
    "capital",
]
PLACES = ["Nairobi", "Lima", "Oslo", "Hanoi", "Accra", "Quito", "Tbilisi", "Dhaka"]


def article(rng: random.Random, i: int) -> str:
    paragraphs = []
    for _ in range(rng.randint(4, 8)):
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 90)))
        paragraphs.append(f"In {rng.choice(PLACES)}, {sentence} (item {i}).")
    return "\n\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "in"
        data.mkdir()
        half = args.articles // 2
        with (data / "feed.jsonl").open("w") as out:
            for i in range(half):
                out.write(
                    json.dumps({"id": f"a{i}", "title": f"Story {i}", "text": article(rng, i)})
                    + "\n"
                )
        for i in range(half, args.articles):
            (data / f"{i}.txt").write_text(f"Headline number {i}\n\n{article(rng, i)}\n")
        words = sum(len(p.read_text().split()) for p in data.iterdir())
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        upgrade(engine)
        start = time.perf_counter()
        report = ingest_paths(engine, [data])
        elapsed = time.perf_counter() - start
        assert len(report.new) == args.articles, report.rejected[:3]
        print(
            f"ingest: {args.articles} articles ({words / args.articles:.0f} words each) in "
            f"{elapsed:.2f} s = {args.articles / elapsed:,.0f} articles/s"
        )


if __name__ == "__main__":
    main()
