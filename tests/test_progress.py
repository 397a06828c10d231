"""Per-annotator progress figures on hand-built records (no store, no Label Studio)."""

from __future__ import annotations

import pytest

from annotate.judgement import Judgement, Triple
from annotate.progress import TaskRecord, compute
from annotate.spans import Span

US, GAZA, FR = Span(0, 2, "GPE"), Span(10, 14, "GPE"), Span(20, 26, "GPE")


def triple(holder: Span, label: str, target: str = "ceasefire") -> Triple:
    return Triple(holder, "", target, label, target_span=(30, 39))


def key(t: Triple):
    return (t.holder.start, t.target)


def j(who: str, order: int, spans=(), triples=()) -> Judgement:
    return Judgement(who, (order,), tuple(spans), tuple(triples))


PRED = j("model", 0, [US, GAZA, FR], [triple(US, "support"), triple(FR, "support")])


def test_counts_lead_time_acceptance_and_agreement_by_hand():
    tasks = [
        # both keep the prediction
        TaskRecord(
            [j("a", 1, PRED.spans, PRED.triples), j("b", 2, PRED.spans, PRED.triples)],
            key,
            lead_times={"a": 10.0, "b": 20.0},
            prediction=PRED,
        ),
        # b relabels Gaza and makes France oppose
        TaskRecord(
            [
                j("a", 3, PRED.spans, PRED.triples),
                j(
                    "b",
                    4,
                    [US, Span(10, 14, "LOC"), FR],
                    [triple(US, "support"), triple(FR, "oppose")],
                ),
            ],
            key,
            lead_times={"a": 30.0, "b": 50.0},
            prediction=PRED,
        ),
        # a alone; b skipped
        TaskRecord(
            [j("a", 5, [US], [])], key, skipped_by=["b"], lead_times={"a": 90.0}, prediction=PRED
        ),
    ]
    progress = compute(tasks)
    a, b = progress.annotators
    assert (a.annotator, a.annotated, a.skipped, a.median_lead_time) == ("a", 3, 0, 30.0)
    assert (b.annotator, b.annotated, b.skipped, b.median_lead_time) == ("b", 2, 1, 35.0)
    # a kept 3 + 3 + 1 of 9 predicted spans, 2 + 2 + 0 of 6 stances
    assert (a.spans_kept, a.spans_predicted, a.span_acceptance) == (7, 9, round(7 / 9, 4))
    assert (a.stances_kept, a.stances_predicted) == (4, 6)
    assert (b.spans_kept, b.spans_predicted, b.stances_kept, b.stances_predicted) == (5, 6, 3, 4)
    # span F1 on the 2 shared tasks: tp 3 + 2 = 5 of 6 + 6 marked -> 10/12
    # stance pairs (a, b): (s,s) (s,s) (s,s) (s,o): p_o = 3/4, p_e = (4*3)/16 -> kappa 0
    (pair,) = progress.pairs
    assert (pair.a, pair.b, pair.shared_tasks, pair.stance_units) == ("a", "b", 2, 4)
    assert pair.span_f1 == round(10 / 12, 4)
    assert pair.stance_kappa == pytest.approx(0.0)
    assert a.span_f1 == b.span_f1 == pair.span_f1
    assert a.shared_tasks == b.shared_tasks == 2


def test_kappa_with_disagreement_both_ways():
    # units: (s,s) (o,o) (s,o) (-,s): p_o = 2/4; a: s2 o1 -1, b: s2 o2 -> p_e = (2*2 + 1*2)/16
    t = [
        TaskRecord(
            [
                j(
                    "a",
                    1,
                    [US, FR, GAZA],
                    [triple(US, "support"), triple(FR, "oppose"), triple(GAZA, "support")],
                ),
                j(
                    "b",
                    2,
                    [US, FR, GAZA],
                    [triple(US, "support"), triple(FR, "oppose"), triple(GAZA, "oppose")],
                ),
            ],
            key,
        ),
        TaskRecord([j("a", 3, [US]), j("b", 4, [US], [triple(US, "support")])], key),
    ]
    progress = compute(t)
    pe = (2 * 2 + 1 * 2) / 16
    assert progress.pairs[0].stance_kappa == pytest.approx(round((0.5 - pe) / (1 - pe), 4))
    assert progress.annotators[0].spans_predicted == 0
    assert progress.annotators[0].span_acceptance is None  # nothing predicted


def test_the_latest_annotation_per_annotator_counts_and_lone_annotators_have_no_agreement():
    progress = compute([TaskRecord([j("a", 1, [US]), j("a", 2, [US, FR])], key, prediction=PRED)])
    (a,) = progress.annotators
    assert a.annotated == 1 and a.spans_kept == 2
    assert progress.pairs == [] and a.span_f1 is None and a.stance_kappa is None
    assert compute([]).annotators == []


def test_status_of_a_project_without_annotations_says_so(engine) -> None:
    from annotate.cli import app
    from annotate.store.models import Article, Project, Task
    from annotate.store.session import session_scope
    from tests.conftest import runner

    with session_scope(engine) as s:
        article = Article(content_hash="c" * 64, text="Oslo hosted the talks.")
        project = Project(name="fresh", ls_url="http://127.0.0.1:1", ls_project_id=1)
        s.add_all([article, project])
        s.flush()
        s.add(Task(project_id=project.id, article_id=article.id, ls_task_id=1))
    result = runner.invoke(
        app, ["--db", engine.url.render_as_string(False), "status", "--project", "fresh"]
    )
    assert result.exit_code == 0, result.output
    assert "project 'fresh': 1 tasks, no annotations pulled yet" in result.output
