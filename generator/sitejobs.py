"""The jobs that write a site: every file of it as an independent job, plus theme assets.

`site_jobs` lists, in site order, the machine-readable outputs (papers.json first: the slowest
job must not come last) and every HTML page (`render.page_jobs`), a paper's with its Markdown
page, each as a `Task` the page memo can name and a worker can run. `copy_static` copies the theme's
`static/` files. This module says what is written; `build` decides when, `parallel` runs the
jobs, `pagememo` skips the unchanged ones and `writer` stores the files.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from . import outputs, reuse
from .library import Library
from .model import Paper
from .pages import paper_to_markdown
from .parallel import Job, charge
from .render import Page, Renderer, builtin_theme_dir, page_jobs
from .writer import SiteWriter

__all__ = ["copy_static", "paper_pages", "site_jobs"]


def site_jobs(renderer: Renderer, library: Any, search_off: str | None
              ) -> list[tuple[str, Job]]:
    """Every file of the site as (kind of work, job); `library` is what the jobs read (the
    page memo's recording library)."""
    jobs = _output_jobs(library, renderer.config, renderer.reviews)
    jobs += [("render (html)", job) for job in page_jobs(
        renderer, search_off=search_off, wrap=_html_page,
        paper_wrap=paper_pages)]
    return jobs


def _output_jobs(library: Library, config: Any, reviews: Sequence[Any]
                 ) -> list[tuple[str, Job]]:
    """papers.json, the feed, the sitemap, robots.txt and .nojekyll as render jobs."""
    files: dict[str, Callable[[], str]] = {
        "papers.json": partial(outputs.papers_json, library, reuse.paper_record_text),
        "feed.xml": partial(outputs.feed_xml, library, config),
        "robots.txt": partial(outputs.robots_txt, config),
        ".nojekyll": str,
    }
    sitemap = partial(outputs.sitemap_files, library, config, [r.slug for r in reviews])
    return [("outputs", partial(_named_file, rel, make)) for rel, make in files.items()] + [
        ("outputs", sitemap)]  # sitemap.xml, and sitemap-N.xml past the sitemaps.org limits


def _named_file(rel: str, make: Callable[[], str]) -> tuple[tuple[str, str]]:
    return ((rel, make()),)


def paper_pages(render: Callable[..., Page], paper: Paper
                ) -> tuple[tuple[str, str], tuple[str, str]]:
    """A paper's Markdown page and its HTML page (`render`: the renderer's `paper`): one job,
    one memo record, not two; the Markdown's CPU time is charged to `pages (markdown)`."""
    start = time.process_time()
    markdown = paper_to_markdown(paper, render.__self__.library)  # type: ignore[attr-defined]
    charge("pages (markdown)", time.process_time() - start)
    page = render(paper)
    return (f"papers/{paper.slug}.md", markdown), (page.path, page.text)


def _html_page(render: Callable[..., Page], *args: Any) -> tuple[tuple[str, str]]:
    page = render(*args)
    return ((page.path, page.text),)


def copy_static(writer: SiteWriter, root: Path) -> None:
    """Copy theme assets (`static/`) to `site/assets/`, project files overriding built-ins."""
    files: dict[str, Path] = {}
    # No file here leads out of the project: `make_environment` refused such links already.
    for theme in (builtin_theme_dir(), root / "templates"):
        static = theme / "static"
        if static.is_dir():
            for f in sorted(static.rglob("*")):
                if f.is_file():
                    files[f.relative_to(static).as_posix()] = f
    for rel, f in sorted(files.items()):
        writer.write(f"assets/{rel}", f.read_bytes())
