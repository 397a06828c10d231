"""Throughput of `annotate preannotate --scheduler` on a local Dask cluster: 1 and 2 workers.

Input: the documents of a CoNLL file (as benchmarks/preannotate.py builds them), repeated
to at least --words words, written as --shards JSONL shards. Printed side by side, medians
of --repeats runs:
- serial: this process, shard by shard, through the same read/predict/write as a worker
  (the lexicon built once, outside the timing): the anchor;
- warm: a LocalCluster of N workers already up, its pre-annotator built by a first run
  (as on a long-lived cluster), then one whole run of every shard;
- cold: `--scheduler local:N` as the CLI runs it, cluster start and lexicon builds included.

Usage: python benchmarks/dask_preannotate.py /path/to/conll2003/dev.txt [--words 300000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def write_shards(conll: Path, min_words: int, shards: int, folder: Path) -> tuple[int, int]:
    from benchmarks.preannotate import load_texts

    texts, words = load_texts(conll, min_words)
    for k in range(shards):
        with (folder / f"part-{k:03}.jsonl").open("w", encoding="utf-8") as fh:
            for i in range(k, len(texts), shards):
                fh.write(json.dumps({"id": f"d{i}", "text": texts[i]}) + "\n")
    return len(texts), words


def serial(folder: Path, out: Path) -> tuple[float, float]:
    from annotate.cluster.shards import expand, output_name, read_shard, write_shard
    from annotate.preannotate.model import preannotator
    from annotate.schemas import load_labelset

    model = preannotator(load_labelset())
    out.mkdir(exist_ok=True)
    t0, c0 = time.perf_counter(), time.process_time()
    for src in expand([str(folder)]):
        records = (model.predict(text, i) for i, text in read_shard(src))
        write_shard(records, output_name(src, str(out), "jsonl"), "jsonl")
    return time.perf_counter() - t0, time.process_time() - c0


def on_cluster(folder: Path, out: Path, scheduler: str) -> tuple[float, float]:
    """Wall seconds of one run, and the workers' CPU seconds on its shards: on a busy
    machine the first shows the cores the workers got, the second what the work cost."""
    from annotate.cluster.runner import preannotate_shards
    from annotate.schemas import load_labelset

    t0 = time.perf_counter()
    summary = preannotate_shards([str(folder)], str(out), load_labelset(), scheduler)
    return time.perf_counter() - t0, summary.cpu_seconds


def warm(folder: Path, out: Path, workers: int, repeats: int) -> list[tuple[float, float]]:
    import logging

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as cluster:
        on_cluster(folder, out, cluster.scheduler_address)  # builds each worker's pre-annotator
        return [on_cluster(folder, out, cluster.scheduler_address) for _ in range(repeats)]


def _median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("conll", type=Path, help="a CoNLL-2003 file, e.g. dev.txt")
    parser.add_argument("--words", type=int, default=300_000, help="minimum words (300000)")
    parser.add_argument("--shards", type=int, default=8, help="JSONL shards (8)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (3)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "in", Path(tmp) / "out"
        folder.mkdir()
        docs, words = write_shards(args.conll, args.words, args.shards, folder)
        print(f"input: {docs} documents, {words} words in {args.shards} shards")
        rows = {"serial, this process": _median([serial(folder, out) for _ in range(args.repeats)])}
        for n in (1, 2):
            rows[f"warm cluster, {n} worker(s)"] = _median(warm(folder, out, n, args.repeats))
        for n in (1, 2):
            runs = [on_cluster(folder, out, f"local:{n}") for _ in range(args.repeats)]
            rows[f"cold local:{n} (start included)"] = _median(runs)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    anchor = words / rows["serial, this process"][0]
    for name, (wall, cpu) in rows.items():
        rate = words / wall
        print(
            f"{name:32} {rate:9,.0f} words/s ({wall:6.2f} s wall, {cpu:6.2f} s CPU)  "
            f"{rate / anchor:5.2f}x serial"
        )
    walls = [wall for wall, _ in rows.values()]
    print(f"2 workers vs 1, warm: {walls[1] / walls[2]:.2f}x; cold: {walls[3] / walls[4]:.2f}x")


if __name__ == "__main__":
    main()
