"""The one exception family of annotate.

Every error the library raises for a user to act on is an `AnnotateError`: its message is
one line that names the file, line, field or project at fault, holds no secret and says
what to do next. The CLI maps the family to that line and `exit_code` in one place
(`annotate.cli`); anything else escaping a command is a bug, shown as one line too.
"""

from __future__ import annotations


class AnnotateError(Exception):
    """Something the user can fix: the message says what and how."""

    exit_code = 1


class UsageError(AnnotateError):
    """An option value that cannot be used (a policy, a split spec, a project name)."""


class InputError(AnnotateError):
    """An input file is malformed; the message names the file and line."""


class SchemaError(AnnotateError):
    """The label schema, a targets file or a model's label set does not fit."""


class StoreError(AnnotateError):
    """The store cannot be used as asked: unreachable, outdated, or no such project."""


class StudioError(AnnotateError):
    """Label Studio cannot be started, reached, or did not do what was asked.

    `status` is the HTTP status of Label Studio's answer, when there was one.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class StudioUnavailable(StudioError):
    """Label Studio could not be reached (down, stopped, wrong URL, timeout)."""


class StudioAuthError(StudioError):
    """Label Studio rejected the API token or a login."""


class StudioApiError(StudioError):
    """Label Studio answered with an error."""


class SyncError(StudioError):
    """A push, pull or review cannot go on; the message says why and what to do."""


class ExportError(AnnotateError):
    """The export cannot run as asked (nothing to export, output folder in the way...)."""


class ClusterError(AnnotateError):
    """The Dask cluster cannot be reached or started, or its workers run other rules."""
