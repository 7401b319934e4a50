"""Atomic site output: files go to a staging directory that replaces `site/` in one swap.

A build that fails or is killed leaves the previous `site/` untouched (the staging directory is
discarded next time). Paths are checked so nothing is written outside the staging directory,
and an existing output directory is only replaced if litreview made it (marker file).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath

from .errors import UsageError

MARKER = ".litreview-build"

__all__ = ["MARKER", "SiteWriter", "check_output_dir"]


def check_output_dir(out: Path, root: Path) -> None:
    """Refuse output directories that would overwrite the project, its content or `/`."""
    out, root = out.resolve(), root.resolve()
    protected = [root, root / "content", root / "templates", Path(out.anchor)]
    for p in protected:
        if out == p or p.is_relative_to(out):
            raise UsageError(f"refusing to build into {out}: it is or contains {p}")
    if out.is_relative_to(root / "content"):
        raise UsageError(f"refusing to build into {out}: it is inside content/")
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise UsageError(f"refusing to replace {out}: it was not made by litreview "
                         f"(no {MARKER}); remove it or pick another --output")


class SiteWriter:
    """Collects the files of one build in a staging directory, then swaps it into place."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.staging = out.with_name(f".{out.name}.staging")
        self.count = 0
        self.bytes = 0
        old = out.with_name(f".{out.name}.old")
        if not out.exists() and old.exists():  # a build was killed mid-swap: restore
            os.replace(old, out)
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)

    def path_for(self, rel: str) -> Path:
        """The staging path of site-relative `rel`; refuses anything escaping the site."""
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\x00" in rel:
            raise ValueError(f"unsafe output path {rel!r}")
        return self.staging.joinpath(*pure.parts)

    def write(self, rel: str, content: str | bytes) -> None:
        """Write one file of the site (UTF-8 for text)."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        target = self.path_for(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        self.count += 1
        self.bytes += len(data)

    def commit(self) -> None:
        """Swap the staging directory into place; the old site is removed only afterwards."""
        (self.staging / MARKER).write_text("built by litreview; safe to delete with site/\n")
        old = self.out.with_name(f".{self.out.name}.old")
        if old.exists():
            shutil.rmtree(old)
        if self.out.exists():
            os.replace(self.out, old)
        os.replace(self.staging, self.out)
        if old.exists():
            shutil.rmtree(old)

    def discard(self) -> None:
        """Drop the staging directory (after a failed build)."""
        shutil.rmtree(self.staging, ignore_errors=True)
