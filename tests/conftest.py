"""Shared test helpers: repository paths, a pinned build date, tiny projects, site trees.

Kept small and generic so any test module can use it. Builds of the default site are
session-scoped and read-only: a test that needs to change a site builds its own.
"""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.build import BuildReport, build
from generator.config import CONFIG_FILE

REPO = Path(__file__).resolve().parent.parent
LISTINGS = REPO / "content" / "listings"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PINNED_EPOCH = "1780272000"
"""2026-06-01T00:00:00Z: the "today" of test builds, so yearless dates resolve the same way."""


@contextmanager
def pinned_today(epoch: str = PINNED_EPOCH) -> Iterator[None]:
    """Set SOURCE_DATE_EPOCH for the duration (usable outside function-scoped fixtures)."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def build_pinned(root: Path, out: Path, **options: object) -> BuildReport:
    """Build the project at `root` into `out` with the pinned build date."""
    with pinned_today():
        return build(root, output=out, **options)  # type: ignore[arg-type]


def write_project(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write a tiny project: `{relative path: text or bytes}` under `root`; return `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def site_tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (hidden ones included) as {posix relative path: bytes}."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def describe_tree_diff(expected: Mapping[str, bytes], actual: Mapping[str, bytes],
                       max_files: int = 8, max_lines: int = 40) -> str:
    """A readable account of how two site trees differ ('' when they are identical)."""
    out = [f"missing: {p}" for p in sorted(set(expected) - set(actual))]
    out += [f"unexpected: {p}" for p in sorted(set(actual) - set(expected))]
    changed = [r for r in sorted(set(expected) & set(actual)) if expected[r] != actual[r]]
    for rel in changed[:max_files]:
        try:
            old = expected[rel].decode("utf-8").splitlines()
            new = actual[rel].decode("utf-8").splitlines()
        except UnicodeDecodeError:
            out.append(f"differs (binary): {rel}")
            continue
        out += list(difflib.unified_diff(old, new, f"expected/{rel}", f"actual/{rel}",
                                         lineterm="", n=1))[:max_lines]
    if len(changed) > max_files:
        out.append(f"... and {len(changed) - max_files} more changed files: "
                   + ", ".join(changed[max_files:]))
    return "\n".join(out)


def snapshot_project(source: Path, dest: Path) -> Path:
    """Copy a project's inputs (content/, litreview.yaml) to `dest`, so builds compared with
    each other read the same files even while someone edits the working tree."""
    shutil.copytree(source / "content", dest / "content")
    if (source / CONFIG_FILE).is_file():
        shutil.copy2(source / CONFIG_FILE, dest / CONFIG_FILE)
    return dest


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the repository's own project (the five sample listings)."""
    return snapshot_project(REPO, tmp_path_factory.mktemp("default") / "project")


@pytest.fixture(scope="session")
def default_site(default_project: Path) -> tuple[Path, BuildReport]:
    """The default project built once at base `/`: (site directory, build report)."""
    out = default_project.parent / "site"
    return out, build_pinned(default_project, out)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    """Factory for a tiny project in a temporary directory (MkDocs' `@tempdir(files=...)`)."""
    return lambda files: write_project(tmp_path / "project", files)
