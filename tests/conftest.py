"""Shared test helpers: repository paths, a pinned build date, tiny projects, site trees.

Kept small and generic so any test module can use it. Builds of the default site are
session-scoped and read-only: a test that needs to change a site builds its own.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.build import BuildReport, build

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
                       max_lines: int = 60) -> str:
    """A readable account of how two site trees differ ('' when they are identical)."""
    out: list[str] = []
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    out += [f"missing: {p}" for p in missing] + [f"unexpected: {p}" for p in extra]
    for rel in sorted(set(expected) & set(actual)):
        if expected[rel] == actual[rel]:
            continue
        try:
            old = expected[rel].decode("utf-8").splitlines()
            new = actual[rel].decode("utf-8").splitlines()
        except UnicodeDecodeError:
            out.append(f"differs (binary): {rel}")
            continue
        out += list(difflib.unified_diff(old, new, f"expected/{rel}", f"actual/{rel}",
                                         lineterm="", n=1))[:max_lines]
    return "\n".join(out)


@pytest.fixture(scope="session")
def default_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildReport]:
    """The repository's own project (the five sample listings) built once at base `/`."""
    out = tmp_path_factory.mktemp("default") / "site"
    return out, build_pinned(REPO, out)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[Mapping[str, str | bytes]], Path]:
    """Factory for a tiny project in a temporary directory (MkDocs' `@tempdir(files=...)`)."""
    return lambda files: write_project(tmp_path / "project", files)
