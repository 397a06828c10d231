"""Push articles (with their latest predictions) to Label Studio; pull human annotations back.

This module only orchestrates: the store's queries are `annotate.store.queries`, Label
Studio's JSON is `annotate.studio.convert`, and the HTTP calls are `annotate.studio.client`.

Push is idempotent and resumable: every imported batch's task ids are recorded in the store
right after Label Studio answers, and before each batch the project's task count is compared
with what the store knows. When they differ (a run died between Label Studio's answer and the
store's commit, or someone imported by hand) the tasks are reconciled by `data.content_hash`,
so the next run never duplicates a task. `TaskImporter` does this for push and review alike.

Pull is incremental: a cursor in Label Studio's clock selects tasks updated since the last
pull. The cursor is the server's time when the pull started reading, minus a safety overlap
(an annotation saved just before the read may commit just after it), so a task is re-read
only if it changed in the seconds before a pull, never because of an old bulk import.
Annotations are upserted by Label Studio id; a re-read task also tells which of its
annotations were deleted. `--full` (and the first pull) reads the whole project by export
requests of the task ids the store knows, each chunk stored while the next is serialized,
plus any task Label Studio counts beyond them, and marks annotations of vanished tasks
deleted too. An annotation on a duplicate task (another Label
Studio task of an article the store already links) is adopted onto the article's task,
keeping the task it came from; one on a task matching no article is reported, never
dropped quietly (`unknown_annotations`: the CLI exits 1). Push reports duplicate tasks.

Every command that writes a project holds its lock (`annotate.locks`) for the whole run; the
store's unique constraints are the safety net for runs on other hosts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from more_itertools import chunked
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from annotate import spans as sp
from annotate.config import DEFAULT_BATCH, DEFAULT_PROJECT
from annotate.errors import StudioError, SyncError
from annotate.judgement import shift_record
from annotate.locks import project_lock
from annotate.private import safe_url
from annotate.schemas import LabelSet
from annotate.store import queries
from annotate.store.models import Project, utcnow
from annotate.store.session import session_scope
from annotate.studio import config as ls_config
from annotate.studio import convert
from annotate.studio.client import StudioClient

# The next pull re-reads tasks updated this long before this pull started (the server's Date
# header has whole seconds, so one more second is taken off).
CURSOR_OVERLAP = timedelta(seconds=1)

Progress = Callable[[int], None]


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
    # tasks with a newer prediction left as they are: a human has annotated them
    predictions_held: int = 0
    model_version: str | None = None
    config_updated: bool = False
    project_created: bool = False
    overlap: int | None = None
    skipped: list[str] = field(default_factory=list)
    # articles with more than one task in Label Studio: content_hash, task, duplicates
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
    trimmed: int = 0
    adopted: int = 0
    unknown_tasks: int = 0
    # Label Studio task id -> annotations on it that match no article (not stored)
    unknown_annotations: dict[int, int] = field(default_factory=dict)
    cursor: str | None = None
    review_of: str | None = None
    adjudicated: int | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


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
        row = queries.find_project(s, name)
        if row is not None and not _same_server(row.ls_url, client.url):
            raise SyncError(
                f"project {name!r} is linked to {safe_url(row.ls_url)}, not {client.url}; "
                "use another --project name for this server"
            )
        remote: dict[str, Any] | None
        if row is not None:
            remote = client.get_project(row.ls_project_id, missing_ok=True)
            if remote is None:
                raise SyncError(
                    f"project {name!r} (Label Studio id {row.ls_project_id}) no longer exists "
                    f"at {client.url}; use another --project name"
                )
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
            row = queries.add_project(
                s, name, client.url, int(remote["id"]), remote.get("model_version") or None
            )
        row.label_config_hash = wanted
        s.flush()
        s.expunge(row)
    return row, created, updated


def _same_server(stored: str, url: str) -> bool:
    """Whether a project's stored URL is this client's (stores kept passwords before they
    were masked: compare masked)."""
    return safe_url(stored).rstrip("/") == url.rstrip("/")


def load_project(engine: Engine, name: str | None, client: StudioClient) -> Project:
    """The store's project (the only one when `name` is None), checked to be on this server."""
    with session_scope(engine) as s:
        row = queries.resolve_project(s, name)
        if not _same_server(row.ls_url, client.url):
            raise SyncError(
                f"project {row.name!r} is linked to {safe_url(row.ls_url)}, not {client.url}"
            )
        s.expunge(row)
        return row


def push_target(engine: Engine, name: str | None) -> str:
    """The project a push goes to: the named one, else the only one, else the default."""
    if name is not None:
        return name
    with session_scope(engine) as s:
        return queries.only_project_name(s) or DEFAULT_PROJECT


# -- importing tasks -----------------------------------------------------------------------


# (article row id, model versions, task payload) per article to import
Payload = list[tuple[int, list[str], dict[str, Any]]]
Build = Callable[[list[int]], Payload]


class TaskImporter:
    """Imports batches of tasks into one project without ever duplicating one.

    Before each batch, Label Studio's task count is compared with the store's; when they
    differ, the project's tasks are reconciled by content hash first. Then only articles
    still without a task are imported, and their task ids recorded right after.
    """

    def __init__(self, engine: Engine, client: StudioClient, project: Project) -> None:
        self.engine = engine
        self.client = client
        self.project = project
        self.expected: int | None = None  # Label Studio's task count when the store is in step
        self.reconciled = 0
        self.duplicates: list[dict[str, Any]] = []

    def reconcile(self) -> None:
        """Record Label Studio's tasks the store does not know, and note duplicate tasks
        (more tasks than the store's: the check is one request when all is in step)."""
        remote_count = int(self.client.get_project(self.project.ls_project_id)["task_number"] or 0)
        if self.expected is not None and remote_count == self.expected:
            return
        with session_scope(self.engine) as s:
            local = queries.task_count(s, self.project.id)
        if remote_count != local:
            remote = self.client.task_hashes(self.project.ls_project_id)
            with session_scope(self.engine) as s:
                self.reconciled += queries.adopt_tasks(s, self.project.id, remote)
                s.flush()
                self.duplicates = queries.duplicate_tasks(s, self.project.id, remote)
        self.expected = remote_count

    def import_batches(
        self,
        batches: Iterable[list[int]],
        build: Build,
        on_advance: Callable[[int], None] | None = None,
    ) -> int:
        """Import a task for each article of each batch that has none; returns how many.

        `build(todo)` returns (article row id, model versions, task payload) per article.
        Pipelined: the next batch is read from the store and converted while Label Studio
        imports the previous one (on another thread, whose wait on the socket frees the
        interpreter), which keeps both cores busy beside a local server. Each import is
        recorded, and the task count checked, before the next request is sent, so no task
        is duplicated, as with one batch at a time."""
        created = 0
        inflight: tuple[Future[list[int]], Payload, int] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ls-import") as pool:
            try:
                for article_ids in batches:
                    payload = self._payload(article_ids, build)
                    if inflight is not None:
                        current, inflight = inflight, None
                        created += self._finish(*current, on_advance)
                    before = self.reconciled
                    self.reconcile()
                    if self.reconciled != before and payload:  # another host pushed some
                        payload = self._still_todo(payload)
                    if not payload:
                        if on_advance:
                            on_advance(len(article_ids))
                        continue
                    tasks = [t for _, _, t in payload]
                    future = pool.submit(
                        self.client.import_tasks, self.project.ls_project_id, tasks
                    )
                    inflight = (future, payload, len(article_ids))
            finally:
                if inflight is not None:  # record what Label Studio created, even on error
                    current, inflight = inflight, None
                    created += self._finish(*current, on_advance)
        return created

    def _payload(self, article_ids: list[int], build: Build) -> Payload:
        done = self._with_task(article_ids)
        todo = [a for a in article_ids if a not in done]
        return build(todo) if todo else []

    def _still_todo(self, payload: Payload) -> Payload:
        done = self._with_task([a for a, _, _ in payload])
        return [p for p in payload if p[0] not in done]

    def _with_task(self, article_ids: list[int]) -> set[int]:
        with session_scope(self.engine) as s:
            return queries.task_article_ids(s, self.project.id, among=article_ids)

    def _finish(
        self,
        future: Future[list[int]],
        payload: Payload,
        batch: int,
        on_advance: Callable[[int], None] | None,
    ) -> int:
        ids = future.result()
        try:
            self._record(payload, ids)
        except IntegrityError:
            # Another host recorded these articles' tasks first (the store's unique
            # constraint is the net across hosts): the next run reconciles and reports.
            raise SyncError(
                f"another push to {self.project.name!r} recorded the same articles at the "
                "same time; run `annotate push` again to reconcile"
            ) from None
        self.expected = (self.expected or 0) + len(ids)
        if on_advance:
            on_advance(batch)
        return len(ids)

    def _record(self, payload: Payload, ids: list[int]) -> None:
        with session_scope(self.engine) as s:
            queries.add_tasks(
                s,
                self.project.id,
                (
                    (art, task_id, versions)
                    for (art, versions, _), task_id in zip(payload, ids, strict=True)
                ),
            )


# -- push --------------------------------------------------------------------------------


def _task(article: Any, prediction: Any, labelset: LabelSet) -> tuple[dict[str, Any], list[str]]:
    data = convert.task_data(
        sp.unit_text(article.title, article.text),
        article.article_id,
        article.content_hash,
        article.url,
    )
    pred = None
    if prediction is not None:
        record = {"entities": prediction.entities, "stances": prediction.stances}
        pred = (prediction.model_version, record)
    return convert.task_payload(data, pred, labelset)


def push(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    home: Path,
    name: str | None = None,
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
    name = push_target(engine, name)
    with project_lock(home, name):
        return _push(
            engine,
            client,
            labelset,
            name,
            batch_size=batch_size,
            limit=limit,
            update_config=update_config,
            update_predictions=update_predictions,
            overlap=overlap,
            on_total=on_total,
            on_advance=on_advance,
        )


def _push(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    name: str,
    *,
    batch_size: int,
    limit: int | None,
    update_config: bool,
    update_predictions: bool,
    overlap: int | None,
    on_total: Callable[[int], None] | None,
    on_advance: Progress | None,
) -> PushSummary:
    with session_scope(engine) as s:
        row = queries.find_project(s, name)
        if row is not None and queries.is_import(row):
            raise SyncError(
                f"{name!r} holds an imported corpus: it has no Label Studio project to push to"
            )
        if row is not None and row.review_of_id is not None:
            raise SyncError(
                f"{name!r} is a review project: `annotate review` fills it, not `annotate push`"
            )
    project, created, cfg_updated = ensure_project(engine, client, name, labelset, update_config)
    summary = PushSummary(
        project=name,
        ls_project_id=project.ls_project_id,
        url=client.url,
        project_created=created,
        config_updated=cfg_updated,
    )
    with session_scope(engine) as s:
        summary.already = queries.task_count(s, project.id)
        todo = queries.articles_without_task(s, project.id, limit)
    if on_total:
        on_total(len(todo))
    versions: list[tuple[datetime, str]] = []
    importer = TaskImporter(engine, client, project)
    importer.reconcile()  # also when there is nothing to import: duplicates get reported

    def build(todo: list[int]) -> Payload:
        with session_scope(engine) as s:
            articles = queries.articles_by_id(s, todo)
            preds = queries.latest_predictions(s, list(articles))
        payload: Payload = []
        for art_id in sorted(articles):
            pred = preds.get(art_id)
            task, skipped = _task(articles[art_id], pred, labelset)
            summary.skipped += skipped
            if pred is None:
                summary.without_prediction += 1
            else:
                versions.append((queries.aware(pred.created_at) or utcnow(), pred.model_version))
            payload.append((art_id, [pred.model_version] if pred else [], task))
        return payload

    batches = (list(ids) for ids in chunked(todo, max(1, batch_size)))
    summary.created += importer.import_batches(batches, build, on_advance)
    summary.reconciled = importer.reconciled
    summary.duplicates = importer.duplicates
    if overlap is not None:
        client.set_overlap(project.ls_project_id, overlap)
        with session_scope(engine) as s:
            queries.update_project(s, project.id, overlap=overlap)
    with session_scope(engine) as s:
        summary.overlap = queries.update_project(s, project.id).overlap
    if update_predictions:
        summary.predictions_added = _push_new_predictions(
            engine, client, labelset, project, batch_size, summary, versions
        )
    if versions:
        summary.model_version = max(versions)[1]
    set_model_version(engine, client, project, summary.model_version)
    return summary


def _push_new_predictions(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    project: Project,
    batch_size: int,
    summary: PushSummary,
    versions: list[tuple[datetime, str]],
) -> int:
    """Add each pushed task's latest prediction when its model version is not there yet,
    only to tasks no human has annotated, in the store or in Label Studio since the last
    pull: an annotated task keeps the pre-annotation its annotators saw."""
    added = 0
    remote = client.annotated_task_ids(project.ls_project_id)
    with session_scope(engine) as s:
        todo, summary.predictions_held = queries.tasks_needing_prediction(s, project.id, remote)
        s.expunge_all()
    for batch in chunked(todo, max(1, batch_size)):
        items = []
        for _, ls_id, pred, art, layout in batch:
            record = {"entities": pred.entities, "stances": pred.stances}
            # a task pushed before the title was labelable shows the body only
            record, dropped = shift_record(record, -sp.task_shift(layout, art.title))
            text = sp.task_text(layout, art.title, art.text)
            body, problems = convert.prediction_payload(pred.model_version, record, text, labelset)
            if dropped:
                problems.append(f"{dropped} item(s) in the title left out (task shows the body)")
            summary.skipped += [f"{art.article_id} ({pred.model_version}): {p}" for p in problems]
            items.append({"task": ls_id, **body})
            versions.append((queries.aware(pred.created_at) or utcnow(), pred.model_version))
        client.import_predictions(project.ls_project_id, items)
        with session_scope(engine) as s:
            queries.add_task_versions(
                s, [(task_id, pred.model_version) for task_id, _, pred, _, _ in batch]
            )
        added += len(batch)
    return added


def set_model_version(
    engine: Engine, client: StudioClient, project: Project, version: str | None
) -> None:
    """Make "Label All Tasks" show the pushed predictions (it hides other versions)."""
    if not version:
        return
    remote = client.get_project(project.ls_project_id)
    if remote.get("model_version") != version:
        client.update_project(project.ls_project_id, model_version=version)
    with session_scope(engine) as s:
        queries.update_project(s, project.id, model_version=version)


# -- pull --------------------------------------------------------------------------------


def _pulled(tasks: Iterable[dict[str, Any]], names: dict[int, str]) -> list[queries.PulledTask]:
    return [
        queries.PulledTask(
            ls_task_id=int(t["id"]),
            content_hash=(t.get("data") or {}).get("content_hash"),
            layout=convert.task_layout(t.get("data") or {}),
            annotations=[
                queries.PulledAnnotation(int(a["id"]), convert.annotation_values(a, names))
                for a in t.get("annotations") or []
            ],
        )
        for t in tasks
    ]


def _apply(
    engine: Engine,
    project: Project,
    tasks: list[queries.PulledTask],
    labelset: LabelSet,
    summary: PullSummary,
    attempts: int = 3,
) -> None:
    """Store a chunk of pulled tasks in one transaction. A concurrent pull on another host
    may insert the same rows first: then re-read and retry."""

    def to_records(result: Any, task: Any) -> convert.Converted:
        article = task.article
        text = sp.task_text(task.layout, article.title, article.text)
        return convert.unit_records(
            convert.results_to_records(result, text, labelset),
            sp.task_shift(task.layout, article.title),
        )

    for attempt in range(attempts):
        try:
            with session_scope(engine) as s:
                counts = queries.store_pulled(s, project.id, tasks, to_records)
            break
        except IntegrityError:
            if attempt == attempts - 1:
                raise SyncError(
                    f"another pull of {project.name!r} kept writing the same annotations; "
                    "run `annotate pull` again"
                ) from None
    summary.new += counts.new
    summary.updated += counts.updated
    summary.unchanged += counts.unchanged
    summary.deleted += counts.deleted
    summary.invalid += counts.invalid
    summary.trimmed += counts.trimmed
    summary.unknown_tasks += counts.unknown
    summary.adopted += counts.adopted
    summary.unknown_annotations.update(counts.unknown_annotations)
    summary.problems += counts.problems


# Task ids per export request of a full pull (see `StudioClient.export_chunks`): as many
# as one request may name. Each request costs the server a fixed part (the export file
# it writes, its converter), so 500 ids a request took 12.4 s where one export of 5,000
# tasks took 10.4 s (measured here); Django answers 400 to a query of more than 1,000
# fields, and `exportType` and `download_all_tasks` are two of them.
EXPORT_CHUNK = 990


def _export_all(
    engine: Engine,
    client: StudioClient,
    project: Project,
    on_total: Callable[[int], None] | None,
) -> Iterator[dict[str, Any]]:
    """Every task of the project, for a full pull: the tasks the store knows, in chunks
    exported while the chunk before is stored; then, when Label Studio counts more tasks
    than it sent (tasks imported there by hand), the others, found by listing the ids."""
    pid = project.ls_project_id
    with session_scope(engine) as s:
        known = queries.known_ls_task_ids(s, project.id)
    count = int(client.get_project(pid)["task_number"] or 0)
    if on_total:
        on_total(count)
    sent: set[int] = set()
    for chunk in client.export_chunks(pid, chunked(known, EXPORT_CHUNK)):
        sent.update(int(t["id"]) for t in chunk)
        yield from chunk
    if len(sent) < count:
        listed = {int(t["id"]) for t in client.iter_tasks(pid, fields="task_only")}
        for chunk in client.export_chunks(pid, chunked(sorted(listed - sent), EXPORT_CHUNK)):
            yield from chunk


def pull(
    engine: Engine,
    client: StudioClient,
    labelset: LabelSet,
    home: Path,
    name: str | None = None,
    *,
    full: bool = False,
    chunk_size: int = EXPORT_CHUNK,
    on_total: Callable[[int], None] | None = None,
    on_advance: Progress | None = None,
) -> PullSummary:
    """Pull annotations of tasks updated since the last pull (all of them with `full`)."""
    project = load_project(engine, name, client)
    with project_lock(home, project.name):
        cursor = queries.aware(project.pull_cursor)
        summary = PullSummary(project=project.name, ls_project_id=project.ls_project_id, full=full)
        tasks: Iterable[dict[str, Any]]
        server_now = client.server_time()
        if full or cursor is None:
            tasks = _export_all(engine, client, project, on_total)
        else:
            tasks = client.tasks_updated_since(project.ls_project_id, cursor)
        try:
            names = convert.user_names(client.users())
        except StudioError:  # a token that may not list users: annotators show as user:ID
            names = {}
        newest: datetime | None = None
        seen: set[int] = set()
        for chunk in chunked(tasks, chunk_size):
            for task in chunk:
                seen.add(int(task["id"]))
                updated = convert.parse_time(task.get("updated_at"))
                if updated and (newest is None or updated > newest):
                    newest = updated
            _apply(engine, project, _pulled(chunk, names), labelset, summary)
            if on_advance:
                on_advance(len(chunk))
        summary.tasks_read = len(seen)
        with session_scope(engine) as s:
            if full:
                summary.deleted += queries.mark_vanished(s, project.id, seen)
            row = queries.update_project(s, project.id)
            current = queries.aware(row.pull_cursor)
            # Without a server clock, fall back to the newest task seen (minus the overlap).
            if server_now is not None:
                candidate = server_now - timedelta(seconds=1) - CURSOR_OVERLAP
            elif newest is not None:
                candidate = newest - CURSOR_OVERLAP
            else:
                candidate = None
            if candidate is not None and (current is None or candidate > current):
                row.pull_cursor = candidate
            final = queries.aware(row.pull_cursor)
            summary.cursor = final.isoformat() if final else None
            if row.review_of_id is not None:
                summary.review_of, summary.adjudicated = queries.adjudicated_count(s, row)
    return summary
