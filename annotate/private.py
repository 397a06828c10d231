"""What must stay private: the workspace's files, and the passwords inside URLs.

The workspace holds secrets in places Label Studio and SQLite choose (the admin token in
Label Studio's own database, articles and annotations in the store), so owner-only modes
are kept for the whole tree, not only for credentials.json: directories 0700, files 0600.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

UMASK = 0o077  # what children and new files get: nothing for group and others
DIR_MODE = 0o700
FILE_MODE = 0o600


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Files and directories created inside get no group/other bits (the umask is global:
    hold it only around the creating calls)."""
    old = os.umask(UMASK)
    try:
        yield
    finally:
        os.umask(old)


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only; repair its own mode if it existed."""
    with owner_only():
        path.mkdir(parents=True, exist_ok=True)
    restrict(path)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty and 0600 when missing (SQLite gives its -wal/-shm files the
    database file's mode); repair its mode when it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
    os.close(fd)
    restrict(path)
    return path


def private_sqlite(path: Path) -> None:
    """A SQLite store's file 0600 before SQLite opens it (its -wal/-shm files take that
    mode), and any older files repaired; a missing folder is made 0700, an existing one
    is the user's and left as it is."""
    if not path.parent.exists():
        private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        restrict(path.with_name(path.name + suffix))


def repair(root: Path) -> None:
    """Take group/other bits off `root` and everything under it (a workspace made before,
    or copied with wider modes). Symlinks and files of other users are left alone."""
    if not root.exists():
        return
    restrict(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            restrict(Path(dirpath) / name)


def restrict(path: Path) -> None:
    """Take the group/other bits off one path (a directory keeps rwx for its owner)."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return
        mode = stat.S_IMODE(st.st_mode)
        wanted = (mode | DIR_MODE if stat.S_ISDIR(st.st_mode) else mode) & ~UMASK
        if wanted != mode:
            os.chmod(path, wanted)
    except (FileNotFoundError, PermissionError):
        pass  # gone meanwhile, or not ours to change


def safe_url(url: str) -> str:
    """`url` with the password of its user info masked, for messages and the store.

    Plain string work, so that a URL no parser accepts (a port of letters) is masked too.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    netloc, tail = rest[:end], rest[end:]
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return url
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{hostport}{tail}"
