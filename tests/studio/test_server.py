"""Against a real Label Studio: the server, push, pull, failures. Marked `studio`."""

from __future__ import annotations

import json
import stat
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest
from sqlalchemy import func, select

from annotate.store.models import Annotation, EntitySpan, StanceTriple, Task
from annotate.store.session import session_scope
from annotate.studio import sync
from annotate.studio.client import StudioClient
from annotate.studio.server import LocalStudio

from .conftest import Studio, Workspace, add_articles, article_text, span

pytestmark = pytest.mark.studio


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def _tasks(client: StudioClient, pid: int) -> list[dict]:
    return list(client.iter_tasks(pid))


# -- the server ---------------------------------------------------------------------------


def test_start_is_idempotent_local_and_keeps_secrets(studio: Studio):
    creds = LocalStudio(studio.home).credentials()
    assert creds is not None
    again = studio.cli("studio", "start", "--port", studio.url.rsplit(":", 1)[1])
    assert again.returncode == 0 and "already running" in again.stdout
    assert creds.username in again.stdout
    status = json.loads(studio.cli("studio", "status", "--json").stdout)
    assert status["running"] is True and status["url"] == studio.url and status["pid"] > 0
    for res in (again, studio.cli("studio", "status"), studio.cli("studio", "status", "--json")):
        out = res.stdout + res.stderr
        assert creds.password not in out and creds.token not in out
    cred_file = studio.home / "studio" / "credentials.json"
    assert stat.S_IMODE(cred_file.stat().st_mode) == 0o600
    shown = json.loads(studio.cli("studio", "credentials", "--json").stdout)
    assert set(shown) == {"url", "username", "password", "token"}
    assert shown["password"] == creds.password and shown["token"] == creds.token
    assert len(creds.password) >= 24
    # listens on 127.0.0.1 only
    port = int(studio.url.rsplit(":", 1)[1])
    with open("/proc/net/tcp") as fh:
        listening = fh.read().splitlines()[1:]
    local = [ln.split()[1] for ln in listening if ln.split()[3] == "0A"]
    ours = [addr for addr in local if int(addr.split(":")[1], 16) == port]
    assert ours == [f"0100007F:{port:04X}"]
    # sign-up is closed
    req = urllib.request.Request(
        f"{studio.url}/user/signup/", data=b"email=x%40y.z&password=abcdefgh12", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code in (403, 400)


def test_generated_config_accepted_by_server(studio: Studio):
    from annotate.schemas import load_labelset
    from annotate.studio.config import server_config_problems

    assert server_config_problems(load_labelset(), studio.client()) == []


# -- push ---------------------------------------------------------------------------------


def test_push_creates_tasks_with_predictions_and_repush_creates_nothing(ws: Workspace):
    add_articles(ws, [article_text(i) for i in range(5)])
    first = _json(ws.push("--batch-size", "2"))
    assert first["created"] == 5 and first["project_created"] is True
    assert first["model_version"] == "v1"
    client = ws.studio.client()
    pid = ws.ls_project_id()
    tasks = _tasks(client, pid)
    assert len(tasks) == 5
    for task in tasks:
        assert set(task["data"]) == {"text", "title", "layout", "article_id", "content_hash", "url"}
        (pred,) = task["predictions"]
        assert pred["model_version"] == "v1" and pred["score"] is not None
        kinds = Counter(r["type"] for r in pred["result"])
        assert kinds == {"labels": 6, "relation": 2}
        text = task["data"]["text"]
        for r in pred["result"]:
            if r["type"] == "labels":
                assert text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"]
    project = client.get_project(pid)
    assert project["model_version"] == "v1"
    assert "Entities" in project["expert_instruction"] or "entit" in project["expert_instruction"]

    again = _json(ws.push())
    assert again["created"] == 0 and again["already"] == 5
    assert len(_tasks(client, pid)) == 5


def test_update_predictions_adds_newer_model_version(ws: Workspace):
    from annotate.store.models import Prediction

    ids = add_articles(ws, [article_text(i) for i in range(3)])
    _json(ws.push())
    with session_scope(ws.engine()) as s:
        for art_id in ids:
            old = s.scalar(select(Prediction).where(Prediction.article_id == art_id))
            s.add(
                Prediction(
                    article_id=art_id, model_version="v2", entities=old.entities[:2], stances=[]
                )
            )
    plain = _json(ws.push())
    assert plain["predictions_added"] == 0
    out = _json(ws.push("--update-predictions"))
    assert out["predictions_added"] == 3 and out["model_version"] == "v2"
    client = ws.studio.client()
    pid = ws.ls_project_id()
    for task in _tasks(client, pid):
        assert sorted(p["model_version"] for p in task["predictions"]) == ["v1", "v2"]
    assert client.get_project(pid)["model_version"] == "v2"
    assert _json(ws.push("--update-predictions"))["predictions_added"] == 0


def test_different_config_refused_unless_update_config(ws: Workspace):
    add_articles(ws, [article_text(0)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    xml = client.get_project(pid)["label_config"]
    client.update_project(pid, label_config=xml.replace('hotkey="p"', 'hotkey="x"'))
    refused = ws.push()
    assert refused.exit_code == 1
    assert "--update-config" in refused.output and "Traceback" not in refused.output
    assert _json(ws.push("--update-config"))["config_updated"] is True
    assert 'hotkey="p"' in client.get_project(pid)["label_config"]


# -- pull ---------------------------------------------------------------------------------


def test_update_predictions_leaves_annotated_tasks_alone(ws: Workspace):
    """Two tasks, one annotated (and pulled), one annotated in Label Studio only after the
    pull, one left: a new model version reaches only the task nobody has annotated."""
    from annotate.store.models import Prediction

    ids = add_articles(ws, [article_text(i) for i in range(3)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    tasks = _tasks(client, pid)
    by_id = {t["id"]: t for t in tasks}
    annotated, late, fresh = (t["id"] for t in tasks)
    client.create_annotation(annotated, _result_from_prediction(by_id[annotated]))
    assert _json(ws.pull())["new"] == 1
    client.create_annotation(late, [], was_cancelled=True)  # a skip, not pulled yet
    with session_scope(ws.engine()) as s:
        for art_id in ids:
            old = s.scalar(select(Prediction).where(Prediction.article_id == art_id))
            s.add(
                Prediction(
                    article_id=art_id, model_version="v2", entities=old.entities[:1], stances=[]
                )
            )
    before = {t["id"]: t["predictions"] for t in _tasks(client, pid)}
    out = _json(ws.push("--update-predictions"))
    assert (out["predictions_added"], out["predictions_held"]) == (1, 2)
    after = {t["id"]: t for t in _tasks(client, pid)}
    assert [p["model_version"] for p in after[fresh]["predictions"]] == ["v1", "v2"]
    (v2,) = [p for p in after[fresh]["predictions"] if p["model_version"] == "v2"]
    assert [r["value"]["text"] for r in v2["result"]] == ["Antony Blinken"]
    for task_id in (annotated, late):
        assert after[task_id]["predictions"] == before[task_id]  # byte for byte, v1 only
    with session_scope(ws.engine()) as s:
        versions = {t.ls_task_id: t.model_versions for t in s.scalars(select(Task))}
    assert versions == {annotated: ["v1"], late: ["v1"], fresh: ["v1", "v2"]}
    again = _json(ws.push("--update-predictions"))
    assert (again["predictions_added"], again["predictions_held"]) == (0, 2)


def _result_from_prediction(task: dict) -> list[dict]:
    return json.loads(json.dumps(task["predictions"][0]["result"]))


def test_two_annotators_pull_update_and_repull(ws: Workspace):
    add_articles(ws, [article_text(i) for i in range(3)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    task = _tasks(client, pid)[0]
    result = _result_from_prediction(task)
    mine = client.create_annotation(task["id"], result, lead_time=12.5)
    user = client.create_user(f"second-{ws.project}@annotate.local", first_name="Second")
    theirs_result = [r for r in result if r.get("type") != "relation"]
    theirs = client.create_annotation(task["id"], theirs_result, completed_by=user["id"])
    skipped = client.create_annotation(_tasks(client, pid)[1]["id"], [], was_cancelled=True)

    first = _json(ws.pull())
    assert (first["new"], first["updated"], first["invalid"]) == (3, 0, 0)
    with session_scope(ws.engine()) as s:
        rows = {a.ls_annotation_id: a for a in s.scalars(select(Annotation))}
        assert set(rows) == {mine["id"], theirs["id"], skipped["id"]}
        assert rows[theirs["id"]].annotator == user["email"]
        assert rows[mine["id"]].annotator != user["email"]
        assert rows[mine["id"]].lead_time == 12.5
        assert rows[skipped["id"]].cancelled is True
        assert len(rows[mine["id"]].entities) == 4
        assert {(t.holder_text, t.target, t.label) for t in rows[mine["id"]].stances} == {
            ("United States", "ceasefire", "support"),
            ("France", "ceasefire", "support"),
        }
        assert rows[theirs["id"]].stances == []
        first_update = rows[mine["id"]].updated_at

    # a pull re-reads what changed in the seconds before the last pull (the cursor's overlap)
    # and changes nothing; once that has passed, only updated tasks are read
    # The cursor is the server's whole-second clock minus 1 s minus the overlap, so up to
    # 2 s + overlap before the pull: wait longer than that before the next change.
    time.sleep(sync.CURSOR_OVERLAP.total_seconds() + 3.5)
    quiet = _json(ws.pull())
    assert (quiet["new"], quiet["updated"], quiet["deleted"]) == (0, 0, 0)
    # relabel Gaza as LOC and make France oppose, in Label Studio
    changed = json.loads(json.dumps(result))
    for r in changed:
        if r.get("value", {}).get("text") == "Gaza":
            r["value"]["labels"] = ["LOC"]
        if r.get("type") == "relation" and r["from_id"] == "e3":
            r["labels"] = ["oppose"]
    client.update_annotation(mine["id"], result=changed)
    second = _json(ws.pull())
    assert (second["new"], second["updated"], second["deleted"]) == (0, 1, 0)
    assert second["tasks_read"] == 1  # incremental: only the updated task
    with session_scope(ws.engine()) as s:
        row = s.scalar(select(Annotation).where(Annotation.ls_annotation_id == mine["id"]))
        assert {e.text: e.label for e in row.entities}["Gaza"] == "LOC"
        assert {t.holder_text: t.label for t in row.stances}["France"] == "oppose"
        assert row.updated_at > first_update
        assert s.scalar(select(func.count(Annotation.id))) == 3

    third = _json(ws.pull())
    assert (third["new"], third["updated"], third["deleted"]) == (0, 0, 0)
    full = _json(ws.pull("--full"))
    assert (full["new"], full["updated"], full["deleted"], full["unchanged"]) == (0, 0, 0, 3)

    client.delete_annotation(theirs["id"])
    gone = _json(ws.pull("--full"))
    assert gone["deleted"] == 1
    with session_scope(ws.engine()) as s:
        row = s.scalar(select(Annotation).where(Annotation.ls_annotation_id == theirs["id"]))
        assert row.deleted is True
    assert _json(ws.push())["created"] == 0

    status = ws.invoke("status", "--json")
    assert status.exit_code == 0
    counts = json.loads(status.stdout)
    assert counts["annotations"] == 1 and counts["skipped"] == 1 and counts["tasks"] == 3


def test_invalid_results_are_stored_raw_and_reported(ws: Workspace):
    add_articles(ws, [article_text(0)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    task = _tasks(client, pid)[0]
    result = _result_from_prediction(task)
    result.append(
        {
            "from_id": "e0",
            "to_id": "nowhere",
            "type": "relation",
            "direction": "right",
            "labels": ["support"],
        }
    )
    ann = client.create_annotation(task["id"], result)
    out = _json(ws.pull())
    assert out["invalid"] == 1 and out["new"] == 1
    assert out["problems"][0]["annotation"] == ann["id"]
    assert "nowhere" in out["problems"][0]["problem"]
    with session_scope(ws.engine()) as s:
        row = s.scalar(select(Annotation))
        assert row.result == ann["result"]
        assert len(row.problems) == 1 and row.problems[0]["result"]["to_id"] == "nowhere"
        assert len(row.entities) == 4 and len(row.stances) == 2


def test_pull_trims_edge_whitespace_and_reports_a_text_mismatch(ws: Workspace):
    text = article_text(0)
    add_articles(ws, [text])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    task = _tasks(client, pid)[0]
    text = task["data"]["text"]  # the unit text: title, blank line, body
    result = _result_from_prediction(task)
    fr, gaza = text.index("France"), text.index("Gaza")
    for r in result:
        value = r.get("value") or {}
        if value.get("text") == "France":  # the annotator caught the space before it
            value.update(start=fr - 1, text=text[fr - 1 : fr + 6])
        if value.get("text") == "Gaza":  # offsets that do not cover the text it says
            value.update(start=gaza + 2, end=gaza + 6)
    ann = client.create_annotation(task["id"], result)
    human = ws.invoke("pull", "--project", ws.project)
    assert human.exit_code == 0, human.output
    assert "trimmed 1" in human.output and "invalid 1" in human.output
    assert "value.text 'Gaza'" in human.output
    with session_scope(ws.engine()) as s:
        row = s.scalar(select(Annotation))
        assert row.ls_annotation_id == ann["id"]
        spans = {(e.start, e.end, e.text) for e in row.entities}
        assert (fr, fr + 6, "France") in spans
        assert all(e.text != "Gaza" and e.start != gaza + 2 for e in row.entities)
        assert sorted(p["kind"] for p in row.problems) == ["invalid", "trimmed"]


def test_non_ascii_offsets_survive(ws: Workspace):
    text = (
        "Ça va? 😀😀 Zoë Müller-Łukasiewicz (東京) met 👩‍👩‍👧 Ñandú Corp. "
        "Ελλάδα backs a ceasefire 🇺🇸."
    )
    add_articles(ws, [text], model_version=None)
    from annotate.spans import unit_text
    from annotate.store.models import Article, Prediction

    with session_scope(ws.engine()) as s:
        text = unit_text(s.scalar(select(Article)).title, text)  # what stored offsets index

    ents = [
        span(text, "Zoë Müller-Łukasiewicz", "PERSON"),
        span(text, "東京", "GPE"),
        span(text, "Ñandú Corp.", "ORG"),
        span(text, "Ελλάδα", "GPE"),
    ]
    cf = span(text, "ceasefire", "x")
    with session_scope(ws.engine()) as s:
        art = s.scalar(select(Article))
        s.add(
            Prediction(
                article_id=art.id,
                model_version="u1",
                entities=ents,
                stances=[
                    {
                        "holder": ents[3],
                        "target": "ceasefire",
                        "label": "support",
                        "target_span": {"start": cf["start"], "end": cf["end"]},
                        "evidence": {"start": 0, "end": len(text)},
                    }
                ],
            )
        )
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    (task,) = _tasks(client, pid)
    assert task["data"]["text"] == text
    got = {
        (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
        for r in task["predictions"][0]["result"]
        if r["type"] == "labels" and r["from_name"] == "entity"
    }
    assert got == {(e["start"], e["end"], e["label"]) for e in ents}
    client.create_annotation(task["id"], _result_from_prediction(task))
    _json(ws.pull())
    with session_scope(ws.engine()) as s:
        stored = [(e.start, e.end, e.label, e.text) for e in s.scalars(select(EntitySpan))]
        assert sorted(stored) == sorted((e["start"], e["end"], e["label"], e["text"]) for e in ents)
        (triple,) = s.scalars(select(StanceTriple))
        assert (triple.holder_text, triple.target_start) == ("Ελλάδα", cf["start"])


def test_concurrent_pulls_do_not_duplicate(ws: Workspace, monkeypatch: pytest.MonkeyPatch):
    from annotate.schemas import load_labelset

    add_articles(ws, [article_text(i) for i in range(6)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    for task in _tasks(client, pid):
        client.create_annotation(task["id"], _result_from_prediction(task))
    lset = load_labelset()

    def run_two(full: bool) -> list:
        errors: list = []
        barrier = threading.Barrier(2)

        def one() -> None:
            try:
                barrier.wait()
                sync.pull(
                    ws.engine(), ws.studio.client(), lset, ws.studio.home, ws.project, full=full
                )
            except Exception:  # noqa: BLE001
                import traceback

                errors.append(traceback.format_exc())

        threads = [threading.Thread(target=one) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        return errors

    assert run_two(full=True) == []  # serialized by the project lock
    # without the lock (pulls on two hosts), the unique constraint + retry still holds
    import contextlib

    monkeypatch.setattr(sync, "project_lock", lambda home, name: contextlib.nullcontext())
    with session_scope(ws.engine()) as s:
        for row in s.scalars(select(Annotation)):
            s.delete(row)
    assert run_two(full=True) == []
    with session_scope(ws.engine()) as s:
        per = s.execute(
            select(Annotation.ls_annotation_id, func.count()).group_by(Annotation.ls_annotation_id)
        ).all()
        assert len(per) == 6 and all(n == 1 for _, n in per)
        assert s.scalar(select(func.count(EntitySpan.id))) == 6 * 4


# -- failures -----------------------------------------------------------------------------


def test_wrong_token_is_one_line_naming_the_variable(studio: Studio, tmp_path):
    bad = "0123456789abcdef0123456789abcdef01234567"
    res = studio.cli(
        "push",
        env={
            "LABEL_STUDIO_URL": studio.url,
            "LABEL_STUDIO_API_KEY": bad,
            "ANNOTATE_DB": str(tmp_path / "s.db"),
        },
    )
    assert res.returncode == 1
    assert "LABEL_STUDIO_API_KEY" in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    assert len(res.stderr.strip().splitlines()) == 1
    assert bad not in res.stderr + res.stdout
    pull = studio.cli(
        "pull",
        env={
            "LABEL_STUDIO_URL": studio.url,
            "LABEL_STUDIO_API_KEY": "nope-" + bad[:10],
            "ANNOTATE_DB": str(tmp_path / "s.db"),
        },
    )
    assert pull.returncode == 1 and "LABEL_STUDIO_API_KEY" in pull.stderr
    assert len(pull.stderr.strip().splitlines()) == 1


def test_env_server_with_good_token(studio: Studio, tmp_path):
    res = studio.cli(
        "pull",
        env={
            "LABEL_STUDIO_URL": studio.url,
            "LABEL_STUDIO_API_KEY": studio.token,
            "ANNOTATE_DB": str(tmp_path / "s.db"),
        },
    )
    assert res.returncode == 1 and "annotate push` first" in res.stderr
    assert studio.token not in res.stderr + res.stdout


def _no_duplicates(client: StudioClient, pid: int, n: int) -> None:
    hashes = [t["data"]["content_hash"] for t in client.iter_tasks(pid, fields="task_only")]
    assert len(hashes) == n and len(set(hashes)) == n


def test_process_dies_after_import_next_push_reconciles(ws: Workspace, monkeypatch):
    add_articles(ws, [article_text(i) for i in range(7)])
    calls = {"n": 0}
    real = StudioClient.import_tasks

    def dying(self, project_id, tasks):
        ids = real(self, project_id, tasks)
        calls["n"] += 1
        if calls["n"] == 2:  # Label Studio has the batch, the store never hears of it
            raise RuntimeError("simulated crash")
        return ids

    monkeypatch.setattr(StudioClient, "import_tasks", dying)
    crashed = ws.push("--batch-size", "3")
    assert crashed.exit_code == 70 and "annotate push failed unexpectedly" in crashed.output
    assert "simulated crash" not in crashed.output  # one line, no traceback, no row data
    monkeypatch.setattr(StudioClient, "import_tasks", real)
    out = _json(ws.push("--batch-size", "3"))
    assert out["reconciled"] == 3 and out["created"] == 1 and out["already"] == 3
    client, pid = ws.studio.client(), ws.ls_project_id()
    _no_duplicates(client, pid, 7)
    with session_scope(ws.engine()) as s:
        assert s.scalar(select(func.count(Task.id))) == 7


def test_server_stopped_mid_push(ws: Workspace, monkeypatch):
    add_articles(ws, [article_text(i) for i in range(8)])
    calls = {"n": 0}
    real = StudioClient.import_tasks
    local = LocalStudio(ws.studio.home)
    port = int(ws.studio.url.rsplit(":", 1)[1])

    def stopping(self, project_id, tasks):
        calls["n"] += 1
        if calls["n"] == 2:
            assert local.stop() is not None
        return real(self, project_id, tasks)

    monkeypatch.setattr(StudioClient, "import_tasks", stopping)
    try:
        res = ws.push("--batch-size", "3")
    finally:
        monkeypatch.setattr(StudioClient, "import_tasks", real)
        local.start(port=port)
    assert res.exit_code == 1
    lines = [ln for ln in res.output.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "cannot reach Label Studio" in lines[0], res.output
    assert "Traceback" not in res.output
    out = _json(ws.push("--batch-size", "3"))
    assert out["already"] == 3 and out["created"] == 5
    _no_duplicates(ws.studio.client(), ws.ls_project_id(), 8)


def test_studio_status_when_stopped(tmp_path):
    env = {"ANNOTATE_HOME": str(tmp_path)}
    import subprocess

    from .conftest import ANNOTATE, _clean_env

    res = subprocess.run(
        [ANNOTATE, "studio", "status", "--json"],
        env=_clean_env(**env),
        capture_output=True,
        text=True,
    )
    assert json.loads(res.stdout) == {"url": "http://127.0.0.1:8080", "running": False, "pid": None}
    stop = subprocess.run(
        [ANNOTATE, "studio", "stop"], env=_clean_env(**env), capture_output=True, text=True
    )
    assert stop.returncode == 0 and "not running" in stop.stdout


def test_two_concurrent_pushes_create_no_duplicate_task(ws: Workspace):
    from annotate.schemas import load_labelset

    n = 220
    add_articles(ws, [article_text(i) for i in range(n)])
    lset = load_labelset()
    barrier = threading.Barrier(2)
    errors: list[str] = []
    summaries: list = []

    def one() -> None:
        try:
            barrier.wait()
            summaries.append(
                sync.push(
                    ws.engine(), ws.studio.client(), lset, ws.studio.home, ws.project, batch_size=50
                )
            )
        except Exception:  # noqa: BLE001
            import traceback

            errors.append(traceback.format_exc())

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert errors == []
    assert sorted(s.created for s in summaries) == [0, n]
    client, pid = ws.studio.client(), ws.ls_project_id()
    _no_duplicates(client, pid, n)
    with session_scope(ws.engine()) as s:
        assert s.scalar(select(func.count(Task.id))) == n
    assert all(s.duplicates == [] for s in summaries)


def test_annotations_on_duplicate_tasks_are_adopted_never_dropped(ws: Workspace):
    add_articles(ws, [article_text(i) for i in range(2)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    first = _tasks(client, pid)[0]
    # a duplicate of the first article's task, as a second push or a hand import makes it
    (dup_id,) = client.import_tasks(pid, [{"data": first["data"]}])
    ann = client.create_annotation(dup_id, _result_from_prediction(first))
    out = _json(ws.pull())
    assert (out["new"], out["adopted"], out["invalid"]) == (1, 1, 0)
    with session_scope(ws.engine()) as s:
        row = s.scalar(select(Annotation))
        assert row.ls_annotation_id == ann["id"] and row.ls_task_id == dup_id
        assert row.task.ls_task_id == first["id"] and len(row.entities) == 4
    full = _json(ws.pull("--full"))
    assert (full["new"], full["deleted"], full["unchanged"]) == (0, 0, 1)

    pushed = ws.invoke("push", "--project", ws.project)
    assert pushed.exit_code == 0, pushed.output
    assert "duplicate_tasks 1" in pushed.output and str(dup_id) in pushed.output
    assert "delete the duplicate tasks" in pushed.output
    assert _json(ws.push())["duplicates"] == [
        {"content_hash": first["data"]["content_hash"], "task": first["id"], "duplicates": [dup_id]}
    ]

    client.delete_annotation(ann["id"])
    assert _json(ws.pull("--full"))["deleted"] == 1


def test_a_full_pull_exports_by_chunks_of_ids_and_finds_tasks_made_in_label_studio(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
):
    """A first or full pull exports the tasks the store knows by id, a few per request
    here (the next one asked for while one is stored), then the tasks Label Studio counts
    beyond them (imported there by hand): every annotation arrives, the hand-made task's
    adopted; a task deleted in Label Studio is asked for, not sent, and marked deleted."""
    monkeypatch.setattr(sync, "EXPORT_CHUNK", 2)
    asked: list[int | None] = []
    export = StudioClient._export_response  # each export request, whoever asks

    def counted(self: StudioClient, project_id: int, ids=None) -> object:
        asked.append(None if ids is None else len(ids))
        return export(self, project_id, ids)

    monkeypatch.setattr(StudioClient, "_export_response", counted)
    add_articles(ws, [article_text(i) for i in range(5)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    tasks = _tasks(client, pid)
    for task in tasks[:4]:
        client.create_annotation(task["id"], _result_from_prediction(task))
    (dup_id,) = client.import_tasks(pid, [{"data": tasks[0]["data"]}])
    client.create_annotation(dup_id, _result_from_prediction(tasks[0]))
    out = _json(ws.pull())
    assert (out["new"], out["adopted"], out["tasks_read"]) == (5, 1, 6)
    assert asked == [2, 2, 1, 1]  # the 5 pushed, 2 per request; then the hand-made one
    asked.clear()
    client.delete_task(tasks[3]["id"])
    full = _json(ws.pull("--full"))
    assert (full["new"], full["unchanged"], full["deleted"]) == (0, 4, 1)
    assert asked == [2, 2, 2]  # the store knows the duplicate now; nothing beyond
    with session_scope(ws.engine()) as s:
        live = s.scalars(
            select(func.coalesce(Annotation.ls_task_id, Task.ls_task_id))
            .join(Task, Annotation.task_id == Task.id)
            .where(Annotation.deleted.is_(False))
        )
        assert sorted(live) == sorted([dup_id, *(t["id"] for t in tasks[:3])])


def test_an_export_chunk_names_as_many_ids_as_label_studio_takes(ws: Workspace):
    """A full pull asks for EXPORT_CHUNK ids a request, the most the real server accepts
    (Django refuses a query of more than 1,000 fields): fewer requests, less server work."""
    from annotate.errors import StudioApiError

    add_articles(ws, [article_text(0)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    (task,) = _tasks(client, pid)
    ids = [task["id"], *range(10**6, 10**6 + sync.EXPORT_CHUNK - 1)]  # one that exists
    assert [t["id"] for t in client.export_json(pid, ids)] == [task["id"]]
    with pytest.raises(StudioApiError, match="HTTP 400"):
        client.export_json(pid, [*ids, *range(2 * 10**6, 2 * 10**6 + 10)])


def test_annotations_on_a_task_of_no_known_article_fail_the_pull(ws: Workspace):
    add_articles(ws, [article_text(0)])
    _json(ws.push())
    client, pid = ws.studio.client(), ws.ls_project_id()
    task = _tasks(client, pid)[0]
    stray = {**task["data"], "text": task["data"]["text"] + " More.", "content_hash": "f" * 64}
    (stray_id,) = client.import_tasks(pid, [{"data": stray}])
    client.create_annotation(stray_id, _result_from_prediction(task))
    for args in ((), ("--full",)):
        res = ws.invoke("pull", "--project", ws.project, *args)
        assert res.exit_code == 1, res.output
        assert "1 annotation(s) on 1 Label Studio task(s)" in res.output
        assert str(stray_id) in res.output
