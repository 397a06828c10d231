"""Push articles (with their latest predictions) to Label Studio; pull human annotations back.

Push is idempotent and resumable: every imported batch's task ids are recorded in the store
right after Label Studio answers, and before each batch the project's task count is compared
with what the store knows. When they differ (a push died between Label Studio's answer and the
store's commit, or someone imported by hand) the tasks are reconciled by `data.content_hash`,
so the next push never duplicates a task.

Pull is incremental: a cursor in Label Studio's clock selects tasks updated since the last
pull. The cursor is the server's time when the pull started reading, minus a safety overlap
(an annotation saved just before the read may commit just after it), so a task is re-read
only if it changed in the seconds before a pull, never because of an old bulk import. Annotations are upserted by Label Studio id; a
re-read task also tells which of its annotations were deleted. `--full` reads the whole
project (one export request) and marks annotations of vanished tasks deleted too.
Two pulls of one project at once are serialized by a lock file, and the store's unique
constraint (task, Label Studio annotation id) is the safety net for pulls on other hosts.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from annotate.schemas import LabelSet
from annotate.store.models import (
    Annotation,
    Article,
    EntitySpan,
    Prediction,
    Project,
    StanceTriple,
    Task,
    utcnow,
)
from annotate.store.session import session_scope
from annotate.studio import config as ls_config
from annotate.studio.client import StudioClient
from annotate.studio.convert import (
    Converted,
    prediction_score,
    prediction_to_results,
    results_to_records,
)
from annotate.studio.server import StudioError

DEFAULT_PROJECT = "annotate"
DEFAULT_BATCH = 500
# The next pull re-reads tasks updated this long before this pull started (the server's Date
# header has whole seconds, so one more second is taken off).
CURSOR_OVERLAP = timedelta(seconds=1)

Progress = Callable[[int], None]


class SyncError(StudioError):
    """A push or pull cannot go on; the message says why and what to do."""


# -- summaries ---------------------------------------------------------------------------


@dataclass
class PushSummary:
    project: str
    ls_project_id: int
    url: str
    created: int = 0
    already: int = 0
    reconciled: int = 0
    without_prediction: int = 0
    predictions_added: int = 0
    model_version: str | None = None
    config_updated: bool = False
    project_created: bool = False
    overlap: int | None = None
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class PullSummary:
    project: str
    ls_project_id: int
    full: bool
    tasks_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    invalid: int = 0
    unknown_tasks: int = 0
    cursor: str | None = None
    review_of: str | None = None
    adjudicated: int | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


# -- helpers -----------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone columns: they are UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@contextlib.contextmanager
def project_lock(home: Path, name: str) -> Iterator[None]:
    """An exclusive lock per project in the workspace (waits for the other holder)."""
    lock_dir = Path(home) / "locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    with open(lock_dir / f"project-{safe}.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def task_payload(
    article: Article, prediction: Prediction | None, labelset: LabelSet
) -> tuple[dict[str, Any], list[str]]:
    """One Label Studio task: the article's data and, when known, its prediction."""
    task: dict[str, Any] = {
        "data": {
            "text": article.text,
            "title": article.title or "",
            "article_id": article.article_id,
            "content_hash": article.content_hash,
            "url": article.url or "",
        }
    }
    skipped: list[str] = []
    if prediction is not None:
        task["predictions"] = [_prediction_payload(article, prediction, labelset, skipped)]
    return task, skipped


def _prediction_payload(
    article: Article, prediction: Prediction, labelset: LabelSet, skipped: list[str]
) -> dict[str, Any]:
    record = {"entities": prediction.entities, "stances": prediction.stances}
    results, problems = prediction_to_results(record, article.text, labelset)
    skipped += [f"{article.article_id} ({prediction.model_version}): {p}" for p in problems]
    payload: dict[str, Any] = {"model_version": prediction.model_version, "result": results}
    score = prediction_score(record)
    if score is not None:
        payload["score"] = score
    return payload


def _latest_predictions(session: Session, article_ids: list[int]) -> dict[int, Prediction]:
    """The newest prediction of each article (by creation time, then id)."""
    out: dict[int, Prediction] = {}
    for chunk in _chunks(article_ids, 900):
        rows = session.scalars(
            select(Prediction)
            .where(Prediction.article_id.in_(chunk))
            .order_by(Prediction.created_at, Prediction.id)
        )
        for p in rows:
            out[p.article_id] = p
    return out


# -- project -----------------------------------------------------------------------------


def ensure_project(
    engine: Engine,
    client: StudioClient,
    name: str,
    labelset: LabelSet,
    update_config: bool = False,
) -> tuple[Project, bool, bool]:
    """The store's row for project `name` on this server, creating either side as needed.

    Returns (project, created_in_label_studio, config_updated). Refuses a project whose
    labeling config differs from the generated one unless `update_config`.
    """
    xml = ls_config.label_config(labelset)
    wanted = ls_config.config_hash(xml)
    with session_scope(engine) as s:
        row = s.scalar(select(Project).where(Project.name == name))
        if row is not None and row.ls_url.rstrip("/") != client.url.rstrip("/"):
            raise SyncError(
                f"project {name!r} is linked to {row.ls_url}, not {client.url}; "
                "use another --project name for this server"
            )
        remote: dict[str, Any] | None = None
        if row is not None:
            try:
                remote = client.get_project(row.ls_project_id)
            except StudioError as exc:
                if "HTTP 404" not in str(exc):
                    raise
                raise SyncError(
                    f"project {name!r} (Label Studio id {row.ls_project_id}) no longer exists "
                    f"at {client.url}; use another --project name"
                ) from None
        else:
            remote = client.find_project(name)
        created = updated = False
        if remote is None:
            remote = client.create_project(name, xml, ls_config.instructions(labelset))
            created = True
        elif ls_config.config_hash(remote.get("label_config") or "<View/>") != wanted:
            if not update_config:
                raise SyncError(
                    f"project {name!r} in Label Studio has a different labeling config than "
                    "the one generated from schemas/; rerun with --update-config to replace it"
                )
            client.update_project(
                int(remote["id"]),
                label_config=xml,
                expert_instruction=ls_config.instructions(labelset),
            )
            updated = True
        if row is None:
            row = Project(
                name=name,
                ls_url=client.url,
                ls_project_id=int(remote["id"]),
                model_version=remote.get("model_version") or None,
            )
            s.add(row)
        row.label_config_hash = wanted
        s.flush()
        s.expunge(row)
    return row, created, updated


# -- push --------------------------------------------------------------------------------


def _known_hashes(session: Session, project_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Article.content_hash, Task.ls_task_id)
        .join(Task, Task.article_id == Article.id)
        .where(Task.project_id == project_id)
    )
    return {h: int(t) for h, t in rows}


def _reconcile(engine: Engine, client: StudioClient, project: Project) -> int:
    """Record tasks that exist in Label Studio but not in the store; returns how many."""
    remote = client.task_hashes(project.ls_project_id)
    added = 0
    with session_scope(engine) as s:
        known = _known_hashes(s, project.id)
        known_ids = set(known.values())
        missing = {h: ids for h, ids in remote.items() if h not in known}
        for chunk in _chunks(list(missing), 900):
            for art_id, h in s.execute(
                select(Article.id, Article.content_hash).where(Article.content_hash.in_(chunk))
            ):
                ids = [i for i in missing[h] if i not in known_ids]
                if not ids:
                    continue
                s.add(Task(project_id=project.id, article_id=art_id, ls_task_id=min(ids)))
                added += 1
    return added


def _local_task_count(engine: Engine, project_id: int) -> int:
    with session_scope(engine) as s:
        return int(s.scalar(select(func.count(Task.id)).where(Task.project_id == project_id)) or 0)


def push(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    name: str = DEFAULT_PROJECT,
    *,
    batch_size: int = DEFAULT_BATCH,
    limit: int | None = None,
    update_config: bool = False,
    update_predictions: bool = False,
    overlap: int | None = None,
    on_total: Callable[[int], None] | None = None,
    on_advance: Progress | None = None,
) -> PushSummary:
    """Import a task per article not yet in the project, with its latest prediction.

    `overlap` sets how many annotators see each task, in Label Studio and in the store.
    """
    if overlap is not None and overlap < 1:
        raise SyncError("--overlap must be at least 1")
    _refuse_review_project(engine, name)
    project, created, cfg_updated = ensure_project(engine, client, name, labelset, update_config)
    summary = PushSummary(
        project=name,
        ls_project_id=project.ls_project_id,
        url=client.url,
        project_created=created,
        config_updated=cfg_updated,
    )
    with session_scope(engine) as s:
        pushed = select(Task.article_id).where(Task.project_id == project.id)
        summary.already = int(
            s.scalar(select(func.count(Task.id)).where(Task.project_id == project.id)) or 0
        )
        query = select(Article.id).where(Article.id.not_in(pushed)).order_by(Article.id)
        if limit is not None:
            query = query.limit(limit)
        todo = list(s.scalars(query))
    if on_total:
        on_total(len(todo))
    expected: int | None = None  # Label Studio's task count when the store is in step
    versions: list[tuple[datetime, str]] = []
    for batch_ids in _chunks(todo, max(1, batch_size)):
        remote_count = int(client.get_project(project.ls_project_id).get("task_number") or 0)
        if expected is None or remote_count != expected:
            if remote_count != _local_task_count(engine, project.id):
                summary.reconciled += _reconcile(engine, client, project)
            expected = remote_count
        with session_scope(engine) as s:
            done = set(
                s.scalars(
                    select(Task.article_id).where(
                        Task.project_id == project.id, Task.article_id.in_(batch_ids)
                    )
                )
            )
            articles = [
                a
                for a in s.scalars(select(Article).where(Article.id.in_(batch_ids)))
                if a.id not in done
            ]
            preds = _latest_predictions(s, [a.id for a in articles])
            payload = []
            for art in articles:
                pred = preds.get(art.id)
                task, skipped = task_payload(art, pred, labelset)
                summary.skipped += skipped
                if pred is None:
                    summary.without_prediction += 1
                else:
                    versions.append((_aware(pred.created_at) or utcnow(), pred.model_version))
                payload.append((art.id, pred.model_version if pred else None, task))
        if payload:
            ids = client.import_tasks(project.ls_project_id, [t for _, _, t in payload])
            with session_scope(engine) as s:
                for (art_id, mv, _), task_id in zip(payload, ids, strict=True):
                    s.add(
                        Task(
                            project_id=project.id,
                            article_id=art_id,
                            ls_task_id=task_id,
                            model_versions=[mv] if mv else [],
                        )
                    )
            summary.created += len(ids)
            expected = (expected or 0) + len(ids)
        if on_advance:
            on_advance(len(batch_ids))
    if overlap is not None:
        client.set_overlap(project.ls_project_id, overlap)
        with session_scope(engine) as s:
            row = s.get(Project, project.id)
            assert row is not None
            row.overlap = overlap
    with session_scope(engine) as s:
        summary.overlap = s.scalar(select(Project.overlap).where(Project.id == project.id))
    if update_predictions:
        summary.predictions_added = _push_new_predictions(
            engine, client, labelset, project, batch_size, summary, versions
        )
    if versions:
        summary.model_version = max(versions)[1]
    _set_model_version(engine, client, project, summary.model_version)
    return summary


def _refuse_review_project(engine: Engine, name: str) -> None:
    with session_scope(engine) as s:
        row = s.scalar(select(Project).where(Project.name == name))
        if row is not None and row.review_of_id is not None:
            raise SyncError(
                f"{name!r} is a review project: `annotate review` fills it, not `annotate push`"
            )


def _push_new_predictions(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    project: Project,
    batch_size: int,
    summary: PushSummary,
    versions: list[tuple[datetime, str]],
) -> int:
    """Add each pushed task's latest prediction when its model version is not there yet."""
    added = 0
    with session_scope(engine) as s:
        tasks = list(s.scalars(select(Task).where(Task.project_id == project.id)))
        preds = _latest_predictions(s, [t.article_id for t in tasks])
        todo = [
            (t.id, t.ls_task_id, preds[t.article_id])
            for t in tasks
            if t.article_id in preds and preds[t.article_id].model_version not in t.model_versions
        ]
        s.expunge_all()
    for batch in _chunks(todo, max(1, batch_size)):
        items = []
        with session_scope(engine) as s:
            for _, ls_id, pred in batch:
                art = s.get(Article, pred.article_id)
                assert art is not None
                body = _prediction_payload(art, pred, labelset, summary.skipped)
                items.append({"task": ls_id, **body})
                versions.append((_aware(pred.created_at) or utcnow(), pred.model_version))
        client.import_predictions(project.ls_project_id, items)
        with session_scope(engine) as s:
            for task_id, _, pred in batch:
                task = s.get(Task, task_id)
                assert task is not None
                task.model_versions = [*task.model_versions, pred.model_version]
        added += len(batch)
    return added


def _set_model_version(
    engine: Engine, client: StudioClient, project: Project, version: str | None
) -> None:
    """Make "Label All Tasks" show the pushed predictions (it hides other versions)."""
    if not version:
        return
    remote = client.get_project(project.ls_project_id)
    if remote.get("model_version") != version:
        client.update_project(project.ls_project_id, model_version=version)
    with session_scope(engine) as s:
        row = s.get(Project, project.id)
        if row is not None:
            row.model_version = version


# -- pull --------------------------------------------------------------------------------


def _annotator_names(client: StudioClient) -> dict[int, str]:
    try:
        users = client.users()
    except StudioError:
        return {}
    items = users.get("results", users) if isinstance(users, dict) else users
    return {int(u["id"]): u.get("email") or u.get("username") or f"user:{u['id']}" for u in items}


def _annotator(ann: dict[str, Any], names: dict[int, str]) -> str:
    who = ann.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("username") or f"user:{who.get('id')}")
    if isinstance(who, int):
        return names.get(who, f"user:{who}")
    return "unknown"


def _same(row: Annotation, ann: dict[str, Any]) -> bool:
    return (
        row.result == (ann.get("result") or [])
        and bool(row.cancelled) == bool(ann.get("was_cancelled"))
        and bool(row.ground_truth) == bool(ann.get("ground_truth"))
        and _aware(row.updated_at) == _parse_time(ann.get("updated_at"))
        and not row.deleted
    )


def _values(ann: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    """Column values of one Label Studio annotation (raw result kept as is)."""
    return {
        "annotator": _annotator(ann, names),
        "created_at": _parse_time(ann.get("created_at")),
        "updated_at": _parse_time(ann.get("updated_at")),
        "cancelled": bool(ann.get("was_cancelled")),
        "ground_truth": bool(ann.get("ground_truth")),
        "lead_time": ann.get("lead_time"),
        "deleted": False,
        "result": ann.get("result") or [],
        "pulled_at": utcnow(),
    }


def _span_values(converted: Converted) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    spans = [
        {k: e[k] for k in ("region_id", "start", "end", "label", "text")}
        for e in converted.entities
    ]
    triples = [
        {
            "holder_start": st["holder"]["start"],
            "holder_end": st["holder"]["end"],
            "holder_label": st["holder"]["label"],
            "holder_text": st["holder"]["text"],
            "target": st["target"],
            "target_start": st["target_span"]["start"],
            "target_end": st["target_span"]["end"],
            "label": st["label"],
        }
        for st in converted.stances
    ]
    return spans, triples


def _fill(row: Annotation, values: dict[str, Any], converted: Converted) -> None:
    """Replace an existing row's content (an annotation updated in Label Studio)."""
    for key, value in values.items():
        setattr(row, key, value)
    row.problems = converted.problems
    spans, triples = _span_values(converted)
    row.entities = [EntitySpan(**v) for v in spans]
    row.stances = [StanceTriple(**v) for v in triples]


def _insert_new(s: Session, pending: list[tuple[dict[str, Any], Converted]]) -> None:
    """Bulk-insert new annotations and their spans and triples (the bulk of a first pull)."""
    if not pending:
        return
    rows = [{**values, "problems": conv.problems} for values, conv in pending]
    ids = (
        s.execute(insert(Annotation).returning(Annotation.id, sort_by_parameter_order=True), rows)
        .scalars()
        .all()
    )
    spans: list[dict[str, Any]] = []
    triples: list[dict[str, Any]] = []
    for ann_id, (_, conv) in zip(ids, pending, strict=True):
        sp, tr = _span_values(conv)
        spans += [{**v, "annotation_id": ann_id} for v in sp]
        triples += [{**v, "annotation_id": ann_id} for v in tr]
    if spans:
        s.execute(insert(EntitySpan), spans)
    if triples:
        s.execute(insert(StanceTriple), triples)


def _apply_tasks(
    engine: Engine,
    project: Project,
    tasks: list[dict[str, Any]],
    labelset: LabelSet,
    names: dict[int, str],
    summary: PullSummary,
) -> None:
    """Upsert the annotations of a chunk of tasks in one transaction."""
    counts = {"new": 0, "updated": 0, "unchanged": 0, "deleted": 0, "invalid": 0, "unknown": 0}
    problems: list[dict[str, Any]] = []
    pending: list[tuple[dict[str, Any], Converted]] = []
    with session_scope(engine) as s:
        ids = [int(t["id"]) for t in tasks]
        local = {
            t.ls_task_id: t
            for t in s.scalars(
                select(Task)
                .where(Task.project_id == project.id, Task.ls_task_id.in_(ids))
                .options(selectinload(Task.annotations), selectinload(Task.article))
            )
        }
        for data in tasks:
            task = local.get(int(data["id"]))
            if task is None:
                task = _adopt_task(s, project, data)
                if task is None:
                    counts["unknown"] += 1
                    continue
            text = task.article.text
            stored = {a.ls_annotation_id: a for a in task.annotations}
            seen: set[int] = set()
            for ann in data.get("annotations") or []:
                ann_id = int(ann["id"])
                seen.add(ann_id)
                row = stored.get(ann_id)
                if row is not None and _same(row, ann):
                    counts["unchanged"] += 1
                    continue
                values = _values(ann, names)
                converted = results_to_records(values["result"], text, labelset)
                if row is None:
                    values.update(task_id=task.id, ls_annotation_id=ann_id)
                    pending.append((values, converted))
                    counts["new"] += 1
                else:
                    _fill(row, values, converted)
                    counts["updated"] += 1
                if converted.problems:
                    counts["invalid"] += 1
                    problems += [
                        {
                            "task": int(data["id"]),
                            "annotation": ann_id,
                            "article_id": task.article.article_id,
                            "problem": p["problem"],
                        }
                        for p in converted.problems
                    ]
            for ann_id, row in stored.items():
                if ann_id not in seen and not row.deleted:
                    row.deleted = True
                    row.pulled_at = utcnow()
                    counts["deleted"] += 1
        s.flush()
        _insert_new(s, pending)
    summary.new += counts["new"]
    summary.updated += counts["updated"]
    summary.unchanged += counts["unchanged"]
    summary.deleted += counts["deleted"]
    summary.invalid += counts["invalid"]
    summary.unknown_tasks += counts["unknown"]
    summary.problems += problems


def _adopt_task(s: Session, project: Project, data: dict[str, Any]) -> Task | None:
    """A task the store does not know (e.g. a push died before recording it): match its hash."""
    h = (data.get("data") or {}).get("content_hash")
    if not h:
        return None
    article = s.scalar(select(Article).where(Article.content_hash == h))
    if article is None:
        return None
    existing = s.scalar(
        select(Task).where(Task.project_id == project.id, Task.article_id == article.id)
    )
    if existing is not None:
        return None  # a duplicate task of an article already linked: not ours to merge
    task = Task(project_id=project.id, article_id=article.id, ls_task_id=int(data["id"]))
    task.article = article
    s.add(task)
    s.flush()
    return task


def _mark_vanished(engine: Engine, project: Project, seen_task_ids: set[int]) -> int:
    """--full: annotations of tasks no longer in Label Studio are deleted there."""
    n = 0
    with session_scope(engine) as s:
        rows = s.execute(
            select(Annotation, Task.ls_task_id)
            .join(Task, Annotation.task_id == Task.id)
            .where(Task.project_id == project.id, Annotation.deleted.is_(False))
        )
        for row, ls_task_id in rows:
            if ls_task_id not in seen_task_ids:
                row.deleted = True
                row.pulled_at = utcnow()
                n += 1
    return n


def load_project(engine: Engine, name: str, client: StudioClient) -> Project:
    with session_scope(engine) as s:
        row = s.scalar(select(Project).where(Project.name == name))
        if row is None:
            raise SyncError(f"no project {name!r} in the store: run `annotate push` first")
        if row.ls_url.rstrip("/") != client.url.rstrip("/"):
            raise SyncError(f"project {name!r} is linked to {row.ls_url}, not {client.url}")
        s.expunge(row)
        return row


def pull(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    home: Path,
    name: str = DEFAULT_PROJECT,
    *,
    full: bool = False,
    chunk_size: int = 500,
    on_total: Callable[[int], None] | None = None,
    on_advance: Progress | None = None,
) -> PullSummary:
    """Pull annotations of tasks updated since the last pull (all of them with `full`)."""
    with project_lock(home, name):
        project = load_project(engine, name, client)
        cursor = _aware(project.pull_cursor)
        summary = PullSummary(project=name, ls_project_id=project.ls_project_id, full=full)
        tasks: Iterable[dict[str, Any]]
        server_now = client.server_time()
        if full or cursor is None:
            exported = client.export_json(project.ls_project_id)
            if on_total:
                on_total(len(exported))
            tasks = exported
        else:
            tasks = client.tasks_updated_since(project.ls_project_id, cursor)
        names = _annotator_names(client)
        newest: datetime | None = None
        seen: set[int] = set()
        chunk: list[dict[str, Any]] = []

        def flush() -> None:
            _apply_with_retry(engine, project, chunk, labelset, names, summary)
            if on_advance:
                on_advance(len(chunk))
            chunk.clear()

        for task in tasks:
            seen.add(int(task["id"]))
            updated = _parse_time(task.get("updated_at"))
            if updated and (newest is None or updated > newest):
                newest = updated
            chunk.append(task)
            if len(chunk) >= chunk_size:
                flush()
        if chunk:
            flush()
        summary.tasks_read = len(seen)
        if full:
            summary.deleted += _mark_vanished(engine, project, seen)
        with session_scope(engine) as s:
            row = s.get(Project, project.id)
            assert row is not None
            current = _aware(row.pull_cursor)
            # Without a server clock, fall back to the newest task seen (minus the overlap).
            if server_now is not None:
                candidate = server_now - timedelta(seconds=1) - CURSOR_OVERLAP
            elif newest is not None:
                candidate = newest - CURSOR_OVERLAP
            else:
                candidate = None
            if candidate is not None and (current is None or candidate > current):
                row.pull_cursor = candidate
            final = _aware(row.pull_cursor)
            summary.cursor = final.isoformat() if final else None
            if row.review_of_id is not None:
                summary.review_of, summary.adjudicated = _adjudicated_count(s, row)
    return summary


def _adjudicated_count(s: Session, review: Project) -> tuple[str, int]:
    """(original project, articles with a reviewer's resolution): what a review pull gives."""
    original = s.get(Project, review.review_of_id)
    n = s.scalar(
        select(func.count(func.distinct(Task.article_id)))
        .join(Annotation, Annotation.task_id == Task.id)
        .where(
            Task.project_id == review.id,
            Annotation.deleted.is_(False),
            Annotation.cancelled.is_(False),
        )
    )
    return (original.name if original else "?"), int(n or 0)


def _apply_with_retry(
    engine: Engine,
    project: Project,
    tasks: list[dict[str, Any]],
    labelset: LabelSet,
    names: dict[int, str],
    summary: PullSummary,
    attempts: int = 3,
) -> None:
    """A concurrent pull (another host) may insert the same rows first: re-read and retry."""
    for attempt in range(attempts):
        try:
            _apply_tasks(engine, project, tasks, labelset, names, summary)
            return
        except IntegrityError:
            if attempt == attempts - 1:
                raise
