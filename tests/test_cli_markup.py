"""User-supplied strings (file names, project names) are printed as they are, never as markup."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotate.cli import app
from tests.conftest import runner


def markup_named_files(tmp_path: Path) -> tuple[Path, list[str]]:
    folder = tmp_path / "in"
    (folder / "d[").mkdir(parents=True)
    (folder / "[bold]x.txt").write_text("Ministers met in Oslo on Monday.\n")
    (folder / "d[" / "x].txt").write_text("Envoys met in Quito on Tuesday.\n")
    return folder, ["[bold]x.txt", "d[/x].txt"]


def test_ingest_verbose_prints_file_names_verbatim(workspace: Path, tmp_path: Path) -> None:
    folder, names = markup_named_files(tmp_path)
    result = runner.invoke(app, ["ingest", "-v", str(folder)])
    assert result.exit_code == 0, result.output
    for name in names:
        assert f"new: {folder}/{name}" in result.output, result.output
    again = runner.invoke(app, ["ingest", "-v", str(folder)])
    assert again.exit_code == 0 and again.output.count("duplicate: ") == 2
    assert all(name in again.output for name in names), again.output


def test_a_bad_file_with_markup_in_its_name_is_named_verbatim(
    workspace: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "[red]empty.txt").write_text("")
    (folder / "good.txt").write_text("Envoys met in Lima.\n")
    stopped = runner.invoke(app, ["ingest", str(folder)])
    assert stopped.exit_code == 1 and "[red]empty.txt" in stopped.output, stopped.output
    skipped = runner.invoke(app, ["ingest", "--skip-bad", str(folder)])
    assert skipped.exit_code == 1 and "rejected: " in skipped.output
    assert "[red]empty.txt" in skipped.output, skipped.output


def test_status_of_a_project_named_like_markup_is_a_clean_error(workspace: Path) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0  # a store, without projects
    for name in ("[/x]", "[bold]news"):
        result = runner.invoke(app, ["status", "--project", name])
        assert result.exit_code == 1, result.output
        (line,) = result.output.strip().splitlines()
        assert line.startswith("error: no project named ") and repr(name) in line, line


@pytest.mark.parametrize("name", ["", "  ", "\t"])
@pytest.mark.parametrize("command", ["push", "pull", "review", "export", "status"])
def test_an_empty_or_blank_project_name_is_refused(
    workspace: Path, command: str, name: str
) -> None:
    result = runner.invoke(app, [command, "--project", name])
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: --project") and "empty" in line, line
