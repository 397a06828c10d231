"""Compiled artifacts in the user cache directory: the lexicons and the CRF's weights.

Each artifact is named by a key of what it is built from, written atomically and
owner-only; a missing, damaged or unwritable one only costs a rebuild.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

# Where compiled artifacts are kept: this variable, else the user cache directory; "off"
# builds in memory every time.
CACHE_ENV = "ANNOTATE_CACHE"


def cache_dir() -> Path | None:
    """The folder of compiled artifacts, or None when caching is off."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return None if env == "off" else Path(env)
    import platformdirs

    return platformdirs.user_cache_path("annotate")


def load(path: Path) -> Any | None:
    """The marshalled tables at ``path``, or None when absent or unreadable."""
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None


def save(path: Path, tables: Any) -> None:
    """Write ``tables`` (marshal: same Python only, which the keys include) atomically,
    owner-only; a cache that cannot be written only costs the next process a rebuild."""
    from annotate.private import private_dir

    try:
        private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
        with os.fdopen(fd, "wb") as out:
            out.write(marshal.dumps(tables))
        os.replace(tmp, path)
    except (OSError, ValueError):
        return
