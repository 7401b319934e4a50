"""HTML rendering: the Jinja environment and one function per page kind.

Templates come from the project's `templates/` first and the built-in theme second, file by
file. `StrictUndefined` makes a template typo fail the build. Every internal URL is built by
`url()` (or from `root`, the same prefix) from `base_url`, so the site works at `/` and under a
sub-path. Untrusted text is escaped by autoescaping (`escaping.SiteEnvironment`: Jinja's own
escaping, without a `Markup` object per value); `linkify` is the only filter that emits markup
from paper text, and it only makes http(s) links. A paper's list item
(`_paper_card.html`) is rendered once per process and reused on every page listing the paper.
This module does not decide which pages exist (see `build`) nor runs them in parallel
(`parallel`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from . import charts, facts
from .config import Config
from .errors import ContentError
from .escaping import SiteEnvironment
from .library import KINDS, Kind, Library, Term, newest_first
from .model import Paper, note_read, notes_read_by
from .parallel import Task
from .paths import leaves
from .repair import iter_urls

__all__ = ["Page", "PageJob", "builtin_theme_dir", "make_environment", "page_jobs",
           "render_site"]


@dataclass(frozen=True)
class Page:
    """One rendered output file: site-relative path and its text."""

    path: str
    text: str


def builtin_theme_dir() -> Path:
    """The built-in theme (the repository's `templates/`, installed as `generator.theme`)."""
    return Path(str(resources.files("generator.theme")))


def linkify(text: str) -> Markup:
    """Escape `text` and turn its http(s) URLs into links (never any other scheme)."""
    out, pos = [], 0
    for start, url in iter_urls(text):
        out.append(escape(text[pos:start]))
        out.append(Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(url))
        pos = start + len(url)
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def display_title(paper: Paper) -> str:
    """The title to show: the real one, or a readable placeholder when it is missing."""
    if not paper.title_missing:
        return paper.title
    words = paper.abstract.split()
    lead = " ".join(words[:10]) + ("…" if len(words) > 10 else "")
    return f"Untitled paper: “{lead}”" if lead else "Untitled paper"


def pagefind_value(text: str) -> str:
    """A search-filter value fit for Pagefind's UI, which shows filter values as HTML (not
    text) after decoding entities: `<`, `>` and `&` become look-alikes, so a venue or listing
    name can never become markup on the search page."""
    return text.replace("&", "\uff06").replace("<", "\u2039").replace(">", "\u203a")


TEMPLATE_OUTSIDE = ("a symbolic link to a file outside the project, which the site would "
                    "publish; copy the file in instead")


def _refuse_links_out(templates: Path) -> None:
    """Templates and their assets are published, as pages or as files: none of them may be a
    link to a file outside the project (`paths.leaves`)."""
    for file in sorted(templates.rglob("*")):
        if file.is_file() and leaves(file, templates.parent):
            raise ContentError(file.relative_to(templates.parent).as_posix(), None,
                               TEMPLATE_OUTSIDE)


def make_environment(project_templates: Path, config: Config) -> Environment:
    """A Jinja environment with the override chain, filters and site-wide globals."""
    loaders = [FileSystemLoader(str(builtin_theme_dir()))]
    if project_templates.is_dir() and project_templates.resolve() != builtin_theme_dir().resolve():
        _refuse_links_out(project_templates)
        loaders.insert(0, FileSystemLoader(str(project_templates)))
    env = SiteEnvironment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, auto_reload=False)  # one build: no re-stat
    env.filters["linkify"] = linkify
    env.filters["display_title"] = display_title
    env.filters["pagefind_value"] = pagefind_value
    env.globals.update(config=config, url=lambda path="": config.base_url + path.lstrip("/"),
                       root=config.base_url, kinds=KINDS)
    # Theme: charts (static SVG), paper links by kind, BibTeX, previous/next in a topic.
    env.globals.update(charts.TEMPLATE_GLOBALS, bibtex=facts.bibtex,
                       topic_neighbours=facts.topic_neighbours,
                       term_bar_chart=SameChart(charts.term_bar_chart))
    env.filters["paper_links"] = facts.paper_links
    env.filters["human_date"] = facts.human_date
    return env


CARD = "_paper_card.html"
"""A paper as an item of a list (index pages, home, reviews): see `Renderer.paper_card`."""


class SameChart:
    """A term chart function (`charts.term_bar_chart`) that remembers its last chart: the index
    pages of a term, rendered one after the other, all show the same one."""

    def __init__(self, chart: Callable[..., Markup]) -> None:
        self.chart = chart
        self.last: tuple[Any, Markup] | None = None

    def __call__(self, links: Sequence[tuple[Term, int]], kind_name: str, url: Any,
                 **options: Any) -> Markup:
        key = (tuple((term.kind, term.name, term.slug, n) for term, n in links), kind_name, url,
               sorted(options.items()))
        if self.last is None or self.last[0] != key:
            self.last = (key, self.chart(links, kind_name, url, **options))
        return self.last[1]


class Renderer:
    """Renders every page of a library with one environment."""

    def __init__(self, env: Environment, library: Library, config: Config,
                 reviews: Sequence[Any] = ()) -> None:
        self._cards: dict[str, tuple[Paper, Any, Markup, tuple[Paper, ...]]] = {}
        self._term_jobs: dict[tuple[str, Any], tuple[Any, int, list[Task]]] = {}
        self.rebind(env, library, config, reviews)

    def rebind(self, env: Environment, library: Library, config: Config,
               reviews: Sequence[Any] = ()) -> Renderer:
        """Render from these inputs from now on, as the same object: between the builds of one
        process the page jobs, which name this renderer's methods, then compare equal to the
        last build's (see `pagememo`). The card cache stays: a card checks its paper and
        template."""
        self.env, self.library, self.config = env, library, config
        self.reviews = tuple(reviews)
        env.globals["paper_card"] = self.paper_card
        return self

    def paper_card(self, paper: Paper) -> Markup:
        """`paper` as a list item (`_paper_card.html`), rendered once per paper and process
        and reused on every page that lists it. The card sees `paper` and the site's globals,
        not the page it is on, so it is the same on every page."""
        template = self.env.get_template(CARD)  # each page records that it reads the card
        hit = self._cards.get(paper.id)
        if hit is not None and hit[0] is paper and hit[1] is template:
            for noted in hit[3]:  # every page showing the card reads the notes it shows
                note_read(noted)
            return hit[2]
        html, noted = notes_read_by(lambda: Markup(template.render(paper=paper)))
        self._cards[paper.id] = (paper, template, html, noted)
        return html

    def _render(self, template: str, path: str, **context: Any) -> Page:
        html = self.env.get_template(template).render(
            library=self.library, page_path=path, site_reviews=self.reviews, **context)
        return Page(path + "index.html" if path.endswith("/") or not path else path, html)

    def home(self, reviews: Sequence[Any] | None = None) -> Page:
        newest = newest_first(self.library.papers)[:20]
        return self._render("home.html", "", newest=newest,
                            reviews=self.reviews if reviews is None else reviews)

    def paper(self, paper: Paper) -> Page:
        related = [(self.library.by_id[r.id], r) for r in paper.related
                   if r.id in self.library.by_id]
        return self._render("paper.html", f"papers/{paper.slug}/", paper=paper, related=related)

    def kind_index(self, kind: Kind) -> Page:
        terms = self.library.terms[kind.name]
        return self._render("terms.html", f"{kind.name}/", kind=kind, terms=terms)

    def term_template(self, kind: Kind) -> str:
        """`<kind singular>.html` (e.g. `topic.html`) when the theme has it, else `term.html`."""
        return str(self.env.select_template([f"{kind.singular.lower()}.html", "term.html"]).name)

    def term_page_count(self, term: Term) -> int:
        return max(1, math.ceil(term.count / self.config.per_page))

    def term_page(self, kind: Kind, term: Term, number: int) -> Page:
        """Page `number` of a term's index. Its papers are looked up one by one, so the page
        reads (and a rebuild re-renders it for) only the papers it shows."""
        per, pages = self.config.per_page, self.term_page_count(term)
        base = f"{kind.name}/{term.slug}/"
        path = base if number == 1 else f"{base}page/{number}/"
        by_id = self.library.by_id
        papers = [by_id[i] for i in term.paper_ids[(number - 1) * per : number * per]]
        return self._render(self.term_template(kind), path, kind=kind, term=term,
                            papers=papers, pagination=_pagination(base, number, pages))

    def term_jobs(self, kind: Kind, wrap: Callable[..., Any] | None = None) -> list[Task]:
        """A job for every page of every term of `kind` (see `page_jobs`): the very list of
        the last call while the terms and the page size are the very same (a renderer kept
        between the builds of `serve`)."""
        terms, per = self.library.terms[kind.name], self.config.per_page
        hit = self._term_jobs.get((kind.name, wrap))
        if hit is not None and hit[0] is terms and hit[1] == per:
            return hit[2]
        make = _maker(wrap)
        jobs = [make(self.term_page, kind, term, number)
                for term in terms for number in range(1, self.term_page_count(term) + 1)]
        self._term_jobs[(kind.name, wrap)] = (terms, per, jobs)
        return jobs

    def term_pages(self, kind: Kind, term: Term) -> Iterator[Page]:
        for number in range(1, self.term_page_count(term) + 1):
            yield self.term_page(kind, term, number)

    def search(self, off_reason: str | None = None) -> Page:
        """The search page; `off_reason` replaces the search UI with why search is off."""
        return self._render("search.html", "search/", off_reason=off_reason)

    def review(self, review: Any) -> Page:
        """A review page (`reviews.Review`) with its bibliography of cited papers."""
        cited = [self.library.by_id[i] for i in review.cites if i in self.library.by_id]
        return self._render("review.html", f"reviews/{review.slug}/", review=review, cited=cited)

    def reviews_index(self) -> Page:
        return self._render("reviews.html", "reviews/", reviews=self.reviews)

    def map_page(self) -> Page:
        """The map of the collection (`papermap`): papers placed by text similarity."""
        return self._render("map.html", "map/")

    def not_found(self) -> Page:
        return self._render("404.html", "404.html")


def _pagination(base: str, current: int, total: int) -> dict[str, Any]:
    def href(n: int) -> str:
        return base if n == 1 else f"{base}page/{n}/"

    return {
        "current": current, "total": total,
        "prev": href(current - 1) if current > 1 else None,
        "next": href(current + 1) if current < total else None,
        # First, last and three either side of the current page: what the navigation can
        # show. A window, not every page, so a term's pages cost linear time, not quadratic.
        "pages": [(n, href(n)) for n in sorted({1, total, *range(max(1, current - 3),
                                                                  min(total, current + 3) + 1)})],
    }


PageJob = Callable[[], Page]
"""Renders one page; independent of every other job."""


def _maker(wrap: Callable[..., Any] | None) -> Callable[..., Task]:
    """How `page_jobs` makes a job: `Task(method, *args)`, or `Task(wrap, method, *args)`."""
    return Task if wrap is None else partial(Task, wrap)


def page_jobs(renderer: Renderer, search_off: str | None = None,
              wrap: Callable[..., Any] | None = None,
              paper_wrap: Callable[..., Any] | None = None) -> list[Task]:
    """Every HTML page as a deferred job, in site order: home, papers, index pages per kind and
    term, reviews, search, map, 404. Jobs share nothing, so any slice can render in another
    process. With `wrap`, a job calls `wrap(page method, *arguments)` instead (e.g. to turn the
    page into files); with `paper_wrap`, a paper's job calls that instead (e.g. to make its
    other files too).
    """
    make = _maker(wrap)
    make_paper = _maker(paper_wrap or wrap)
    paper_page = renderer.paper
    jobs = [make(renderer.home)]
    jobs += [make_paper(paper_page, paper) for paper in renderer.library.papers]
    for kind in KINDS:
        jobs.append(make(renderer.kind_index, kind))
        jobs += renderer.term_jobs(kind, wrap)  # a job a page: see term_page
    jobs.append(make(renderer.reviews_index))
    jobs += [make(renderer.review, review) for review in renderer.reviews]
    jobs.append(make(renderer.search, search_off))
    jobs.append(make(renderer.map_page))
    jobs.append(make(renderer.not_found))
    return jobs


def render_site(renderer: Renderer, search_off: str | None = None) -> Iterator[Page]:
    """Yield every HTML page, in the order of `page_jobs`."""
    for job in page_jobs(renderer, search_off):
        yield job()
