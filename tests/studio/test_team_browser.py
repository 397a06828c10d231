"""The team loop in a real browser: two annotators created by `annotate studio add-user` log
in with their stored passwords and label the same task (overlap 2), the other disagreements
come through the API, and a reviewer resolves one review task in the browser and one through
the API. The export with `--policy adjudicated` then has exactly the resolutions.
Marked `studio` and `browser`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from annotate.store.models import Annotation, EntitySpan, Task
from annotate.store.session import session_scope
from annotate.studio.client import login
from annotate.studio.server import LocalStudio
from annotate.studio.team import stored_password
from tests.studio import browser as ui
from tests.studio.conftest import Workspace, add_articles, article_text
from tests.studio.lsclient import TestClient
from tests.studio.test_team import _entity_rows, _spans, add_annotators, variant

pytestmark = [pytest.mark.studio, pytest.mark.browser]


def _ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def _label_next_task(page: Any, ws: Workspace, pid: int, name: str) -> int:
    """Open "Label All Tasks" and submit the pre-annotation as it is; returns the task id."""
    page.goto(f"{ws.studio.url}/projects/{pid}/data?labeling=1")
    ui.read_instructions(page)  # the guidelines open first
    ui.close_instructions(page)
    page.wait_for_selector(".lsf-richtext .htx-highlight")
    page.wait_for_timeout(500)
    ui.screenshot(page, f"team-{name}")
    with page.expect_response(
        lambda r: "/annotations" in r.url and r.request.method == "POST"
    ) as response:
        page.locator("[data-testid=bottombar-submit-button]").first.click()
    assert response.value.ok
    return int(response.value.url.split("/tasks/")[1].split("/")[0])


def test_two_annotators_in_the_browser_and_a_reviewer_resolves_in_the_browser(
    ws: Workspace, tmp_path: Path
) -> None:
    a, b = add_annotators(ws)
    texts = [article_text(200 + i) for i in range(3)]
    add_articles(ws, texts)
    _ok(ws.push("--overlap", "2"))
    pid, admin = ws.ls_project_id(), ws.studio.client()
    task_of = {t["id"]: t["data"]["text"] for t in admin.iter_tasks(pid, fields="task_only")}

    with ui.chromium() as browser:
        done = {}
        for who, email in (("ana", a), ("ben", b)):
            password = stored_password(ws.studio.home, ws.studio.url, email)
            assert password
            with ui.recorded_page(browser, f"{ws.project}-{who}") as page:
                ui.login(page, ws.studio.url, email, password)
                page.goto(f"{ws.studio.url}/api/current-user/whoami")
                assert json.loads(page.locator("body").inner_text())["email"] == email
                done[who] = _label_next_task(page, ws, pid, who)
        # overlap 2: the second annotator is handed the task the first one labelled
        assert done["ana"] == done["ben"]
        agreed = done["ana"]
        t2, t3 = sorted(t for t in task_of if t != agreed)
        ana = TestClient(login(ws.studio.url, a, stored_password(ws.studio.home, ws.studio.url, a)))
        ben = TestClient(login(ws.studio.url, b, stored_password(ws.studio.home, ws.studio.url, b)))
        ana.create_annotation(t2, variant(task_of[t2]))
        ben.create_annotation(t2, variant(task_of[t2], relabel={"Gaza": "LOC"}))
        ana.create_annotation(t3, variant(task_of[t3], drop=("Antony Blinken",)))
        ben.create_annotation(t3, variant(task_of[t3]))
        _ok(ws.pull())

        reviewed = json.loads(_ok(ws.invoke("review", "--project", ws.project, "--json")).stdout)
        assert (reviewed["disputed"], reviewed["agreed"], reviewed["created"]) == (2, 1, 2)
        rid = reviewed["ls_project_id"]
        review_tasks = {t["data"]["text"]: t["id"] for t in admin.iter_tasks(rid)}
        assert set(review_tasks) == {task_of[t2], task_of[t3]}

        creds = LocalStudio(ws.studio.home).credentials()
        assert creds is not None
        with ui.recorded_page(browser, f"{ws.project}-reviewer") as page:
            ui.login(page, ws.studio.url, creds.username, creds.password)
            ui.open_task(page, ws.studio.url, rid, review_tasks[task_of[t2]])
            # both versions are there: Gaza as GPE (Ana) and as LOC (Ben)
            assert ui.region(page, "Gaza").count() == 2
            ui.screenshot(page, "review-task-both-versions")
            ui.delete_region(page, "Gaza")
            assert ui.region(page, "Gaza").count() == 1
            ui.screenshot(page, "review-task-resolved")
            ui.submit(page)
    # the other review task through the API: keep Blinken
    admin.create_annotation(review_tasks[task_of[t3]], variant(task_of[t3]))
    pulled = _ok(ws.invoke("pull", "--project", f"{ws.project}-review"))
    assert f"adjudicated: 2 article(s) of {ws.project!r}" in pulled.stdout

    with session_scope(ws.engine()) as s:
        kept = s.scalars(
            select(EntitySpan.label)
            .join(Annotation, EntitySpan.annotation_id == Annotation.id)
            .join(Task, Annotation.task_id == Task.id)
            .where(Task.ls_task_id == review_tasks[task_of[t2]], EntitySpan.text == "Gaza")
        ).all()
    assert len(kept) == 1 and kept[0] in ("GPE", "LOC")

    out = tmp_path / "out"
    _ok(ws.invoke("export", "--project", ws.project, "--policy", "adjudicated", "--out", str(out)))
    by_text = {r["text"]: r for r in _entity_rows(out)}
    assert ("Gaza", kept[0]) in _spans(by_text[task_of[t2]])
    assert ("Gaza", "GPE" if kept[0] == "LOC" else "LOC") not in _spans(by_text[task_of[t2]])
    assert ("Antony Blinken", "PERSON") in _spans(by_text[task_of[t3]])
    assert "Adjudicated by a reviewer: 2 of 3 entities rows" in (out / "README.md").read_text()
