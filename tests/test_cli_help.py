"""Every command explains itself: `--help` works, shows an example, and the README lists it."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from annotate.cli import app
from tests.conftest import runner

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd: object, prefix: list[str]) -> None:
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            for name, sub in cmd.commands.items():
                walk(sub, [*prefix, name])
        else:
            paths.append(prefix)

    walk(root, [])
    return paths


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p))
def test_help_has_an_example(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p))
def test_readme_documents_the_command(path: list[str]) -> None:
    assert f"annotate {' '.join(path)}" in README
