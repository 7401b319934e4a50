"""Where an input file really is: symbolic links that lead out of the project are refused.

A listing, note, review or theme asset that is a symbolic link (or lies under one) to a file
outside the project would otherwise be read into the site and published: a link to
`/etc/passwd`, or to a CI machine's secrets, committed to a repository of listings. Links
within the project are followed as usual. `scratch` tells editors' swap and backup files
from inputs. This module answers the questions; its callers report and skip.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["OUTSIDE", "leaves", "scratch"]

OUTSIDE = "a symbolic link to a file outside the project; skipped (copy the file in instead)"
"""What a caller says about such a file."""


def leaves(path: Path, root: Path) -> bool:
    """True when `path`, links resolved, is not inside `root` (or cannot be resolved: a broken
    link, a loop)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return True
    return not real.is_relative_to(root.resolve())


def scratch(name: str) -> bool:
    """True for a hidden file or an editor's swap, backup or temporary file (`.x.swp`, `x~`,
    `#x#`, `x.tmp`): never an input, never worth a warning."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp"))
