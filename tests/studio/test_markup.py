"""Project names that look like rich markup go through push, pull and status verbatim."""

from __future__ import annotations

import pytest

from tests.studio.conftest import Workspace, add_articles, article_text

pytestmark = pytest.mark.studio


def test_push_pull_and_status_print_a_markup_like_project_name_verbatim(ws: Workspace) -> None:
    add_articles(ws, [article_text(i) for i in range(2)])
    name = f"[/x][bold]{ws.project}"
    for args in (("push",), ("pull",), ("status",)):
        result = ws.invoke(*args, "--project", name)
        assert result.exit_code == 0, (args, result.output)
        assert repr(name) in result.output, (args, result.output)
