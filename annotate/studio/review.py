"""The adjudication loop: disputed articles of a project go to a `<name>-review` project.

`send_to_review` reads the store (what the last `annotate pull` brought), finds the
articles whose annotators disagree (`annotate.review`), and imports one task per disputed
article into the review project. Each task's prediction (the project's model version, so
"Label All Tasks" shows it) is the merged annotation: agreed items once, disputed items once
per annotator choice with the annotators' names in the region meta. Each annotator's own
version is attached too, as a prediction named `annotator:EMAIL`, so both stay visible.

Articles where everyone agrees are never sent. An article already in the review project is
not sent twice. The reviewer's annotation, pulled with `annotate pull --project
<name>-review`, is the adjudicated annotation of the article (`export --policy adjudicated`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from annotate.config import review_name
from annotate.errors import SyncError
from annotate.judgement import Judgement, latest_per_annotator, stance_key_for
from annotate.locks import project_lock
from annotate.review import Merge, disputes
from annotate.schemas import LabelSet
from annotate.store import queries
from annotate.store.models import Project
from annotate.store.queries import TaskItem
from annotate.store.session import session_scope
from annotate.studio import config as ls_config
from annotate.studio import convert
from annotate.studio.client import StudioClient
from annotate.studio.sync import Payload, TaskImporter, ensure_project, load_project

MERGED_VERSION = "review-merge"
CHUNK = 500


@dataclass
class ReviewSummary:
    project: str
    review_project: str
    ls_project_id: int
    url: str
    tasks: int = 0
    too_few_annotators: int = 0
    agreed: int = 0
    disputed: int = 0
    created: int = 0
    already_in_review: int = 0
    reconciled: int = 0
    project_created: bool = False
    items: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def review_instructions(labelset: LabelSet, name: str) -> str:
    """The review project's instructions: how to resolve, then the guidelines."""
    head = (
        f"<p><b>Review of project {name}.</b> Each task is an article its annotators "
        "disagreed on. The pre-annotation merges their versions: items everyone agreed on "
        "appear once; a disputed span, or a stance's target span, appears once per "
        "annotator choice, and its region details (meta) say who marked it. Delete the "
        "wrong options, fix anything else, and submit: your annotation becomes the "
        "adjudicated one. The predictions tab also holds each annotator's own version.</p>"
    )
    return head + ls_config.instructions(labelset)


def _ensure_review_project(
    engine: Engine, client: StudioClient, original: Project, labelset: LabelSet
) -> tuple[Project, bool]:
    """The review project of `original`, created or completed as needed.

    A run killed between creating the project and linking it leaves a row with no
    `review_of` and no task: that row is ours, and is linked now. The review settings are
    applied on every run, so such a run never leaves them unset either.
    """
    name = review_name(original.name)
    with session_scope(engine) as s:
        row = queries.find_project(s, name)
        unlinked = (
            row is not None and row.review_of_id is None and not queries.task_count(s, row.id)
        )
        if row is not None and row.review_of_id != original.id and not unlinked:
            raise SyncError(
                f"project {name!r} exists in the store but is not the review project of "
                f"{original.name!r}; rename one of them"
            )
    review, created, _ = ensure_project(engine, client, name, labelset)
    with session_scope(engine) as s:
        queries.update_project(s, review.id, review_of_id=original.id)
    client.update_project(
        review.ls_project_id,
        expert_instruction=review_instructions(labelset, original.name),
        maximum_annotations=1,
    )
    return review, created


def _info(item: TaskItem, m: Merge) -> dict[str, Any]:
    return {
        "article_id": item.public_id,
        "entity_differences": m.entity_differences,
        "stance_differences": m.stance_differences,
        "annotators": m.annotators,
        "notes": m.notes(item.text),
    }


def send_to_review(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    home: Path,
    name: str | None = None,
    *,
    min_annotators: int = 2,
) -> ReviewSummary:
    """Push the disputed articles of project `name` (or the only one) into `<name>-review`."""
    if min_annotators < 2:
        raise SyncError("--min-annotators must be at least 2: one annotator cannot disagree")
    original = load_project(engine, name, client)
    if original.review_of_id is not None:
        raise SyncError(f"{original.name!r} is itself a review project; review its original")
    name = original.name
    with session_scope(engine) as s:
        task_ids = queries.project_task_ids(s, original.id)
    found: list[tuple[TaskItem, Merge]] = []
    summary = ReviewSummary(name, review_name(name), 0, client.url, tasks=len(task_ids))
    seen = 0
    for items in queries.iter_task_items(lambda: session_scope(engine), task_ids, CHUNK):
        seen += len(items)
        batch = [(it, it.judgements, stance_key_for(it.text)) for it in items]
        disputed, agreed, too_few = disputes(batch, min_annotators)
        summary.agreed += agreed
        summary.too_few_annotators += too_few
        found += [(item, m) for item, m in disputed if isinstance(item, TaskItem)]
    summary.too_few_annotators += len(task_ids) - seen  # tasks whose article vanished
    summary.disputed = len(found)
    if not found:
        with session_scope(engine) as s:
            existing = queries.find_project(s, review_name(name))
            summary.ls_project_id = existing.ls_project_id if existing else 0
        return summary
    with project_lock(home, review_name(name)):
        review, created = _ensure_review_project(engine, client, original, labelset)
        summary.ls_project_id = review.ls_project_id
        summary.project_created = created
        with session_scope(engine) as s:
            queued = queries.task_article_ids(s, review.id)
        by_pk = {item.article_pk: (item, m) for item, m in found}
        infos: dict[int, dict[str, Any]] = {}
        for item, m in found:
            info = infos[item.article_pk] = _info(item, m)
            info["status"] = "already in review" if item.article_pk in queued else "sent"
            summary.already_in_review += item.article_pk in queued
            summary.items.append(info)
        importer = TaskImporter(engine, client, review)
        todo = [pk for pk in by_pk if pk not in queued]

        def build(todo: list[int]) -> Payload:
            payload: Payload = []
            for pk in todo:
                item, m = by_pk[pk]
                task, problems = _review_task(item, m, labelset, name)
                summary.skipped += problems
                payload.append((pk, [MERGED_VERSION], task))
            return payload

        chunks = (todo[start : start + CHUNK] for start in range(0, len(todo), CHUNK))
        summary.created += importer.import_batches(chunks, build)
        summary.reconciled = importer.reconciled
        with session_scope(engine) as s:
            linked = queries.task_ids_by_article(s, review.id, todo)
        for pk, task_id in linked.items():
            infos[pk]["review_task"] = task_id
        # "Label All Tasks" shows only predictions of the project's model version (Label
        # Studio accepts a version only once a task has a prediction of it)
        remote = client.get_project(review.ls_project_id)
        if summary.created and remote.get("model_version") != MERGED_VERSION:
            client.update_project(review.ls_project_id, model_version=MERGED_VERSION)
    return summary


def _review_task(
    item: TaskItem, m: Merge, labelset: LabelSet, project: str
) -> tuple[dict[str, Any], list[str]]:
    latest: dict[str, Judgement] = latest_per_annotator(item.judgements)
    data = convert.task_data(item.text, item.public_id, item.content_hash, item.url)
    return convert.review_task(data, m, latest, labelset, project, MERGED_VERSION)
