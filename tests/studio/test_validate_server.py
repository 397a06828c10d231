"""`annotate validate --server`: the running Label Studio accepts the generated config."""

from __future__ import annotations

import pytest

from tests.studio.conftest import Workspace

pytestmark = pytest.mark.studio


def test_running_server_accepts_the_generated_config(ws: Workspace) -> None:
    result = ws.invoke("validate", "--server")
    assert result.exit_code == 0, result.output
    assert "accepted by the server" in result.output
