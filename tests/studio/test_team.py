"""The annotation team against a real Label Studio: accounts, overlap, progress, review.

Two annotators (created with `annotate studio add-user`, logged in with their passwords)
annotate three articles through the API: they agree on one and disagree on two. A fourth
article is skipped by one of them. The per-annotator figures are checked against numbers
computed by hand below, `annotate review` must create exactly two review tasks showing both
versions, and a reviewer's resolutions must reach the export. Marked `studio`.
"""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from annotate.schemas import load_labelset
from annotate.store.models import Project
from annotate.store.session import session_scope
from annotate.studio.client import login
from annotate.studio.convert import prediction_to_results
from annotate.studio.team import stored_password

from .conftest import Workspace, add_articles, article_text, prediction_for, shown_text
from .lsclient import TestClient

pytestmark = pytest.mark.studio


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def variant(
    text: str,
    drop: tuple[str, ...] = (),
    relabel: dict[str, str] | None = None,
    stances: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Label Studio results of the prediction, changed as an annotator would."""
    rec = prediction_for(text)
    rec["entities"] = [e for e in rec["entities"] if e["text"] not in drop]
    for e in rec["entities"]:
        e["label"] = (relabel or {}).get(e["text"], e["label"])
    for st in rec["stances"]:
        st["label"] = (stances or {}).get(st["holder"]["text"], st["label"])
    results, problems = prediction_to_results(rec, text, load_labelset())
    assert problems == []
    return results


def add_annotators(ws: Workspace) -> tuple[str, str]:
    a, b = f"ana-{ws.project}@example.org", f"ben-{ws.project}@example.org"
    for email, first in ((a, "Ana"), (b, "Ben")):
        res = ws.invoke("studio", "add-user", email, "--first-name", first)
        assert res.exit_code == 0, res.output
        password = stored_password(ws.studio.home, ws.studio.url, email)
        assert password and password not in res.output
        assert "users.json" in res.output and "--show-password" in res.output
    return a, b


def annotator(ws: Workspace, email: str) -> TestClient:
    password = stored_password(ws.studio.home, ws.studio.url, email)
    assert password
    return TestClient(login(ws.studio.url, email, password))


def test_invite_and_add_user_keep_the_password_private(ws: Workspace):
    link = ws.invoke("studio", "invite")
    assert link.exit_code == 0
    assert link.stdout.strip().startswith(f"{ws.studio.url}/user/signup/?token=")
    email = f"cleo-{ws.project}@example.org"
    created = _json(ws.invoke("studio", "add-user", email, "--first-name", "Cleo", "--json"))
    assert created["created"] is True and "password" not in created
    users = Path(created["password_file"])
    assert stat.S_IMODE(users.stat().st_mode) == 0o600
    password = stored_password(ws.studio.home, ws.studio.url, email)
    assert password and len(password) >= 20
    # the account logs in with that password, and is the user it claims to be
    me = TestClient(login(ws.studio.url, email, password)).whoami()
    assert me["email"] == email and me["first_name"] == "Cleo"
    # idempotent; --show-password is the only way the password reaches stdout
    again = ws.invoke("studio", "add-user", email, "--show-password")
    assert again.exit_code == 0 and "already exists" in again.stdout
    assert f"password: {password}" in again.stdout
    # an account this workspace did not create is refused, in one line
    ws.studio.client().create_user(f"dan-{ws.project}@example.org")
    refused = ws.invoke("studio", "add-user", f"dan-{ws.project}@example.org")
    assert refused.exit_code == 1 and "did not create" in refused.output
    assert "Traceback" not in refused.output
    with pytest.raises(Exception, match="refused the login"):
        login(ws.studio.url, email, password + "x")


def test_signup_with_an_old_invite_link_is_refused(ws: Workspace):
    client = ws.studio.client()
    old = client.invite()
    new = ws.invoke("studio", "invite", "--reset").stdout.strip()
    assert new != old and new.startswith(ws.studio.url)
    with pytest.raises(Exception, match="refused the invite link"):
        client.signup(old, f"eve-{ws.project}@example.org", "A-long-enough-password-1")


def test_team_overlap_progress_review_and_adjudicated_export(ws: Workspace, tmp_path: Path):
    a, b = add_annotators(ws)
    texts = [article_text(100 + i) for i in range(4)]
    add_articles(ws, texts)
    bodies, texts = texts, [shown_text(t) for t in texts]  # texts: what the tasks show
    pushed = _json(ws.push("--overlap", "2"))
    assert pushed["created"] == 4 and pushed["overlap"] == 2
    admin, pid = ws.studio.client(), ws.ls_project_id()
    remote = admin.get_project(pid)
    assert remote["maximum_annotations"] == 2 and remote["overlap_cohort_percentage"] == 100
    with session_scope(ws.engine()) as s:
        assert s.scalar(select(Project.overlap).where(Project.name == ws.project)) == 2

    ana, ben = annotator(ws, a), annotator(ws, b)
    assert ana.whoami()["email"] == a and ben.whoami()["email"] == b
    tasks = {t["data"]["text"]: t["id"] for t in admin.iter_tasks(pid, fields="task_only")}
    t1, t2, t3, t4 = (tasks[t] for t in texts)

    # overlap: after one annotation a task is still handed out; after two it is done
    first = ana.next_task(pid)
    assert first is not None and first["id"] == t1
    ana.create_annotation(t1, variant(texts[0]), lead_time=10)
    assert admin.get_task(t1)["is_labeled"] is False
    assert ben.next_task(pid)["id"] == t1
    ben.create_annotation(t1, variant(texts[0]), lead_time=20)
    assert admin.get_task(t1)["is_labeled"] is True
    # task 2: both make France oppose; Ben relabels Gaza LOC (an entity dispute)
    ana.create_annotation(t2, variant(texts[1], stances={"France": "oppose"}), lead_time=30)
    ben.create_annotation(
        t2,
        variant(texts[1], relabel={"Gaza": "LOC"}, stances={"France": "oppose"}),
        lead_time=40,
    )
    # task 3: Ana drops Antony Blinken; Ben makes the United States neutral
    ana.create_annotation(t3, variant(texts[2], drop=("Antony Blinken",)), lead_time=50)
    ben.create_annotation(t3, variant(texts[2], stances={"United States": "neutral"}), lead_time=60)
    # task 4: Ana skips it, Ben has not got to it
    ana.create_annotation(t4, [], was_cancelled=True, lead_time=5)

    pulled = _json(ws.pull())
    assert (pulled["new"], pulled["invalid"]) == (7, 0)

    status = _json(ws.invoke("status", "--project", ws.project, "--json"))
    assert {"articles", "tasks", "annotations", "exports"} <= set(status)
    assert status["project"]["overlap"] == 2 and status["project"]["tasks"] == 4
    people = {p["annotator"]: p for p in status["annotators"]}
    # by hand: 4 predicted spans and 2 predicted stances per task, 3 tasks each
    expected_a = {
        "annotated": 3,
        "skipped": 1,
        "median_lead_time": 30.0,
        "spans_predicted": 12,
        "spans_kept": 11,  # Blinken dropped on task 3
        "span_acceptance": round(11 / 12, 4),
        "stances_predicted": 6,
        "stances_kept": 5,  # France -> oppose on task 2
        "stance_acceptance": round(5 / 6, 4),
        "shared_tasks": 3,
    }
    assert {k: people[a][k] for k in expected_a} == expected_a
    assert {k: people[b][k] for k in ("annotated", "skipped", "median_lead_time")} == {
        "annotated": 3,
        "skipped": 0,
        "median_lead_time": 40.0,
    }
    assert (people[b]["spans_kept"], people[b]["stances_kept"]) == (11, 4)
    # span F1: shared spans 4 + 3 + 3 = 10 of 8 + 8 + 7 = 23 marked -> 20/23
    # stance units (Ana, Ben): t1 (s,s)(s,s), t2 (s,s)(o,o), t3 (s,n)(s,s): p_o = 5/6,
    # p_e = (5*4 + 1*1) / 36 = 21/36 -> kappa = (5/6 - 21/36) / (1 - 21/36) = 0.6
    for who in (a, b):
        assert people[who]["span_f1"] == round(20 / 23, 4)
        assert people[who]["stance_units"] == 6
        assert people[who]["stance_kappa"] == pytest.approx(0.6)
    (pair,) = status["pairs"]
    assert (pair["a"], pair["b"], pair["shared_tasks"]) == (a, b, 3)
    assert pair["span_f1"] == round(20 / 23, 4) and pair["stance_kappa"] == pytest.approx(0.6)
    table = ws.invoke("status", "--project", ws.project)
    assert table.exit_code == 0 and "stance kappa vs others" in table.stdout
    assert "0.60" in table.stdout and "92% (11/12)" in table.stdout
    missing = ws.invoke("status", "--project", "no-such-project")
    assert missing.exit_code == 1 and "no project named" in missing.output

    # review: exactly the two disputed articles, both versions visible
    reviewed = _json(ws.invoke("review", "--project", ws.project, "--json"))
    assert (reviewed["disputed"], reviewed["agreed"], reviewed["too_few_annotators"]) == (2, 1, 1)
    assert reviewed["created"] == 2 and reviewed["review_project"] == f"{ws.project}-review"
    rid = reviewed["ls_project_id"]
    review_tasks = {t["data"]["text"]: t for t in admin.iter_tasks(rid)}
    assert set(review_tasks) == {texts[1], texts[2]}
    assert admin.get_project(rid)["model_version"] == "review-merge"
    r2, r3 = review_tasks[texts[1]], review_tasks[texts[2]]
    for task in (r2, r3):
        versions = {p["model_version"] for p in task["predictions"]}
        assert versions == {"review-merge", f"annotator:{a}", f"annotator:{b}"}
        assert task["data"]["annotators"] == f"{a}, {b}"
    merged2 = next(p for p in r2["predictions"] if p["model_version"] == "review-merge")
    gaza = [r for r in merged2["result"] if r.get("value", {}).get("text") == "Gaza"]
    assert sorted((r["value"]["labels"][0], r["meta"]["text"][0]) for r in gaza) == [
        ("GPE", f"by {a}; not by {b}"),
        ("LOC", f"by {b}; not by {a}"),
    ]
    merged3 = next(p for p in r3["predictions"] if p["model_version"] == "review-merge")
    rels = sorted(r["labels"][0] for r in merged3["result"] if r["type"] == "relation")
    assert rels == ["neutral", "support", "support"]  # US: both options; France agreed
    blinken = [r for r in merged3["result"] if r.get("value", {}).get("text") == "Antony Blinken"]
    assert [r["meta"]["text"][0] for r in blinken] == [f"by {b}; not by {a}"]
    again = _json(ws.invoke("review", "--project", ws.project, "--json"))
    assert (again["created"], again["already_in_review"]) == (0, 2)
    assert len(list(admin.iter_tasks(rid, fields="task_only"))) == 2
    assert ws.invoke("push", "--project", f"{ws.project}-review").exit_code == 1

    # the reviewer resolves task 3 (keep Blinken, the United States neutral) via the API
    resolution = variant(texts[2], stances={"United States": "neutral"})
    admin.create_annotation(r3["id"], resolution)
    rp = ws.invoke("pull", "--project", f"{ws.project}-review")
    assert rp.exit_code == 0 and f"adjudicated: 1 article(s) of {ws.project!r}" in rp.stdout

    out = tmp_path / "adjudicated"
    ex = ws.invoke("export", "--project", ws.project, "--policy", "adjudicated", "--out", str(out))
    assert ex.exit_code == 0, ex.output
    rows = _entity_rows(out)
    assert len(rows) == 3  # t1, t2, t3 (t4 has no submitted annotation)
    by_text = {r["text"]: r for r in rows}
    assert ("Antony Blinken", "PERSON") in _spans(by_text[texts[2]])
    assert ("Gaza", "LOC") in _spans(by_text[texts[1]])  # fallback latest: Ben's
    t3_id = hashlib.sha256(bodies[2].encode()).hexdigest()[:16]  # the body's hash
    stance = {(r["holder"], r["label"]) for r in _stance_rows(out) if r["article_id"] == t3_id}
    card = (out / "README.md").read_text()
    assert "Adjudicated by a reviewer: 1 of 3 entities rows" in card
    assert f"{ws.studio.client().whoami()['email']} (1)" in card
    manifest = json.loads(card.split("```json", 1)[1].split("```", 1)[0])
    assert manifest["options"]["policy"] == "adjudicated"
    assert manifest["options"]["fallback"] == "latest"
    assert manifest["adjudicated"]["articles"] == 1
    neutral = load_labelset().stance_names.index("neutral")
    support = load_labelset().stance_names.index("support")
    assert stance == {("United States", neutral), ("France", support)}

    # a second resolution (Gaza GPE) through the API, then the export has both
    admin.create_annotation(r2["id"], variant(texts[1], stances={"France": "oppose"}))
    _json(ws.invoke("pull", "--project", f"{ws.project}-review", "--json"))
    out2 = tmp_path / "adjudicated-2"
    assert (
        ws.invoke(
            "export",  # no --project: the review project is never the default
            "--policy",
            "adjudicated",
            "--fallback",
            "majority",
            "--out",
            str(out2),
        ).exit_code
        == 0
    )
    by_text = {r["text"]: r for r in _entity_rows(out2)}
    assert ("Gaza", "GPE") in _spans(by_text[texts[1]])
    assert "Adjudicated by a reviewer: 2 of 3 entities rows" in (out2 / "README.md").read_text()
    # without --policy adjudicated nothing changes: latest still takes Ben's Gaza LOC
    out3 = tmp_path / "latest"
    assert ws.invoke("export", "--project", ws.project, "--out", str(out3)).exit_code == 0
    by_text = {r["text"]: r for r in _entity_rows(out3)}
    assert ("Gaza", "LOC") in _spans(by_text[texts[1]])


def _entity_rows(out: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return [
        r
        for f in sorted((out / "data" / "entities").glob("*.parquet"))
        for r in pq.read_table(f).to_pylist()
    ]


def _stance_rows(out: Path) -> list[dict]:
    import pyarrow.parquet as pq

    files = sorted((out / "data" / "stance").glob("*.parquet"))
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def _spans(row: dict) -> set[tuple[str, str]]:
    return {(row["text"][s["start"] : s["end"]], s["label"]) for s in row["spans"]}


def test_review_dies_after_import_next_review_reconciles(ws: Workspace, monkeypatch):
    """The crash between Label Studio's answer and the store's commit, as push has it:
    the next `annotate review` adopts the tasks it created, so no review task is doubled."""
    from annotate.store.models import Task
    from annotate.studio.client import StudioClient

    a, b = add_annotators(ws)
    texts = [article_text(300 + i) for i in range(3)]
    add_articles(ws, texts)
    texts = [shown_text(t) for t in texts]  # what the tasks show and offsets index
    _json(ws.push("--overlap", "2"))
    admin, pid = ws.studio.client(), ws.ls_project_id()
    ana, ben = annotator(ws, a), annotator(ws, b)
    tasks = {t["data"]["text"]: t["id"] for t in admin.iter_tasks(pid, fields="task_only")}
    for text in texts:  # every article disputed: Ben relabels Gaza
        ana.create_annotation(tasks[text], variant(text))
        ben.create_annotation(tasks[text], variant(text, relabel={"Gaza": "LOC"}))
    assert _json(ws.pull())["new"] == 6

    real = StudioClient.import_tasks
    calls = {"n": 0}

    def dying(self, project_id, payload):
        real(self, project_id, payload)
        calls["n"] += 1
        raise RuntimeError("simulated crash")  # Label Studio has the tasks, the store not

    monkeypatch.setattr(StudioClient, "import_tasks", dying)
    crashed = ws.invoke("review", "--project", ws.project, "--json")
    assert crashed.exit_code == 70 and calls["n"] == 1
    assert "annotate review failed unexpectedly" in crashed.output
    monkeypatch.setattr(StudioClient, "import_tasks", real)

    again = _json(ws.invoke("review", "--project", ws.project, "--json"))
    assert (again["disputed"], again["reconciled"], again["created"]) == (3, 3, 0)
    rid = again["ls_project_id"]
    hashes = [t["data"]["content_hash"] for t in admin.iter_tasks(rid, fields="task_only")]
    assert len(hashes) == 3 and len(set(hashes)) == 3
    with session_scope(ws.engine()) as s:
        review_id = s.scalar(select(Project.id).where(Project.name == f"{ws.project}-review"))
        assert len(list(s.scalars(select(Task.id).where(Task.project_id == review_id)))) == 3
    third = _json(ws.invoke("review", "--project", ws.project, "--json"))
    assert (third["created"], third["already_in_review"], third["reconciled"]) == (0, 3, 0)


def test_review_killed_before_linking_its_project_is_completed_by_the_next(
    ws: Workspace, monkeypatch
):
    """A review that dies after creating NAME-review but before linking it to NAME must not
    wedge the next review with "exists but is not the review project" (seen in the fault
    suite after a SIGKILL)."""
    from annotate.studio import review as review_mod

    a, b = add_annotators(ws)
    texts = [article_text(400 + i) for i in range(2)]
    add_articles(ws, texts)
    texts = [shown_text(t) for t in texts]  # what the tasks show and offsets index
    _json(ws.push("--overlap", "2"))
    admin, pid = ws.studio.client(), ws.ls_project_id()
    ana, ben = annotator(ws, a), annotator(ws, b)
    tasks = {t["data"]["text"]: t["id"] for t in admin.iter_tasks(pid, fields="task_only")}
    for text in texts:
        ana.create_annotation(tasks[text], variant(text))
        ben.create_annotation(tasks[text], variant(text, relabel={"Gaza": "LOC"}))
    assert _json(ws.pull())["new"] == 4

    real = review_mod.queries.update_project

    def dying(session, project_id, **values):
        if "review_of_id" in values:
            raise RuntimeError("simulated kill before the link")
        return real(session, project_id, **values)

    monkeypatch.setattr(review_mod.queries, "update_project", dying)
    assert ws.invoke("review", "--project", ws.project).exit_code == 70
    monkeypatch.setattr(review_mod.queries, "update_project", real)
    done = _json(ws.invoke("review", "--project", ws.project, "--json"))
    assert (done["disputed"], done["created"]) == (2, 2)
    assert admin.get_project(done["ls_project_id"])["maximum_annotations"] == 1
