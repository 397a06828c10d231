"""Annotator accounts: the invite link, and accounts created with a generated password.

Label Studio's user API cannot set a password, so `add_user` signs the account up through
the organisation's invite link (the same form an invited annotator fills in), then sets the
names with the admin's token. The generated password is kept in `$ANNOTATE_HOME/studio/
users.json` (mode 0600), keyed by server URL and e-mail, and never printed or logged here.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotate.errors import StudioError
from annotate.private import private_dir
from annotate.studio.client import StudioClient
from annotate.studio.server import _write_private

USERS_FILE = "users.json"


class TeamError(StudioError):
    """An account cannot be created as asked; the message holds no secret."""


@dataclass(frozen=True)
class AddedUser:
    email: str
    user_id: int
    url: str
    password_file: Path
    created: bool  # False: the account already existed and its password is on file
    password: str = ""

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return (
            f"AddedUser(email={self.email!r}, user_id={self.user_id}, url={self.url!r}, "
            f"created={self.created}, password='***')"
        )


def users_file(home: Path) -> Path:
    return Path(home) / "studio" / USERS_FILE


def _load(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise TeamError(f"{path} is not valid JSON; move it away and add the users again") from exc
    return data if isinstance(data, dict) else {}


def _key(url: str, email: str) -> str:
    return f"{url.rstrip('/')} {email.strip().lower()}"


def stored_password(home: Path, url: str, email: str) -> str | None:
    """The generated password of an account `add_user` created on that server, if any."""
    entry = _load(users_file(home)).get(_key(url, email))
    return entry.get("password") if entry else None


def add_user(
    client: StudioClient,
    home: Path,
    email: str,
    first_name: str = "",
    last_name: str = "",
) -> AddedUser:
    """Create an annotator account with a generated password kept in a 0600 file.

    Idempotent for accounts this workspace created (the stored password is kept); refuses
    an e-mail that exists in Label Studio but not in the file (its password is unknown).
    """
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise TeamError(f"{email!r} is not an e-mail address")
    path = users_file(home)
    users = _load(path)
    key = _key(client.url, email)
    existing = client.find_user(email)
    if existing is not None:
        if key not in users:
            raise TeamError(
                f"{email} already has an account at {client.url} that this workspace did not "
                "create; its owner logs in with their own password"
            )
        _set_names(client, existing, first_name, last_name)
        return AddedUser(
            email, int(existing["id"]), client.url, path, False, users[key]["password"]
        )
    password = secrets.token_urlsafe(18)
    client.signup(client.invite(), email, password)
    user = client.find_user(email)
    if user is None:
        raise TeamError(f"Label Studio at {client.url} did not list {email} after sign-up")
    _set_names(client, user, first_name, last_name)
    users[key] = {
        "url": client.url,
        "email": email,
        "user_id": int(user["id"]),
        "password": password,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    private_dir(path.parent)
    _write_private(path, json.dumps(users, indent=2, sort_keys=True))
    return AddedUser(email, int(user["id"]), client.url, path, True, password)


def _set_names(client: StudioClient, user: dict[str, Any], first: str, last: str) -> None:
    fields = {k: v for k, v in (("first_name", first), ("last_name", last)) if v}
    if fields and any(user.get(k) != v for k, v in fields.items()):
        client.update_user(int(user["id"]), **fields)
