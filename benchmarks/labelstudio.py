"""Label Studio sync throughput against a real local server.

    .venv/bin/python benchmarks/labelstudio.py [--n 5000] [--home DIR] [--port PORT]

Starts Label Studio in a temporary workspace (or uses the one in --home), then measures in
the same run:

1. push: `annotate push` of N pre-annotated articles vs one raw SDK `import_tasks` call of
   the same payload into another project (goal: >= 1.2x its throughput);
2. pull: a first `annotate pull` of N annotations vs a raw SDK `exports.as_json`
   (goal: >= 1.0x), alternated `--repeat` times, each pull into a fresh copy of the store
   (medians printed, and every round's pair);
3. incremental pull: 10 tasks changed among N (goal: < 2 s).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from annotate.schemas import load_labelset
from annotate.spans import unit_text
from annotate.store.migrate import upgrade
from annotate.store.models import Article, Prediction, Project, Task
from annotate.store.session import make_engine, session_scope
from annotate.studio import config, sync
from annotate.studio.client import Connection, StudioClient
from annotate.studio.server import LocalStudio, free_port


def _text(i: int) -> str:
    return (
        f"Dispatch {i}. Antony Blinken said on Tuesday that the United States backs a "
        "humanitarian pause in Gaza, while Hamas rejected a ceasefire proposal. Zoë Müller "
        "of the Élysée said France 🇫🇷 wants a truce. The G7 met in Tokyo. " * 3
    )


def _prediction(text: str) -> tuple[list[dict], list[dict]]:
    def sp(needle: str, label: str) -> dict:
        s = text.index(needle)
        return {"start": s, "end": s + len(needle), "label": label, "text": needle}

    us, fr, hamas = sp("United States", "GPE"), sp("France", "GPE"), sp("Hamas", "ORG")
    ents = [
        sp("Antony Blinken", "PERSON"),
        us,
        sp("Gaza", "GPE"),
        hamas,
        fr,
        sp("Élysée", "ORG"),
        sp("G7", "ORG"),
        sp("Tokyo", "GPE"),
    ]
    ents = [{**e, "score": 0.9} for e in ents]

    def st(holder: dict, needle: str, target: str, label: str) -> dict:
        t = sp(needle, "x")
        return {
            "holder": holder,
            "target": target,
            "label": label,
            "score": 0.8,
            "target_span": {"start": t["start"], "end": t["end"]},
            "evidence": {"start": 0, "end": len(text)},
        }

    stances = [
        st(us, "humanitarian pause", "humanitarian_pause", "support"),
        st(hamas, "ceasefire", "ceasefire", "oppose"),
        st(fr, "truce", "ceasefire", "support"),
    ]
    return ents, stances


def _seed(engine, n: int) -> None:
    with session_scope(engine) as s:
        for i in range(n):
            text = _text(i)
            art = Article(
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
                text=text,
                title=f"Dispatch {i}",
                url=f"https://example.org/{i}",
            )
            s.add(art)
            s.flush()
            # offsets of the unit of annotation (title and body), as the pre-annotator gives
            ents, stances = _prediction(unit_text(art.title, text))
            s.add(
                Prediction(
                    article_id=art.id, model_version="bench-v1", entities=ents, stances=stances
                )
            )


def _payload(engine, lset) -> list[dict]:
    """The same task payloads `annotate push` sends (built by the same conversion)."""
    from annotate.store import queries
    from annotate.studio import convert

    with session_scope(engine) as s:
        arts = list(s.scalars(select(Article).order_by(Article.id)))
        preds = queries.latest_predictions(s, [a.id for a in arts])
        out = []
        for a in arts:
            p = preds.get(a.id)
            data = convert.task_data(
                unit_text(a.title, a.text), a.article_id, a.content_hash, a.url
            )
            record = (
                (p.model_version, {"entities": p.entities, "stances": p.stances}) if p else None
            )
            out.append(convert.task_payload(data, record, lset)[0])
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--port", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=1, help="rounds of raw and our first pull")
    args = ap.parse_args()
    n = args.n
    tmp = tempfile.TemporaryDirectory(prefix="annotate-bench-")
    home = args.home or Path(tmp.name)
    studio = LocalStudio(home)
    started_here = studio.url() is None
    t0 = time.perf_counter()
    url, _ = studio.start(port=args.port or free_port())
    print(f"Label Studio at {url} (ready in {time.perf_counter() - t0:.1f} s)")
    creds = studio.credentials()
    assert creds is not None
    client = StudioClient(Connection(url, creds.token, "local"), timeout=600)
    from label_studio_sdk import LabelStudio

    sdk = LabelStudio(base_url=url, api_key=creds.token, timeout=600)  # the anchor
    lset = load_labelset()
    engine = make_engine(f"sqlite:///{Path(tmp.name) / 'bench.db'}")
    upgrade(engine)
    stamp = time.strftime("%H%M%S")
    figures: dict[str, float] = {}
    try:
        t = time.perf_counter()
        _seed(engine, n)
        print(f"seeded {n} articles with predictions in {time.perf_counter() - t:.1f} s")
        payload = _payload(engine, lset)
        xml, instr = config.label_config(lset), config.instructions(lset)

        # 1. push vs one raw import_tasks call of the same payload
        raw_project = client.create_project(f"bench-raw-{stamp}", xml, instr)
        t = time.perf_counter()
        sdk.projects.import_tasks(id=int(raw_project["id"]), request=payload, return_task_ids=True)
        raw_push = time.perf_counter() - t
        t = time.perf_counter()
        summary = sync.push(engine, client, lset, home, f"bench-push-{stamp}", batch_size=1000)
        our_push = time.perf_counter() - t
        assert summary.created == n, summary
        figures["push_raw_tasks_per_s"] = n / raw_push
        figures["push_ours_tasks_per_s"] = n / our_push
        figures["push_ratio"] = raw_push / our_push

        # 2. pull: annotations for every task (setup, not timed), then pull vs exports.as_json
        ann_project = client.create_project(f"bench-pull-{stamp}", xml, instr)
        pid = int(ann_project["id"])
        with_ann = [
            {**task, "annotations": [{"result": task["predictions"][0]["result"]}]}
            for task in payload
        ]
        t = time.perf_counter()
        ids = client.import_tasks(pid, with_ann)
        print(f"setup: imported {n} tasks with annotations in {time.perf_counter() - t:.1f} s")
        with session_scope(engine) as s:
            proj = Project(name=f"bench-pull-{stamp}", ls_url=url, ls_project_id=pid)
            s.add(proj)
            s.flush()
            arts = list(s.scalars(select(Article.id).order_by(Article.id)))
            for art_id, task_id in zip(arts, ids, strict=True):
                s.add(Task(project_id=proj.id, article_id=art_id, ls_task_id=task_id))
        # a pull re-reads tasks changed in the seconds before the previous pull: let the
        # bulk import age past that overlap so step 3 measures a steady state
        time.sleep(sync.CURSOR_OVERLAP.total_seconds() + 1.5)
        engine.dispose()
        base = Path(tmp.name) / "bench.db"
        raw_times, our_times = [], []
        for r in range(args.repeat):
            t = time.perf_counter()
            exported = sdk.projects.exports.as_json(pid)
            raw_times.append(time.perf_counter() - t)
            assert len(exported) == n
            copy = Path(tmp.name) / f"round-{r}.db"
            shutil.copyfile(base, copy)  # each round's pull is a first pull
            engine = make_engine(f"sqlite:///{copy}")
            t = time.perf_counter()
            pulled = sync.pull(engine, client, lset, home, f"bench-pull-{stamp}")
            our_times.append(time.perf_counter() - t)
            assert pulled.new == n and pulled.invalid == 0, pulled.to_dict()
            print(
                f"round {r + 1}: raw exports.as_json {raw_times[-1]:.2f} s, annotate pull "
                f"{our_times[-1]:.2f} s -> {raw_times[-1] / our_times[-1]:.2f}x",
                flush=True,
            )
        raw_pull, our_pull = statistics.median(raw_times), statistics.median(our_times)
        figures["pull_raw_annotations_per_s"] = n / raw_pull
        figures["pull_ours_annotations_per_s"] = n / our_pull
        figures["pull_ratio"] = raw_pull / our_pull

        # 3. incremental pull: 10 changed tasks among n
        anns = {}
        for task_id in ids[:: max(1, n // 10)][:10]:
            (ann,) = sdk.annotations.list(id=task_id)
            anns[ann.id] = ann
        for ann_id, ann in anns.items():
            result = json.loads(json.dumps(ann.result))
            result[0]["value"]["labels"] = [
                "PERSON" if result[0]["value"]["labels"] != ["PERSON"] else "ORG"
            ]
            sdk.annotations.update(id=ann_id, result=result)
        t = time.perf_counter()
        inc = sync.pull(engine, client, lset, home, f"bench-pull-{stamp}")
        figures["incremental_pull_s"] = time.perf_counter() - t
        assert inc.updated == 10 and inc.tasks_read == 10, inc.to_dict()
    finally:
        if started_here and args.home is None:
            studio.stop()
        engine.dispose()
        tmp.cleanup()

    print(f"\nLabel Studio sync, {n} pre-annotated articles")
    print(
        f"push: annotate push {figures['push_ours_tasks_per_s']:.0f} tasks/s, raw import_tasks "
        f"{figures['push_raw_tasks_per_s']:.0f} tasks/s -> {figures['push_ratio']:.2f}x "
        "(goal >= 1.2x)"
    )
    print(
        f"pull: annotate pull {figures['pull_ours_annotations_per_s']:.0f} annotations/s, raw "
        f"exports.as_json {figures['pull_raw_annotations_per_s']:.0f}/s -> "
        f"{figures['pull_ratio']:.2f}x (goal >= 1.0x)"
    )
    print(
        f"incremental pull, 10 changed among {n}: {figures['incremental_pull_s']:.2f} s "
        "(goal < 2 s)"
    )
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
