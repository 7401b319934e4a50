"""Exceptions that carry a user-facing message; the CLI prints them without a traceback.

`ContentError` means the user's content or config is wrong (exit 1); `StrictError` is the
`--strict` build refusing its warnings (exit 1, every warning attached); `UsageError` means the
command was called wrongly, e.g. an output directory that would overwrite the project (exit 2).
Problems found in one listing are not exceptions but `model.Issue`s: the build goes on.
"""

from __future__ import annotations

from collections.abc import Sequence


class LitreviewError(Exception):
    """Base of the errors the CLI reports as a message."""

    exit_code = 1


class ContentError(LitreviewError):
    """A problem in a file the user wrote, located by file and line where possible."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


class StrictError(LitreviewError):
    """`--strict` and the build found warnings: every one is fatal; `issues` lists them."""

    def __init__(self, issues: Sequence[object]) -> None:
        self.issues = tuple(issues)
        super().__init__(f"--strict: {len(self.issues)} warning(s) are fatal; "
                         "nothing was written")


class UsageError(LitreviewError):
    """The command was asked to do something it must not (e.g. write into content/)."""

    exit_code = 2
