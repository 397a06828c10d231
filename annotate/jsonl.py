"""Strict JSONL reading for the commands that stop at the first bad line.

(`ingest` and `validate` report every bad line instead, so they keep their own loops.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def iter_json_lines(path: Path, error: type[Exception]) -> Iterator[tuple[int, Any]]:
    """(line number, value) per non-blank line; a bad line raises `error` naming file and line.

    Reads bytes, so invalid UTF-8 is a one-line error too, not a traceback.
    """
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                raise error(f"{path}:{lineno}: invalid UTF-8 at byte {exc.start}") from None
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
            yield lineno, value
