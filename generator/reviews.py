"""Review pages (`content/reviews/*.md`) and the wiki-links of reviews and notes, with backlinks.

`parse_review` is pure; `read_reviews` reads the files. `link_documents` resolves every
`[[slug]]`, `[[slug|label]]` and `[[Exact title]]` of the reviews and of the notes' bodies
against the papers after the notes were applied, turns them into ordinary Markdown links,
renders the HTML (see `markup`), records which papers each document cites (a review's
bibliography) and gives each cited paper its "Discussed in" backlinks. A link to no paper is a
located error; the caller decides whether that fails the build. Page templates are `render`'s.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from slugify import slugify

from .errors import ContentError
from .markup import (
    MarkdownRefused,
    WikiLink,
    escape_markdown,
    markdown_link,
    render_markdown,
    replace_wikilinks,
)
from .model import Backlink, Issue, Paper
from .notes import PaperIndex, check_keys, read_documents, split_front_matter, text_value
from .overlay import Overlay
from .render import display_title

__all__ = ["NOTE_HEADINGS", "REVIEW_FIELDS", "Linked", "Review", "link_body", "link_documents",
           "note_fields", "parse_review", "read_reviews", "sorted_reviews"]

NOTE_HEADINGS = 3
"""The level a note's top headings render at (under the paper page's "Notes")."""

REVIEW_FIELDS = ("title", "description", "date")


@dataclass(frozen=True)
class Review:
    """An editor's review page; `html` and `cites` (paper ids, first citation first) are set by
    `link_documents`."""

    path: str
    slug: str
    title: str
    description: str
    date: str | None
    body: str
    body_line: int
    html: str = ""
    cites: tuple[str, ...] = ()


def _date(value: object, path: str, line: int | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()[:10]
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ContentError(path, line, f"date must be written yyyy-mm-dd, not {value!r}") from None


def parse_review(text: str, path: str) -> Review:
    """Parse one review file; the slug is its file name, the title defaults to it too."""
    doc = split_front_matter(text, path)
    check_keys(doc, REVIEW_FIELDS)
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = slugify(stem, max_length=80, word_boundary=True) or "review"
    title = text_value(doc, "title") or stem.replace("-", " ").replace("_", " ").capitalize()
    return Review(path=path, slug=slug, title=title,
                  description=text_value(doc, "description") or "",
                  date=_date(doc.meta.get("date"), path, doc.lines.get("date")),
                  body=doc.body, body_line=doc.body_line)


def read_reviews(root) -> tuple[list[Review], list[Issue]]:
    """Every review under `content/reviews/`; bad files and clashing slugs become errors."""
    texts, issues = read_documents(root / "content" / "reviews", root)
    reviews: dict[str, Review] = {}
    for path, text in texts:
        try:
            review = parse_review(text, path)
        except ContentError as exc:
            issues.append(Issue(exc.path, exc.line, exc.message, error=True, kind="front matter"))
            continue
        if review.slug in reviews:
            issues.append(Issue(path, None, f"same page address reviews/{review.slug}/ as "
                                f"{reviews[review.slug].path}; rename one", error=True,
                                kind="duplicate review"))
            continue
        reviews[review.slug] = review
    return list(reviews.values()), sorted(issues, key=lambda i: (i.path, i.line or 0))


def sorted_reviews(reviews: Sequence[Review]) -> list[Review]:
    """Newest first (undated last), then by title and slug."""
    return sorted(reviews, key=lambda r: (-int((r.date or "0").replace("-", "")),
                                          r.title.casefold(), r.slug))


@dataclass(frozen=True)
class Linked:
    """Papers with notes rendered and backlinks set, rendered reviews, and link problems."""

    papers: tuple[Paper, ...]
    reviews: tuple[Review, ...]
    issues: tuple[Issue, ...]


@dataclass
class _Linker:
    """Resolves the wiki-links of one document and remembers what it cited."""

    index: PaperIndex
    hidden: PaperIndex
    papers: Mapping[str, Paper]
    base_url: str
    path: str
    body_line: int
    issues: list[Issue]

    def __post_init__(self) -> None:
        self.cited: list[str] = []

    def __call__(self, link: WikiLink) -> str:
        line = self.body_line + link.line - 1
        if not link.target:
            self.issues.append(Issue(self.path, line, "unclosed wiki-link '[[': close it with "
                                     "']]' (write \\[[ for literal brackets)", error=True,
                                     kind="broken link"))
            return escape_markdown(link.text)
        pid = self.index.find(link.target)
        label = link.label or link.target
        if pid is None:
            hidden = self.hidden.find(link.target) is not None
            message = ("links to a paper hidden by a note; shown as plain text" if hidden
                       else self.index.missing(link.target))
            self.issues.append(Issue(self.path, line, f"wiki-link {link.text}: {message}",
                                     error=not hidden,
                                     kind="hidden link" if hidden else "broken link"))
            return escape_markdown(label) if hidden else (
                f'<span class="broken-link">{html.escape(label)}</span>')
        paper = self.papers[pid]
        self.cited.append(pid)
        title = display_title(paper)
        url = f"{self.base_url}papers/{paper.slug}/"
        return markdown_link(link.label or title, url, title if link.label else "")


def link_body(doc_path: str, body: str, body_line: int, make: Callable[..., Any],
              heading_top: int) -> tuple[str, str, tuple[str, ...]]:
    """(Markdown with plain links, sanitised HTML, cited ids) of one document body; `make`
    gives its wiki-link resolver (a `_Linker`: a callable with `issues` and `cited`)."""
    linker = make(path=doc_path, body_line=body_line)
    text = replace_wikilinks(body, linker).strip("\n")
    try:
        rendered = render_markdown(text, heading_top)
    except MarkdownRefused as exc:  # shown, escaped, as written; the build goes on
        linker.issues.append(Issue(doc_path, body_line, f"cannot render this Markdown ({exc}); "
                                   "shown as plain text", kind="markdown"))
        rendered = f"<pre>{html.escape(text)}</pre>"
    return text, rendered, tuple(dict.fromkeys(linker.cited))


def note_fields(text: str, body_html: str) -> dict[str, str]:
    """A paper's `note` and `note_html` from its note's linked text and HTML (`link_body`):
    both empty when the HTML shows nothing (a note of only comments)."""
    shown = bool(body_html.strip())
    return {"note": text if shown else "", "note_html": body_html if shown else ""}


def link_documents(overlay: Overlay, reviews: Sequence[Review], base_url: str) -> Linked:
    """Resolve and render the wiki-links of every note and review; set backlinks."""
    papers = {p.id: p for p in overlay.papers}
    hidden = PaperIndex.build(overlay.hidden)
    issues: list[Issue] = []

    def make(path: str, body_line: int) -> _Linker:
        return _Linker(overlay.index, hidden, papers, base_url, path, body_line, issues)

    backlinks: dict[str, list[Backlink]] = {}
    for applied in overlay.applied:
        note = applied.note
        text, body_html, cited = link_body(note.path, note.body, note.body_line, make,
                                           NOTE_HEADINGS)
        if applied.paper_id not in papers:
            continue  # hidden: checked, not shown
        citing = papers[applied.paper_id]
        papers[citing.id] = replace(citing, **note_fields(text, body_html))
        for pid in cited:
            if pid != citing.id:
                backlinks.setdefault(pid, []).append(Backlink("note", citing.id, citing.title))
    for note in overlay.orphans:
        link_body(note.path, note.body, note.body_line, make, NOTE_HEADINGS)
    rendered = []
    for review in reviews:
        _, body_html, cited = link_body(review.path, review.body, review.body_line, make, 2)
        rendered.append(replace(review, html=body_html, cites=cited))
        for pid in cited:
            backlinks.setdefault(pid, []).append(Backlink("review", review.slug, review.title))
    for pid, links in backlinks.items():
        ordered = sorted(links, key=lambda b: (b.kind != "review", b.title.casefold(), b.key))
        papers[pid] = replace(papers[pid], discussed_in=tuple(ordered))
    return Linked(tuple(papers.values()), tuple(sorted_reviews(rendered)), tuple(issues))


def backlink_records(paper: Paper, papers_by_id: Mapping[str, Paper]) -> list[dict[str, str]]:
    """The "Discussed in" list of a paper for papers.json and the Markdown page.

    Each record is `{kind, slug, title}`: a review's slug (page `reviews/<slug>/`) or the slug
    of the paper whose note cites this one.
    """
    out = []
    for link in paper.discussed_in:
        if link.kind == "review":
            out.append({"kind": "review", "slug": link.key, "title": link.title})
        elif link.key in papers_by_id:
            citing = papers_by_id[link.key]
            out.append({"kind": "note", "slug": citing.slug, "title": display_title(citing)})
    return out
