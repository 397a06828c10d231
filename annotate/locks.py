"""Per-project locks in the workspace: commands that write one project take turns.

A lock file per project under `$ANNOTATE_HOME/locks/`, held with `flock` for the whole
command. It serializes the runs on one host; across hosts the store's unique constraints
are the safety net.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from annotate.private import FILE_MODE, private_dir, restrict


@contextlib.contextmanager
def project_lock(home: Path, name: str) -> Iterator[None]:
    """An exclusive lock on one project (waits for the other holder)."""
    lock_dir = private_dir(Path(home) / "locks")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    path = lock_dir / f"project-{safe}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    restrict(path)
    with os.fdopen(fd, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
