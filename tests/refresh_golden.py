"""Rebuild the golden site of the small fixture project: `python -m tests.refresh_golden`.

The golden test (`tests/test_site.py::test_small_fixture_site_matches_golden`) builds
`tests/fixtures/small` exactly as `build_small_site()` does here and compares every file byte
for byte with `tests/golden/small/`. After an intended output change, run this module, review
`git diff tests/golden`, and commit the refreshed files with the change.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from generator.build import BuildReport

from .conftest import FIXTURES, build_pinned, site_tree

SMALL = FIXTURES / "small"
GOLDEN = Path(__file__).resolve().parent / "golden" / "small"
REFRESH_COMMAND = ".venv/bin/python -m tests.refresh_golden"
IGNORED = ("pagefind/",)
"""Output not kept in the golden site: Pagefind's bundle depends on the Pagefind version
installed, not on litreview (the search tests check it)."""


def golden_files(site: Path) -> dict[str, bytes]:
    """The files of a built site that the golden test compares: {relative path: bytes}."""
    return {rel: data for rel, data in site_tree(site).items() if not rel.startswith(IGNORED)}


def build_small_site(out: Path) -> BuildReport:
    """Build the small fixture project into `out` (pinned date, default base URL)."""
    return build_pinned(SMALL, out)


def main() -> int:
    """Replace tests/golden/small with a fresh build; print what changed in file counts."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "site"
        report = build_small_site(out)
        files = golden_files(out)
    before = len(site_tree(GOLDEN)) if GOLDEN.exists() else 0
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for rel, data in files.items():
        target = GOLDEN / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    after = len(files)
    print(f"refreshed {GOLDEN} from {SMALL}: {report.papers} papers, "
          f"{before} -> {after} files; review with `git diff --stat tests/golden`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
