"""annotate.jsonl: JSON that Python parses badly is one JSONDecodeError, not another exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotate.errors import InputError
from annotate.jsonl import iter_json_lines, parse_json

LONG = "7" * 5000


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        # int() refuses more than 4300 digits with a plain ValueError.
        (LONG, "number with too many digits", 1),
        ('{"text": "Lima talks.", "n": ' + LONG + "}", "number with too many digits", 30),
        ('"\\ud800"', "lone surrogate escape, not Unicode text", 2),
        ('{"text": "Oslo \\udc00 talks."}', "lone surrogate escape, not Unicode text", 16),
        ('["\\ud83d\\ude00", "\\ud83d"]', "lone surrogate escape, not Unicode text", 19),
    ],
)
def test_unparseable_numbers_and_lone_surrogates_are_decode_errors(
    text: str, message: str, column: int
) -> None:
    with pytest.raises(json.JSONDecodeError) as exc:
        parse_json(text)
    assert (exc.value.msg, exc.value.colno) == (message, column)


@pytest.mark.parametrize(
    "text", ['"\\ud83d\\ude00"', '"\\\\ud800"', '"\\u00e9"', "1" * 4300, "1e999999"]
)
def test_surrogate_pairs_escaped_backslashes_and_long_floats_still_parse(text: str) -> None:
    assert parse_json(text) == json.loads(text)


def test_iter_json_lines_names_the_line_of_a_huge_number(tmp_path: Path) -> None:
    data = tmp_path / "wire.jsonl"
    data.write_text('{"id": 1}\n[' + LONG + "]\n")
    with pytest.raises(InputError, match=r"wire.jsonl:2: invalid JSON: number with too many"):
        list(iter_json_lines(data, InputError))
