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
from typing import Any

from sqlalchemy import Engine, select

from annotate.export.adjudicate import Judgement, latest_per_annotator
from annotate.export.hf import stance_key_for
from annotate.export.items import load_task_items, project_task_ids
from annotate.review import Merge, disputes
from annotate.schemas import LabelSet
from annotate.store.models import Article, Project, Task
from annotate.store.session import session_scope
from annotate.studio import config as ls_config
from annotate.studio.client import StudioClient
from annotate.studio.convert import judgement_to_record, merge_to_results, prediction_to_results
from annotate.studio.sync import SyncError, ensure_project, load_project

MERGED_VERSION = "review-merge"
CHUNK = 500


def review_name(name: str) -> str:
    return f"{name}-review"


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
    project_created: bool = False
    items: list[dict[str, Any]] = field(default_factory=list)

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
    name = review_name(original.name)
    with session_scope(engine) as s:
        row = s.scalar(select(Project).where(Project.name == name))
        if row is not None and row.review_of_id != original.id:
            raise SyncError(
                f"project {name!r} exists in the store but is not the review project of "
                f"{original.name!r}; rename one of them"
            )
    review, created, _ = ensure_project(engine, client, name, labelset)
    with session_scope(engine) as s:
        row = s.get(Project, review.id)
        assert row is not None
        row.review_of_id = original.id
    if created:
        client.update_project(
            review.ls_project_id,
            expert_instruction=review_instructions(labelset, original.name),
            maximum_annotations=1,
        )
    return review, created


def review_task(
    article: dict[str, Any], merge: Merge, judgements: dict[str, Judgement], labelset: LabelSet
) -> dict[str, Any]:
    """One Label Studio task of the review project (data + merged and per-annotator
    predictions)."""
    text = article["text"]
    notes = merge.notes(text)
    head = f"[review: {merge.entity_differences} entity, {merge.stance_differences} stance "
    head += "differences] "
    predictions = [{"model_version": MERGED_VERSION, "result": merge_to_results(merge, text)}]
    for who in merge.annotators:
        j = judgements[who]
        record = judgement_to_record(sorted(set(j.spans)), list(j.triples), text)
        results, _problems = prediction_to_results(record, text, labelset)
        predictions.append({"model_version": f"annotator:{who}", "result": results})
    return {
        "data": {
            "text": text,
            "title": head + (article["title"] or ""),
            "article_id": article["article_id"],
            "content_hash": article["content_hash"],
            "url": article["url"] or "",
            "review_of": article["project"],
            "annotators": ", ".join(merge.annotators),
            "disputes": "\n".join(notes),
        },
        "predictions": predictions,
    }


def send_to_review(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    name: str,
    *,
    min_annotators: int = 2,
) -> ReviewSummary:
    """Push the disputed articles of project `name` into `<name>-review`."""
    if min_annotators < 2:
        raise SyncError("--min-annotators must be at least 2: one annotator cannot disagree")
    original = load_project(engine, name, client)
    if original.review_of_id is not None:
        raise SyncError(f"{name!r} is itself a review project; review its original project")
    with session_scope(engine) as s:
        row = s.get(Project, original.id)
        assert row is not None
        task_ids = project_task_ids(s, row)
    found: list[tuple[Any, Merge]] = []
    summary = ReviewSummary(name, review_name(name), 0, client.url, tasks=len(task_ids))
    latest: dict[int, dict[str, Judgement]] = {}
    for start in range(0, len(task_ids), CHUNK):
        with session_scope(engine) as s:
            items = load_task_items(s, task_ids[start : start + CHUNK])
        batch = [(it, it.judgements, stance_key_for(it.text)) for it in items]
        disputed, agreed, too_few = disputes(batch, min_annotators)
        summary.agreed += agreed
        summary.too_few_annotators += too_few + len(task_ids[start : start + CHUNK]) - len(items)
        for item, m in disputed:
            found.append((item, m))
            latest[item.article_pk] = latest_per_annotator(item.judgements)
    summary.disputed = len(found)
    if not found:
        summary.ls_project_id = _existing_review_id(engine, name)
        return summary
    review, created = _ensure_review_project(engine, client, original, labelset)
    summary.ls_project_id = review.ls_project_id
    summary.project_created = created
    with session_scope(engine) as s:
        queued = set(s.scalars(select(Task.article_id).where(Task.project_id == review.id)))
        articles = {
            a.id: {
                "text": a.text,
                "title": a.title,
                "article_id": a.article_id,
                "content_hash": a.content_hash,
                "url": a.url,
                "project": name,
            }
            for a in s.scalars(
                select(Article).where(Article.id.in_([it.article_pk for it, _ in found]))
            )
        }
    merges = {item.article_pk: m for item, m in found}
    todo = []
    for item, m in found:
        info = {
            "article_id": item.public_id,
            "entity_differences": m.entity_differences,
            "stance_differences": m.stance_differences,
            "annotators": m.annotators,
            "notes": m.notes(item.text),
        }
        if item.article_pk in queued:
            summary.already_in_review += 1
            info["status"] = "already in review"
        else:
            todo.append((item.article_pk, info))
            info["status"] = "sent"
        summary.items.append(info)
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        payload = [review_task(articles[pk], merges[pk], latest[pk], labelset) for pk, _ in chunk]
        ids = client.import_tasks(review.ls_project_id, payload)
        with session_scope(engine) as s:
            for (pk, info), task_id in zip(chunk, ids, strict=True):
                s.add(
                    Task(
                        project_id=review.id,
                        article_id=pk,
                        ls_task_id=task_id,
                        model_versions=[MERGED_VERSION],
                    )
                )
                info["review_task"] = task_id
        summary.created += len(ids)
    # "Label All Tasks" shows only predictions of the project's model version (Label Studio
    # accepts a version only once a task has a prediction of it)
    remote = client.get_project(review.ls_project_id)
    if summary.created and remote.get("model_version") != MERGED_VERSION:
        client.update_project(review.ls_project_id, model_version=MERGED_VERSION)
    return summary


def _existing_review_id(engine: Engine, name: str) -> int:
    with session_scope(engine) as s:
        pid = s.scalar(select(Project.ls_project_id).where(Project.name == review_name(name)))
        return int(pid or 0)
