"""The embedded Label Studio: a `label-studio` subprocess the tool starts, watches and stops.

Everything lives under `$ANNOTATE_HOME/studio/`:

- `data/`            Label Studio's data dir (SQLite file and media)
- `credentials.json` admin e-mail, password and API token (mode 0600, generated once)
- `server.json`      pid, port and url of the running server (the pid file)
- `server.log`       the server's output (mode 0600)

Label Studio keeps the admin token in its own database under `data/`, so the server runs
with a umask of 0o077 and `start` repairs the modes of the whole workspace (0700/0600, see
`annotate.private`) before it runs.

The server binds 127.0.0.1 only, sign-up is closed, and Sentry and the version check are off.
Secrets are only ever read from `credentials.json`; nothing here prints or raises them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from annotate.errors import StudioError
from annotate.private import UMASK, private_dir, repair, restrict, safe_url

DEFAULT_PORT = 8080
HOST = "127.0.0.1"
ADMIN_EMAIL = "admin@annotate.local"
START_TIMEOUT = 180.0

# Names Label Studio reads as LABEL_STUDIO_<X>, HEARTEX_<X> or bare <X>: never inherit them.
_LS_SETTINGS = (
    "USERNAME",
    "PASSWORD",
    "USER_TOKEN",
    "PORT",
    "HOST",
    "BASE_DATA_DIR",
    "DATABASE_NAME",
    "DJANGO_DB",
    "DISABLE_SIGNUP_WITHOUT_LINK",
    "ENABLE_LEGACY_API_TOKEN",
)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return f"Credentials(username={self.username!r}, password='***', token='***')"


@dataclass(frozen=True)
class ServerStatus:
    url: str
    running: bool
    pid: int | None
    port: int | None
    data_dir: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class LocalStudio:
    """The Label Studio server of one workspace."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.root = self.home / "studio"
        self.data_dir = self.root / "data"
        self.credentials_file = self.root / "credentials.json"
        self.pid_file = self.root / "server.json"
        self.log_file = self.root / "server.log"

    # -- credentials -------------------------------------------------------------------

    def credentials(self, create: bool = False) -> Credentials | None:
        """The admin login, generated (once) when `create` is set."""
        if self.credentials_file.is_file():
            data = json.loads(self.credentials_file.read_text(encoding="utf-8"))
            return Credentials(data["username"], data["password"], data["token"])
        if not create:
            return None
        creds = Credentials(
            username=ADMIN_EMAIL,
            password=secrets.token_urlsafe(24),
            token=secrets.token_hex(20),  # 40 characters, sent as a legacy `Token`
        )
        private_dir(self.root)
        _write_private(
            self.credentials_file,
            json.dumps(
                {"username": creds.username, "password": creds.password, "token": creds.token},
                indent=2,
            ),
        )
        return creds

    # -- process -----------------------------------------------------------------------

    def _record(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.pid_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _alive(self, record: dict[str, Any] | None) -> bool:
        """Whether the recorded pid is still the `label-studio` process we started."""
        if not record:
            return False
        pid = int(record.get("pid", 0))
        if pid <= 0:
            return False
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            try:
                os.kill(pid, 0)
            except OSError:
                return False
            return True
        args = [a.decode(errors="replace") for a in cmdline]
        return (
            any("label-studio" in a or "label_studio" in a for a in args)
            and str(record.get("port")) in args
        )

    def status(self) -> ServerStatus:
        record = self._record()
        running = self._alive(record) and healthy(record["url"]) if record else False
        port = int(record["port"]) if record else None
        return ServerStatus(
            url=record["url"] if record else f"http://{HOST}:{DEFAULT_PORT}",
            running=bool(running),
            pid=int(record["pid"]) if record and self._alive(record) else None,
            port=port,
            data_dir=str(self.data_dir),
        )

    def url(self) -> str | None:
        record = self._record()
        return record["url"] if record and self._alive(record) else None

    def secure(self) -> None:
        """Repair the modes of what the workspace holds: the home folder itself, all of
        `studio/` and `locks/`, and the default store's files. Other files in the home are
        the user's and left alone."""
        restrict(self.home)
        repair(self.root)
        repair(self.home / "locks")
        for store in self.home.glob("annotate.db*"):
            restrict(store)

    def start(self, port: int = DEFAULT_PORT, timeout: float = START_TIMEOUT) -> tuple[str, bool]:
        """Start the server (or find it running); returns (url, started_now)."""
        self.secure()
        record = self._record()
        if self._alive(record):
            assert record is not None
            if wait_healthy(record["url"], timeout):
                return record["url"], False
            raise StudioError(
                f"Label Studio (pid {record['pid']}) does not answer on {safe_url(record['url'])}; "
                f"see {self.log_file}, or run `annotate studio stop`"
            )
        deadline = time.monotonic() + 10
        while not port_free(port) and time.monotonic() < deadline:
            time.sleep(0.3)  # a server just stopped may hold the port for a moment
        if not port_free(port):
            raise StudioError(f"port {port} on {HOST} is in use; choose another with --port")
        creds = self.credentials(create=True)
        assert creds is not None
        private_dir(self.data_dir)
        url = f"http://{HOST}:{port}"
        executable = Path(sys.executable).with_name("label-studio")
        if not executable.exists():
            raise StudioError(
                "label-studio is not installed in this environment: pip install 'annotate[studio]'"
            )
        cmd = [
            str(executable),
            "start",
            "--no-browser",
            "--internal-host",
            HOST,
            "--port",
            str(port),
            "--host",
            url,
        ]
        env = _server_env(self.data_dir, creds)
        log = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            proc = subprocess.Popen(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                umask=UMASK,  # its database holds the admin token: nothing for group/other
                start_new_session=True,  # its own process group: stop ends it and its children
            )
        finally:
            os.close(log)
        _write_private(
            self.pid_file, json.dumps({"pid": proc.pid, "port": port, "url": url}, indent=2)
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise StudioError(
                    f"Label Studio exited with code {proc.returncode} while starting; "
                    f"see {self.log_file}"
                )
            if healthy(url):
                return url, True
            time.sleep(0.5)
        self.stop()
        raise StudioError(
            f"Label Studio did not become healthy in {timeout:.0f} s; see {self.log_file}"
        )

    def stop(self, timeout: float = 30.0) -> int | None:
        """Stop the server this workspace started; returns its pid, or None if none ran."""
        record = self._record()
        if not self._alive(record):
            self.pid_file.unlink(missing_ok=True)
            return None
        assert record is not None
        pid = int(record["pid"])
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (_exists(pid) or _group_exists(pid)):
            time.sleep(0.2)
        if _exists(pid) or _group_exists(pid):
            _signal_group(pid, signal.SIGKILL)
            time.sleep(0.5)
        self.pid_file.unlink(missing_ok=True)
        return pid


def _exists(pid: int) -> bool:
    try:
        # reap it if it is our child (when started in this process)
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return True


def _group_exists(pgid: int) -> bool:
    """Whether any live process is left in the group we started (its children)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    except OSError:
        return True
    return False


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # pid is the group leader (start_new_session)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _server_env(data_dir: Path, creds: Credentials) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not any(k in (n, f"LABEL_STUDIO_{n}", f"HEARTEX_{n}") for n in _LS_SETTINGS)
    }
    env.pop("LABEL_STUDIO_API_KEY", None)
    env.pop("LABEL_STUDIO_URL", None)
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
            "LABEL_STUDIO_USERNAME": creds.username,
            "LABEL_STUDIO_PASSWORD": creds.password,
            "LABEL_STUDIO_USER_TOKEN": creds.token,
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "LATEST_VERSION_CHECK": "false",
            "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
            "COLLECT_ANALYTICS": "false",
            "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
        }
    )
    return env


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (created 0600, never briefly wider)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def port_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as resp:
            return json.loads(resp.read() or b"{}").get("status") == "UP"
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if healthy(url):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.5)
