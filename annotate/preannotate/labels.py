"""The label words the rules emit, looked up in the LabelSet once.

Why a table: the rules name six entity types and three stance values. Spelling those as
literals in every rule module meant a label renamed in schemas/labels.yaml silently vanished
from the predictions. Here each rule label is resolved against the LabelSet when the
pre-annotator is built, and a missing one stops the build with a message saying what to do.
This module is the only one of the rules that spells a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache

from annotate.schemas import LabelSet, SchemaError, load_labelset

# The rules' own name for each field: what labels.yaml calls the label unless mapped.
_ENTITY_RULES = {
    "person": "PERSON",
    "org": "ORG",
    "gpe": "GPE",
    "loc": "LOC",
    "norp": "NORP",
    "event": "EVENT",
}
_STANCE_RULES = {"support": "support", "oppose": "oppose", "neutral": "neutral"}

# Lexicon data keyed by what the rules call a label: the curated gazetteer files, in the
# order they are loaded (an earlier file wins a surface), and the cue lists of stance.yaml.
_GAZETTEER_FILES = (
    ("org", "gazetteer/ORG.txt"),
    ("event", "gazetteer/EVENT.txt"),
    ("loc", "gazetteer/LOC.txt"),
    ("gpe", "gazetteer/GPE.txt"),
    ("norp", "gazetteer/NORP.txt"),
)
_STANCE_CUE_KEYS = (("neutral", "neutral"), ("oppose", "oppose"), ("support", "support"))


@dataclass(frozen=True, slots=True)
class RuleLabels:
    """One LabelSet label per label the rules emit (hashable: lexicons are cached by it)."""

    person: str
    org: str
    gpe: str
    loc: str
    norp: str
    event: str
    support: str
    oppose: str
    neutral: str

    @classmethod
    def from_labelset(
        cls, labelset: LabelSet, mapping: Mapping[str, str] | None = None
    ) -> RuleLabels:
        """Resolve every rule label in ``labelset``; raise SchemaError naming any missing.

        ``mapping`` sends a rule label to a differently named label of the set, e.g.
        ``{"GPE": "COUNTRY"}`` after a rename in labels.yaml.
        """
        mapping = dict(mapping or {})
        rules = {**_ENTITY_RULES, **_STANCE_RULES}
        unknown = sorted(set(mapping) - set(rules.values()))
        if unknown:
            raise SchemaError(
                f"cannot map {', '.join(unknown)}: the pre-annotator's rules emit only "
                f"{', '.join(rules.values())}"
            )
        labels = cls(**{f: mapping.get(rule, rule) for f, rule in rules.items()})
        labels.check(labelset)
        return labels

    def check(self, labelset: LabelSet) -> None:
        """Raise SchemaError naming every label of this table that ``labelset`` lacks."""
        entity_names = set(labelset.entity_names)
        stance_names = set(labelset.stance_names)
        missing = [getattr(self, f) for f in _ENTITY_RULES if getattr(self, f) not in entity_names]
        missing += [getattr(self, f) for f in _STANCE_RULES if getattr(self, f) not in stance_names]
        if missing:
            it = "it" if len(missing) == 1 else "them"
            raise SchemaError(
                f"the pre-annotator's rules emit {', '.join(missing)}, which schemas/labels.yaml "
                f"does not define: add {it} back or map the rules to a label it has"
            )

    def words(self) -> tuple[str, ...]:
        """Every label word, in field order (entity labels, then stance labels)."""
        return tuple(getattr(self, f.name) for f in fields(self))

    def gazetteer_files(self) -> tuple[tuple[str, str], ...]:
        """(label, lexicon file) of the curated gazetteers, in load order."""
        return tuple((getattr(self, f), name) for f, name in _GAZETTEER_FILES)

    def stance_cue_keys(self) -> tuple[tuple[str, str], ...]:
        """(stance.yaml key, label) of the cue lists, in the order ties are decided."""
        return tuple((key, getattr(self, f)) for key, f in _STANCE_CUE_KEYS)


@cache
def default_labels() -> RuleLabels:
    """The rule labels of the shipped label set (for callers that pass none)."""
    return RuleLabels.from_labelset(load_labelset())
