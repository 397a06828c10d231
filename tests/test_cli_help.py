"""Every command explains itself: `--help` works, shows an example, and the README lists it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from annotate.cli import app
from tests.conftest import runner

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(groups: bool = False) -> list[list[str]]:
    """Every command's words; with `groups`, also the groups' (`annotate`, `annotate db`)."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            if groups:
                paths.append(prefix)
            for name, sub in cmd.commands.items():
                walk(sub, [*prefix, name])
        else:
            paths.append(prefix)

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _commands(groups=True), ids=lambda p: " ".join(p) or "annotate")
def test_help_has_an_example(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p))
def test_readme_documents_the_command(path: list[str]) -> None:
    assert f"annotate {' '.join(path)}" in README


@pytest.mark.parametrize("path", _commands(groups=True), ids=lambda p: " ".join(p) or "annotate")
def test_help_reads_as_a_person_expects(path: list[str]) -> None:
    """No type placeholder after a flag (`<bool>`), no `{paths}...` in a usage line: what
    Typer 0.27+ prints, hence the pin in pyproject.toml."""
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not re.search(r"<(bool|int|float|str|path|list)\b", result.output), result.output
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert "{" not in usage, usage
    if path == ["ingest"]:
        assert usage.rstrip().endswith("[OPTIONS] PATHS..."), usage


def test_a_usage_error_is_typers_own_not_a_bug(workspace: Path) -> None:
    """`_Commands.invoke` lets the (vendored) click's exceptions through: exit 2, no bug line."""
    result = runner.invoke(app, ["push", "--batch-size", "0"])
    assert result.exit_code == 2, result.output
    assert "x>=1" in result.output and "unexpectedly" not in result.output
