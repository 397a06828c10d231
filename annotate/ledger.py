"""`annotate ledger`: every rule family (and the learned layer) against the humans.

So a maintainer sees which rules to fix or drop and whether the learned layer pays. For
each task, the prediction shown to the annotators (`TaskItem.shown_prediction`: the newest
model version pushed with it) is compared with each annotator's latest annotation
(`judgement.latest_per_annotator`; imported annotators `import:*` and annotators whose
latest act on the task is a skip are left out). Each predicted item counts under the
`source` it was predicted with (`rules:<family>` or `learned`, `unknown` for predictions
stored before sources were recorded), its predicted label and the model version:

- entities: `kept` (same offsets and label), `relabeled` (same offsets, other label),
  `moved` (overlaps a human span with other boundaries), `deleted` (overlaps none);
- stances: `kept` (same stance, `ArticleText.stance_key`, and label), `relabeled` (same
  stance, other label), `deleted` (no human triple of that stance).

Per (kind, model version, label), `added` counts the human items nothing predicted (a span
no predicted span overlaps, a stance no prediction has). `precision` is kept / predicted;
`recall` is kept / the humans' items of that label (per source: the share of the humans'
items this family found; in the totals, items found by any family).

`compute` is pure (comparisons in, figures out); `project_ledger` reads the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from annotate.judgement import ArticleText, Judgement, latest_per_annotator, record_judgement
from annotate.spans import Span
from annotate.store import queries
from annotate.store.session import session_scope

IMPORTED = "import:"
UNKNOWN = "unknown"  # a predicted item stored without a `source`
OUTCOMES = ("kept", "relabeled", "moved", "deleted")


@dataclass
class Comparison:
    """One annotator's latest annotation of one task against the prediction they saw."""

    model_version: str
    text: str  # the unit text, which the offsets index
    entities: Sequence[dict[str, Any]]  # the prediction's, in the public format
    stances: Sequence[dict[str, Any]]
    human: Judgement


@dataclass
class LedgerRow:
    """The figures of one (kind, model version, source, label); source `all` in totals."""

    kind: str  # "entity" or "stance"
    model_version: str
    source: str
    label: str
    predicted: int = 0
    kept: int = 0
    relabeled: int = 0
    moved: int = 0
    deleted: int = 0
    added: int = 0  # totals only: human items nothing predicted
    humans: int = 0  # the humans' items of this label (the recall's denominator)
    found: int = 0  # totals only: human items some prediction kept unchanged
    precision: float | None = None
    recall: float | None = None


@dataclass
class Ledger:
    project: str
    tasks: int = 0  # tasks with a shown prediction and at least one compared annotation
    comparisons: int = 0  # (task, annotator) pairs compared
    rows: list[LedgerRow] = field(default_factory=list)
    totals: list[LedgerRow] = field(default_factory=list)

    def attributed(self) -> bool:
        """Whether some compared prediction named its producer (a `source`)."""
        return any(r.source != UNKNOWN for r in self.rows)

    def by_source(self) -> list[LedgerRow]:
        """One row per (kind, model version, source), its labels summed; label `all`.

        Recall is kept / every human item of that kind and version."""
        humans: dict[tuple[str, str], int] = defaultdict(int)
        for t in self.totals:
            humans[(t.kind, t.model_version)] += t.humans
        out: dict[tuple[str, str, str], LedgerRow] = {}
        for r in self.rows:
            key = (r.kind, r.model_version, r.source)
            row = out.setdefault(key, LedgerRow(*key, "all"))
            for name in ("predicted", *OUTCOMES):
                setattr(row, name, getattr(row, name) + getattr(r, name))
        for row in out.values():
            row.humans = humans[(row.kind, row.model_version)]
            row.precision = _ratio(row.kept, row.predicted)
            row.recall = _ratio(row.kept, row.humans)
        return [out[k] for k in sorted(out)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "tasks": self.tasks,
            "comparisons": self.comparisons,
            "rows": [asdict(r) for r in self.rows],
            "totals": [asdict(r) for r in self.totals],
        }


def _ratio(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _source(item: dict[str, Any]) -> str:
    return str(item.get("source") or UNKNOWN)


class _Tally:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str, str], LedgerRow] = {}
        self.totals: dict[tuple[str, str, str], LedgerRow] = {}

    def row(self, kind: str, version: str, source: str, label: str) -> LedgerRow:
        key = (kind, version, source, label)
        if key not in self.rows:
            self.rows[key] = LedgerRow(kind, version, source, label)
        return self.rows[key]

    def total(self, kind: str, version: str, label: str) -> LedgerRow:
        key = (kind, version, label)
        if key not in self.totals:
            self.totals[key] = LedgerRow(kind, version, "all", label)
        return self.totals[key]

    def count(self, kind: str, version: str, source: str, label: str, outcome: str) -> None:
        for r in (self.row(kind, version, source, label), self.total(kind, version, label)):
            r.predicted += 1
            setattr(r, outcome, getattr(r, outcome) + 1)

    def entities(self, c: Comparison) -> None:
        predicted = [(Span(e["start"], e["end"], e["label"]), _source(e)) for e in c.entities]
        human = list(c.human.spans)
        exact = set(human)
        offsets = {(h.start, h.end) for h in human}
        for span, source in predicted:
            if span in exact:
                outcome = "kept"
            elif (span.start, span.end) in offsets:
                outcome = "relabeled"
            elif any(_overlaps(span, h) for h in human):
                outcome = "moved"
            else:
                outcome = "deleted"
            self.count("entity", c.model_version, source, span.label, outcome)
        shown = {span for span, _ in predicted}
        for h in human:
            total = self.total("entity", c.model_version, h.label)
            total.humans += 1
            total.found += h in shown
            if not any(_overlaps(h, span) for span in shown):
                total.added += 1

    def stances(self, c: Comparison) -> None:
        doc = ArticleText(c.text)
        triples = record_judgement("prediction", {"stances": list(c.stances)}).triples
        human: dict[Any, set[str]] = defaultdict(set)
        for t in c.human.triples:
            human[doc.stance_key(t)].add(t.label)
        shown: dict[Any, set[str]] = defaultdict(set)
        for t, raw in zip(triples, c.stances, strict=True):
            key = doc.stance_key(t)
            shown[key].add(t.label)
            labels = human.get(key)
            outcome = "deleted" if not labels else "kept" if t.label in labels else "relabeled"
            self.count("stance", c.model_version, _source(raw), t.label, outcome)
        for t in c.human.triples:
            key = doc.stance_key(t)
            total = self.total("stance", c.model_version, t.label)
            total.humans += 1
            total.found += t.label in shown.get(key, set())
            if key not in shown:
                total.added += 1


def compute(project: str, comparisons: Iterable[Comparison]) -> Ledger:
    """The ledger of the given comparisons (pure: the tests call it on hand-made ones)."""
    tally = _Tally()
    ledger = Ledger(project)
    for c in comparisons:
        ledger.comparisons += 1
        tally.entities(c)
        tally.stances(c)
    for r in tally.rows.values():
        humans = tally.total(r.kind, r.model_version, r.label).humans
        r.humans = humans
        r.precision, r.recall = _ratio(r.kept, r.predicted), _ratio(r.kept, humans)
    for r in tally.totals.values():
        r.precision, r.recall = _ratio(r.kept, r.predicted), _ratio(r.found, r.humans)
    ledger.rows = sorted(
        tally.rows.values(), key=lambda r: (r.kind, r.model_version, r.source, r.label)
    )
    ledger.totals = sorted(tally.totals.values(), key=lambda r: (r.kind, r.model_version, r.label))
    return ledger


def comparisons_of(item: queries.TaskItem, skipped: Iterable[str] = ()) -> list[Comparison]:
    """One task's comparisons: its shown prediction against each human's latest annotation."""
    shown = item.shown_prediction()
    if shown is None:
        return []
    version = shown[0]
    _created, entities, stances = item.predictions[version]
    left_out = set(skipped)
    latest = latest_per_annotator(
        j
        for j in item.judgements
        if not j.annotator.startswith(IMPORTED) and j.annotator not in left_out
    )
    return [
        Comparison(version, item.text, entities or [], stances or [], latest[who])
        for who in sorted(latest)
    ]


def project_ledger(engine: Engine, name: str | None) -> Ledger:
    """The ledger of the named project (or the store's only one), from the store."""
    with session_scope(engine) as s:
        project = queries.resolve_project(s, name)
        project_name = project.name
        task_ids = queries.project_task_ids(s, project.id)
        last = queries.latest_annotation_states(s, project.id)
    skipped: dict[int, list[str]] = defaultdict(list)
    for (task_id, who), state in last.items():
        if state.cancelled:
            skipped[task_id].append(who)
    comparisons: list[Comparison] = []
    tasks = 0
    for items in queries.iter_task_items(
        lambda: session_scope(engine), task_ids, with_predictions=True
    ):
        for item in items:
            found = comparisons_of(item, skipped[item.task_id])
            tasks += bool(found)
            comparisons += found
    ledger = compute(project_name, comparisons)
    ledger.tasks = tasks
    return ledger
