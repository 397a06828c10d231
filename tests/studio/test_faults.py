"""The fault suite: SIGKILL and concurrency against the real Label Studio, on both stores.

Each case kills `annotate` (or Label Studio itself) at seeded random points of a push, a
pull, a review or an export, or runs 2 and 4 commands at once on one project, then finishes
the job and checks the invariants:

- Label Studio's tasks == the store's tasks, and no content hash twice in a project;
- every Label Studio annotation is in the store (after a full pull);
- a re-export is byte-identical.

Loops are bounded and seeded (ANNOTATE_FAULT_SEED); every process is waited for.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from annotate.store.models import Annotation, Project, Task
from annotate.store.session import session_scope
from annotate.studio.server import LocalStudio

from .conftest import (
    ANNOTATE,
    Studio,
    Workspace,
    _clean_env,
    add_articles,
    article_text,
)
from .test_team import add_annotators, annotator, variant

pytestmark = [pytest.mark.studio, pytest.mark.faults]

SEED = int(os.environ.get("ANNOTATE_FAULT_SEED", "11"))
N_ARTICLES = 120
KILLS = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fws(request: pytest.FixtureRequest, studio: Studio, tmp_path: Path) -> Iterator[Workspace]:
    """A workspace whose store is SQLite or PostgreSQL."""
    from .conftest import _names

    db = (
        tmp_path / "store.db"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    yield Workspace(studio, db, f"fault-{os.getpid()}-{next(_names)}")  # type: ignore[arg-type]


def _env(ws: Workspace) -> dict[str, str]:
    return _clean_env(ANNOTATE_HOME=str(ws.studio.home), ANNOTATE_DB=str(ws.db))


def _start(ws: Workspace, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [ANNOTATE, *args],
        env=_env(ws),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(ws: Workspace, *args: str) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [ANNOTATE, *args], env=_env(ws), capture_output=True, text=True, timeout=600
    )
    assert "Traceback" not in res.stderr, res.stderr
    return res


def _kill_after(proc: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the process after `delay` seconds; False when it had already finished."""
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        return True


def _project(ws: Workspace) -> tuple[int, int]:
    """(store id, Label Studio id) of the workspace's project."""
    with session_scope(ws.engine()) as s:
        row = s.scalar(select(Project).where(Project.name == ws.project))
        assert row is not None
        return row.id, row.ls_project_id


def check_invariants(ws: Workspace, articles: int, name: str | None = None) -> None:
    """Label Studio tasks == store tasks, no duplicate content hash, every annotation kept."""
    name = name or ws.project
    full = _run(ws, "pull", "--project", name, "--full")
    assert full.returncode == 0, full.stderr
    client = ws.studio.client()
    with session_scope(ws.engine()) as s:
        project = s.scalar(select(Project).where(Project.name == name))
        assert project is not None
        stored_tasks = set(s.scalars(select(Task.ls_task_id).where(Task.project_id == project.id)))
        stored_anns = set(
            s.scalars(
                select(Annotation.ls_annotation_id)
                .join(Task, Annotation.task_id == Task.id)
                .where(Task.project_id == project.id, Annotation.deleted.is_(False))
            )
        )
        pid = project.ls_project_id
    remote = list(client.iter_tasks(pid))
    hashes = [t["data"]["content_hash"] for t in remote]
    assert len(hashes) == len(set(hashes)) == articles, "duplicate or missing tasks"
    assert {int(t["id"]) for t in remote} == stored_tasks
    remote_anns = {int(a["id"]) for t in remote for a in t.get("annotations") or []}
    assert remote_anns == stored_anns, "an annotation in Label Studio is not in the store"
    if name == ws.project:  # and the store exports the same bytes twice
        with tempfile.TemporaryDirectory(prefix="annotate-recheck-") as tmp:
            first = _export_bytes(ws, Path(tmp) / "a", "--include-unreviewed")
            second = _export_bytes(ws, Path(tmp) / "b", "--include-unreviewed")
        assert first and first == second, "a re-export is not byte-identical"


def _export_bytes(ws: Workspace, out: Path, *extra: str) -> dict[str, bytes]:
    shutil.rmtree(out, ignore_errors=True)
    res = _run(ws, "export", "--project", ws.project, "--out", str(out), *extra)
    assert res.returncode == 0, res.stderr
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.parquet"))}


def test_sigkill_during_push_then_push_completes(fws: Workspace) -> None:
    add_articles(fws, [article_text(i) for i in range(N_ARTICLES)])
    rng = random.Random(SEED)
    killed = 0
    for _ in range(KILLS):
        proc = _start(fws, "push", "--project", fws.project, "--batch-size", "10")
        killed += _kill_after(proc, rng.uniform(1.0, 4.0))
    done = _run(fws, "push", "--project", fws.project, "--batch-size", "10")
    assert done.returncode == 0, done.stderr
    assert killed >= 1, "no push was killed mid-way: raise the delays' range"
    check_invariants(fws, N_ARTICLES)


def test_sigkill_during_pull_then_pull_keeps_every_annotation(fws: Workspace) -> None:
    add_articles(fws, [article_text(500 + i) for i in range(N_ARTICLES)])
    assert _run(fws, "push", "--project", fws.project).returncode == 0
    client, (_, pid) = fws.studio.client(), _project(fws)
    for task in client.iter_tasks(pid, fields="task_only"):
        client.create_annotation(task["id"], variant(task["data"]["text"]))
    rng = random.Random(SEED + 1)
    for _ in range(KILLS):
        proc = _start(fws, "pull", "--project", fws.project, "--full")
        _kill_after(proc, rng.uniform(0.8, 3.0))
    check_invariants(fws, N_ARTICLES)


def test_sigkill_during_export_leaves_no_half_export(fws: Workspace, tmp_path: Path) -> None:
    add_articles(fws, [article_text(700 + i) for i in range(40)])
    assert _run(fws, "push", "--project", fws.project).returncode == 0
    client, (_, pid) = fws.studio.client(), _project(fws)
    for task in client.iter_tasks(pid, fields="task_only"):
        client.create_annotation(task["id"], variant(task["data"]["text"]))
    assert _run(fws, "pull", "--project", fws.project).returncode == 0
    rng = random.Random(SEED + 2)
    for attempt in range(KILLS):
        out = tmp_path / f"export-{attempt}"
        proc = _start(fws, "export", "--project", fws.project, "--out", str(out))
        _kill_after(proc, rng.uniform(0.5, 2.5))
        if out.exists():  # the rename had happened: then the folder must be whole
            checked = _run(fws, "validate", str(out))
            assert checked.returncode == 0, checked.stderr
    first = _export_bytes(fws, tmp_path / "a")
    second = _export_bytes(fws, tmp_path / "b")
    assert first and first == second


def test_label_studio_killed_mid_push(fws: Workspace) -> None:
    add_articles(fws, [article_text(900 + i) for i in range(N_ARTICLES)])
    local = LocalStudio(fws.studio.home)
    port = int(fws.studio.url.rsplit(":", 1)[1])
    record = local.status()
    assert record.pid is not None
    proc = _start(fws, "push", "--project", fws.project, "--batch-size", "10")
    time.sleep(random.Random(SEED + 3).uniform(2.0, 4.0))
    os.killpg(record.pid, signal.SIGKILL)  # the server dies, not annotate
    proc.wait(timeout=300)
    out, err = proc.communicate()
    assert proc.returncode in (0, 1), err
    assert "Traceback" not in err
    restarted = subprocess.run(
        [ANNOTATE, "studio", "start", "--port", str(port)],
        env=_env(fws),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restarted.returncode == 0, restarted.stderr
    done = _run(fws, "push", "--project", fws.project, "--batch-size", "10")
    assert done.returncode == 0, done.stderr
    check_invariants(fws, N_ARTICLES)


@pytest.mark.parametrize("runs", [2, 4])
def test_concurrent_pushes_and_pulls(fws: Workspace, runs: int) -> None:
    add_articles(fws, [article_text(1100 + runs * 1000 + i) for i in range(N_ARTICLES)])
    procs = [
        _start(fws, "push", "--project", fws.project, "--batch-size", "20") for _ in range(runs)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=600)
        assert p.returncode == 0 and "Traceback" not in err, err
    client, (_, pid) = fws.studio.client(), _project(fws)
    for task in list(client.iter_tasks(pid, fields="task_only"))[:30]:
        client.create_annotation(task["id"], variant(task["data"]["text"]))
    procs = [_start(fws, "pull", "--project", fws.project) for _ in range(runs)]
    for p in procs:
        _out, err = p.communicate(timeout=600)
        assert p.returncode == 0 and "Traceback" not in err, err
    check_invariants(fws, N_ARTICLES)


@pytest.mark.parametrize("runs", [2, 4])
def test_concurrent_reviews_and_a_killed_review(fws: Workspace, runs: int) -> None:
    ws = fws
    a, b = add_annotators(ws)
    texts = [article_text(5000 + 100 * runs + i) for i in range(12)]
    add_articles(ws, texts)
    assert _run(ws, "push", "--project", ws.project, "--overlap", "2").returncode == 0
    admin, (_, pid) = ws.studio.client(), _project(ws)
    ana, ben = annotator(ws, a), annotator(ws, b)
    for task in admin.iter_tasks(pid, fields="task_only"):
        text = task["data"]["text"]
        ana.create_annotation(task["id"], variant(text))
        ben.create_annotation(task["id"], variant(text, relabel={"Gaza": "LOC"}))
    assert _run(ws, "pull", "--project", ws.project).returncode == 0
    proc = _start(ws, "review", "--project", ws.project)
    _kill_after(proc, random.Random(SEED + 4).uniform(0.5, 2.0))
    barrier = threading.Barrier(runs)
    results: list[subprocess.CompletedProcess] = []

    def one() -> None:
        barrier.wait()
        results.append(_run(ws, "review", "--project", ws.project))

    threads = [threading.Thread(target=one) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert [r.returncode for r in results] == [0] * runs, [r.stderr for r in results]
    check_invariants(ws, len(texts), name=f"{ws.project}-review")
