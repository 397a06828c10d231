"""Adjudication policies with annotators disagreeing, and the agreement statistics."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotate.agreement import AgreementStats, cohen_kappa, krippendorff_alpha, span_f1
from annotate.export.adjudicate import PolicyError, adjudicate, parse_policy
from annotate.export.splits import SplitSpecError, assign_split, parse_splits
from annotate.judgement import Judgement, Triple
from annotate.spans import Span

BLINKEN = Span(0, 7, "PERSON")
FRANCE_GPE = Span(20, 26, "GPE")
FRANCE_ORG = Span(20, 26, "ORG")


def triple(label: str, holder: Span = FRANCE_GPE) -> Triple:
    return Triple(holder, "France", "ceasefire", label, target_span=(33, 42))


def key(t: Triple) -> tuple:
    return ("france", t.target, 0)


def judgement(who: str, hour: int, france: Span, stance: str, gt: bool = False) -> Judgement:
    return Judgement(who, (hour, hour), (BLINKEN, france), (triple(stance),), ground_truth=gt)


# ann1 (older, marked ground truth) and ann2 (newer) disagree on France's type and stance.
ANN1 = judgement("ann1@x", 1, FRANCE_GPE, "support", gt=True)
ANN2 = judgement("ann2@x", 2, FRANCE_ORG, "oppose")


@pytest.mark.parametrize(
    ("policy", "france", "stance"),
    [
        ("latest", FRANCE_ORG, "oppose"),
        ("ground-truth", FRANCE_GPE, "support"),
        ("annotator:ann1@x", FRANCE_GPE, "support"),
        ("annotator:ANN2@x", FRANCE_ORG, "oppose"),
        ("majority", FRANCE_ORG, "oppose"),  # a 1-1 tie goes to the newest annotator
    ],
)
def test_two_annotators_disagreeing_under_each_policy(
    policy: str, france: Span, stance: str
) -> None:
    result = adjudicate(parse_policy(policy), [ANN2, ANN1], key)
    assert result.skipped is None
    assert result.spans == [BLINKEN, france]
    assert [(t.label, agreement) for t, agreement in result.triples] == [(stance, 0.5)]
    assert result.annotators == ["ann1@x", "ann2@x"]
    assert result.agreement == pytest.approx(0.5)  # 1 of 2 spans shared
    if policy == "majority":
        assert sorted((t.kind, t.chosen) for t in result.ties) == [
            ("entity", "ORG"),
            ("stance", "oppose"),
        ]
        assert dict(result.ties[0].votes) == {"GPE": 1, "ORG": 1}
    else:
        assert result.ties == []


def test_majority_outvotes_the_newest_annotator() -> None:
    ann3 = judgement("ann3@x", 3, FRANCE_ORG, "oppose")
    ann2 = judgement("ann2@x", 2, FRANCE_GPE, "support")
    result = adjudicate(parse_policy("majority"), [ANN1, ann2, ann3], key)
    assert result.spans == [BLINKEN, FRANCE_GPE]
    assert [(t.label, round(a, 3)) for t, a in result.triples] == [("support", 0.667)]
    assert result.ties == []
    assert adjudicate(parse_policy("latest"), [ANN1, ann2, ann3], key).spans == [
        BLINKEN,
        FRANCE_ORG,
    ]


def test_majority_drops_a_span_only_one_of_three_marked() -> None:
    extra = Span(50, 55, "GPE")
    a = Judgement("a", (1,), (BLINKEN, extra))
    b = Judgement("b", (2,), (BLINKEN,))
    c = Judgement("c", (3,), (BLINKEN,))
    assert adjudicate(parse_policy("majority"), [a, b, c], key).spans == [BLINKEN]


def test_policies_that_find_no_annotation_say_why() -> None:
    plain = judgement("ann2@x", 2, FRANCE_ORG, "oppose")
    assert adjudicate(parse_policy("ground-truth"), [plain], key).skipped == (
        "no annotation marked ground truth"
    )
    assert (
        "not annotated by nobody@x"
        in adjudicate(parse_policy("annotator:nobody@x"), [plain], key).skipped
    )
    assert adjudicate(parse_policy("latest"), [], key).skipped == "no human annotation"


def test_an_annotators_newest_annotation_replaces_their_older_one() -> None:
    old = judgement("ann1@x", 1, FRANCE_GPE, "support")
    new = judgement("ann1@x", 5, FRANCE_ORG, "oppose")
    result = adjudicate(parse_policy("majority"), [new, old], key)
    assert result.annotators == ["ann1@x"]
    assert result.spans == [BLINKEN, FRANCE_ORG]
    assert result.agreement is None
    assert result.triples[0][1] is None  # no agreement with a single annotator


@pytest.mark.parametrize("bad", ["newest", "annotator:", "annotator", ""])
def test_bad_policies(bad: str) -> None:
    with pytest.raises(PolicyError):
        parse_policy(bad)


def test_span_f1() -> None:
    assert span_f1(set(), set()) == 1.0
    assert span_f1({BLINKEN}, set()) == 0.0
    assert span_f1({BLINKEN, FRANCE_GPE}, {BLINKEN, FRANCE_ORG}) == 0.5


def test_krippendorff_alpha_known_values() -> None:
    # Two coders, nominal: perfect agreement -> 1; systematic disagreement -> below 0.
    assert krippendorff_alpha([["a", "a"], ["b", "b"], ["a", "a"]]) == pytest.approx(1.0)
    assert krippendorff_alpha([["a", "b"], ["b", "a"]]) < 0
    assert krippendorff_alpha([["a", "a"], ["a", "a"]]) is None  # one category: undefined
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal: 0.743.
    units = [
        ["1", "1", "1"], ["2", "2", "3", "2"], ["3", "3", "3", "3"], ["3", "3", "3", "3"],
        ["2", "2", "2", "2"], ["1", "2", "3", "4"], ["4", "4", "4", "4"], ["1", "1", "2", "1"],
        ["2", "2", "2", "2"], ["5", "5", "5"], ["1", "1"], ["3"],
    ]  # fmt: skip
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_cohen_kappa() -> None:
    assert cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    # 50 units: 20 both yes, 15 both no, 5 yes/no, 10 no/yes -> po=0.7, pe=0.5 -> 0.4
    pairs = [("y", "y")] * 20 + [("n", "n")] * 15 + [("y", "n")] * 5 + [("n", "y")] * 10
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([]) is None


def _alpha_unit_by_unit(units: list[list[str]]) -> float | None:
    """Krippendorff's alpha as the textbook adds it up: each pair of each unit in turn."""
    o: Counter[tuple[str, str]] = Counter()
    for values in units:
        m = len(values)
        for i, j in itertools.permutations(range(m), 2):
            o[(values[i], values[j])] += 1 / (m - 1)
    n_c: Counter[str] = Counter()
    for (c, _k), w in o.items():
        n_c[c] += w
    n = sum(n_c.values())
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if n <= 1 or expected == 0:
        return None
    return 1 - (n - 1) * sum(w for (c, k), w in o.items() if c != k) / expected


def _kappa_pair_by_pair(pairs: list[tuple[str, str]]) -> float | None:
    n = len(pairs)
    observed = sum(1 for a, b in pairs if a == b) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(ca[c] * cb[c] for c in ca) / (n * n)
    return None if expected >= 1 else (observed - expected) / (1 - expected)


CODES = st.sampled_from(["support", "oppose", "neutral", "-"])


@given(st.lists(st.lists(CODES, min_size=2, max_size=5), max_size=60))
def test_agreement_counted_by_distinct_units_is_the_unit_by_unit_figure(
    units: list[list[str]],
) -> None:
    """Alpha and kappa add up each distinct unit once, with its count: the same figure as
    unit by unit, to the bit with two or three coders (sums of exact halves), and to
    the last digits of a float with more (one rounding of k / (m - 1) per pair)."""
    expected = _alpha_unit_by_unit(units)
    if expected is None or all(len(u) <= 3 for u in units):
        assert krippendorff_alpha(units) == expected
    else:
        assert krippendorff_alpha(units) == pytest.approx(expected, rel=1e-12)
    pairs = [(u[0], u[1]) for u in units]
    assert cohen_kappa(pairs) == (_kappa_pair_by_pair(pairs) if pairs else None)


@given(st.lists(st.tuples(CODES, CODES, st.booleans()), min_size=1, max_size=40))
def test_agreement_stats_report_stance_units_by_their_counts(
    coded: list[tuple[str, str, bool]],
) -> None:
    """Units coded by two (or three) annotators, kept as counts of distinct units, give
    the report's alpha per label and kappa of the units listed one by one; a merged
    second half gives the same report as one pass."""
    names = ["support", "oppose", "neutral"]
    units = [{"a": x, "b": y, **({"c": x} if third else {})} for x, y, third in coded]
    one, first, second = (AgreementStats([], names) for _ in range(3))
    for k, unit in enumerate(units):
        key = tuple(unit.items())
        one._stance_units[key] += 1
        (first if k < len(units) // 2 else second)._stance_units[key] += 1
    first.merge(second)
    report = one.report()
    assert first.report() == report
    assert report["stance_units"] == len(units)
    values = [list(u.values()) for u in units]
    expected = {
        label: _alpha_unit_by_unit([[v if v == label else "-" for v in u] for u in values])
        for label in names
    }
    expected["all"] = _alpha_unit_by_unit(values)
    assert report["stance_krippendorff_alpha"] == {
        k: None if v is None else round(v, 4) for k, v in expected.items()
    }
    by_pair: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for unit in units:
        for a, b in itertools.combinations(sorted(unit), 2):
            by_pair.setdefault((a, b), []).append((unit[a], unit[b]))
    kappas = [k for k in map(_kappa_pair_by_pair, by_pair.values()) if k is not None]
    mean = round(sum(kappas) / len(kappas), 4) if kappas else None
    assert report["stance_cohen_kappa_mean_pairwise"] == mean


def test_agreement_stats_per_label() -> None:
    stats = AgreementStats(["PERSON", "GPE", "ORG"], ["support", "oppose", "neutral"])
    stats.add([ANN1, ANN2], key)
    stats.add([ANN1], key)  # single annotator: not counted
    report = stats.report()
    assert report["articles_with_2plus_annotators"] == 1
    assert report["entities_span_f1"]["PERSON"] == 1.0
    assert report["entities_span_f1"]["GPE"] == 0.0
    assert report["entities_span_f1"]["all"] == 0.5
    assert report["stance_units"] == 1


def test_splits_parse_and_are_stable() -> None:
    ratios = parse_splits("train=0.8,validation=0.1,test=0.1")
    assert list(ratios) == ["train", "validation", "test"]
    hashes = [f"{i:064x}" for i in range(2000)]
    first = [assign_split(h, 7, ratios) for h in hashes]
    assert first == [assign_split(h, 7, ratios) for h in hashes]
    share = first.count("train") / len(first)
    assert 0.75 < share < 0.85
    assert first != [assign_split(h, 8, ratios) for h in hashes]  # the seed matters
    only = parse_splits("train=1,test=0")
    assert {assign_split(h, 0, only) for h in hashes[:50]} == {"train"}


@pytest.mark.parametrize(
    "bad", ["train=0.8,test=0.1", "train", "train=x", "train=0.5,train=0.5", "1x=1", "a=-1,b=2"]
)
def test_bad_split_specs(bad: str) -> None:
    with pytest.raises(SplitSpecError):
        parse_splits(bad)
