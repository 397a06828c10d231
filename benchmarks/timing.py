"""The benchmarks' one clock for a whole command: wall and CPU seconds of a child process.

Imported by the scripts beside it (`python benchmarks/NAME.py` puts this folder on sys.path).
"""

from __future__ import annotations

import resource
import subprocess
import time
from pathlib import Path


def timed(
    argv: list[str], env: dict[str, str] | None = None, cwd: str | Path | None = None
) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``argv``, CPU counting every child it waits for
    (the pool workers too); output captured, a failure raises."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
