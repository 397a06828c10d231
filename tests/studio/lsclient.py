"""The calls only tests make: an annotator's actions and an admin's cleanup.

Kept out of `annotate.studio.client`, which holds what the tool itself needs.
"""

from __future__ import annotations

from typing import Any

from annotate.studio.client import StudioClient


class TestClient(StudioClient):
    """A `StudioClient` that can also annotate, create users and read single tasks."""

    __test__ = False  # not a pytest test class

    def create_user(self, email: str, **fields: Any) -> dict[str, Any]:
        """A user without a password (it cannot log in): for API-only test annotators."""
        body = {"email": email, "username": email, **fields}
        return self._raw("POST", "api/users/", "create a user", json_body=body)

    def next_task(self, project_id: int) -> dict[str, Any] | None:
        """The task "Label All Tasks" hands this client's user next (None when done)."""
        from annotate.errors import StudioApiError

        try:
            return self._raw("GET", f"api/projects/{project_id}/next", "read the next task")
        except StudioApiError as exc:
            if exc.status == 404:
                return None
            raise

    def get_task(self, task_id: int) -> dict[str, Any]:
        return self._raw("GET", f"api/tasks/{task_id}/", "read a task")

    def delete_project(self, project_id: int) -> None:
        self._raw("DELETE", f"api/projects/{project_id}/", "delete the project")

    def create_annotation(
        self, task_id: int, result: list[dict[str, Any]], **fields: Any
    ) -> dict[str, Any]:
        return self._raw(
            "POST",
            f"api/tasks/{task_id}/annotations/",
            "create an annotation",
            json_body={"result": result, **fields},
        )

    def update_annotation(self, annotation_id: int, **fields: Any) -> dict[str, Any]:
        return self._raw(
            "PATCH", f"api/annotations/{annotation_id}/", "update an annotation", json_body=fields
        )

    def delete_task(self, task_id: int) -> None:
        self._raw("DELETE", f"api/tasks/{task_id}/", "delete a task")

    def delete_annotation(self, annotation_id: int) -> None:
        self._raw("DELETE", f"api/annotations/{annotation_id}/", "delete an annotation")

    def task_annotations(self, task_id: int) -> list[dict[str, Any]]:
        return self._raw("GET", f"api/tasks/{task_id}/annotations/", "list annotations")
