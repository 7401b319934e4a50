"""What a build did: `BuildReport` (counts, issues, time per stage) and the reports that a
skipped build and a build stamp keep.

The pipeline fills a report (`build`); the CLI prints it; `serve` reads what changed. This
module only holds and copies the figures: it runs nothing and prints nothing.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from .model import Issue
from .overlay import Overlay
from .reviews import Linked
from .search import SearchResult

__all__ = ["BuildReport", "Editorial", "skipped_report", "stamped"]


@dataclass(frozen=True)
class Editorial:
    """The editors' files a build applied: notes, notes whose paper is missing, papers the
    notes hide, reviews."""

    notes: int
    orphans: int
    hidden: int
    reviews: int


@dataclass
class BuildReport:
    """What a build did: counts per listing, merges, issues, pages and time per stage."""

    listings: dict[str, tuple[str | None, int]] = field(default_factory=dict)
    papers: int = 0
    merged: int = 0
    missing_titles: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    files_written: int = 0
    bytes_written: int = 0
    files_unchanged: int = 0
    """Files produced with the bytes they already had in `site/` (left untouched)."""
    files_deleted: int = 0
    changed_paths: tuple[str, ...] = ()
    """Site paths written or deleted by this build (what `serve` reloads)."""
    jobs_reused: int = 0
    """Page jobs not run because nothing they read changed (see `pagememo`)."""
    deferred: int = 0
    """Jobs of whole-collection pages left out of date by a `quick` build (see `build`)."""
    stages: dict[str, float] = field(default_factory=dict)
    """Wall seconds per stage."""
    stages_cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds per stage, render workers included; also per kind of rendering work."""
    workers: int = 1
    """Processes that rendered the pages (see `parallel`)."""
    skipped: bool = False
    """True when nothing had changed since the last build, so nothing was done."""
    output: Path | None = None
    search: SearchResult | None = None
    overlay: Overlay | None = None
    """What the editors' notes did (notes applied, orphans, hidden papers)."""
    linked: Linked | None = None
    """Papers with notes rendered and backlinks, and the rendered reviews."""
    editorial: Editorial | None = None
    """What `overlay` and `linked` counted, kept where they are not (a no-op or patched
    build shows the last full build's)."""
    unplaced: int = 0
    """Papers that matched no curated topic (listed under "Other")."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), _cpu_seconds()
        yield
        self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - start
        self.stages_cpu[name] = self.stages_cpu.get(name, 0.0) + _cpu_seconds() - cpu


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (render workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def stamped(report: BuildReport) -> BuildReport:
    """The report a build stamp keeps (for the no-op build that shows it again)."""
    return replace(report, overlay=None, linked=None, changed_paths=())


def skipped_report(previous: BuildReport, now: BuildReport) -> BuildReport:
    """The report of a skipped build: what the last build found, nothing written, the time
    the check took."""
    return replace(previous, files_unchanged=previous.files_unchanged + previous.files_written,
                   files_written=0, bytes_written=0, files_deleted=0, changed_paths=(),
                   stages=now.stages, stages_cpu=now.stages_cpu, skipped=True)
