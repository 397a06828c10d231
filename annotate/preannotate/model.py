"""The pre-annotator as one object: (text, LabelSet) -> prediction record.

Pure: no database, no network. `model_version` hashes what decides the predictions: the
rules' source code, the lexicon files, the targets and the label words, so any change to
them yields a new version and store mode re-annotates. It reads files only, so asking for
the version does not build the lexicon.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from annotate.preannotate.entities import SCORES, EntityTagger
from annotate.preannotate.labels import RuleLabels
from annotate.preannotate.lexicon import load_lexicon
from annotate.preannotate.stance import StanceFinder
from annotate.preannotate.version import (  # noqa: F401  (re-exported: the version's home)
    DATA_PACKAGES,
    NAME,
    RULES_DIR,
    SHARED_SOURCES,
    model_version,
    rules_digest,
    version_of,
)
from annotate.schemas import LabelSet


class PreAnnotator:
    """Holds the compiled lexicons and target patterns for one label set."""

    def __init__(self, labelset: LabelSet, labels: RuleLabels | None = None) -> None:
        """``labels`` maps the rules onto the label set; by default each rule label must be
        in it under its own name. Resolved first, so a missing label fails before the
        lexicon is built."""
        self.labelset = labelset
        self.labels = labels or RuleLabels.from_labelset(labelset)
        self.labels.check(labelset)
        self.model_version = model_version(labelset, self.labels)
        self.lexicon = load_lexicon(self.labels)
        self.entities = EntityTagger(self.labels, self.lexicon)
        self.stances = StanceFinder(labelset, self.lexicon, self.labels)
        # rule -> (score, source) of its entities, formatted once per rule
        self._rule_fields: dict[str, tuple[float, str]] = {}

    def predict(self, text: str, article_id: str = "") -> dict[str, Any]:
        """One prediction record in the public format (schemas/prediction.schema.json)."""
        mentions = self.entities.tag(text)
        fields = self._rule_fields
        entities = []
        for m in mentions:
            score_source = fields.get(m.rule)
            if score_source is None:
                score_source = fields[m.rule] = (SCORES.get(m.rule, 0.5), f"rules:{m.rule}")
            entities.append(
                {
                    "start": m.start,
                    "end": m.end,
                    "label": m.label,
                    "text": m.text,
                    "score": score_source[0],
                    "source": score_source[1],
                }
            )
        return {
            "id": article_id,
            "model_version": self.model_version,
            "entities": entities,
            "stances": self.stances.find(text, mentions),
        }


@cache
def _cached(labelset: LabelSet) -> PreAnnotator:
    return PreAnnotator(labelset)


def preannotator(labelset: LabelSet) -> PreAnnotator:
    """A shared pre-annotator per label set (building one loads every lexicon)."""
    return _cached(labelset)


def predict(text: str, labelset: LabelSet, article_id: str = "") -> dict[str, Any]:
    """Pre-annotate one text: the pure function the CLI and `evaluate` use."""
    return preannotator(labelset).predict(text, article_id)
