"""The pre-annotator as one object: (text, LabelSet) -> prediction record.

Pure: no database, no network. `model_version` names the rules, their version and a short
hash of the lexicons and the targets, so changing either yields a new version and store
mode re-annotates.
"""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from annotate.preannotate.entities import SCORES, EntityTagger
from annotate.preannotate.lexicon import load_lexicon
from annotate.preannotate.stance import StanceFinder
from annotate.schemas import LabelSet

NAME = "annotate-rules"
VERSION = "1.0"


class PreAnnotator:
    """Holds the compiled lexicons and target patterns for one label set."""

    def __init__(self, labelset: LabelSet) -> None:
        self.labelset = labelset
        self.lexicon = load_lexicon()
        self.entities = EntityTagger(labelset.entity_names, self.lexicon)
        self.stances = StanceFinder(labelset, self.lexicon)
        targets = "|".join(f"{t.id}:{','.join(t.cues)}" for t in labelset.targets)
        target_hash = hashlib.sha256(targets.encode()).hexdigest()[:4]
        self.model_version = f"{NAME}-{VERSION}-{self.lexicon.digest[:6]}{target_hash}"

    def predict(self, text: str, article_id: str = "") -> dict[str, Any]:
        """One prediction record in the public format (schemas/prediction.schema.json)."""
        mentions = self.entities.tag(text)
        entities = [
            {
                "start": m.start,
                "end": m.end,
                "label": m.label,
                "text": m.text,
                "score": SCORES.get(m.rule, 0.5),
            }
            for m in mentions
        ]
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
