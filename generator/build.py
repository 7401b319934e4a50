"""The pipeline: the only place that knows the order of the stages.

`build()` reads every listing, repairs, de-duplicates, enriches, then writes the Markdown pages,
the HTML pages and the machine-readable outputs into a staging directory that replaces `site/`
at the end. It returns a `BuildReport`; it prints nothing (the CLI does).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from . import notepatch, reuse
from .cache import BuildCache
from .config import load_config
from .errors import ContentError, StrictError
from .fingerprint import BuildStamp
from .library import Library
from .model import Issue, Paper
from .notes import read_notes
from .overlay import apply_notes, pin_notes
from .pagememo import PageMemo
from .parallel import render_pages, worker_count
from .paths import OUTSIDE, leaves
from .render import Renderer, builtin_theme_dir, make_environment
from .repair import repair_listing
from .report import BuildReport, Editorial, skipped_report, stamped
from .reviews import Review, link_documents, read_reviews
from .search import (
    BUNDLE_DIR,
    RECORD_GLOB,
    SearchPlan,
    SearchResult,
    build_search_index,
    plan_search,
)
from .sitejobs import copy_static, site_jobs
from .sources import Listing, listing_paths, read_listing, unread, unread_entries
from .writer import SiteWriter, check_output_dir

__all__ = ["BuildReport", "build", "today"]

Progress = Callable[[str, int], Callable[[], None]]
EDITORIAL_ERRORS = ("front matter", "duplicate note", "duplicate review", "bad field",
                    "broken link")
"""Kinds of `Issue` in notes and reviews that stop a build (see `_fail_on_editorial_errors`)."""


def today() -> dt.date:
    """The build date: `SOURCE_DATE_EPOCH` when set (reproducible builds), else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def _no_progress(label: str, total: int) -> Callable[[], None]:
    return lambda: None


FULL_COLLECTION_EVERY = 25
"""Session builds between two full garbage collections (see `_collector_paused`)."""


def _collector_paused(func: Callable[..., BuildReport]) -> Callable[..., BuildReport]:
    """The cyclic garbage collector is paused while building: a build makes millions of
    long-lived objects (papers, pages' reads) and the collector would walk them again and
    again (seconds at 50,000 papers) to find almost nothing; a build's cycles are few and
    short-lived. In a session (`cache.in_session`, i.e. `serve`) what the build keeps in
    memory is then frozen out of the collector's sight, and every `FULL_COLLECTION_EVERY`
    builds it runs once. Outside a session, what the build made is moved to the oldest
    generation unexamined (`freeze`, `unfreeze`): else the first allocation after the build
    examines all of it as young objects (1.7 s after a note edit at 50,000 papers, in the
    process's last second). Render workers run without the collector (see `parallel`)."""
    @functools.wraps(func)  # keeps `build`'s signature for readers and `inspect`
    def run(root: Path, *, cache: BuildCache | None = None, **options: Any) -> BuildReport:
        if not gc.isenabled():
            return func(root, cache=cache, **options)
        gc.disable()
        try:
            return func(root, cache=cache, **options)
        finally:
            if cache is not None and cache.in_session:
                cache.builds += 1
                if cache.builds % FULL_COLLECTION_EVERY == 0:
                    gc.unfreeze()
                    gc.collect()
                gc.freeze()
            elif not gc.get_freeze_count():  # nobody else's frozen objects to thaw
                gc.freeze()  # the build's objects join the oldest generation unexamined
                gc.unfreeze()
            gc.enable()
    return run


@_collector_paused
def build(root: Path, *, output: Path | None = None, base_url: str | None = None,
          strict: bool = False, progress: Progress = _no_progress,
          search_index: bool = True, allow_broken_links: bool = False,
          check_only: bool = False, cache: BuildCache | None = None,
          quick: bool = False, force: bool = False) -> BuildReport:
    """Build the site of the project at `root` into `output` (default `root/site`).

    With `check_only`, stop once the content is read and checked (after the notes stage) and
    write nothing; `litreview check` and `new-note` use this. `cache` keeps parsed listings
    between builds (`BuildCache(root)`: on disk, under `.litreview-cache/`);
    `quick` (`serve`, while edits come in) keeps the published search index, and the pages
    made from the whole collection (papers.json, feed, sitemap, map, home; see
    `PageMemo.plan`) as the last build left them even when pages changed;
    `BuildReport.deferred` then counts the jobs waiting for a build without `quick`. `force`
    runs every stage even when nothing changed since the last build
    (`serve` does so once in the background, to fill its in-memory caches).
    """
    root = root.resolve()
    out = (output or root / "site").resolve()
    report = BuildReport(output=out)
    config = load_config(root, base_url)
    if not check_only:
        check_output_dir(out, root)
    cache = cache if cache is not None else BuildCache(None)  # in memory: nothing kept
    # Unchanged: with an on-disk cache, a build whose inputs, code, options and output are all
    # exactly as the last one left them is skipped (the no-op rebuild of 50k papers is instant).
    with report.stage("unchanged check"):
        stamp = None if check_only or cache.directory is None else BuildStamp.take(
            root, out, builtin_theme_dir(),
            repr((base_url, strict, search_index, allow_broken_links, quick,
                  today())), cache.session.setdefault("input digests", {}))
        previous = stamp.unchanged_report() if stamp is not None and not force else None
    if previous is not None:
        return skipped_report(previous, report)
    # Notes' prose edited, nothing else: only the files showing it are made again.
    if stamp is not None and not (quick or force or strict or cache.in_session):
        patched = notepatch.patch(root, out, config, cache, stamp, report, partial(
            _index_search, plan=plan_search(search_index), cache=cache, keep=False))
        if patched is not None:
            return patched
    if stamp is not None:
        stamp.forget()
    groups = _gather(root, cache, report)
    # Identity: one paper per title across listings, with a stable id and a unique slug.
    with report.stage("dedupe"):
        unique, report.merged = reuse.identified(groups, cache)
    unique = _editors(root, config, cache, report, unique, groups)
    if check_only:
        cache.settle()  # what dedupe kept is on disk (see `BuildCache.remember`)
        report.papers = len(unique)
        report.missing_titles = [p.slug for p in unique if p.title_missing]
        return report
    _fail_on_editorial_errors(report.issues, allow_broken_links)
    library = _enriched_library(root, config, cache, report, unique)
    report.papers = len(library.papers)
    report.missing_titles = [p.slug for p in library.papers if p.title_missing]
    _fail_if_strict(report, strict)
    _publish(root, out, config, cache, report, library,
             Publishing(progress, plan_search(search_index), quick, stamp))
    return report


def _gather(root: Path, cache: BuildCache, report: BuildReport) -> list[list[Paper]]:
    """Read every listing with the reader its text calls for, repair each listing; the papers
    of each listing, in build order."""
    groups: list[list[Paper]] = []
    with report.stage("read + repair"):
        folder = root / "content" / "listings"
        paths = listing_paths(folder)
        report.issues.extend(unread_entries(folder, set(paths)))
        for listing, repaired, issues in _read_repaired(root, paths, cache):  # by content
            report.issues.extend(listing.issues)
            report.issues.extend(issues)
            report.listings[listing.name] = (listing.layout, len(repaired))
            groups.append(repaired)
    return groups


def _editors(root: Path, config, cache: BuildCache, report: BuildReport,
             unique: list[Paper], groups: list[list[Paper]]) -> list[Paper]:
    """Apply the notes (duplicates settled, titles, tags, topics, hiding), then resolve the
    wiki-links of notes and reviews, render them, and give cited papers backlinks."""
    with report.stage("notes + reviews"):
        notes, note_issues = read_notes(root)
        report.overlay = apply_notes(notes, unique,
                                     raw=[paper for group in groups for paper in group])
        reviews, review_issues = read_reviews(root)
        report.linked = link_documents(report.overlay, reviews, config.base_url)
        report.editorial = Editorial(len(report.overlay.applied), len(report.overlay.orphans),
                                     len(report.overlay.hidden), len(report.linked.reviews))
        report.issues.extend([*note_issues, *review_issues, *report.overlay.issues,
                              *report.linked.issues])
        return reuse.interned("linked", report.linked.papers, cache)


def _enriched_library(root: Path, config, cache: BuildCache, report: BuildReport,
                      unique: list[Paper]) -> Library:
    """Topics, tags and related papers, the editors' choices pinned over them, indexed."""
    with report.stage("enrich"):
        enrichment = reuse.enriched(unique, config, root, cache,
                                    partial(_enrich, unique, config, root))
        report.issues.extend(enrichment.issues)
        report.unplaced = enrichment.unplaced
        # Editors' choices win over enrichment: their topics and tags, pinned/vetoed related.
        assert report.overlay is not None
        applied = report.overlay.applied
        spelling = reuse.spellings(enrichment.papers, [a.note.tags for a in applied], cache)
        enriched, issues = pin_notes(enrichment.papers, applied, config.related.count, spelling)
        report.issues.extend(issues)
        enriched = reuse.interned("pinned", enriched, cache)
        return reuse.library(enriched, cache, enrichment.descriptions,
                             config.tags.min_papers)


@dataclass(frozen=True)
class Publishing:
    """How `_publish` writes: progress callback, search plan, quick (see `build`)."""

    progress: Progress
    search: SearchPlan
    quick: bool
    stamp: BuildStamp | None = None
    """The stamp the build will save (its notes can then be patched, see `notepatch`)."""


def _publish(root: Path, out: Path, config, cache: BuildCache, report: BuildReport,
             library: Library, how: Publishing) -> None:
    """Write the Markdown pages, HTML pages, machine-readable outputs and assets, index them
    for search (Pagefind reads the written pages), and swap the staging dir in; keep the
    build's stamp unless a quick build deferred jobs."""
    memo = PageMemo(cache, out)
    known = cache.session.get(f"site files {out}")  # serve: what the last commit left
    writer = SiteWriter(out, back=cache.back_folder(out),
                        files=known[1] if known and known[0] == _folder_id(out) else None)
    assert report.linked is not None
    try:
        with cache.keeping():  # the map's layout is kept in this project's cache
            _write_site(writer, library, report.linked.reviews, root, config, report,
                        how.progress, how.search, memo, how.quick)
        with report.stage("search index"):
            report.search = _index_search(writer, how.search, cache, how.quick)
        writer.copy_back()  # a first build's back buffer, made while the build publishes
        # Outside a session, pickled while the commit runs (`BuildCache.remember`); records of
        # files a failed commit never published match no file of the site, so do no harm.
        if not cache.in_session:
            memo.save()
        writer.publish()
    except BaseException:
        writer.discard()
        raise
    # A build that deferred nothing keeps its stamp; outside a session, the patch state too.
    stamp = how.stamp if not memo.deferred else None
    behind = stamp if not cache.in_session else None
    try:
        _published(out, cache, report, library, memo, writer, behind)
    except BaseException:
        writer.close()
        raise
    if behind is not None:  # the site's list and the stamp are kept by a child: done now
        writer.close(partial(behind.save, stamped(report), walk=False),
                     partial(cache.write_behind, behind.lock))
    else:
        writer.close()
        if stamp is not None:  # a session's: saved with what it keeps for later (`flush`)
            cache.later("stamp", partial(stamp.save, stamped(report)))
    cache.finish()


def _published(out: Path, cache: BuildCache, report: BuildReport, library: Library,
               memo: PageMemo, writer: SiteWriter, stamp: BuildStamp | None) -> None:
    """Once the site is published: what the build did into `report`, and its page memo (in a
    session) or, with the `stamp` it keeps, the state for the next build's note patch (see
    `notepatch`) kept."""
    if cache.in_session:
        cache.session[f"site files {out}"] = (_folder_id(out), writer.files_now)
    report.files_written, report.bytes_written = writer.count, writer.bytes
    report.files_unchanged, report.files_deleted = writer.unchanged, writer.deleted
    report.changed_paths, report.jobs_reused = writer.published, memo.skipped
    report.deferred = len(memo.deferred)
    if cache.in_session:  # the next build of this process trusts it: only once published
        memo.save()
    elif stamp is not None:
        assert report.overlay is not None and report.linked is not None
        notepatch.remember(cache, out, stamp, library, report.linked, report.overlay,
                           report.issues, partial(memo.note_readers, [
                               a.paper_id for a in report.overlay.applied]))


def _enrich(papers: Sequence[Paper], config, root: Path):
    from .enrich import enrich  # scikit-learn and SciPy: imported only when enrichment runs

    return enrich(papers, config, root)


def _folder_id(folder: Path) -> tuple[int, int, int]:
    """Inode, device and mtime of `folder` (publishing a site exchanges the whole folder)."""
    st = os.stat(folder)
    return (st.st_ino, st.st_dev, st.st_mtime_ns)


def _read_repaired(root: Path, paths: list[Path], cache: BuildCache
                   ) -> list[tuple[Listing, list[Paper], list[Issue]]]:
    """Every listing of `paths` (in project `root`) read and repaired, reused from `cache`
    while its bytes are unchanged.

    Sorted by content, then name, like `sources.read_listings`.
    """
    day = today()

    def read_and_repair(path: Path) -> tuple[Listing, list[Paper], list[Issue]]:
        listing = read_listing(path)
        return (listing, *repair_listing(listing.papers, day))

    inside: list[Path] = []
    refused: list[tuple[Listing, list[Paper], list[Issue]]] = []
    for path in paths:
        if leaves(path, root):
            refused.append((unread(path, OUTSIDE), [], []))
        else:
            inside.append(path)
    # Every core reads the files not in the cache (large ones: about 1 KB a paper).
    workers = worker_count(sum(p.stat().st_size for p in inside) // 1000)
    results = cache.per_files("listing", inside, read_and_repair, day.isoformat(), workers)
    return sorted([*results, *refused], key=lambda r: (r[0].digest, r[0].name))


def _index_search(writer: SiteWriter, plan: SearchPlan, cache: BuildCache,
                  keep: bool) -> SearchResult:
    """Index the whole new site, or keep the published index when no paper page changed since
    it was made (with `keep`, even when some did: it is then stale until a build re-indexes)."""
    previous = cache.recall("search")
    fresh = plan.backend is not None and not writer.differs(RECORD_GLOB) \
        and cache.recall("search stale") is not True
    if (plan.backend is not None and isinstance(previous, SearchResult) and previous.enabled
            and (keep or fresh) and writer.keep_tree(BUNDLE_DIR)):
        if not fresh:  # on disk at once: a `build` after a killed `serve` must re-index
            cache.remember("search stale", True, now=True)
        return previous
    # The indexer reads the whole site: `complete()` links unchanged files in.
    result = build_search_index(writer.complete() if plan.backend else writer.staging, plan)
    cache.remember("search", result)
    cache.remember("search stale", False, now=True)
    return result


def _fail_if_strict(report: BuildReport, strict: bool) -> None:
    if strict and report.issues:
        raise StrictError(report.issues)


def _fail_on_editorial_errors(issues: list[Issue], allow_broken_links: bool) -> None:
    """Notes and reviews must be right: their errors fail the build (broken links may pass)."""
    fatal = [i for i in issues if i.error and i.kind in EDITORIAL_ERRORS
             and not (allow_broken_links and i.kind == "broken link")]
    if fatal:
        more = (f" (and {len(fatal) - 1} more; `litreview check` lists them all)"
                if len(fatal) > 1 else "")
        hint = " (--allow-broken-links builds anyway)" if fatal[0].kind == "broken link" else ""
        raise ContentError(fatal[0].path, fatal[0].line, fatal[0].message + hint + more)


def _write_site(writer: SiteWriter, library: Library, reviews: Sequence[Review], root: Path,
                config, report: BuildReport, progress: Progress, plan: SearchPlan,
                memo: PageMemo, quick: bool) -> None:
    # Markdown pages, HTML pages and the machine-readable outputs are independent jobs, run on
    # every core (see `parallel`); the slowest one (papers.json) goes first, never last.
    with report.stage("pages + render + write"):
        renderer = Renderer(make_environment(root / "templates", config), library, config,
                            reviews)
        # Jobs record what they read, to skip them next time; serve's builds reuse the renderer.
        renderer, tracked = memo.instrument(renderer)
        jobs = site_jobs(renderer, tracked, plan.off_reason)
        jobs, write = memo.plan(jobs, writer, defer=quick)
        times = render_pages(jobs, write, tick=progress("Rendering pages", len(jobs)))
        report.stages_cpu.update(times.cpu)
        report.workers = times.workers
    with report.stage("assets"):
        copy_static(writer, root)
