"""`litreview check`: validate the content without writing a site, and the last built site's links.

`run_check` reads and checks everything a build reads (through `build(check_only=True)`, so
the stage order stays in `build.py`), sorts every problem into a category, and walks the HTML
of the last built site to check that every internal link and `#fragment` points at something
that exists. It prints nothing and writes nothing; the CLI prints the findings and the summary.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .build import EDITORIAL_ERRORS, build
from .config import load_config
from .model import Issue, Paper

__all__ = ["CATEGORIES", "CheckResult", "Finding", "check_site", "run_check"]

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("front matter", "Notes and reviews that cannot be read"),
    ("orphan note", "Notes whose paper is not in the listings"),
    ("duplicate note", "Papers with more than one note"),
    ("duplicate review", "Reviews with the same address"),
    ("broken link", "Wiki-links and note references to no paper"),
    ("bad field", "Note fields that cannot be applied"),
    ("hidden link", "Links to papers hidden by a note"),
    ("missing title", "Papers with no real title"),
    ("listing", "Problems in the listings"),
    ("ignored", "Files in content/ that are not read"),
    ("site link", "Broken internal links in the built site"),
)
"""(kind, label) of every row of the summary, in order."""

ERROR_KINDS = frozenset((*EDITORIAL_ERRORS, "orphan note", "site link"))
"""Kinds that make `check` exit 1 (an orphan note is only a warning for `build`)."""


@dataclass(frozen=True)
class Finding:
    """One problem found by `check`, its summary category and whether it is an error."""

    category: str
    issue: Issue
    error: bool


@dataclass(frozen=True)
class CheckResult:
    """Everything `check` found, with what it looked at."""

    findings: tuple[Finding, ...]
    papers: int
    notes: int
    reviews: int
    site: Path | None
    pages_checked: int
    links_checked: int

    @property
    def errors(self) -> int:
        return sum(f.error for f in self.findings)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors


def _finding(issue: Issue) -> Finding:
    category = issue.kind or "listing"
    return Finding(category, issue, issue.error or category in ERROR_KINDS)


def _missing_titles(papers: Sequence[Paper], noted: Mapping[str, str]) -> Iterator[Finding]:
    for paper in papers:
        if paper.title_missing:
            where = paper.sources[0] if paper.sources else None
            fix = (f"add `title:` to its note {noted[paper.id]}" if paper.id in noted else
                   f"`litreview new-note {paper.slug}`, then set `title:`")
            issue = Issue(where.listing if where else paper.slug, where.line if where else None,
                          f"{paper.slug} has no real title; to give it one, {fix}",
                          kind="missing title")
            yield Finding("missing title", issue, False)


def run_check(root: Path, output: Path | None = None, base_url: str | None = None) -> CheckResult:
    """Check the project at `root` and the site last built into `output` (default `site/`)."""
    root = root.resolve()
    report = build(root, base_url=base_url, check_only=True)
    findings = [_finding(i) for i in report.issues]
    assert report.linked is not None and report.overlay is not None
    noted = {a.paper_id: a.note.path for a in report.overlay.applied}
    findings.extend(_missing_titles(report.linked.papers, noted))
    site = (output or root / "site").resolve()
    pages = links = 0
    if (site / "index.html").is_file():
        config = load_config(root, base_url)
        pages, links, issues = check_site(site, config.base_url, _display_root(site, root))
        findings.extend(Finding("site link", i, True) for i in issues)
    else:
        findings.append(Finding("site link", Issue(_display_root(site, root), None,
                                                   "no built site here; run `litreview build` "
                                                   "to check its links too", kind="site link"),
                                False))
        site = None
    notes = len(report.overlay.applied) + len(report.overlay.orphans)
    notes += sum(1 for i in report.issues if i.kind == "front matter"
                 and i.path.startswith("content/notes/"))
    return CheckResult(tuple(findings), report.papers, notes, len(report.linked.reviews), site,
                       pages, links)


def _display_root(site: Path, root: Path) -> str:
    return site.relative_to(root).as_posix() if site.is_relative_to(root) else str(site)


# ---------------------------------------------------------------- the built site's links


class _PageLinks(HTMLParser):
    """Collects the ids and the href/src/action URLs (with line numbers) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src", "action"):
                self.links.append((self.getpos()[0], value))


def _resolve(page: str, url: str, base: str) -> tuple[str, str] | None:
    """(site-relative file, fragment) an internal link points at; None for external links."""
    origin = "http://site.invalid"
    full = urlsplit(urljoin(f"{origin}{base}{page}", url.strip()))
    if f"{full.scheme}://{full.netloc}" != origin:
        return None
    path = unquote(full.path)
    if not path.startswith(base):
        return "/" + path.lstrip("/"), full.fragment  # outside the site: never exists
    rel = posixpath.normpath(path[len(base):]) if path != base else ""
    rel = "" if rel == "." else rel
    if path.endswith("/") or not rel:
        rel = f"{rel}/index.html".lstrip("/")
    return rel, unquote(full.fragment)


def _page_url(rel: str) -> str:
    """The URL path (under base_url) a page file is served at."""
    return rel[: -len("index.html")] if rel.endswith("index.html") else rel


def check_site(site: Path, base_url: str, shown_as: str = "site") -> tuple[int, int, list[Issue]]:
    """Check every internal link of a built site; returns (pages, links checked, problems).

    Links that break the same way on many pages are reported once, with a count.
    """
    parsed: dict[str, _PageLinks] = {}
    for file in sorted(site.rglob("*.html")):
        rel = file.relative_to(site).as_posix()
        parser = _PageLinks()
        parser.feed(file.read_text(encoding="utf-8", errors="replace"))
        parsed[rel] = parser
    seen: dict[str, list[tuple[str, int]]] = {}
    checked = 0
    for rel, page in parsed.items():
        for line, url in page.links:
            target = _resolve(_page_url(rel), url, base_url)
            if target is None:
                continue
            checked += 1
            problem = _problem(site, parsed, *target)
            if problem:
                seen.setdefault(problem, []).append((rel, line))
    issues = []
    for problem, where in seen.items():
        (rel, line), others = where[0], len(where) - 1
        more = f" (and {others} more link{'s' if others > 1 else ''} like it)" if others else ""
        issues.append(Issue(f"{shown_as}/{rel}", line, problem + more, error=True,
                            kind="site link"))
    return len(parsed), checked, issues


def _problem(site: Path, parsed: dict[str, _PageLinks], rel: str, fragment: str) -> str | None:
    """Why a link to `rel#fragment` is broken, or None when it works."""
    if rel.startswith("/"):
        return f"link to {rel} is outside the site's base URL"
    file = site / rel
    if file.is_dir() and (file / "index.html").is_file():
        rel, file = f"{rel}/index.html", file / "index.html"
    if not file.is_file():
        return f"link to {rel}: no such file in the site"
    if fragment and rel in parsed and fragment not in parsed[rel].ids:
        return f"link to {rel}#{fragment}: no element with id {fragment!r} on that page"
    return None
