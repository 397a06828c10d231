"""What counts as a disagreement, the merged review pre-annotation, and the `adjudicated`
policy: pure functions, no server."""

from __future__ import annotations

import pytest

from annotate.export.adjudicate import PolicyError, adjudicate, parse_policy
from annotate.judgement import Judgement, Triple
from annotate.review import disputes, merge
from annotate.schemas import load_labelset
from annotate.spans import Span
from annotate.studio.convert import merge_to_results, results_to_records

TEXT = "Report: the United States backs a ceasefire in Gaza. France wants a truce."


def sp(needle: str, label: str) -> Span:
    start = TEXT.index(needle)
    return Span(start, start + len(needle), label)


US, GAZA, FR = sp("United States", "GPE"), sp("Gaza", "GPE"), sp("France", "GPE")
CF, TRUCE = sp("ceasefire", "x"), sp("truce", "x")


def st(holder: Span, label: str, target: Span = CF) -> Triple:
    return Triple(
        holder, TEXT[holder.start : holder.end], "ceasefire", label, (target.start, target.end)
    )


def key(t: Triple):
    return (TEXT[t.holder.start : t.holder.end], t.target)


def j(who: str, order: int, spans, triples=()) -> Judgement:
    return Judgement(who, (order,), tuple(spans), tuple(triples))


def test_agreement_is_never_disputed_and_any_difference_is():
    same = [j("a", 1, [US, GAZA], [st(US, "support")]), j("b", 2, [GAZA, US], [st(US, "support")])]
    label = [j("a", 1, [US, GAZA]), j("b", 2, [US, sp("Gaza", "LOC")])]
    missing = [j("a", 1, [US, GAZA]), j("b", 2, [US])]
    stance = [j("a", 1, [US], [st(US, "support")]), j("b", 2, [US], [st(US, "oppose")])]
    unmarked = [j("a", 1, [US], [st(US, "support")]), j("b", 2, [US])]
    assert not merge(same, key).disputed
    for case in (label, missing, stance, unmarked):
        assert merge(case, key).disputed
    found, agreed, too_few = disputes(
        [(n, case, key) for n, case in enumerate([same, label, [j("a", 1, [US])], stance])]
    )
    assert [ref for ref, _ in found] == [1, 3] and (agreed, too_few) == (1, 1)
    # an annotator's older annotation does not count, only their latest
    assert not merge([j("a", 1, [US]), j("a", 3, [GAZA]), j("b", 2, [GAZA])], key).disputed


def test_merged_results_show_every_option_with_its_annotators_and_convert_back():
    a = j("a@x", 1, [US, GAZA, FR], [st(US, "support"), st(FR, "support", TRUCE)])
    b = j("b@x", 2, [US, sp("Gaza", "LOC"), FR], [st(US, "oppose"), st(FR, "support", TRUCE)])
    m = merge([a, b], key)
    assert (m.entity_differences, m.stance_differences) == (2, 2)
    assert m.notes(TEXT)[0] == f"entity 'Gaza' [{GAZA.start}-{GAZA.end}] GPE: by a@x; not by b@x"
    results = merge_to_results(m, TEXT)
    regions = [r for r in results if r["type"] == "labels"]
    relations = [r for r in results if r["type"] == "relation"]
    gaza = sorted(
        (r["value"]["labels"][0], r["meta"]["text"][0], r["score"])
        for r in regions
        if r["value"]["text"] == "Gaza"
    )
    assert gaza == [("GPE", "by a@x; not by b@x", 0.5), ("LOC", "by b@x; not by a@x", 0.5)]
    assert all(
        "meta" not in r for r in regions if r["value"]["text"] in ("United States", "France")
    )
    assert sorted(r["labels"][0] for r in relations) == ["oppose", "support", "support"]
    # the disputed US stance has one target copy per option, so the two relations differ
    us_rel = [
        r
        for r in relations
        if r["from_id"] == next(x["id"] for x in regions if x["value"]["text"] == "United States")
    ]
    assert len({r["to_id"] for r in us_rel}) == 2
    ids = [r["id"] for r in regions]
    assert len(ids) == len(set(ids))
    # what the reviewer submits unchanged converts without problems (both options kept)
    conv = results_to_records(results, TEXT, load_labelset())
    assert conv.problems == []
    assert sorted(s["label"] for s in conv.stances) == ["oppose", "support", "support"]


def test_adjudicated_policy_uses_the_resolution_else_the_fallback():
    a = j("a", 1, [US, GAZA], [st(US, "support")])
    b = j("b", 2, [US], [st(US, "oppose")])
    resolution = j("reviewer", 3, [US, sp("Gaza", "LOC")], [st(US, "oppose")])
    policy = parse_policy("adjudicated", fallback="annotator:a")
    assert str(policy) == "adjudicated" and str(policy.fallback) == "annotator:a"
    got = adjudicate(policy, [a, b], key, resolution)
    assert got.spans == [US, sp("Gaza", "LOC")] and got.adjudicated_by == "reviewer"
    assert got.annotators == ["a", "b"] and got.agreement == pytest.approx(2 / 3)
    ((t, agreement),) = got.triples
    assert t.label == "oppose" and agreement == 0.5  # one of the two annotators said so
    fallback = adjudicate(policy, [a, b], key)
    assert fallback.spans == [US, GAZA] and fallback.adjudicated_by is None
    assert parse_policy("adjudicated").fallback == parse_policy("latest")
    with pytest.raises(PolicyError):
        parse_policy("adjudicated", fallback="adjudicated")
