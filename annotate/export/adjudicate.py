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

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from annotate.agreement import mean_pairwise_f1
from annotate.errors import UsageError
from annotate.judgement import Judgement, StanceKey, Triple, latest_per_annotator
from annotate.spans import SPAN_LABEL, SPAN_OFFSETS, Span


class PolicyError(UsageError):
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


def _vote(
    kind: str,
    key: str,
    choices: dict[str, str | None],
    newest_first: Sequence[str],
    ties: list[Tie],
) -> str | None:
    """The option most annotators chose (None = not marked); ties go to the newest."""
    first = choices[newest_first[0]]
    if all(choices[a] == first for a in newest_first):
        return first  # unanimous, the common case: no count, no tie
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
    if len(by_annotator) == 1:
        return _alone(next(iter(by_annotator.values())), stance_key)
    newest_first = sorted(by_annotator, key=lambda a: by_annotator[a].order, reverse=True)
    by_offsets: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for a, j in by_annotator.items():
        for s in j.spans:
            by_offsets[(s.start, s.end)][a] = s.label
    spans = []
    n = len(newest_first)
    for (start, end), marked in sorted(by_offsets.items()):
        labels = list(marked.values())
        if len(labels) == n and labels.count(labels[0]) == n:
            spans.append(Span(start, end, labels[0]))  # unanimous, as `_vote` would say
            continue
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


def _alone(j: Judgement, stance_key: StanceKey) -> tuple[list[Span], list[Triple]]:
    """`_majority` of one annotator, without the votes: each offset's last span, each
    stance's first triple, in the same order (one voter is unanimous, so never a tie)."""
    # the spans in C: an export adjudicates every span of the corpus through here
    by_offsets = dict(zip(map(SPAN_OFFSETS, j.spans), j.spans, strict=True))
    spans = list(map(by_offsets.__getitem__, sorted(by_offsets)))
    if None in map(SPAN_LABEL, spans):
        spans = [s for s in spans if s.label is not None]
    by_key: dict[Hashable, Triple] = {}
    for t in j.triples:
        by_key.setdefault(stance_key(t), t)
    triples = [t for _key, t in sorted(by_key.items(), key=lambda kv: repr(kv[0]))]
    return spans, [t for t in triples if t.label is not None]


def _once_per_triple(stance_key: StanceKey) -> StanceKey:
    """`stance_key`, computed once per triple object: adjudication asks for each triple's
    key two or three times (voting, agreement, the chosen triple)."""
    seen: dict[int, tuple[Triple, Hashable]] = {}  # keeps each triple alive, so ids hold

    def key(t: Triple) -> Hashable:
        hit = seen.get(id(t))
        if hit is None:
            hit = seen[id(t)] = (t, stance_key(t))
        return hit[1]

    return key


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
    n = len(by_annotator)
    if n >= 2:  # one annotator agrees with nobody: None, as mean_pairwise_f1 says
        result.agreement = mean_pairwise_f1([set(j.spans) for j in by_annotator.values()])
        stance_key = _once_per_triple(stance_key)  # alone, each triple is keyed once
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

    result.spans = spans
    if n < 2:  # a stance's agreement is None without a second annotator
        result.triples = [(t, None) for t in triples]
        return result
    labels_by_key: dict[Hashable, dict[str, str]] = defaultdict(dict)
    for a, j in by_annotator.items():
        for t in j.triples:
            labels_by_key[stance_key(t)].setdefault(a, t.label)
    for t in triples:
        agreeing = sum(1 for label in labels_by_key[stance_key(t)].values() if label == t.label)
        result.triples.append((t, agreeing / n))
    return result
