"""Agreement between annotators: span F1, Krippendorff's alpha, Cohen's kappa.

Pure functions over judgements, shared by the export's card, the review loop and the
per-annotator progress, so every figure means the same wherever it is shown.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from annotate.judgement import Judgement, StanceKey, latest_per_annotator
from annotate.spans import SPAN_LABEL, Span

NONE = "-"  # the value of "not marked" when a stance is coded


def span_f1(a: set[Span] | frozenset[Span], b: set[Span] | frozenset[Span]) -> float:
    """Exact-match span F1 between two annotators (1.0 when both marked nothing)."""
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def mean_pairwise_f1(span_sets: Sequence[set[Span]]) -> float | None:
    pairs = list(itertools.combinations(span_sets, 2))
    if not pairs:
        return None
    return sum(span_f1(a, b) for a, b in pairs) / len(pairs)


def krippendorff_alpha(units: Iterable[Sequence[str]]) -> float | None:
    """Nominal Krippendorff's alpha over units (each a list of the values coders gave).

    Units with fewer than two values are not pairable and are ignored. None when the
    expected disagreement is zero (a single category throughout).
    """
    return _alpha(Counter(map(tuple, units)))


def _alpha(units: Counter[tuple[str, ...]]) -> float | None:
    """`krippendorff_alpha` of the units counted by their values: an export codes tens of
    thousands of units, a few dozen of them distinct. Each pair of values in a unit of
    m values weighs 1 / (m - 1): k such pairs weigh k / (m - 1), which is what k additions
    of the weight gave for the usual two or three coders (exact halves and integers)."""
    o: Counter[tuple[str, str]] = Counter()
    for values, count in units.items():
        m = len(values)
        if m < 2:
            continue
        pairs = Counter((values[i], values[j]) for i, j in itertools.permutations(range(m), 2))
        for pair, k in pairs.items():
            o[pair] += count * k / (m - 1)
    n_c: Counter[str] = Counter()
    for (c, _k), w in o.items():
        n_c[c] += w
    n = sum(n_c.values())
    if n <= 1:
        return None
    observed = sum(w for (c, k), w in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two coders over the units both coded. None when undefined."""
    return _kappa(Counter(pairs))


def _kappa(pairs: Counter[tuple[str, str]]) -> float | None:
    """`cohen_kappa` of the coded pairs counted by their values (integer sums, so the
    same figure)."""
    n = sum(pairs.values())
    if not n:
        return None
    observed = sum(k for (a, b), k in pairs.items() if a == b) / n
    ca: Counter[str] = Counter()
    cb: Counter[str] = Counter()
    for (a, b), k in pairs.items():
        ca[a] += k
        cb[b] += k
    expected = sum(ca[c] * cb[c] for c in ca) / (n * n)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


@dataclass
class AgreementStats:
    """Accumulates inter-annotator agreement over the articles that have two or more."""

    entity_labels: Sequence[str]
    stance_labels: Sequence[str]
    _tp: Counter[str] = field(default_factory=Counter)
    _size: Counter[str] = field(default_factory=Counter)
    # each coded stance unit, ((annotator, value), ...) by annotator, with its count
    _stance_units: Counter[tuple[tuple[str, str], ...]] = field(default_factory=Counter)
    articles: int = 0

    def add(self, judgements: Sequence[Judgement], stance_key: StanceKey) -> None:
        by_annotator = latest_per_annotator(judgements)
        if len(by_annotator) < 2:
            return
        self.articles += 1
        for a, b in itertools.combinations(by_annotator.values(), 2):
            sa, sb = set(a.spans), set(b.spans)
            # each label's shared and marked spans, counted in C
            tp = Counter(map(SPAN_LABEL, sa & sb))
            size = Counter(map(SPAN_LABEL, sa))
            size.update(map(SPAN_LABEL, sb))
            for label in self.entity_labels:
                self._tp[label] += tp[label]
                self._size[label] += size[label]
        units: dict[Hashable, dict[str, str]] = defaultdict(dict)
        for ann, j in by_annotator.items():
            for t in j.triples:
                units[stance_key(t)].setdefault(ann, t.label)
        annotators = sorted(by_annotator)
        for _key, coded in sorted(units.items(), key=lambda kv: repr(kv[0])):
            self._stance_units[tuple((a, coded.get(a, NONE)) for a in annotators)] += 1

    def merge(self, other: AgreementStats) -> None:
        """Add another's articles, which came after this one's (an export worker's)."""
        self._tp.update(other._tp)
        self._size.update(other._size)
        self._stance_units.update(other._stance_units)
        self.articles += other.articles

    def report(self) -> dict:
        """Span F1 per entity label; Krippendorff's alpha and Cohen's kappa for stance."""

        def f1(tp: int, size: int) -> float | None:
            return round(2 * tp / size, 4) if size else None

        entities = {label: f1(self._tp[label], self._size[label]) for label in self.entity_labels}
        entities["all"] = f1(sum(self._tp.values()), sum(self._size.values()))
        values: Counter[tuple[str, ...]] = Counter()
        for unit, count in self._stance_units.items():
            values[tuple(v for _a, v in unit)] += count
        stance: dict[str, float | None] = {
            label: _round(_alpha(_binarized(values, label))) for label in self.stance_labels
        }
        stance["all"] = _round(_alpha(values))
        pair_codes: dict[tuple[str, str], Counter[tuple[str, str]]] = defaultdict(Counter)
        for unit, count in self._stance_units.items():
            for (a, code_a), (b, code_b) in itertools.combinations(unit, 2):
                pair_codes[(a, b)][(code_a, code_b)] += count
        kappas = [k for k in map(_kappa, pair_codes.values()) if k is not None]
        return {
            "articles_with_2plus_annotators": self.articles,
            "entities_span_f1": entities,
            "stance_units": self._stance_units.total(),
            "stance_krippendorff_alpha": stance,
            "stance_cohen_kappa_mean_pairwise": _round(sum(kappas) / len(kappas))
            if kappas
            else None,
        }


def _binarized(units: Counter[tuple[str, ...]], label: str) -> Counter[tuple[str, ...]]:
    """The units with every value but `label` read as not marked (one label's alpha)."""
    out: Counter[tuple[str, ...]] = Counter()
    for values, count in units.items():
        out[tuple(v if v == label else NONE for v in values)] += count
    return out


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
