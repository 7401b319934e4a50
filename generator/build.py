"""The pipeline: the only place that knows the order of the stages.

`build()` reads every listing, repairs, de-duplicates, enriches, then writes the Markdown pages,
the HTML pages and the machine-readable outputs into a staging directory that replaces `site/`
at the end. It returns a `BuildReport`; it prints nothing (the CLI does).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import outputs
from .cache import BuildCache
from .config import load_config
from .dedupe import assign_slugs, dedupe
from .enrich import enrich
from .errors import StrictError
from .library import Library
from .model import Issue, Paper
from .pages import paper_to_markdown
from .render import Renderer, builtin_theme_dir, make_environment, render_site
from .repair import repair_listing
from .search import (
    BUNDLE_DIR,
    RECORD_GLOB,
    SearchPlan,
    SearchResult,
    build_search_index,
    plan_search,
)
from .sources import Listing, listing_paths, read_listing
from .writer import SiteWriter, check_output_dir

__all__ = ["BuildReport", "build", "today"]

Progress = Callable[[str, int], Callable[[], None]]


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
    stages: dict[str, float] = field(default_factory=dict)
    output: Path | None = None
    search: SearchResult | None = None
    unplaced: int = 0
    """Papers that matched no curated topic (listed under "Other")."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.stages[name] = self.stages.get(name, 0.0) + time.perf_counter() - start


def today() -> dt.date:
    """The build date: `SOURCE_DATE_EPOCH` when set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def _no_progress(label: str, total: int) -> Callable[[], None]:
    return lambda: None


def build(root: Path, *, output: Path | None = None, base_url: str | None = None,
          strict: bool = False, progress: Progress = _no_progress,
          search_index: bool = True, cache: BuildCache | None = None,
          keep_search_index: bool = False) -> BuildReport:
    """Build the site of the project at `root` into `output` (default `root/site`).

    `cache` keeps parsed listings between builds (`BuildCache(root)`: on disk, under
    `.litreview-cache/`); `keep_search_index` keeps a published search index even when paper
    pages changed (`serve`, for fast rebuilds).
    """
    root = root.resolve()
    out = (output or root / "site").resolve()
    report = BuildReport(output=out)
    config = load_config(root, base_url)
    check_output_dir(out, root)
    cache = cache if cache is not None else BuildCache(None)  # in memory: nothing kept

    # Gather: read every listing with the reader its text calls for, repair each listing.
    papers: list[Paper] = []
    with report.stage("read + repair"):
        for listing, repaired, issues in _read_repaired(root, cache):  # order: by content
            report.issues.extend(listing.issues)
            report.issues.extend(issues)
            report.listings[listing.name] = (listing.layout, len(repaired))
            papers.extend(repaired)

    # Identity: one paper per title across listings, with a stable id and a unique slug.
    with report.stage("dedupe"):
        unique, report.merged = dedupe(papers)
        unique = assign_slugs(unique)

    # Enrich: topics, tags and related papers.
    with report.stage("enrich"):
        enrichment = enrich(unique, config, root)
        report.issues.extend(enrichment.issues)
        report.unplaced = enrichment.unplaced
        library = Library.build(enrichment.papers, descriptions=enrichment.descriptions,
                                min_tag_papers=config.tags.min_papers)
    report.papers = len(library.papers)
    report.missing_titles = [p.slug for p in library.papers if p.title_missing]
    _fail_if_strict(report, strict)

    # Write: Markdown pages, HTML pages, machine-readable outputs, assets.
    # Index: Pagefind reads the written paper pages; then the staging dir is swapped in.
    plan = plan_search(search_index)
    writer = SiteWriter(out)
    try:
        _write_site(writer, library, root, config, report, progress, plan)
        with report.stage("search index"):
            report.search = _index_search(writer, plan, cache, keep_search_index)
        writer.commit()
    except BaseException:
        writer.discard()
        raise
    report.files_written, report.bytes_written = writer.count, writer.bytes
    report.files_unchanged, report.files_deleted = writer.unchanged, writer.deleted
    report.changed_paths = writer.published
    cache.finish()
    return report


def _read_repaired(root: Path, cache: BuildCache) -> list[tuple[Listing, list[Paper], list[Issue]]]:
    """Every listing read and repaired, reused from `cache` while its bytes are unchanged."""
    day = today()

    def read_and_repair(path: Path) -> tuple[Listing, list[Paper], list[Issue]]:
        listing = read_listing(path)
        return (listing, *repair_listing(listing.papers, day))

    return [cache.per_file("listing", path, partial(read_and_repair, path), day.isoformat())
            for path in listing_paths(root / "content" / "listings")]


def _index_search(writer: SiteWriter, plan: SearchPlan, cache: BuildCache,
                  keep: bool) -> SearchResult:
    """Index the whole new site, or keep the published index when no paper page changed."""
    previous = cache.recall("search")
    if (plan.backend is not None and isinstance(previous, SearchResult) and previous.enabled
            and (keep or not writer.differs(RECORD_GLOB)) and writer.keep_tree(BUNDLE_DIR)):
        return previous
    # The indexer reads the whole site: `complete()` links unchanged files in.
    result = build_search_index(writer.complete() if plan.backend else writer.staging, plan)
    cache.remember("search", result)
    return result


def _fail_if_strict(report: BuildReport, strict: bool) -> None:
    if strict and report.issues:
        raise StrictError(report.issues)


def _write_site(writer: SiteWriter, library: Library, root: Path, config, report: BuildReport,
                progress: Progress, plan: SearchPlan) -> None:
    with report.stage("pages (markdown)"):
        for paper in library.papers:
            writer.write(f"papers/{paper.slug}.md", paper_to_markdown(paper, library))
    with report.stage("render (html)"):
        renderer = Renderer(make_environment(root / "templates", config), library, config)
        tick = progress("Rendering pages", len(library.papers))
        for page in render_site(renderer, search_off=plan.off_reason):
            writer.write(page.path, page.text)
            tick()
    with report.stage("outputs"):
        writer.write("papers.json", outputs.papers_json(library))
        writer.write("feed.xml", outputs.feed_xml(library, config))
        writer.write("sitemap.xml", outputs.sitemap_xml(library, config))
        writer.write("robots.txt", outputs.robots_txt(config))
        writer.write(".nojekyll", "")
        _copy_static(writer, root)


def _copy_static(writer: SiteWriter, root: Path) -> None:
    """Copy theme assets (`static/`) to `site/assets/`, project files overriding built-ins."""
    files: dict[str, Path] = {}
    for theme in (builtin_theme_dir(), root / "templates"):
        static = theme / "static"
        if static.is_dir():
            for f in sorted(static.rglob("*")):
                if f.is_file():
                    files[f.relative_to(static).as_posix()] = f
    for rel, f in sorted(files.items()):
        writer.write(f"assets/{rel}", f.read_bytes())
