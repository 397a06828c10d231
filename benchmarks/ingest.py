"""Ingest throughput: 10,000 generated articles (JSONL and .txt files) into a fresh SQLite store.

Usage: python benchmarks/ingest.py [--articles 10000]
Prints articles/s for the whole `ingest_paths` call (read, clean, hash, dedupe, insert) and
the process's peak RSS with its growth over the run's start (ingest streams in chunks, so
the growth should not follow the number of articles).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
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
        words = 0
        for path in data.iterdir():  # line by line: the peak RSS below is ingest's own
            with path.open() as lines:
                words += sum(len(line.split()) for line in lines)
        input_mib = sum(p.stat().st_size for p in data.iterdir()) / 2**20
        engine = make_engine(f"sqlite:///{root / 'bench.db'}")
        upgrade(engine)
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        start = time.perf_counter()
        report = ingest_paths(engine, [data])
        elapsed = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        assert len(report.new) == args.articles, report.rejected[:3]
        print(
            f"ingest: {args.articles} articles ({words / args.articles:.0f} words each) in "
            f"{elapsed:.2f} s = {args.articles / elapsed:,.0f} articles/s; peak RSS "
            f"{peak:.0f} MiB, {peak - base:.0f} MiB over the {base:.0f} MiB before the run "
            f"({input_mib:.0f} MiB of input)"
        )


if __name__ == "__main__":
    main()
