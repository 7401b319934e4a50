"""Exceptions that carry a user-facing message; the CLI prints them without a traceback.

`ContentError` means the user's content or config is wrong (exit 1); `UsageError` means the
command was called wrongly (exit 2).
"""

from __future__ import annotations


class LitreviewError(Exception):
    """Base of the errors the CLI reports as a message."""

    exit_code = 1


class ContentError(LitreviewError):
    """A problem in a file the user wrote, located by file and line where possible."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class UsageError(LitreviewError):
    """The command was asked to do something it must not (e.g. write into content/)."""

    exit_code = 2
