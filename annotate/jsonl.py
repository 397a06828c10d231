"""JSON lines: one depth-limited parser for every reader, and the strict line reader.

`iter_json_lines` serves the commands that stop at the first bad line; `ingest` and
`validate` report every bad line instead, so they keep their own loops around `parse_json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# Far above any real record (a prediction is 4 levels deep), far below Python's recursion limit.
MAX_DEPTH = 100

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# A high + low pair is one character; an escape matching the second alternative is lone.
_LONE_SURROGATE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"
)


class TooDeep(ValueError):
    """A JSON value nested more than MAX_DEPTH levels deep."""

    def __init__(self) -> None:
        super().__init__(f"nested too deeply (more than {MAX_DEPTH} levels of arrays/objects)")


def parse_json(text: str) -> Any:
    """json.loads, but a deeply nested value raises TooDeep instead of RecursionError.

    The parser, and later json.dumps, jsonschema and repr, recurse once per level, and how
    deep they get depends on the caller's stack; a fixed limit makes the outcome predictable.
    A number too long for Python's int conversion and an escaped lone surrogate (text no
    UTF-8 writer can store) raise json.JSONDecodeError, as other invalid JSON does.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        # int() refuses more than sys.get_int_max_str_digits() digits: point at the longest run.
        longest = max(re.finditer(r"[0-9]+", text), key=lambda m: len(m[0]), default=None)
        pos = longest.start() if longest else 0
        raise json.JSONDecodeError("number with too many digits", text, pos) from None
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        children = node.values() if isinstance(node, dict) else node
        if isinstance(node, dict | list):
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    _check_surrogates(text, value)
    return value


def _check_surrogates(text: str, value: Any) -> None:
    """Raise JSONDecodeError when the value holds a lone surrogate (from a \\udXXX escape)."""
    if _SURROGATE_ESCAPE.search(text) is None:
        return
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        lone = next((m for m in _LONE_SURROGATE.finditer(text) if m.group(1)), None)
        pos = lone.start() if lone else 0
        raise json.JSONDecodeError("lone surrogate escape, not Unicode text", text, pos) from None


def iter_json_lines(path: Path, error: type[Exception]) -> Iterator[tuple[int, Any]]:
    """(line number, value) per non-blank line; a bad line raises `error` naming file and line.

    Reads bytes, so invalid UTF-8 is a one-line error too, not a traceback.
    """
    with path.open("rb") as fh:
        yield from json_lines(fh, str(path), error)


def json_lines(fh: Iterable[bytes], name: str, error: type[Exception]) -> Iterator[tuple[int, Any]]:
    """`iter_json_lines` over an open binary file (a local one or an fsspec URL's), named
    ``name`` in errors."""
    for lineno, raw in enumerate(fh, 1):
        if not raw.strip():
            continue
        try:
            value = parse_json(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
        except UnicodeDecodeError as exc:
            raise error(f"{name}:{lineno}: invalid UTF-8 at byte {exc.start}") from None
        except TooDeep as exc:
            raise error(f"{name}:{lineno}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise error(f"{name}:{lineno}: invalid JSON: {exc.msg}") from None
        yield lineno, value
