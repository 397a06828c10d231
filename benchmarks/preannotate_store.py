"""Pre-annotation with 1 and with 2 workers, in store mode and in offline mode.

Usage: python benchmarks/preannotate_store.py [--articles 2000] [--runs 3] [--mode both]
       [--before DIR]
Whole processes (start-up, the workers' loads of the compiled lexicon, reads and writes
included), run in turn 1, 2, 1, 2, ... : `annotate preannotate --force --workers N` on one
SQLite store of generated ~400-word articles, and `annotate preannotate FILE -o OUT
--workers N` on the same articles as JSONL (whose outputs must be identical). Prints the
median wall time of each, the CPU seconds of all its processes and the speed-up of 2
workers; the target is >= 1.7x on two idle cores, so read it with the load average printed
beside it (sampled before and after: other people's jobs share the cores). --before DIR
times another checkout of annotate the same way, in turn with this one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import timed

TARGET = 1.7
WORDS = (
    "the minister said talks on the ceasefire would resume after the vote in parliament "
    "officials of the council agreed and rejected the aid plan for the border this week"
).split()
NAMES = ["Angela Merkel", "William Ruto", "Emmanuel Macron", "Dina Boluarte", "Luiz Lula"]
PLACES = ["Nairobi", "Lima", "Oslo", "Hanoi", "Accra", "Quito", "France", "Kenya", "Peru"]


def article(rng: random.Random, i: int) -> str:
    sentences = []
    while sum(len(s.split()) for s in sentences) < 400:
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 25)))
        sentences.append(
            f"{rng.choice(NAMES)} said in {rng.choice(PLACES)} that {body} ({i}-{len(sentences)})."
        )
    return " ".join(sentences)


def _spin(_: int) -> int:
    n = 0
    for i in range(5_000_000):
        n += i & 7
    return n


def machine_speedup() -> float:
    """How much sooner 2 processes finish two units of pure-Python work than 1 does: what
    the shared cores give right now (2.0 when idle), the anchor of the workers' figure."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    for k in range(2):
        _spin(k)
    one = time.perf_counter() - start
    with ProcessPoolExecutor(2) as pool:
        start = time.perf_counter()
        list(pool.map(_spin, range(2)))
        two = time.perf_counter() - start
    return one / two


def _same(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mode", choices=["store", "offline", "both"], default="both")
    parser.add_argument("--before", type=Path, help="another annotate checkout to compare")
    args = parser.parse_args()
    modes = ["store", "offline"] if args.mode == "both" else [args.mode]
    root = Path(__file__).resolve().parents[1]
    trees = {"this tree": root, **({"before": args.before.resolve()} if args.before else {})}
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as home:
        envs = {
            name: {**os.environ, "ANNOTATE_HOME": home, "PYTHONPATH": str(tree)}
            for name, tree in trees.items()
        }
        src = Path(home) / "wire.jsonl"
        with src.open("w", encoding="utf-8") as out:
            for i in range(args.articles):
                out.write(json.dumps({"id": f"b{i}", "text": article(rng, i)}) + "\n")
        cli = [sys.executable, "-m", "annotate"]
        subprocess.run(
            [*cli, "ingest", str(src)],
            env=envs["this tree"],
            cwd=home,
            check=True,
            capture_output=True,
        )
        outputs = {w: Path(home) / f"out{w}.jsonl" for w in (1, 2)}
        commands = {
            "store": lambda w: [*cli, "preannotate", "--force", "--workers", str(w)],
            "offline": lambda w: [
                *cli,
                "preannotate",
                str(src),
                "-o",
                str(outputs[w]),
                "--workers",
                str(w),
            ],
        }
        loads = [os.getloadavg()[0]]
        for env in envs.values():  # warm-up: page cache, .pyc files, the compiled lexicon
            subprocess.run(
                commands[modes[0]](1), env=env, cwd=home, check=True, capture_output=True
            )
        for mode in modes:
            times = {(t, w): [] for t in trees for w in (1, 2)}
            cpu = {(t, w): [] for t in trees for w in (1, 2)}
            for _ in range(args.runs):
                for name in trees:
                    for workers in (1, 2):
                        wall, used = timed(commands[mode](workers), envs[name], home)
                        times[name, workers].append(wall)
                        cpu[name, workers].append(used)
                        if mode == "offline" and workers == 2 and not _same(*outputs.values()):
                            raise SystemExit(f"{name}: outputs of 1 and 2 workers differ")
            loads.append(os.getloadavg()[0])
            machine = machine_speedup()
            print(f"{mode} mode, {args.articles} articles of ~400 words, median of {args.runs}:")
            for name in trees:
                one, two = (statistics.median(times[name, w]) for w in (1, 2))
                for w, wall in ((1, one), (2, two)):
                    print(
                        f"  {name}, --workers {w}: {wall:.2f} s wall "
                        f"({args.articles / wall:,.0f} articles/s), "
                        f"{statistics.median(cpu[name, w]):.2f} s cpu of all its processes"
                    )
                print(
                    f"  {name}: speed-up {one / two:.2f}x; target >= {TARGET}x on two idle "
                    f"cores: {one / two / TARGET:.2f}x the target; the cores gave pure-Python "
                    f"work {machine:.2f}x just now, so {one / two / machine:.2f} of it"
                )
            if "before" in trees:
                for w in (1, 2):
                    ratio = statistics.median(times["before", w]) / statistics.median(
                        times["this tree", w]
                    )
                    print(f"  this tree / before, --workers {w}: {ratio:.2f}x faster (wall)")
        print(
            f"load average {', then '.join(f'{x:.2f}' for x in loads)} on {os.cpu_count()} cores"
            " (shared machine)"
        )


if __name__ == "__main__":
    main()
