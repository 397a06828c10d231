"""Problems: one found in a user's file or export folder (where, which field, and what),
and the rule telling a pulled annotation's fatal problems from its notes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


# Kinds of an annotation's pull problems that change nothing it means (a span trimmed of
# whitespace at its edges is exactly what the annotator marked). Every other kind, and a
# problem without a kind (stored before kinds existed), makes the annotation invalid.
NOTE_KINDS = frozenset({"trimmed"})


def fatal_problems(problems: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The problems of a pulled annotation that keep it out of a dataset's labels."""
    return [p for p in problems or [] if p.get("kind", "invalid") not in NOTE_KINDS]


def notes(problems: Iterable[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The problems that were repaired exactly (kept visible, harmless)."""
    return [p for p in problems or [] if p.get("kind") in NOTE_KINDS]
