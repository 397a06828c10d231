"""Leak-free, stable splits: an article's split depends only on its content and the seed.

Hashing the content hash (not a row index or a shuffled order) means adding articles to
the store never moves an existing article to another split, and every row of one
article (its entities row and all its stance rows) lands in the same split.
"""

from __future__ import annotations

import hashlib
import re

from annotate.errors import UsageError

DEFAULT_SPLITS = "train=0.8,validation=0.1,test=0.1"


class SplitSpecError(UsageError):
    """A `--split` value that cannot be used."""


def parse_splits(spec: str) -> dict[str, float]:
    """Parse ``train=0.8,validation=0.1,test=0.1`` into ordered ratios summing to 1."""
    ratios: dict[str, float] = {}
    for part in spec.split(","):
        name, sep, value = part.strip().partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Za-z][\w]*", name):
            raise SplitSpecError(f"bad split {part.strip()!r}: expected NAME=RATIO")
        if name in ratios:
            raise SplitSpecError(f"split {name!r} given twice")
        try:
            ratio = float(value)
        except ValueError:
            raise SplitSpecError(f"split {name!r}: {value!r} is not a number") from None
        if not 0 <= ratio <= 1:
            raise SplitSpecError(f"split {name!r}: ratio {ratio} is not between 0 and 1")
        ratios[name] = ratio
    total = sum(ratios.values())
    if abs(total - 1) > 1e-6:
        raise SplitSpecError(f"split ratios sum to {total:g}, not 1")
    return ratios


def unit_interval(content_hash: str, seed: int) -> float:
    """A uniform number in [0, 1) fixed by the article's content hash and the seed."""
    digest = hashlib.sha256(f"{seed}\x00{content_hash}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_split(content_hash: str, seed: int, ratios: dict[str, float]) -> str:
    """The split of one article: where its hashed position falls among the ratios."""
    u = unit_interval(content_hash, seed)
    cumulative = 0.0
    names = [name for name, ratio in ratios.items() if ratio > 0]
    for name in names:
        cumulative += ratios[name]
        if u < cumulative:
            return name
    return names[-1]
