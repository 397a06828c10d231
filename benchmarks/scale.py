"""Scale on one machine: N articles of about 400 words through ingest, preannotate and
the silver export (both with --workers 2), on the store at --db (PostgreSQL as CI starts
it, or SQLite).

Usage: python benchmarks/scale.py --n 10000 [--n 100000 ...] [--db URL] [--workers 2]
Each --n runs on a fresh database (on PostgreSQL: a new database of the server in --db,
dropped afterwards; without --db: a SQLite file in a temporary folder). For each command
it prints the wall time, articles/s, and the peak RSS of the command's whole process tree
(`os.wait4` of the command: the largest of it and its workers), against the issue's
600 MB per command; then each command's time per article relative to the smallest N,
which stays near 1.0x when the cost is linear in the number of articles.
Articles are generated (names, places, target cues, ~400 words each) into JSONL shards of
10,000, so ingest reads many files as a real corpus would.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

RSS_TARGET_MB = 600
SHARD = 10_000
NAMES = ["Amina Diallo", "Kenji Sato", "Maria Lopez", "Pavel Novak", "Grace Otieno", "Lars Berg"]
PLACES = ["Nairobi", "Lima", "Oslo", "Hanoi", "Accra", "Quito", "France", "Kenya", "Peru", "Chile"]
ORGS = ["the United Nations", "the European Union", "the World Bank", "NATO", "Reuters"]
FILLER = (
    "officials said the talks would resume next week after a long night of negotiations "
    "over aid deliveries border crossings and the release of detainees held since the spring"
).split()
CLAIMS = [
    "{who} said {place} supports a ceasefire in the region.",
    "{who} rejected calls for a truce, officials in {place} said.",
    "{org} urged both sides to agree to a humanitarian pause.",
    "{place} abstained in the vote on the ceasefire resolution.",
    "Envoys from {place} met {who} in {place2} on Tuesday.",
]


def article(rng: random.Random, i: int) -> dict[str, str]:
    words, sentences = 0, []
    while words < 400:
        claim = rng.choice(CLAIMS).format(
            who=rng.choice(NAMES),
            place=rng.choice(PLACES),
            place2=rng.choice(PLACES),
            org=rng.choice(ORGS),
        )
        filler = " ".join(rng.choice(FILLER) for _ in range(rng.randint(10, 20)))
        sentence = f"{claim} The {filler} ({i}.{len(sentences)})."
        sentences.append(sentence)
        words += len(sentence.split())
    paragraphs = [" ".join(sentences[k : k + 4]) for k in range(0, len(sentences), 4)]
    return {
        "id": f"s{i}",
        "title": f"Talks resume in {rng.choice(PLACES)}",
        "text": "\n\n".join(paragraphs),
    }


def write_shards(folder: Path, n: int) -> list[Path]:
    rng = random.Random(n)
    shards = []
    for start in range(0, n, SHARD):
        path = folder / f"articles-{start // SHARD:05d}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for i in range(start, min(n, start + SHARD)):
                out.write(json.dumps(article(rng, i)) + "\n")
        shards.append(path)
    return shards


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one command and the workers it waits for."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {err.decode(errors='replace')[-400:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def fresh_database(server: str | None, folder: Path) -> tuple[str, str | None]:
    """A URL of an empty database, and the PostgreSQL database name to drop afterwards."""
    if not server:
        return f"sqlite:///{folder / 'store.db'}", None
    import psycopg

    name = f"annotate_scale_{uuid.uuid4().hex[:10]}"
    plain = server.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = plain.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1), name


def drop(server: str, name: str) -> None:
    import psycopg

    plain = server.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append", help="articles (repeatable)")
    parser.add_argument("--db", help="a PostgreSQL server URL (default: SQLite files)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = sorted(args.n or [10_000])
    cli = [sys.executable, "-m", "annotate"]
    results: dict[int, dict[str, tuple[float, float]]] = {}
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            shards = write_shards(folder, n)
            url, name = fresh_database(args.db, folder)
            env = {**os.environ, "ANNOTATE_HOME": str(folder / "home"), "ANNOTATE_DB": url}
            steps = {
                "ingest": [*cli, "ingest", *map(str, shards)],
                "preannotate": [*cli, "preannotate", "--workers", str(args.workers)],
                "export --silver": [
                    *cli,
                    "export",
                    "--silver",
                    "--out",
                    str(folder / "silver"),
                    "--workers",
                    str(args.workers),
                ],
            }
            try:
                results[n] = {}
                for step, argv in steps.items():
                    wall, rss = run(argv, env)
                    results[n][step] = (wall, rss)
                    verdict = "ok" if rss <= RSS_TARGET_MB else "OVER"
                    print(
                        f"n={n:>9,} {step:<16} {wall:9.1f} s {n / wall:9.0f} articles/s "
                        f"peak RSS {rss:6.0f} MB ({rss / RSS_TARGET_MB:.2f}x of "
                        f"{RSS_TARGET_MB} MB: {verdict})",
                        flush=True,
                    )
            finally:
                if name and args.db:
                    drop(args.db, name)
    smallest = sizes[0]
    print(f"\ntime per article relative to n={smallest:,} (1.00x = linear):")
    for n in sizes:
        ratios = "  ".join(
            f"{step} {results[n][step][0] / n / (results[smallest][step][0] / smallest):.2f}x"
            for step in results[n]
        )
        print(f"n={n:>9,}  {ratios}")


if __name__ == "__main__":
    main()
