"""Per-annotator progress of one project, for `annotate status --project NAME`.

For each annotator, over their latest annotation of each task (as pulled into the store):

- `annotated` / `skipped`: tasks submitted / skipped (cancelled) in Label Studio;
- `median_lead_time`: seconds spent per submitted task, as Label Studio measured it;
- acceptance of pre-annotations: of the predicted spans (and stances) of the tasks they
  submitted, how many they kept unchanged: same offsets and label (stances: the same
  stance, as `annotate.judgement` defines it, with the same label);
- agreement with the others on the tasks they share: exact span F1 for entities, and Cohen's
  kappa for stance labels over the stances either marked ("not marked" being a value),
  stances matched as in the export (holder name, target, evidence sentence).

`compute` is pure (plain records in, figures out); `project_progress` reads the store.
"""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from annotate.agreement import NONE, cohen_kappa
from annotate.judgement import Judgement, StanceKey, latest_per_annotator, stance_key_for
from annotate.store import queries
from annotate.store.session import session_scope


@dataclass
class TaskRecord:
    """One task as progress sees it."""

    judgements: Sequence[Judgement]  # submitted (not skipped) annotations
    stance_key: StanceKey
    skipped_by: Sequence[str] = ()  # annotators whose latest annotation is a skip
    lead_times: dict[str, float] = field(default_factory=dict)  # latest submitted, per annotator
    prediction: Judgement | None = None  # the pre-annotation the annotators were shown


@dataclass
class AnnotatorProgress:
    annotator: str
    annotated: int = 0
    skipped: int = 0
    median_lead_time: float | None = None
    spans_predicted: int = 0
    spans_kept: int = 0
    span_acceptance: float | None = None
    stances_predicted: int = 0
    stances_kept: int = 0
    stance_acceptance: float | None = None
    shared_tasks: int = 0
    span_f1: float | None = None
    stance_units: int = 0
    stance_kappa: float | None = None


@dataclass
class PairAgreement:
    a: str
    b: str
    shared_tasks: int = 0
    span_f1: float | None = None
    stance_units: int = 0
    stance_kappa: float | None = None


@dataclass
class Progress:
    annotators: list[AnnotatorProgress]
    pairs: list[PairAgreement]

    def to_dict(self) -> dict[str, Any]:
        return {
            "annotators": [asdict(a) for a in self.annotators],
            "pairs": [asdict(p) for p in self.pairs],
        }


def _ratio(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def compute(tasks: Sequence[TaskRecord]) -> Progress:
    """Per-annotator figures and pairwise agreement over the given tasks."""
    people: dict[str, AnnotatorProgress] = {}
    leads: dict[str, list[float]] = defaultdict(list)
    # pair -> [tp, size, shared tasks, [(code a, code b)]]
    pair_spans: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    pair_codes: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)

    def person(who: str) -> AnnotatorProgress:
        return people.setdefault(who, AnnotatorProgress(who))

    for task in tasks:
        latest = latest_per_annotator(task.judgements)
        for who in task.skipped_by:
            if who not in latest:
                person(who).skipped += 1
        for who, j in latest.items():
            p = person(who)
            p.annotated += 1
            if who in task.lead_times:
                leads[who].append(task.lead_times[who])
            if task.prediction is not None:
                predicted = set(task.prediction.spans)
                p.spans_predicted += len(predicted)
                p.spans_kept += len(predicted & set(j.spans))
                key = task.stance_key
                pstances = {(key(t), t.label) for t in task.prediction.triples}
                p.stances_predicted += len(pstances)
                p.stances_kept += len(pstances & {(key(t), t.label) for t in j.triples})
        for a, b in itertools.combinations(sorted(latest), 2):
            sa, sb = set(latest[a].spans), set(latest[b].spans)
            acc = pair_spans[(a, b)]
            acc[0] += len(sa & sb)
            acc[1] += len(sa) + len(sb)
            acc[2] += 1
            codes: dict[Hashable, dict[str, str]] = defaultdict(dict)
            for who in (a, b):
                for t in latest[who].triples:
                    codes[task.stance_key(t)].setdefault(who, t.label)
            for key in sorted(codes, key=repr):
                pair_codes[(a, b)].append((codes[key].get(a, NONE), codes[key].get(b, NONE)))

    pairs = []
    for (a, b), (tp, size, shared) in sorted(pair_spans.items()):
        codes = pair_codes[(a, b)]
        kappa = cohen_kappa(codes)
        pairs.append(
            PairAgreement(
                a,
                b,
                shared,
                _ratio(2 * tp, size),
                len(codes),
                None if kappa is None else round(kappa, 4),
            )
        )
    for who, p in people.items():
        if leads[who]:
            p.median_lead_time = round(statistics.median(leads[who]), 3)
        p.span_acceptance = _ratio(p.spans_kept, p.spans_predicted)
        p.stance_acceptance = _ratio(p.stances_kept, p.stances_predicted)
        tp = size = 0
        mine: list[tuple[str, str]] = []
        for (a, b), (ptp, psize, shared) in pair_spans.items():
            if who not in (a, b):
                continue
            tp, size = tp + ptp, size + psize
            p.shared_tasks += shared
            codes = pair_codes[(a, b)]
            mine += codes if who == a else [(y, x) for x, y in codes]
        p.span_f1 = _ratio(2 * tp, size)
        p.stance_units = len(mine)
        kappa = cohen_kappa(mine)
        p.stance_kappa = None if kappa is None else round(kappa, 4)
    return Progress(sorted(people.values(), key=lambda p: p.annotator), pairs)


def project_facts(session: Any, name: str | None) -> tuple[Any, dict[str, Any]]:
    """(project row, the facts `status` shows) of the named project (or the only one)."""
    project = queries.resolve_project(session, name)
    review_of = session.get(type(project), project.review_of_id) if project.review_of_id else None
    facts: dict[str, Any] = {
        "project": project.name,
        "overlap": project.overlap,
        "review_of": review_of.name if review_of else None,
    }
    return project, facts


class RecordBuilder:
    """Turns the store's task items into `TaskRecord`s, given each annotator's latest state
    per task (`queries.latest_annotation_states`): a skip newer than a submission wins."""

    def __init__(self, last: dict[tuple[int, str], Any]) -> None:
        self.skipped: dict[int, list[str]] = defaultdict(list)
        self.lead: dict[int, dict[str, float]] = defaultdict(dict)
        for (task_id, who), r in last.items():
            if r.cancelled:
                self.skipped[task_id].append(who)
            elif r.lead_time is not None:
                self.lead[task_id][who] = float(r.lead_time)

    def record(self, item: queries.TaskItem) -> TaskRecord:
        shown = item.shown_prediction()
        skipped = self.skipped[item.task_id]
        judgements = [j for j in item.judgements if j.annotator not in skipped]
        return TaskRecord(
            judgements,
            stance_key_for(item.text),
            skipped,
            self.lead[item.task_id],
            shown[1] if shown else None,
        )


def project_progress(engine: Engine, name: str | None) -> tuple[dict[str, Any], Progress]:
    """(project facts, figures) for the named project (or the only one), from the store."""
    with session_scope(engine) as s:
        project, facts = project_facts(s, name)
        task_ids = queries.project_task_ids(s, project.id)
        facts["tasks"] = len(task_ids)
        builder = RecordBuilder(queries.latest_annotation_states(s, project.id))
    records: list[TaskRecord] = []
    for items in queries.iter_task_items(
        lambda: session_scope(engine), task_ids, with_predictions=True
    ):
        records += [builder.record(item) for item in items]
    return facts, compute(records)
