"""`annotate report`: one self-contained HTML page showing how a project's dataset is doing.

Plots (inline SVG from `annotate.plots`) and the figures behind them, read from the store
in one pass over the tasks and computed by the code that owns each figure:

- progress over time: each annotator's latest submitted annotation per task, dated by its
  creation (UTC day), the same annotations `annotate status` counts;
- label distribution per split: the gold annotations as `annotate export` makes them with
  its defaults (policy `latest`, the default split ratios and seed), through the export's
  own adjudication, split and stance rules;
- agreement per label: `agreement.AgreementStats`, as on the dataset card, and per pair of
  annotators from `progress.compute`;
- acceptance of pre-annotations per annotator: `progress.compute`;
- the rule ledger: `ledger.project_ledger`, per rule family (`source`) and model version;
- the learning curve: the models `annotate train` recorded (`queries.training_runs`), with
  the cross-validated F1 their manifests hold.

Sections that need data other stages record (the rule ledger, the learning curve) are
listed in `OPTIONAL_SECTIONS`; each shows when its loader finds data and is otherwise
replaced by a note saying what would produce it. Nothing is invented to fill a plot.
The page loads nothing: inline CSS, no script, and a Content-Security-Policy that forbids
any fetch, so it opens offline and from an e-mail attachment alike.
"""

from __future__ import annotations

import html
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from annotate import plots
from annotate import spans as sp
from annotate.agreement import AgreementStats
from annotate.export.adjudicate import Policy, adjudicate
from annotate.export.hf import stance_problem, stance_row_id
from annotate.export.splits import DEFAULT_SPLITS, assign_split, parse_splits
from annotate.judgement import ArticleText
from annotate.ledger import OUTCOMES as LEDGER_OUTCOMES
from annotate.ledger import project_ledger
from annotate.progress import Progress, RecordBuilder, TaskRecord, compute, project_facts
from annotate.schemas import LabelSet, load_labelset
from annotate.store import queries
from annotate.store.session import session_scope

SEED = 0  # the export's default seed
POLICY = Policy("latest")  # the export's default policy


@dataclass
class Section:
    """One part of the page: a plot (or None, then `note` says why) and its caption."""

    key: str
    title: str
    svg: str | None = None
    note: str = ""
    marks: int = 0  # data marks drawn: 0 when the section has no plot
    figures: list[dict[str, Any]] = field(default_factory=list)  # what the plot draws
    table: list[list[str]] = field(default_factory=list)  # header row, then one per item

    def to_dict(self) -> dict[str, Any]:
        out = {"key": self.key, "title": self.title, "note": self.note, "marks": self.marks}
        return out | ({"figures": self.figures} if self.figures else {})


@dataclass
class ReportSummary:
    """The figures the page shows (also what `--json` prints and tests check)."""

    out_path: Path
    project: str
    tasks: int = 0
    articles_annotated: int = 0  # tasks with at least one submitted human annotation
    annotators: list[str] = field(default_factory=list)
    per_day: dict[str, dict[str, int]] = field(default_factory=dict)  # who -> ISO day -> n
    undated: int = 0  # submitted annotations without a creation or update time
    splits: list[str] = field(default_factory=list)
    gold_articles: dict[str, int] = field(default_factory=dict)  # split -> articles
    entity_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    stance_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    agreement: dict[str, Any] = field(default_factory=dict)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    acceptance: dict[str, dict[str, float | None]] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out_path": str(self.out_path),
            "project": self.project,
            "tasks": self.tasks,
            "articles_annotated": self.articles_annotated,
            "annotators": self.annotators,
            "per_day": self.per_day,
            "undated": self.undated,
            "splits": self.splits,
            "gold_articles": self.gold_articles,
            "entity_counts": self.entity_counts,
            "stance_counts": self.stance_counts,
            "agreement": self.agreement,
            "pairs": self.pairs,
            "acceptance": self.acceptance,
            "sections": [s.to_dict() for s in self.sections],
        }


# Sections fed by other stages' records: (key, title, loader, what produces the data).
# A loader returns the section when the store holds its data, else None.
Loader = Callable[[Engine, str], Section | None]


def _ledger(engine: Engine, project: str) -> Section | None:
    """`annotate ledger`'s figures: each rule family's predictions by what humans did."""
    figures = project_ledger(engine, project)
    if not figures.attributed():
        return None
    rows = figures.by_source()
    versions = {r.model_version for r in rows}
    names = [
        f"{r.source} ({'entities' if r.kind == 'entity' else 'stances'}"
        + (f", {r.model_version})" if len(versions) > 1 else ")")
        for r in rows
    ]
    svg = plots.outcomes(
        "ledger",
        names,
        {o: [getattr(r, o) for r in rows] for o in LEDGER_OUTCOMES},
        "predictions shown to annotators",
    )
    marks = plots.count_marks(svg, "ledger")
    note = (
        f"{figures.comparisons} annotations of {figures.tasks} tasks against the prediction "
        "each annotator was shown (`annotate ledger` per label): "
        + "; ".join(
            f"{name} precision {_fmt(r.precision)}, recall {_fmt(r.recall)}"
            for name, r in zip(names, rows, strict=True)
        )
        + "."
    )
    return Section("ledger", "Rules against the humans", svg if marks else None, note, marks)


def _learning(engine: Engine, _project: str) -> Section | None:
    """Every model `annotate train` recorded in the store, its cross-validated entity F1 by
    the number of articles it was trained on, the rules' F1 on the same articles beside it.

    All the store's models, whichever projects and imports they learned from (the note
    names them): a model trained on imports alone still pre-annotates this project."""
    with session_scope(engine) as s:
        figures = [
            {
                "model_version": r.model_version,
                "trained_on": [*r.sources.get("projects", []), *r.sources.get("imports", [])],
                "articles": r.articles,
                "tokens": r.tokens,
                "folds": r.folds,
                "entity_f1": r.entity_f1,
                "rules_entity_f1": r.rules_entity_f1,
                "stance_f1": r.stance_f1,
                "rules_stance_f1": r.rules_stance_f1,
                "training_seconds": r.training_seconds,
                "runs": r.runs,
            }
            for r in queries.training_runs(s)
        ]
    if not figures:
        return None
    scored = [f for f in figures if f["entity_f1"] is not None]
    svg = (
        plots.learning_curve(
            "learning",
            [(f["articles"], f["entity_f1"], _short(f["model_version"])) for f in scored],
            [
                (f["articles"], f["rules_entity_f1"])
                for f in scored
                if f["rules_entity_f1"] is not None
            ],
            "training articles",
            "entity F1 (micro, cross-validated)",
            "rules on the same articles",
        )
        if scored
        else None
    )
    marks = plots.count_marks(svg, "learning") if svg else 0
    unscored = len(figures) - len(scored)
    note = (
        f"{len(figures)} model(s) recorded by `annotate train`, one per model version "
        "(training again on the same data updates its record). Entity F1 is cross-validated "
        "by article, the rules scored on the same articles; each point is labeled with the "
        "start of its version's hash."
        + (
            f" {unscored} trained with --folds 0 (no cross-validation) not drawn."
            if unscored
            else ""
        )
    )
    table = [
        ["point", "model version", "trained on", "articles", "tokens", "entity F1", "rules"]
        + ["stance F1", "rules", "training s", "times trained"]
    ] + [
        [
            _short(f["model_version"]) if f["entity_f1"] is not None else "not drawn",
            f["model_version"],
            ", ".join(f["trained_on"]) or "-",
            str(f["articles"]),
            str(f["tokens"]),
            _fmt(f["entity_f1"]),
            _fmt(f["rules_entity_f1"]),
            _fmt(f["stance_f1"]),
            _fmt(f["rules_stance_f1"]),
            f"{f['training_seconds']:g}",
            str(f["runs"]),
        ]
        for f in figures
    ]
    return Section(
        "learning",
        "Learning curve of trained models",
        svg if marks else None,
        note,
        marks,
        figures,
        table,
    )


def _short(version: str) -> str:
    """The point's label: the version's hash, which the note gives in full."""
    return version.rsplit("-", 1)[-1][:7]


OPTIONAL_SECTIONS: list[tuple[str, str, Loader, str]] = [
    (
        "ledger",
        "Rules against the humans",
        _ledger,
        "how many of each rule's predictions humans kept, relabeled, moved or deleted; "
        "it appears once an annotated task shows a prediction that names its rules "
        "(pre-annotate again: older predictions have no `source`)",
    ),
    (
        "learning",
        "Learning curve of trained models",
        _learning,
        "the cross-validated F1 of each trained model by the number of articles it "
        "learned from; it appears once `annotate train` has recorded a model in the store",
    ),
]


class _Tally:
    """The gold counts and agreement, article by article, as the export makes them."""

    def __init__(self, labels: LabelSet, ratios: dict[str, float]) -> None:
        self.labels, self.ratios = labels, ratios
        self.entities: Counter[tuple[str, str]] = Counter()
        self.stances: Counter[tuple[str, str]] = Counter()
        self.articles: Counter[str] = Counter()
        self.agreement = AgreementStats(labels.entity_names, labels.stance_names)

    def add(self, item: queries.TaskItem) -> None:
        invalid = [j for j, _ in item.invalid]
        judgements = [j for j in item.judgements if j not in invalid]
        if not judgements:
            return
        doc = ArticleText(item.text, item.public_id)
        result = adjudicate(POLICY, judgements, doc.stance_key)
        if result.skipped:
            return
        self.agreement.add(judgements, doc.stance_key)
        split = assign_split(item.content_hash, SEED, self.ratios)
        self.articles[split] += 1
        for s in result.spans:
            if not sp.check_span(doc.text, s, self.labels.entity_names):
                self.entities[(s.label, split)] += 1
        rows = {}
        for t, _ in result.triples:
            evidence = doc.evidence(t)
            if stance_problem(doc, t, self.labels, evidence) is None:
                rows[stance_row_id(doc, t, evidence)] = t.label
        for label in rows.values():
            self.stances[(label, split)] += 1


def _table(counter: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (label, split), n in sorted(counter.items()):
        out.setdefault(label, {})[split] = n
    return out


def _day(created: datetime | None, updated: datetime | None) -> date | None:
    when = queries.aware(created or updated)
    return when.astimezone(UTC).date() if when else None


def build_report(
    engine: Engine, project: str | None, out_path: Path, labels: LabelSet | None = None
) -> ReportSummary:
    """Read the project from the store, draw its plots and write the page to `out_path`."""
    labels = labels or load_labelset()
    ratios = parse_splits(DEFAULT_SPLITS)
    with session_scope(engine) as s:
        row, _facts = project_facts(s, project)
        name = row.name
        task_ids = queries.project_task_ids(s, row.id)
        last = queries.latest_annotation_states(s, row.id)
    builder = RecordBuilder(last)
    tally = _Tally(labels, ratios)
    records: list[TaskRecord] = []
    for items in queries.iter_task_items(
        lambda: session_scope(engine), task_ids, with_predictions=True
    ):
        for item in items:
            records.append(builder.record(item))
            tally.add(item)
    progress = compute(records)

    summary = ReportSummary(out_path=out_path, project=name, tasks=len(task_ids))
    summary.splits = [n for n, r in ratios.items() if r > 0]
    per_day: dict[str, Counter[date]] = defaultdict(Counter)
    first_day: dict[int, date] = {}
    annotated: set[int] = set()
    for (task_id, who), state in last.items():
        if state.cancelled:
            continue
        annotated.add(task_id)
        day = _day(state.created_at, state.updated_at)
        if day is None:
            summary.undated += 1
            continue
        per_day[who][day] += 1
        first_day[task_id] = min(day, first_day.get(task_id, day))
    summary.articles_annotated = len(annotated)
    summary.annotators = [a.annotator for a in progress.annotators]
    summary.per_day = {
        who: {d.isoformat(): n for d, n in sorted(days.items())}
        for who, days in sorted(per_day.items())
    }
    summary.gold_articles = {s: tally.articles[s] for s in summary.splits}
    summary.entity_counts = _table(tally.entities)
    summary.stance_counts = _table(tally.stances)
    summary.agreement = tally.agreement.report()
    summary.pairs = [
        {"a": p.a, "b": p.b, "span_f1": p.span_f1, "stance_kappa": p.stance_kappa}
        for p in progress.pairs
    ]
    summary.acceptance = {
        a.annotator: {"spans": a.span_acceptance, "stances": a.stance_acceptance}
        for a in progress.annotators
    }
    summary.sections = _sections(summary, labels, per_day, first_day, progress)
    for key, title, loader, produced_by in OPTIONAL_SECTIONS:
        section = loader(engine, name)
        summary.sections.append(section or Section(key, title, note=f"Not shown: {produced_by}."))
    _write(out_path, render_html(summary))
    return summary


def _days(per_day: dict[str, Counter[date]]) -> list[date]:
    """Every day from the first to the last annotation, so quiet days show as gaps."""
    seen = [d for days in per_day.values() for d in days]
    if not seen:
        return []
    first, last = min(seen), max(seen)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _sections(
    summary: ReportSummary,
    labels: LabelSet,
    per_day: dict[str, Counter[date]],
    first_day: dict[int, date],
    progress: Progress,
) -> list[Section]:
    out: list[Section] = []

    def add(key: str, title: str, svg: str | None, note: str) -> None:
        marks = plots.count_marks(svg, key) if svg else 0
        out.append(Section(key, title, svg if marks else None, note, marks))

    days = _days(per_day)
    if days:
        counts = {who: [per_day[who][d] for d in days] for who in sorted(per_day)}
        add(
            "per-day",
            "Articles annotated per day, per annotator",
            plots.per_day("per-day", days, counts),
            "Each annotator's latest submitted annotation of each article, by the UTC day "
            "it was created.",
        )
        new = Counter(first_day.values())
        totals, running = [], 0
        for d in days:
            running += new[d]
            totals.append(running)
        add(
            "cumulative",
            "Articles with a human annotation, over time",
            plots.cumulative("cumulative", days, totals, "articles"),
            f"{summary.articles_annotated} of {summary.tasks} tasks have a submitted annotation.",
        )
    else:
        add("per-day", "Articles annotated per day", None, "No annotation pulled yet.")

    gold = sum(summary.gold_articles.values())
    add(
        "labels",
        "Label distribution per split",
        plots.label_distribution(
            "labels",
            summary.splits,
            labels.entity_names,
            summary.entity_counts,
            labels.stance_names,
            summary.stance_counts,
        )
        if gold
        else None,
        f"The {gold} gold articles as `annotate export` makes them with its defaults "
        f"(policy latest, splits {DEFAULT_SPLITS}, seed {SEED}): "
        + ", ".join(f"{s} {n}" for s, n in summary.gold_articles.items())
        + "."
        if gold
        else "No article has a human annotation yet.",
    )

    agreement = summary.agreement
    both = agreement.get("articles_with_2plus_annotators", 0)
    f1 = agreement.get("entities_span_f1", {})
    alpha = agreement.get("stance_krippendorff_alpha", {})
    kappa = agreement.get("stance_cohen_kappa_mean_pairwise")
    if both:
        add(
            "agreement-entities",
            "Entity agreement per label (exact span F1)",
            plots.bars(
                "agreement-entities",
                list(f1),
                {"span F1": list(f1.values())},
                "F1",
                ylim=(0, 1.1),
                values_shown=True,
            ),
            f"Over the {both} articles with two or more annotators; n/a: nobody marked "
            "that label there.",
        )
        low = min([0.0, *(v for v in alpha.values() if v is not None)])
        add(
            "agreement-stance",
            "Stance agreement per label (Krippendorff's alpha, one label against the rest)",
            plots.bars(
                "agreement-stance",
                list(alpha),
                {"alpha": list(alpha.values())},
                "alpha",
                ylim=(low - 0.05, 1.1),
                values_shown=True,
            ),
            f"{agreement.get('stance_units', 0)} stance units; mean pairwise Cohen's kappa "
            f"{_fmt(kappa)}. n/a: undefined (one value throughout).",
        )
    else:
        add(
            "agreement-entities",
            "Agreement per label",
            None,
            "No article has two or more annotators yet: agreement needs overlap "
            "(push with --overlap 2).",
        )
    if progress.pairs:
        names = [f"{p.a} / {p.b}" for p in progress.pairs]
        add(
            "agreement-pairs",
            "Agreement per pair of annotators",
            plots.bars(
                "agreement-pairs",
                names,
                {
                    "span F1": [p.span_f1 for p in progress.pairs],
                    "stance kappa": [p.stance_kappa for p in progress.pairs],
                },
                "agreement",
                ylim=(min([0.0, *(p.stance_kappa or 0 for p in progress.pairs)]) - 0.05, 1.1),
                values_shown=True,
            ),
            "On the tasks each pair shares, as `annotate status --project` shows.",
        )
    people = [a for a in progress.annotators if a.spans_predicted or a.stances_predicted]
    add(
        "acceptance",
        "Pre-annotations kept unchanged, per annotator",
        plots.bars(
            "acceptance",
            [a.annotator for a in people],
            {
                "spans kept": [a.span_acceptance for a in people],
                "stances kept": [a.stance_acceptance for a in people],
            },
            "share kept",
            ylim=(0, 1.1),
            values_shown=True,
        )
        if people
        else None,
        "Of the predicted spans (stances) on the tasks each annotator submitted, the share "
        "they kept with the same offsets and label: "
        + "; ".join(
            f"{a.annotator} {a.spans_kept}/{a.spans_predicted} spans, "
            f"{a.stances_kept}/{a.stances_predicted} stances"
            for a in people
        )
        + "."
        if people
        else "No annotated task had a pre-annotation.",
    )
    return out


def _fmt(x: Any) -> str:
    return "n/a" if x is None else f"{x:.2f}" if isinstance(x, float) else str(x)


CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d1d1f;
background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.8;font-size:13px}
main{max-width:1040px;margin:0 auto;padding:16px 24px 48px}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 20px}
.tile{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:10px 16px;
min-width:120px}
.tile b{display:block;font-size:24px}
.tile span{font-size:12px;color:#555}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:12px 20px;
margin:0 0 16px}
section h2{font-size:17px;margin:4px 0 8px}
section svg{max-width:100%;height:auto;display:block}
.note{color:#555;font-size:13px;margin:6px 0}
.absent{border-style:dashed;background:#fafbfc}
table.figures{border-collapse:collapse;font-size:12px;margin:8px 0;width:100%}
.figures th,.figures td{border:1px solid #dde1e6;padding:3px 6px;text-align:left}
.figures th{background:#f0f2f5;font-weight:600}
.figures td:nth-child(n+4){text-align:right;font-variant-numeric:tabular-nums}
"""


def render_html(summary: ReportSummary) -> str:
    """The page: key figures, then one section per plot (user strings escaped)."""
    e = html.escape
    agreement = summary.agreement
    tiles = [
        (summary.tasks, "tasks"),
        (summary.articles_annotated, "articles annotated"),
        (len(summary.annotators), "annotators"),
        (sum(summary.gold_articles.values()), "gold articles"),
        (_fmt(agreement.get("entities_span_f1", {}).get("all")), "entity span F1"),
        (_fmt(agreement.get("stance_cohen_kappa_mean_pairwise")), "stance kappa"),
    ]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>annotate report: {e(summary.project)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<header><h1>Project {e(summary.project)}</h1>",
        f"<p>annotate report, {datetime.now(UTC).strftime('%Y-%m-%d %H:%M')} UTC</p></header>",
        "<main>",
        '<div class="tiles">',
        *[f'<div class="tile"><b>{e(str(v))}</b><span>{e(t)}</span></div>' for v, t in tiles],
        "</div>",
    ]
    for section in summary.sections:
        css = "" if section.svg else ' class="absent"'
        parts.append(f'<section id="{e(section.key)}"{css}><h2>{e(section.title)}</h2>')
        if section.svg:
            parts.append(
                f'<figure class="plot" data-plot="{e(section.key)}">{section.svg}</figure>'
            )
        parts.append(f'<p class="note">{e(section.note)}</p>')
        if section.table:
            head, *rows = section.table
            parts.append('<table class="figures"><thead><tr>')
            parts += [f"<th>{e(h)}</th>" for h in head]
            parts.append("</tr></thead><tbody>")
            for row in rows:
                parts.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>")
            parts.append("</tbody></table>")
        parts.append("</section>")
    parts += ["</main></body></html>", ""]
    return "\n".join(parts)


def _write(path: Path, text: str) -> None:
    """Write next to the target, then rename: a failed run never leaves half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
