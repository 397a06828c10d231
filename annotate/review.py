"""Find where annotators disagree on an article, and merge their versions for a reviewer.

Pure functions over `Judgement`s (no store, no Label Studio), so what counts as
a disagreement is testable on its own. Each annotator's latest annotation is compared:

- entities: the sets of (start, end, label) spans must be equal;
- stances: per stance (holder name, target, evidence sentence: the export's key) the same
  label, "not marked" being a label too.

Any difference is a disagreement; articles where all agree are never sent to review. The
merge keeps agreed items once and every disputed option once per distinct choice, with the
annotators who chose it, so the reviewer sees both versions side by side.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from annotate.judgement import Judgement, StanceKey, Triple, latest_per_annotator
from annotate.spans import Span


@dataclass(frozen=True)
class MergedSpan:
    span: Span
    by: tuple[str, ...]  # the annotators who marked exactly this span
    agreed: bool


@dataclass(frozen=True)
class MergedStance:
    triple: Triple
    by: tuple[str, ...]  # the annotators who gave this stance this label
    agreed: bool


@dataclass
class Merge:
    """Every annotator's latest version of one article, merged item by item."""

    annotators: list[str]
    entities: list[MergedSpan] = field(default_factory=list)
    stances: list[MergedStance] = field(default_factory=list)

    @property
    def entity_differences(self) -> int:
        return sum(1 for e in self.entities if not e.agreed)

    @property
    def stance_differences(self) -> int:
        return sum(1 for s in self.stances if not s.agreed)

    @property
    def disputed(self) -> bool:
        return bool(self.entity_differences or self.stance_differences)

    def notes(self, text: str) -> list[str]:
        """One line per disputed item, for the reviewer (who marked what)."""
        out = []
        for e in self.entities:
            if not e.agreed:
                s = e.span
                out.append(
                    f"entity {text[s.start : s.end]!r} [{s.start}-{s.end}] {s.label}: "
                    f"{_who(e.by, self.annotators)}"
                )
        for st in self.stances:
            if not st.agreed:
                t = st.triple
                out.append(
                    f"stance {t.holder_text or text[t.holder.start : t.holder.end]!r} -> "
                    f"{t.target} {t.label}: {_who(st.by, self.annotators)}"
                )
        return out


def _who(by: Sequence[str], everyone: Sequence[str]) -> str:
    missing = [a for a in everyone if a not in by]
    return f"by {', '.join(by)}" + (f"; not by {', '.join(missing)}" if missing else "")


def merge(judgements: Sequence[Judgement], stance_key: StanceKey) -> Merge:
    """Merge each annotator's latest annotation; `Merge.disputed` tells if they disagree."""
    latest = latest_per_annotator(judgements)
    annotators = sorted(latest)
    out = Merge(annotators)
    n = len(annotators)
    marked: dict[Span, list[str]] = {}
    for a in annotators:
        for s in sorted(set(latest[a].spans)):
            marked.setdefault(s, []).append(a)
    for s in sorted(marked):
        out.entities.append(MergedSpan(s, tuple(marked[s]), len(marked[s]) == n))

    # per stance key, each annotator's first triple (their label for that stance)
    by_key: dict[Hashable, dict[str, Triple]] = {}
    for a in annotators:
        for t in latest[a].triples:
            by_key.setdefault(stance_key(t), {}).setdefault(a, t)
    for key in sorted(by_key, key=repr):
        chosen = by_key[key]
        labels: dict[str, list[str]] = {}
        for a, t in chosen.items():
            labels.setdefault(t.label, []).append(a)
        agreed = len(labels) == 1 and len(chosen) == n
        for label in sorted(labels):
            who = labels[label]
            out.stances.append(MergedStance(chosen[who[0]], tuple(who), agreed))
    return out


def disputes(
    articles: Sequence[tuple[object, Sequence[Judgement], StanceKey]],
    min_annotators: int = 2,
) -> tuple[list[tuple[object, Merge]], int, int]:
    """(disputed articles with their merge, agreed count, too few annotators count)."""
    out: list[tuple[object, Merge]] = []
    agreed = too_few = 0
    for ref, judgements, key in articles:
        m = merge(judgements, key)
        if len(m.annotators) < max(2, min_annotators):
            too_few += 1
        elif m.disputed:
            out.append((ref, m))
        else:
            agreed += 1
    return out, agreed, too_few
