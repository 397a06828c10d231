"""Turn several annotators' work on one article into one gold record, and measure agreement.

Pure functions over plain values (no store, no datasets) so every policy is testable with
two annotators disagreeing. Policies:

- ``latest``: the most recently updated annotation of the article.
- ``majority``: per span (offsets) and per stance (holder, target, sentence) the option
  most annotators chose, "not marked" being an option too; ties are broken by the most
  recent annotator among the tied options and reported.
- ``ground-truth``: the annotation marked ground truth in Label Studio.
- ``annotator:EMAIL``: that annotator's annotation.
- ``adjudicated``: a reviewer's resolution (from the ``<name>-review`` project that
  ``annotate review`` fills) where there is one, else the fallback policy.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from annotate.spans import Span

POLICY_KINDS = ("latest", "majority", "ground-truth", "annotator", "adjudicated")


class PolicyError(ValueError):
    """A `--policy` value that cannot be used."""


@dataclass(frozen=True)
class Policy:
    kind: str
    annotator: str | None = None
    fallback: Policy | None = None  # ``adjudicated`` only: for articles nobody reviewed

    def __str__(self) -> str:
        return f"annotator:{self.annotator}" if self.kind == "annotator" else self.kind


def parse_policy(value: str, fallback: str = "latest") -> Policy:
    """Parse ``latest``, ``majority``, ``ground-truth``, ``annotator:EMAIL`` or
    ``adjudicated`` (which falls back to ``fallback`` where no reviewer resolved)."""
    value = value.strip()
    if value == "adjudicated":
        other = parse_policy(fallback)
        if other.kind == "adjudicated":
            raise PolicyError("the fallback of adjudicated must be another policy")
        return Policy("adjudicated", fallback=other)
    if value in ("latest", "majority", "ground-truth"):
        return Policy(value)
    kind, sep, who = value.partition(":")
    if kind == "annotator" and sep and who.strip():
        return Policy("annotator", who.strip())
    raise PolicyError(
        f"unknown policy {value!r}: use latest, majority, ground-truth, annotator:EMAIL "
        "or adjudicated"
    )


@dataclass(frozen=True)
class Triple:
    """One stance: holder span (label = holder type) -> target id, with a stance label."""

    holder: Span
    holder_text: str
    target: str
    label: str
    target_span: tuple[int, int] | None = None
    evidence: tuple[int, int] | None = None


@dataclass(frozen=True)
class Judgement:
    """One annotation of one article. ``order`` sorts annotations oldest to newest."""

    annotator: str
    order: tuple
    spans: tuple[Span, ...] = ()
    triples: tuple[Triple, ...] = ()
    ground_truth: bool = False


@dataclass(frozen=True)
class Tie:
    kind: str  # "entity" | "stance"
    key: str
    votes: tuple[tuple[str, int], ...]
    chosen: str


@dataclass
class Adjudicated:
    """The gold record of one article, or why there is none (``skipped``)."""

    spans: list[Span] = field(default_factory=list)
    triples: list[tuple[Triple, float | None]] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    agreement: float | None = None
    ties: list[Tie] = field(default_factory=list)
    skipped: str | None = None
    adjudicated_by: str | None = None  # the reviewer whose resolution this is


StanceKey = Callable[[Triple], Hashable]


def latest_per_annotator(judgements: Iterable[Judgement]) -> dict[str, Judgement]:
    """Each annotator's most recent annotation (Label Studio allows several per task)."""
    out: dict[str, Judgement] = {}
    for j in sorted(judgements, key=lambda j: j.order):
        out[j.annotator] = j
    return out


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


def _vote(
    kind: str,
    key: str,
    choices: dict[str, str | None],
    newest_first: Sequence[str],
    ties: list[Tie],
) -> str | None:
    """The option most annotators chose (None = not marked); ties go to the newest."""
    counts = Counter(choices[a] for a in newest_first)
    top = max(counts.values())
    tied = [option for option, c in counts.items() if c == top]
    if len(tied) == 1:
        return tied[0]
    winner = next(choices[a] for a in newest_first if choices[a] in tied)
    votes = tuple(sorted(((o or "-", c) for o, c in counts.items()), key=lambda v: (-v[1], v[0])))
    ties.append(Tie(kind, key, votes, winner or "-"))
    return winner


def _majority(
    by_annotator: dict[str, Judgement], stance_key: StanceKey, ties: list[Tie]
) -> tuple[list[Span], list[Triple]]:
    newest_first = sorted(by_annotator, key=lambda a: by_annotator[a].order, reverse=True)
    by_offsets: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for a, j in by_annotator.items():
        for s in j.spans:
            by_offsets[(s.start, s.end)][a] = s.label
    spans = []
    for (start, end), marked in sorted(by_offsets.items()):
        choices = {a: marked.get(a) for a in newest_first}
        label = _vote("entity", f"[{start}, {end})", choices, newest_first, ties)
        if label is not None:
            spans.append(Span(start, end, label))

    by_key: dict[Hashable, dict[str, Triple]] = defaultdict(dict)
    for a, j in by_annotator.items():
        for t in j.triples:
            by_key[stance_key(t)].setdefault(a, t)
    triples = []
    for key, marked in sorted(by_key.items(), key=lambda kv: repr(kv[0])):
        choices = {a: (marked[a].label if a in marked else None) for a in newest_first}
        label = _vote("stance", repr(key), choices, newest_first, ties)
        if label is not None:
            chosen = next(marked[a] for a in newest_first if choices[a] == label)
            triples.append(chosen)
    return spans, triples


def _single(policy: Policy, judgements: Sequence[Judgement]) -> Judgement | str:
    """The one annotation a non-voting policy takes, or why there is none."""
    if policy.kind == "latest":
        pool = list(judgements)
    elif policy.kind == "ground-truth":
        pool = [j for j in judgements if j.ground_truth]
        if not pool:
            return "no annotation marked ground truth"
    elif policy.kind == "annotator":
        who = (policy.annotator or "").casefold()
        pool = [j for j in judgements if j.annotator.casefold() == who]
        if not pool:
            return f"not annotated by {policy.annotator}"
    else:
        raise PolicyError(f"policy {policy} does not pick a single annotation")
    return max(pool, key=lambda j: j.order)


def adjudicate(
    policy: Policy,
    judgements: Sequence[Judgement],
    stance_key: StanceKey,
    resolution: Judgement | None = None,
) -> Adjudicated:
    """One article's gold spans and triples under ``policy``, with agreement per row.

    ``stance_key`` says when two annotators' triples are the same stance (the caller
    knows the text: holder name, target and evidence sentence). ``resolution`` is a
    reviewer's adjudicated annotation, used by the ``adjudicated`` policy; agreement is
    still that of the original annotators.
    """
    if policy.kind == "adjudicated" and resolution is None:
        return adjudicate(policy.fallback or Policy("latest"), judgements, stance_key)
    by_annotator = latest_per_annotator(judgements)
    result = Adjudicated(annotators=sorted(by_annotator))
    if not by_annotator:
        result.skipped = "no human annotation"
        return result
    result.agreement = mean_pairwise_f1([set(j.spans) for j in by_annotator.values()])
    if policy.kind == "adjudicated":
        assert resolution is not None
        spans, triples = sorted(set(resolution.spans)), list(resolution.triples)
        result.adjudicated_by = resolution.annotator
    elif policy.kind == "majority":
        spans, triples = _majority(by_annotator, stance_key, result.ties)
    else:
        chosen = _single(policy, judgements)
        if isinstance(chosen, str):
            result.skipped = chosen
            return result
        spans, triples = sorted(set(chosen.spans)), list(chosen.triples)

    labels_by_key: dict[Hashable, dict[str, str]] = defaultdict(dict)
    for a, j in by_annotator.items():
        for t in j.triples:
            labels_by_key[stance_key(t)].setdefault(a, t.label)
    n = len(by_annotator)
    result.spans = spans
    for t in triples:
        agreeing = sum(1 for label in labels_by_key[stance_key(t)].values() if label == t.label)
        result.triples.append((t, agreeing / n if n >= 2 else None))
    return result


# --- corpus-level agreement for the card -------------------------------------------------

NONE = "-"


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
            for label in self.entity_labels:
                la = {s for s in sa if s.label == label}
                lb = {s for s in sb if s.label == label}
                self._tp[label] += len(la & lb)
                self._size[label] += len(la) + len(lb)
        units: dict[Hashable, dict[str, str]] = defaultdict(dict)
        for ann, j in by_annotator.items():
            for t in j.triples:
                units[stance_key(t)].setdefault(ann, t.label)
        for _key, coded in sorted(units.items(), key=lambda kv: repr(kv[0])):
            self._stance_units.append({a: coded.get(a, NONE) for a in sorted(by_annotator)})

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
