"""The CLI on arbitrary input files: exit 0 or 1 with a one-line error, never a traceback.

Exit 70 is the CLI's "failed unexpectedly" (an exception outside AnnotateError): a bug.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from annotate.cli import app
from tests.properties.strategies import (
    EXAMPLES,
    FUZZ,
    any_bytes,
    consistent_jsonl_bytes,
    jsonl_bytes,
    record_jsonl_bytes,
)

runner = CliRunner()
# Paths reach the messages: rich console markup in one ("[/b]", a folder "wire [" and a file
# "b]...") must print as text.
stems = st.sampled_from(["in", "wire [/b]", "[bold]memo"])


def _write(home: Path, name: str, data: bytes) -> str:
    path = home / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


# Fewer examples than the readers': each one is a whole command run.
CLI = settings(FUZZ, max_examples=max(EXAMPLES // 4, 10))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANNOTATE_HOME", str(tmp_path / ".annotate"))
    monkeypatch.delenv("ANNOTATE_DB", raising=False)
    return tmp_path


def _run(args: list[str]) -> None:
    res = runner.invoke(app, args, catch_exceptions=False)
    assert res.exit_code in (0, 1), res.output
    assert "Traceback" not in res.output and "failed unexpectedly" not in res.output, res.output


@CLI
@given(
    stem=stems,
    suffix=st.sampled_from([".txt", ".jsonl", ".html"]),
    data=any_bytes | record_jsonl_bytes(),
)
def test_ingest_cli(home: Path, stem: str, suffix: str, data: bytes) -> None:
    path = _write(home, f"{stem}{suffix}", data)
    _run(["--db", str(home / "store.db"), "ingest", path])
    _run(["--db", str(home / "store.db"), "ingest", "--skip-bad", "--verbose", path])


@CLI
@given(
    stem=stems,
    data=any_bytes | record_jsonl_bytes() | consistent_jsonl_bytes(),
    articles=jsonl_bytes(),
)
def test_validate_cli(home: Path, stem: str, data: bytes, articles: bytes) -> None:
    _run(["validate", _write(home, f"{stem}.jsonl", data), _write(home, "a.jsonl", articles)])


@CLI
@given(
    stem=stems,
    suffix=st.sampled_from([".jsonl", ".conll"]),
    data=any_bytes | record_jsonl_bytes() | consistent_jsonl_bytes(),
)
def test_evaluate_cli(home: Path, stem: str, suffix: str, data: bytes) -> None:
    _run(["evaluate", "--gold", _write(home, f"{stem}{suffix}", data)])


@CLI
@given(
    stem=stems, suffix=st.sampled_from([".jsonl", ".txt"]), data=any_bytes | record_jsonl_bytes()
)
def test_preannotate_offline_cli(home: Path, stem: str, suffix: str, data: bytes) -> None:
    _run(["preannotate", _write(home, f"{stem}{suffix}", data), "-o", str(home / "out.jsonl")])
