"""Report speed and memory: 20,000 annotated articles -> one HTML page of plots.

Usage: python benchmarks/report.py [--articles 20000]

Builds the same store as `benchmarks/export.py` (a fifth of the articles with a second,
partly disagreeing annotator), then runs `annotate report` in a child process and prints
its wall time, peak RSS and the page's size. The first run in a fresh environment also
pays for matplotlib's font cache; the figure is of a warm run (run twice to see both).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export import build_store, run_child  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        url = build_store(root, args.articles, rng)
        print(f"store built in {time.perf_counter() - start:.1f} s (not part of the figure)")
        out = root / "report.html"
        elapsed, peak_mb = run_child(["--db", url, "report", "--out", str(out)])
        print(
            f"report: {args.articles} articles in {elapsed:.1f} s "
            f"({args.articles / elapsed:,.0f} articles/s), peak RSS {peak_mb:,} MB, "
            f"page {out.stat().st_size / 1024:.0f} KB"
        )


if __name__ == "__main__":
    main()
