"""Locate the data folders that ship beside the code.

In a wheel, `schemas/` and `migrations/` are copied into `annotate/_data/` (see
pyproject's force-include); in a source checkout they sit at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"annotate is installed without its {name}/ folder")


def schemas_dir() -> Path:
    return _find("schemas")


def migrations_dir() -> Path:
    return _find("migrations")


def samples_dir() -> Path:
    return _PACKAGE / "samples"
