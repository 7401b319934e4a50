"""Full-text search: index the written site with Pagefind, or say clearly why search is off.

`plan_search()` picks an indexer: Pagefind's Python API (`pagefind[bin]`), else `npx pagefind`
when Node is on PATH, else none (with the reason). `build_search_index()` runs it over the paper
pages of a finished site directory, writes the bundle to `<site>/pagefind/` and makes it
byte-reproducible (`search_bundle`). No indexer, or an indexer that fails, never fails the
build: the result says why search is off.

This module does not decide what a record holds (the templates do, with `data-pagefind-*`
attributes), does not render the search page, and does not know the stage order (`build` does).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .search_bundle import bundle_problem, stabilise_bundle

__all__ = ["BUNDLE_DIR", "RECORD_GLOB", "SearchPlan", "SearchResult", "build_search_index",
           "plan_search"]

BUNDLE_DIR = "pagefind"
"""Folder of the search bundle inside the site (`site/pagefind/`)."""
RECORD_GLOB = "papers/*/index.html"
"""Pages Pagefind reads: paper pages only, so index and navigation pages are never records."""
NPX_PACKAGE = "pagefind@1"
"""What the Node fallback runs (`npx --yes pagefind@1`): any Pagefind 1.x."""
TIMEOUT_SECONDS = 1800
"""Give up on an indexer that neither finishes nor fails (e.g. its process died)."""
SETTLE_SECONDS = 60
"""How long to wait for Pagefind's last in-flight writes after it answered "written"."""


@dataclass(frozen=True)
class SearchPlan:
    """The indexer a build will use: `python`, `npx`, or None with the reason search is off."""

    backend: str | None
    off_reason: str | None = None


@dataclass(frozen=True)
class SearchResult:
    """What indexing produced: records, bundle files and bytes; or why search is off."""

    backend: str | None
    records: int = 0
    files: int = 0
    bytes: int = 0
    version: str = ""
    reproducible: bool = False
    off_reason: str | None = None

    @property
    def enabled(self) -> bool:
        return self.off_reason is None


def _python_pagefind() -> Path | None:
    """The binary behind Pagefind's Python API, or None when the package or binary is missing."""
    try:
        from pagefind.service import get_executable
    except ImportError:
        return None
    return get_executable()


def _npx() -> str | None:
    """Node's `npx`, when Node is installed."""
    return shutil.which("npx") if shutil.which("node") else None


def plan_search(enabled: bool = True) -> SearchPlan:
    """Pick the indexer: Python API first, `npx pagefind` second, else off with the reason."""
    if not enabled:
        return SearchPlan(None, "disabled with --no-search")
    if _python_pagefind() is not None:
        return SearchPlan("python")
    if _npx() is not None:
        return SearchPlan("npx")
    return SearchPlan(None, "Pagefind is not installed (pip install 'pagefind[bin]') "
                            "and Node's npx is not on PATH for the `npx pagefind` fallback")


def build_search_index(site: Path, plan: SearchPlan) -> SearchResult:
    """Index the paper pages of `site` into `site/pagefind/` with the planned indexer."""
    if plan.backend is None:
        return SearchResult(None, off_reason=plan.off_reason)
    bundle = site / BUNDLE_DIR
    try:
        if plan.backend == "python":
            import asyncio  # here, not at the top: a skipped build never indexes

            asyncio.run(asyncio.wait_for(_index_with_python(site, bundle), TIMEOUT_SECONDS))
        else:
            _index_with_npx(site)
        problem = bundle_problem(bundle)
        if problem is not None:
            raise RuntimeError(f"incomplete bundle ({problem})")
        reproducible = stabilise_bundle(bundle)
        return _summarise(plan.backend, bundle, reproducible)
    # Pagefind runs as a separate program; whatever it raises, the build goes on without search.
    except Exception as exc:
        shutil.rmtree(bundle, ignore_errors=True)
        detail = str(exc).strip() or type(exc).__name__
        return SearchResult(plan.backend, off_reason=f"Pagefind ({plan.backend}) failed: {detail}")


class _Written(Exception):
    """Leaves PagefindIndex's context without the second write it does on a clean exit."""


async def _index_with_python(site: Path, bundle: Path) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    # Pagefind's service answers "written" before its last file writes land, and leaving the
    # context writes again and kills the service at once: that can leave empty files. So write
    # once, wait until the bundle is whole, and leave by an exception that skips the rewrite.
    try:
        async with PagefindIndex(config=IndexConfig(output_path=str(bundle))) as index:
            await index.add_directory(str(site), glob=RECORD_GLOB)
            await index.write_files()
            await _settle(bundle)
            raise _Written
    except _Written:
        pass


async def _settle(bundle: Path) -> None:
    """Return once `bundle` is complete on disk; fail after SETTLE_SECONDS."""
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_SECONDS
    while (problem := bundle_problem(bundle)) is not None:
        if loop.time() > deadline:
            raise RuntimeError(f"the bundle stayed incomplete ({problem})")
        await asyncio.sleep(0.05)


def _index_with_npx(site: Path) -> None:
    npx = _npx()
    if npx is None:
        raise RuntimeError("npx is no longer on PATH")
    command = [npx, "--yes", NPX_PACKAGE, "--site", str(site), "--glob", RECORD_GLOB,
               "--output-subdir", BUNDLE_DIR, "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS,
                          check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"`{' '.join(command[:3])}` exited with {done.returncode}: "
                           + " / ".join(tail))


def _summarise(backend: str, bundle: Path, reproducible: bool) -> SearchResult:
    """Count records (from Pagefind's entry file), files and bytes of a written bundle."""
    entry_file = bundle / "pagefind-entry.json"
    if not entry_file.is_file():
        raise RuntimeError(f"no {BUNDLE_DIR}/pagefind-entry.json was written")
    entry = json.loads(entry_file.read_text(encoding="utf-8"))
    records = sum(int(lang.get("page_count", 0)) for lang in entry.get("languages", {}).values())
    files = [f for f in bundle.rglob("*") if f.is_file()]
    return SearchResult(backend, records=records, files=len(files),
                        bytes=sum(f.stat().st_size for f in files),
                        version=str(entry.get("version", "")), reproducible=reproducible)
