"""JSON lines: one depth-limited parser for every reader, and the strict line reader.

`iter_json_lines` serves the commands that stop at the first bad line; `ingest` and
`validate` report every bad line instead, so they keep their own loops around `parse_json`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Far above any real record (a prediction is 4 levels deep), far below Python's recursion limit.
MAX_DEPTH = 100


class TooDeep(ValueError):
    """A JSON value nested more than MAX_DEPTH levels deep."""

    def __init__(self) -> None:
        super().__init__(f"nested too deeply (more than {MAX_DEPTH} levels of arrays/objects)")


def parse_json(text: str) -> Any:
    """json.loads, but a deeply nested value raises TooDeep instead of RecursionError.

    The parser, and later json.dumps, jsonschema and repr, recurse once per level, and how
    deep they get depends on the caller's stack; a fixed limit makes the outcome predictable.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep from None
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        children = node.values() if isinstance(node, dict) else node
        if isinstance(node, dict | list):
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def iter_json_lines(path: Path, error: type[Exception]) -> Iterator[tuple[int, Any]]:
    """(line number, value) per non-blank line; a bad line raises `error` naming file and line.

    Reads bytes, so invalid UTF-8 is a one-line error too, not a traceback.
    """
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                value = parse_json(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
            except UnicodeDecodeError as exc:
                raise error(f"{path}:{lineno}: invalid UTF-8 at byte {exc.start}") from None
            except TooDeep as exc:
                raise error(f"{path}:{lineno}: {exc}") from None
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{lineno}: invalid JSON: {exc.msg}") from None
            yield lineno, value
