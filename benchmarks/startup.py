"""Start-up: `annotate --help` and `annotate status` against their targets and bare Python.

Usage: python benchmarks/startup.py [--runs 7]
Times whole processes (median wall and CPU seconds of --runs), so imports count: the CLI
imports a command's heavy libraries inside the command. `status` runs on a fresh SQLite
store of a few articles in a temporary workspace.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import timed

TARGETS = {"annotate --help": 0.2, "annotate status": 0.4}


def median_of(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    timed(argv, env)  # warm-up: page cache, .pyc files
    samples = [timed(argv, env) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ANNOTATE_HOME": home}
        articles = Path(home) / "articles"
        articles.mkdir()
        for i in range(3):
            (articles / f"a{i}.txt").write_text(
                f"Talks in Oslo, day {i}\n\nThe minister said the talks would go on.\n",
                encoding="utf-8",
            )
        subprocess.run(
            [py, "-m", "annotate", "ingest", str(articles)],
            env=env,
            check=True,
            capture_output=True,
        )
        bare_wall, bare_cpu = median_of([py, "-c", "pass"], env, args.runs)
        print(
            f"python -c pass: {bare_wall:.3f} s wall, {bare_cpu:.3f} s cpu (median of {args.runs})"
        )
        for name, target in TARGETS.items():
            argv = [py, "-m", "annotate", *name.split()[1:]]
            wall, cpu = median_of(argv, env, args.runs)
            print(
                f"{name}: {wall:.3f} s wall, {cpu:.3f} s cpu; target <= {target} s wall: "
                f"{wall / target:.2f}x the target ({'met' if wall <= target else 'NOT met'}); "
                f"{wall / bare_wall:.1f}x bare python"
            )
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (shared machine)")


if __name__ == "__main__":
    main()
