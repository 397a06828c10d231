"""Export speed and memory: 20,000 annotated articles -> Hugging Face folder.

Usage: python benchmarks/export.py [--articles 20000] [--policy majority] [--validate]

Builds a fresh SQLite store through the store's own API (``ingest_paths`` for the articles,
the models for project, tasks and annotations as a pull stores them: entity spans and
stance triples, a fifth of the articles with a second, partly disagreeing annotator), then
runs ``annotate export`` in a child process and prints its wall time and peak RSS. The peak
is the child's own VmHWM read after the export: ``RUSAGE_CHILDREN``'s ``ru_maxrss`` would
also count the parent's pages the child inherited at fork (about 1 GB after building the
store). Target: <= 60 s and <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from annotate.ingest import ingest_paths
from annotate.store.migrate import upgrade
from annotate.store.models import Annotation, Article, EntitySpan, Project, StanceTriple, Task
from annotate.store.session import make_engine, session_scope

PEOPLE = ["Antony Blinken", "Annalena Baerbock", "James Cleverly", "Fumio Kishida", "Yoko Kamikawa"]
GPES = ["France", "Britain", "Japan", "Israel", "Gaza", "Canada", "Germany", "Tokyo"]
ORGS = ["Hamas", "NATO", "the UN Security Council", "the Associated Press", "G7"]
FILLER = [
    "officials",
    "said",
    "talks",
    "would",
    "continue",
    "this",
    "week",
    "while",
    "aid",
    "convoys",
    "waited",
    "at",
    "the",
    "border",
    "and",
    "diplomats",
    "in",
    "the",
    "capital",
    "weighed",
    "the",
    "wording",
    "of",
    "a",
    "joint",
    "statement",
]
STANCE = ["backs", "rejects", "abstained on"]
LABEL_OF = {"backs": "support", "rejects": "oppose", "abstained on": "neutral"}
TARGETS = [("a ceasefire", "ceasefire", "ceasefire"), ("a humanitarian pause", "humanitarian_pause", "humanitarian pause")]  # fmt: skip


def article(rng: random.Random, i: int) -> str:
    """~450 words of news-like text with names the annotations below can find."""
    sentences = []
    for _ in range(rng.randint(18, 26)):
        kind = rng.random()
        filler = " ".join(rng.choice(FILLER) for _ in range(rng.randint(8, 14)))
        if kind < 0.25:
            target = rng.choice(TARGETS)
            sentences.append(f"{rng.choice(GPES)} {rng.choice(STANCE)} {target[0]}, {filler}.")
        elif kind < 0.6:
            sentences.append(f"{rng.choice(PEOPLE)} met {rng.choice(ORGS)} in {rng.choice(GPES)}, {filler}.")  # fmt: skip
        else:
            sentences.append(f"{filler.capitalize()} (item {i}).")
    return " ".join(sentences)


def spans_of(text: str) -> list[tuple[int, int, str]]:
    found = []
    for names, label in ((PEOPLE, "PERSON"), (GPES, "GPE"), (ORGS, "ORG")):
        for name in names:
            bare = name.removeprefix("the ")
            start = text.find(bare)
            while start != -1:
                found.append((start, start + len(bare), label))
                start = text.find(bare, start + 1)
    return sorted(found)


def stances_of(text: str) -> list[dict]:
    out = []
    for gpe in GPES:
        for verb in STANCE:
            for phrase, target, cue in TARGETS:
                needle = f"{gpe} {verb} {phrase}"
                start = text.find(needle)
                if start != -1:
                    t0 = text.index(cue, start)
                    out.append(
                        {
                            "holder_start": start,
                            "holder_end": start + len(gpe),
                            "holder_label": "GPE",
                            "holder_text": gpe,
                            "target": target,
                            "target_start": t0,
                            "target_end": t0 + len(cue),
                            "label": LABEL_OF[verb],
                        }
                    )
    return out


def build_store(root: Path, n: int, rng: random.Random) -> str:
    data = root / "in"
    data.mkdir()
    with (data / "feed.jsonl").open("w") as out:
        for i in range(n):
            out.write(json.dumps({"id": f"art{i:06d}", "text": article(rng, i)}) + "\n")
    url = f"sqlite:///{root / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    report = ingest_paths(engine, [data])
    assert len(report.new) == n, report.rejected[:3]
    t0 = datetime(2024, 11, 7, tzinfo=UTC)
    with session_scope(engine) as s:
        project = Project(name="bench", ls_url="http://127.0.0.1:8080", ls_project_id=1)
        s.add(project)
        s.flush()
        articles = s.execute(select(Article.id, Article.text).order_by(Article.id)).all()
        s.execute(
            insert(Task),
            [
                {
                    "project_id": project.id,
                    "article_id": a,
                    "ls_task_id": k,
                    "model_versions": ["rules-v1"],
                }  # fmt: skip
                for k, (a, _text) in enumerate(articles, 1)
            ],
        )
        task_of = dict(s.execute(select(Task.article_id, Task.id)).all())
        ann_rows, ls_id = [], 0
        for a, _text in articles:
            for who in ["ann1@example.org"] + (["ann2@example.org"] if rng.random() < 0.2 else []):
                ls_id += 1
                ann_rows.append(
                    {
                        "task_id": task_of[a],
                        "ls_annotation_id": ls_id,
                        "annotator": who,
                        "created_at": t0,
                        "updated_at": t0 + timedelta(minutes=ls_id),
                        "result": [],
                        "problems": [],
                    }
                )
        s.execute(insert(Annotation), ann_rows)
        anns = s.execute(select(Annotation.id, Annotation.task_id, Annotation.annotator)).all()
        text_of_task = {task_of[a]: text for a, text in articles}
        span_rows, stance_rows = [], []
        for ann_id, task_id, who in anns:
            text = text_of_task[task_id]
            for start, end, label in spans_of(text):
                if who == "ann2@example.org" and rng.random() < 0.1:
                    label = "ORG" if label == "GPE" else label  # some disagreement
                span_rows.append(
                    {"annotation_id": ann_id, "start": start, "end": end, "label": label,
                     "text": text[start:end]}
                )  # fmt: skip
            for st in stances_of(text):
                stance_rows.append({"annotation_id": ann_id, **st})
        s.execute(insert(EntitySpan), span_rows)
        s.execute(insert(StanceTriple), stance_rows)
    engine.dispose()
    print(
        f"store: {n} articles, {len(ann_rows)} annotations, {len(span_rows)} entity spans, "
        f"{len(stance_rows)} stance triples"
    )
    return url


# Runs the CLI in the child and reports that process's peak RSS (VmHWM, reset at exec).
CHILD = """
import sys
from annotate.cli import app
try:
    app(sys.argv[1:], prog_name="annotate", standalone_mode=False)
finally:
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print(int(peak.split()[1]) // 1024, file=sys.stderr)
"""


def run_child(args: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (MB) of one `annotate` command in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    return time.perf_counter() - start, int(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--policy", default="majority")
    parser.add_argument("--validate", action="store_true", help="also time `annotate validate`")
    args = parser.parse_args()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        url = build_store(root, args.articles, rng)
        print(f"store built in {time.perf_counter() - start:.1f} s (not part of the figure)")
        out = root / "export"
        elapsed, peak_mb = run_child(
            ["--db", url, "export", "--project", "bench", "--policy", args.policy,
             "--out", str(out)]
        )  # fmt: skip
        size = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
        print(
            f"export: {args.articles} articles in {elapsed:.1f} s "
            f"({args.articles / elapsed:,.0f} articles/s), peak RSS {peak_mb:,.0f} MB, "
            f"Parquet {size:.1f} MB  [target <= 60 s, <= 1536 MB]"
        )
        if args.validate:
            elapsed, peak_mb = run_child(["validate", str(out)])
            print(f"validate: {elapsed:.1f} s, peak RSS {peak_mb:,} MB")


if __name__ == "__main__":
    main()
