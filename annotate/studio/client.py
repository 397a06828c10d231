"""The only module that talks to Label Studio: HTTP calls, nothing else.

It speaks plain dicts: what goes in and comes out is Label Studio's own JSON. Project
management and identity go through the SDK's public API (`label_studio_sdk.LabelStudio`);
bulk calls (imports, task listings, exports) go through one authenticated `httpx.Client`
and skip the SDK's pydantic models, which cost more than the HTTP round trip on thousands
of tasks. Building payloads is `convert.py`'s job, deciding what to send is `sync.py`'s.

Errors become `StudioError` subclasses carrying the HTTP status as `status`; their
messages never contain a token or password. `StudioClient.url` is the server's URL with
any password in it masked: it is what messages print and what the store records.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from annotate.errors import StudioApiError, StudioAuthError, StudioError, StudioUnavailable
from annotate.private import safe_url
from annotate.studio.server import LocalStudio

URL_ENV = "LABEL_STUDIO_URL"
KEY_ENV = "LABEL_STUDIO_API_KEY"
DEFAULT_TIMEOUT = 300.0
EXPORT_WHAT = "export the project"
PAGE_SIZE = 1000


@dataclass(frozen=True)
class Connection:
    url: str
    token: str
    source: str  # "env" or "local"

    def __repr__(self) -> str:
        return f"Connection(url={safe_url(self.url)!r}, token='***', source={self.source!r})"


def resolve_connection(home: Path) -> Connection:
    """LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY when set, else the workspace's local server."""
    url = os.environ.get(URL_ENV, "").strip()
    key = os.environ.get(KEY_ENV, "").strip()
    if url or key:
        if not (url and key):
            missing = KEY_ENV if url else URL_ENV
            raise StudioAuthError(f"{missing} is not set (a remote Label Studio needs both)")
        return Connection(url.rstrip("/"), key, "env")
    studio = LocalStudio(home)
    creds = studio.credentials()
    local_url = studio.url()
    if creds is None or local_url is None:
        raise StudioUnavailable(
            "no Label Studio: run `annotate studio start`, or set "
            f"{URL_ENV} and {KEY_ENV} for a remote server"
        )
    return Connection(local_url, creds.token, "local")


def _describe_body(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("detail", "validation_errors", "message", "error"):
            if key in body:
                return json.dumps(body[key], ensure_ascii=False)[:500]
        return json.dumps(body, ensure_ascii=False)[:500]
    return str(body)[:500]


class StudioClient:
    """A thin wrapper over `label_studio_sdk.LabelStudio` for one server."""

    def __init__(self, conn: Connection, timeout: float = DEFAULT_TIMEOUT) -> None:
        import httpx
        from label_studio_sdk import LabelStudio
        from label_studio_sdk.core.api_error import ApiError

        self.conn = conn
        self.url = safe_url(conn.url)
        self._timeout = timeout
        # No automatic retries: a retried import could create tasks twice.
        try:
            self._sdk = LabelStudio(
                base_url=conn.url, api_key=conn.token, timeout=timeout, max_retries=0
            )
        except ApiError as exc:  # the SDK reads a JWT's expiry before any request
            raise self._token_refused(_describe_body(exc.body), exc.status_code) from None
        self._http = httpx.Client(base_url=conn.url.rstrip("/") + "/", timeout=timeout)
        self._access: str | None = None  # a personal access token's current access token

    def __repr__(self) -> str:
        return f"StudioClient(url={self.url!r})"

    # -- error mapping -----------------------------------------------------------------

    def _wrap(self, exc: BaseException, what: str) -> StudioError:
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        if isinstance(exc, StudioError):
            return exc
        if isinstance(exc, ApiError):
            if exc.status_code in (401, 403):
                hint = (
                    f"check {KEY_ENV}"
                    if self.conn.source == "env"
                    else f"the workspace's credentials no longer match the server; or set {KEY_ENV}"
                )
                return StudioAuthError(
                    f"Label Studio at {self.url} rejected the API token ({exc.status_code}) "
                    f"while trying to {what}: {hint}",
                    status=exc.status_code,
                )
            return StudioApiError(
                f"Label Studio at {self.url} failed to {what} "
                f"(HTTP {exc.status_code}): {_describe_body(exc.body)}",
                status=exc.status_code,
            )
        if isinstance(exc, httpx.TimeoutException):
            return StudioUnavailable(f"Label Studio at {self.url} timed out while trying to {what}")
        if isinstance(exc, httpx.HTTPError | OSError):
            return StudioUnavailable(
                f"cannot reach Label Studio at {self.url} to {what} ({type(exc).__name__}); "
                "is it running? (`annotate studio status`)"
            )
        return StudioApiError(f"Label Studio client failed to {what}: {type(exc).__name__}")

    def _authorization(self, refresh: bool = False) -> str:
        """The Authorization header: a legacy token as is; a personal access token (a JWT
        refresh token) exchanged for an access token, as the SDK does."""
        token = self.conn.token
        if token.count(".") != 2:
            return f"Token {token}"
        if self._access is None or refresh:
            resp = self._http.post("api/token/refresh/", json={"refresh": token})
            try:
                access = resp.json()["access"] if resp.status_code == 200 else None
            except (ValueError, KeyError, TypeError):
                access = None
            if not access:
                raise self._token_refused(f"HTTP {resp.status_code}", resp.status_code)
            self._access = str(access)
        return f"Bearer {self._access}"

    def _token_refused(self, why: str, status: int | None) -> StudioAuthError:
        """A personal access token (JWT) that is expired, malformed or not the server's."""
        return StudioAuthError(
            f"Label Studio at {self.url} does not accept the personal access token in "
            f"{KEY_ENV} ({why}): create a new one in Label Studio (Account & Settings) "
            f"and set {KEY_ENV}",
            status=status,
        )

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """One authenticated request (an expired access token is refreshed once)."""
        extra = kwargs.pop("headers", {})
        try:
            resp = self._http.request(
                method,
                path,
                headers={"Authorization": self._authorization(), **extra},
                **kwargs,
            )
            if resp.status_code == 401 and self._access is not None:
                resp = self._http.request(
                    method,
                    path,
                    headers={"Authorization": self._authorization(True), **extra},
                    **kwargs,
                )
        except StudioError:
            raise
        except Exception as exc:  # noqa: BLE001 - mapped to StudioError
            raise self._wrap(exc, what) from None
        return resp

    def _raw(
        self,
        method: str,
        path: str,
        what: str,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """One authenticated request; returns the decoded JSON body.

        Bodies are encoded and decoded with orjson: an import or export of thousands of
        tasks spends more time in the stdlib's json than on the wire.
        """
        return self._decode(self._send(method, path, what, params, json_body), what)

    def _send(
        self,
        method: str,
        path: str,
        what: str,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> Any:
        """`_raw` up to the answer: the response, its HTTP errors raised as StudioError."""
        import orjson
        from label_studio_sdk.core.api_error import ApiError

        body_kwargs: dict[str, Any] = {}
        if json_body is not None:
            body_kwargs = {
                "content": orjson.dumps(json_body),
                "headers": {"Content-Type": "application/json"},
            }
        resp = self._request(method, path, what, params=params, **body_kwargs)
        if resp.status_code >= 400:
            try:
                body = resp.json()
            except ValueError:
                body = resp.text
            raise self._wrap(
                ApiError(status_code=resp.status_code, headers={}, body=body), what
            ) from None
        return resp

    def _decode(self, resp: Any, what: str) -> Any:
        """The JSON body of a response `_send` returned (None when empty)."""
        import orjson

        if not resp.content:
            return None
        try:
            return orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            raise StudioApiError(
                f"Label Studio at {self.url} sent a non-JSON answer while trying to {what}",
                status=resp.status_code,
            ) from None

    def _sdk_call(self, what: str, call: Any) -> Any:
        """Run one SDK call; its pydantic answer as plain JSON, its errors as StudioError."""
        try:
            value = call()
        except Exception as exc:  # noqa: BLE001 - mapped to StudioError
            raise self._wrap(exc, what) from None
        return value.model_dump(mode="json") if hasattr(value, "model_dump") else value

    def server_time(self) -> datetime | None:
        """The server's clock (HTTP Date header, whole seconds), for pull cursors."""
        from email.utils import parsedate_to_datetime

        resp = self._request("GET", "health", "read the server time")
        date = resp.headers.get("date")
        if not date:
            return None
        try:
            return parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return None

    # -- identity and users ------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        return self._sdk_call("check the API token", self._sdk.users.whoami)

    def users(self) -> list[dict[str, Any]]:
        return self._raw("GET", "api/users/", "list users")

    def find_user(self, email: str) -> dict[str, Any] | None:
        data = self.users()
        items = data.get("results", data) if isinstance(data, dict) else data
        wanted = email.strip().casefold()
        return next((u for u in items if (u.get("email") or "").casefold() == wanted), None)

    def update_user(self, user_id: int, **fields: Any) -> dict[str, Any]:
        return self._raw("PATCH", f"api/users/{user_id}/", "update a user", json_body=fields)

    def invite(self, reset: bool = False) -> str:
        """The organisation's sign-up link (absolute), the one way in while sign-up is closed.

        `reset` makes a new link and invalidates the old one.
        """
        if reset:
            data = self._raw("POST", "api/invite/reset-token", "reset the invite link")
        else:
            data = self._raw("GET", "api/invite", "read the invite link")
        path = (data or {}).get("invite_url")
        if not path:
            raise StudioApiError(f"Label Studio at {self.url} sent no invite link")
        return f"{self.url}{path}" if path.startswith("/") else path

    def signup(self, invite_url: str, email: str, password: str) -> None:
        """Create an account through the invite link's sign-up form, as an annotator would.

        Label Studio's user API cannot set a password, so this is the one way to create an
        account that can log in. The form is posted without the admin's token.
        """
        import html
        import re

        import httpx

        what = "sign up a user through the invite link"
        try:
            with httpx.Client(timeout=self._timeout, follow_redirects=False) as http:
                http.get(invite_url)
                resp = http.post(
                    invite_url,
                    data={
                        "email": email,
                        "password": password,
                        "csrfmiddlewaretoken": http.cookies.get("csrftoken") or "",
                    },
                    headers={"Referer": invite_url},
                )
        except Exception as exc:  # noqa: BLE001 - mapped to StudioError
            raise self._wrap(exc, what) from None
        if resp.status_code in (301, 302, 303):
            return
        if resp.status_code == 403:
            raise StudioAuthError(
                f"Label Studio at {self.url} refused the invite link (403) while trying to "
                f"{what}: reset it with `annotate studio invite --reset`"
            )
        blocks = re.findall(r'<ul class="field_errors">(.*?)</ul>', resp.text, flags=re.S)
        errors = [e.strip() for b in blocks for e in re.findall(r"<li>([^<]*)</li>", b)]
        errors = [html.unescape(e) for e in errors if e]
        detail = "; ".join(dict.fromkeys(errors)) or f"HTTP {resp.status_code}"
        raise StudioApiError(f"Label Studio at {self.url} did not create {email}: {detail}")

    # -- projects ----------------------------------------------------------------------

    def find_project(self, title: str) -> dict[str, Any] | None:
        page = 1
        while True:
            data = self._raw(
                "GET",
                "api/projects/",
                "list projects",
                params={"title": title, "page": page, "page_size": 100},
            )
            items = data.get("results", []) if isinstance(data, dict) else data
            for project in items:
                if project.get("title") == title:
                    return project
            if not isinstance(data, dict) or not data.get("next"):
                return None
            page += 1

    def get_project(self, project_id: int, missing_ok: bool = False) -> dict[str, Any] | None:
        """The project's settings; None when it does not exist and `missing_ok`.

        Raw HTTP, not the SDK: a push reads it before every batch, and the SDK's model of a
        project parses a hundred fields we never read."""
        try:
            return self._raw("GET", f"api/projects/{project_id}/", "read the project")
        except StudioApiError as exc:
            if missing_ok and exc.status == 404:
                return None
            raise

    def create_project(self, title: str, label_config: str, instructions: str) -> dict[str, Any]:
        return self._sdk_call(
            "create the project",
            lambda: self._sdk.projects.create(
                title=title,
                label_config=label_config,
                expert_instruction=instructions,
                show_instruction=True,
            ),
        )

    def set_overlap(self, project_id: int, annotators: int) -> dict[str, Any]:
        """Each task goes to `annotators` different annotators ("Label All Tasks" hands a
        task out until it has that many annotations); applied to every task (cohort 100%)."""
        return self.update_project(
            project_id,
            maximum_annotations=annotators,
            overlap_cohort_percentage=100,
            show_overlap_first=annotators > 1,
        )

    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]:
        return self._sdk_call(
            "update the project", lambda: self._sdk.projects.update(id=project_id, **fields)
        )

    def validate_config(self, label_config: str) -> list[str]:
        """The server's own verdict on a labeling config: [] when it accepts it."""
        try:
            self._raw(
                "POST",
                "api/projects/validate/",
                "validate the labeling config",
                json_body={"label_config": label_config},
            )
        except StudioApiError as exc:
            return [str(exc)]
        return []

    # -- tasks -------------------------------------------------------------------------

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> list[int]:
        """Import tasks (with their predictions) in one request; returns the new task ids."""
        data = self._raw(
            "POST",
            f"api/projects/{project_id}/import",
            "import tasks",
            params={"return_task_ids": "true", "commit_to_project": "true"},
            json_body=tasks,
        )
        ids = (data or {}).get("task_ids")
        if ids is None or len(ids) != len(tasks):
            raise StudioApiError(
                f"Label Studio at {self.url} answered an import of {len(tasks)} tasks "
                f"with {len(ids or [])} task ids"
            )
        return [int(i) for i in ids]

    def iter_tasks(
        self,
        project_id: int,
        *,
        filters: list[dict[str, Any]] | None = None,
        fields: str = "all",
        page_size: int = PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """The project's tasks (with annotations when fields='all'), ordered by id."""
        params: dict[str, Any] = {"project": project_id, "page_size": page_size, "fields": fields}
        query: dict[str, Any] = {"ordering": ["tasks:id"]}
        if filters:
            query["filters"] = {"conjunction": "and", "items": filters}
        params["query"] = json.dumps(query)
        page = 1
        while True:
            params["page"] = page
            try:
                data = self._raw("GET", "api/tasks/", "list tasks", params=params)
            except StudioApiError as exc:
                if exc.status == 404 and page > 1:  # past the last page
                    return
                raise
            tasks = data.get("tasks", []) if isinstance(data, dict) else data
            yield from tasks
            total = data.get("total") if isinstance(data, dict) else None
            if len(tasks) < page_size or (total is not None and page * page_size >= total):
                return
            page += 1

    def tasks_updated_since(self, project_id: int, since: datetime) -> Iterator[dict[str, Any]]:
        flt = {
            "filter": "filter:tasks:updated_at",
            "operator": "greater",
            "type": "Datetime",
            # the only format Label Studio's filter parses: microseconds and a literal Z
            "value": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        return self.iter_tasks(project_id, filters=[flt])

    def task_hashes(self, project_id: int) -> dict[str, list[int]]:
        """content_hash -> ids of the project's tasks carrying it (to reconcile a push)."""
        out: dict[str, list[int]] = {}
        for task in self.iter_tasks(project_id, fields="task_only"):
            h = (task.get("data") or {}).get("content_hash")
            if h:
                out.setdefault(h, []).append(int(task["id"]))
        return out

    def annotated_task_ids(self, project_id: int) -> set[int]:
        """Ids of the project's tasks with an annotation, submitted or skipped (pulled or not)."""
        return {
            int(task["id"])
            for task in self.iter_tasks(project_id, fields="task_only")
            if (task.get("total_annotations") or 0) + (task.get("cancelled_annotations") or 0)
        }

    def export_json(
        self, project_id: int, ids: Sequence[int] | None = None
    ) -> list[dict[str, Any]]:
        """Every task of the project (or those of `ids`) with annotations and predictions,
        in one request."""
        # Seen here: two exports at once on the embedded server may answer one with an empty
        # body. Ask again rather than take that for an empty project.
        for _ in range(3):
            data = self._decode(self._export_response(project_id, ids), EXPORT_WHAT)
            if isinstance(data, list):
                return data
        raise StudioApiError(f"Label Studio at {self.url} sent an empty export of the project")

    def _export_response(self, project_id: int, ids: Sequence[int] | None) -> Any:
        params: dict[str, Any] = {"exportType": "JSON", "download_all_tasks": "true"}
        if ids is not None:
            params["ids[]"] = [str(i) for i in ids]
        return self._send("GET", f"api/projects/{project_id}/export", EXPORT_WHAT, params=params)

    def export_chunks(
        self, project_id: int, id_chunks: Iterable[Sequence[int]]
    ) -> Iterator[list[dict[str, Any]]]:
        """`export_json` of each chunk of task ids, the next chunk asked for while the
        caller handles this one: Label Studio serializes on one core while the store
        writes on the other. A chunk may name at most 998 ids (Django's limit of 1,000
        query fields); fewer, larger chunks spare the server its fixed cost per export."""
        from concurrent.futures import Future, ThreadPoolExecutor

        chunks = iter(id_chunks)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export") as pool:

            def ask(ids: Sequence[int] | None) -> tuple[Sequence[int], Future] | None:
                return (ids, pool.submit(self._export_response, project_id, ids)) if ids else None

            pending = ask(next(chunks, None))
            while pending is not None:
                ids, answer = pending
                response = answer.result()
                # the next chunk is asked for before this one is decoded, so the server
                # never waits on the decoding
                pending = ask(next(chunks, None))
                data = self._decode(response, EXPORT_WHAT)
                yield data if isinstance(data, list) else self.export_json(project_id, ids)

    # -- predictions and annotations ---------------------------------------------------

    def import_predictions(self, project_id: int, predictions: list[dict[str, Any]]) -> int:
        """Add predictions (each with its `task` id) to existing tasks; returns how many."""
        data = self._raw(
            "POST",
            f"api/projects/{project_id}/import/predictions",
            "import predictions",
            json_body=predictions,
        )
        return int((data or {}).get("created", len(predictions)))


def login(url: str, email: str, password: str, timeout: float = 60.0) -> Connection:
    """Log in with e-mail and password (the browser's form) and return that user's API
    connection: how an annotator account is checked and acted as, without an admin token."""
    import httpx

    url = url.rstrip("/")
    shown = safe_url(url)
    try:
        with httpx.Client(base_url=url, timeout=timeout, follow_redirects=False) as http:
            http.get("/user/login/")
            resp = http.post(
                "/user/login/",
                data={
                    "email": email,
                    "password": password,
                    "csrfmiddlewaretoken": http.cookies.get("csrftoken") or "",
                },
                headers={"Referer": f"{url}/user/login/"},
            )
            if resp.status_code not in (301, 302, 303):
                raise StudioAuthError(f"Label Studio at {shown} refused the login of {email}")
            token = http.get("/api/current-user/token")
    except httpx.HTTPError as exc:
        raise StudioUnavailable(
            f"cannot reach Label Studio at {shown} to log in ({type(exc).__name__})"
        ) from None
    if token.status_code != 200:
        raise StudioAuthError(
            f"Label Studio at {shown} gave no API token to {email} (HTTP {token.status_code})"
        )
    return Connection(url, str(token.json()["token"]), "login")


def connect(home: Path, timeout: float = DEFAULT_TIMEOUT, check: bool = True) -> StudioClient:
    """A client for the configured server; `check` verifies the token with one request."""
    client = StudioClient(resolve_connection(home), timeout=timeout)
    if check:
        client.whoami()
    return client
