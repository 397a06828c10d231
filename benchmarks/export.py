"""Export speed against pre-annotation of the same store, before and after, in one run.

Usage: python benchmarks/export.py [--articles 20000] [--policy majority] [--repeat 3]
       [--before /tmp/before-export] [--no-silver] [--validate]

Builds a fresh SQLite store through the store's own API (``ingest_paths`` for the articles,
the models for project, tasks and annotations as a pull stores them: entity spans and
stance triples, a fifth of the articles with a second, partly disagreeing annotator), then
times whole `annotate` processes on it (start-up included), each in a fresh child:

- `annotate preannotate` of the same store (a fresh copy each run): the anchor;
- `annotate export --project bench` with this checkout's code ("after") and with the code
  at ``--before`` (a checkout of the commit before the Arrow-native export, e.g.
  ``git worktree add --detach /tmp/before-export 5cad746``), alternating, `--repeat` times;
- `annotate export --silver` of the pre-annotated copy, after and before, the same way;
- with `--workers N` (default 2), this checkout's exports and preannotate with N workers too.

Prints the medians side by side, each export's ratio to pre-annotation (target <= 0.3x)
and whether the after export's files equal the before export's byte for byte (and every
run's the first's). Peak RSS is the child's own VmHWM read after the command:
``RUSAGE_CHILDREN``'s ``ru_maxrss`` would also count the parent's pages the child
inherited at fork (about 1 GB after building the store).
"""

from __future__ import annotations

import argparse
import compileall
import filecmp
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from annotate.ingest import ingest_paths
from annotate.store.migrate import downgrade, upgrade
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
WARM = "import annotate.cli, annotate.export.hf, datasets, matplotlib.figure, pyarrow.parquet"
HERE = Path(__file__).resolve().parent.parent
TARGET = 0.3


def run_child(args: list[str], code: Path = HERE, cwd: Path | None = None) -> tuple[float, int]:
    """Wall time and peak RSS (MB) of one `annotate` command of the checkout `code`."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], check=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
    )  # fmt: skip
    return time.perf_counter() - start, int(done.stderr.strip().splitlines()[-1])


def differing(a: Path, b: Path) -> list[str]:
    """The files of two export folders that differ or are in one only (empty: the same)."""
    names_a = {str(p.relative_to(a)) for p in a.rglob("*") if p.is_file()}
    names_b = {str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()}
    both = names_a & names_b
    return sorted((names_a ^ names_b) | {n for n in both if not filecmp.cmp(a / n, b / n, False)})


def same_files(a: Path, b: Path) -> bool:
    """Whether two export folders hold the same files with the same bytes."""
    return not differing(a, b)


def comparison(a: Path, b: Path) -> str:
    """Whether two folders are the same ("True"), else which files differ, Parquet or not."""
    diff = differing(a, b)
    if not diff:
        return "True"
    parquet = [n for n in diff if n.endswith(".parquet")]
    return f"False ({', '.join(diff)} differ; Parquet identical: {not parquet})"


class Runs:
    """The timed runs of one command per code version, and whether their outputs agree."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.peaks: dict[str, list[int]] = {}
        self.first: dict[str, Path] = {}
        self.stable = True  # every run's files equal its version's first run's

    def export(self, name: str, code: Path, args: list[str], out: Path, root: Path) -> None:
        elapsed, peak = run_child([*args, "--out", str(out)], code, cwd=root)
        self.times.setdefault(name, []).append(elapsed)
        self.peaks.setdefault(name, []).append(peak)
        if name not in self.first:
            self.first[name] = out
        else:
            self.stable &= same_files(self.first[name], out)
            shutil.rmtree(out)

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def identical(self) -> str:
        if "before" not in self.first:
            return "no before"
        return comparison(self.first["after"], self.first["before"])


def store_for(db: Path, code: Path) -> str:
    """The URL of `db` as the checkout `code` reads it: a copy migrated down to that
    code's newest revision when the store is ahead of it (a newer annotate's store is
    refused), so the before runs read the schema they were written for."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(code / "migrations")).get_current_head()
    if head == ScriptDirectory(str(HERE / "migrations")).get_current_head():
        return f"sqlite:///{db}"
    older = db.with_name(f"{db.stem}-{head}.db")
    shutil.copyfile(db, older)
    engine = make_engine(f"sqlite:///{older}")
    downgrade(engine, head)
    engine.dispose()
    return f"sqlite:///{older}"


def spread(times: list[float]) -> str:
    """Each run's seconds, in the order run (paired runs sit at the same place)."""
    return " ".join(f"{t:.1f}" for t in times)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--policy", default="majority")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (median)")
    parser.add_argument(
        "--before", type=Path, default=Path("/tmp/before-export"),
        help="checkout of the code to compare with (skipped when absent)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, default=2,
        help="also time this checkout's exports and preannotate with --workers N (0: skip)",
    )  # fmt: skip
    parser.add_argument("--no-silver", action="store_true", help="skip `export --silver`")
    parser.add_argument("--validate", action="store_true", help="also time `annotate validate`")
    args = parser.parse_args()
    versions = {"after": HERE}
    if (args.before / "annotate" / "export" / "hf.py").is_file():
        versions["before"] = args.before.resolve()
    else:
        print(f"no checkout at {args.before}: timing this checkout only")
    for code in versions.values():  # untimed: compiled bytecode and the page cache warm
        # written even under PYTHONDONTWRITEBYTECODE (set on some machines), so each child
        # starts as it does after a normal install instead of compiling annotate's sources
        compileall.compile_dir(code / "annotate", quiet=1)
        subprocess.run([sys.executable, "-c", WARM], check=True, env={**os.environ, "PYTHONPATH": str(code)})  # fmt: skip
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        url = build_store(root, args.articles, rng)
        db = root / "bench.db"
        print(f"store built in {time.perf_counter() - start:.1f} s (not part of the figures)")
        print(f"load average before the runs: {load()}")

        urls = {name: store_for(db, code) for name, code in versions.items()}
        project = Runs()
        pre_times, pre_peaks, pre_n_times = [], [], []
        parallel = f"after, --workers {args.workers}"
        extra = ["--workers", str(args.workers)] if args.workers > 1 else []
        silver = Runs()
        predicted = root / "predicted.db"
        for r in range(args.repeat):
            for name in sorted(versions, reverse=r % 2 == 1):  # after, before; then swapped
                project.export(
                    name,
                    versions[name],
                    ["--db", urls[name], "export", "--project", "bench", "--policy", args.policy],
                    root / f"export-{name}-{r}",
                    root,
                )
            if extra:
                project.export(
                    parallel,
                    HERE,
                    ["--db", url, "export", "--project", "bench", "--policy", args.policy, *extra],
                    root / f"export-workers-{r}",
                    root,
                )
                shutil.copyfile(db, predicted)
                elapsed, _ = run_child(
                    ["--db", f"sqlite:///{predicted}", "preannotate", *extra], HERE, root
                )
                pre_n_times.append(elapsed)
            shutil.copyfile(db, predicted)
            elapsed, peak = run_child(["--db", f"sqlite:///{predicted}", "preannotate"], HERE, root)
            pre_times.append(elapsed)
            pre_peaks.append(peak)
        if not args.no_silver:
            silver_urls = {name: store_for(predicted, code) for name, code in versions.items()}
            for r in range(args.repeat):
                for name in sorted(versions, reverse=r % 2 == 1):
                    silver.export(
                        name,
                        versions[name],
                        ["--db", silver_urls[name], "export", "--silver"],
                        root / f"silver-{name}-{r}",
                        root,
                    )
                if extra:
                    silver.export(
                        parallel,
                        HERE,
                        ["--db", f"sqlite:///{predicted}", "export", "--silver", *extra],
                        root / f"silver-workers-{r}",
                        root,
                    )
        pre = statistics.median(pre_times)
        print(f"load average after the runs: {load()}")
        print(
            f"\n{args.articles} articles, medians of {args.repeat} run(s), whole processes; "
            f"target: export <= {TARGET}x preannotate of the same store"
        )
        print(f"{'':34}{'seconds':>9}{'x preannotate':>15}{'peak RSS':>10}   runs (s)")
        print(
            f"{'preannotate (anchor)':34}{pre:9.1f}{1:15.2f}{max(pre_peaks):8,} MB   "
            f"{spread(pre_times)}"
        )
        pre_n = statistics.median(pre_n_times) if pre_n_times else None
        if pre_n:
            print(
                f"{'preannotate --workers ' + str(args.workers):34}{pre_n:9.1f}{pre_n / pre:15.2f}"
            )
        commands = [("export --policy " + args.policy, project)]
        if not args.no_silver:
            commands.append(("export --silver", silver))
        for label, runs in commands:
            for name in [*versions, *([parallel] if extra else [])]:
                t = runs.median(name)
                row = f"{label + ' (' + name + ')':34}{t:9.1f}{t / pre:15.2f}"
                print(f"{row}{max(runs.peaks[name]):8,} MB   {spread(runs.times[name])}")
            ratios = [t / p for t, p in zip(runs.times["after"], pre_times, strict=True)]
            print(
                "  after / preannotate, round by round: "
                + " ".join(f"{r:.2f}" for r in ratios)
                + f" ({sum(r <= TARGET for r in ratios)} of {len(ratios)} within {TARGET}x)"
            )
            if extra and pre_n:
                t = runs.median(parallel)
                print(
                    f"  --workers {args.workers}: {runs.median('after') / t:.2f}x one worker, "
                    f"{t / pre_n:.2f}x preannotate --workers {args.workers}; same files as one "
                    f"worker: {same_files(runs.first['after'], runs.first[parallel])}"
                )
            if "before" in versions:
                speedup = runs.median("before") / runs.median("after")
                print(
                    f"  after is {speedup:.2f}x faster; after == before byte for byte: "
                    f"{runs.identical()}; every run identical: {runs.stable}"
                )
        out = project.first["after"]
        size = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 2**20
        print(f"Parquet of the project export: {size:.1f} MB")
        if args.validate:
            elapsed, peak_mb = run_child(["validate", str(out)], HERE, root)
            print(f"validate: {elapsed:.1f} s, peak RSS {peak_mb:,} MB")


if __name__ == "__main__":
    main()
