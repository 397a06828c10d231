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
    o: Counter[tuple[str, str]] = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in itertools.permutations(range(m), 2):
            o[(values[i], values[j])] += 1 / (m - 1)
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
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(1 for a, b in pairs if a == b) / n
    ca = Counter(a for a, _ in pairs)
    cb = Counter(b for _, b in pairs)
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
    _stance_units: list[dict[str, str]] = field(default_factory=list)
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
        for _key, coded in sorted(units.items(), key=lambda kv: repr(kv[0])):
            self._stance_units.append({a: coded.get(a, NONE) for a in sorted(by_annotator)})

    def merge(self, other: AgreementStats) -> None:
        """Add another's articles, which came after this one's (an export worker's)."""
        self._tp.update(other._tp)
        self._size.update(other._size)
        self._stance_units += other._stance_units
        self.articles += other.articles

    def report(self) -> dict:
        """Span F1 per entity label; Krippendorff's alpha and Cohen's kappa for stance."""

        def f1(tp: int, size: int) -> float | None:
            return round(2 * tp / size, 4) if size else None

        entities = {label: f1(self._tp[label], self._size[label]) for label in self.entity_labels}
        entities["all"] = f1(sum(self._tp.values()), sum(self._size.values()))
        units = [list(u.values()) for u in self._stance_units]
        stance: dict[str, float | None] = {
            label: _round(
                krippendorff_alpha([[v if v == label else NONE for v in u] for u in units])
            )
            for label in self.stance_labels
        }
        stance["all"] = _round(krippendorff_alpha(units))
        pair_codes: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for unit in self._stance_units:
            for a, b in itertools.combinations(sorted(unit), 2):
                pair_codes[(a, b)].append((unit[a], unit[b]))
        kappas = [k for k in (cohen_kappa(p) for p in pair_codes.values()) if k is not None]
        return {
            "articles_with_2plus_annotators": self.articles,
            "entities_span_f1": entities,
            "stance_units": len(units),
            "stance_krippendorff_alpha": stance,
            "stance_cohen_kappa_mean_pairwise": _round(sum(kappas) / len(kappas))
            if kappas
            else None,
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
