"""A read-only index of the enriched papers: by id, by slug, and by term of each taxonomy.

Built once after enrichment; the render stage only reads it. Terms (topics, tags, venues,
listings) map to their papers newest first, with explicit tie-breaks so output is stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from slugify import slugify

from .model import Paper

__all__ = ["KINDS", "Library", "Term", "newest_first", "term_slug"]


@dataclass(frozen=True)
class Kind:
    """One taxonomy of index pages: its URL folder, labels and how to read a paper's terms."""

    name: str
    singular: str
    plural: str
    terms_of: Callable[[Paper], Iterable[str]]


KINDS: tuple[Kind, ...] = (
    Kind("topics", "Topic", "Topics", lambda p: p.topics),
    Kind("tags", "Tag", "Tags", lambda p: p.tags),
    Kind("venues", "Venue", "Venues", lambda p: (p.venue,) if p.venue else ()),
    Kind("listings", "Listing", "Listings", lambda p: p.listings),
)


def term_slug(term: str) -> str:
    """URL-safe slug of a term name (never empty)."""
    return slugify(term, max_length=80, word_boundary=True) or "term"


@dataclass(frozen=True)
class Term:
    """A topic, tag, venue or listing with its slug and the ids of its papers (newest first)."""

    kind: str
    name: str
    slug: str
    paper_ids: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.paper_ids)


def newest_first(papers: Iterable[Paper]) -> list[Paper]:
    """Papers sorted newest first; undated last; ties broken by title, then id."""
    return sorted(papers, key=lambda p: (-(int(p.date.replace("-", "")) if p.date else 0),
                                         p.title.casefold(), p.id))


@dataclass(frozen=True)
class Library:
    """Every paper, sorted by slug, with lookups and term indexes."""

    papers: tuple[Paper, ...]
    by_id: Mapping[str, Paper]
    by_slug: Mapping[str, Paper]
    terms: Mapping[str, tuple[Term, ...]]
    by_term: Mapping[tuple[str, str], Term] = field(default_factory=lambda: MappingProxyType({}))
    """(kind, name) -> Term, so a page looks its terms up in constant time."""

    @classmethod
    def build(cls, papers: Sequence[Paper]) -> Library:
        ordered = tuple(sorted(papers, key=lambda p: p.slug))
        terms = {kind.name: _index(kind, ordered) for kind in KINDS}
        return cls(
            papers=ordered,
            by_id=MappingProxyType({p.id: p for p in ordered}),
            by_slug=MappingProxyType({p.slug: p for p in ordered}),
            terms=MappingProxyType(terms),
            by_term=MappingProxyType({(t.kind, t.name): t for ts in terms.values() for t in ts}),
        )

    def papers_of(self, term: Term) -> list[Paper]:
        return [self.by_id[i] for i in term.paper_ids]

    def term(self, kind: str, name: str) -> Term | None:
        """The term `name` of taxonomy `kind` (e.g. `("venues", "NeurIPS")`), or None."""
        return self.by_term.get((kind, name))


def _index(kind: Kind, papers: Sequence[Paper]) -> tuple[Term, ...]:
    """Group papers by term; terms sorted by name; unique slugs per kind."""
    groups: dict[str, list[Paper]] = {}
    for paper in papers:
        for name in kind.terms_of(paper):
            groups.setdefault(name, []).append(paper)
    used: set[str] = set()
    out = []
    for name in sorted(groups, key=lambda n: (n.casefold(), n)):
        slug = term_slug(name)
        while slug in used:
            slug += "-x"
        used.add(slug)
        ids = tuple(p.id for p in newest_first(groups[name]))
        out.append(Term(kind.name, name, slug, ids))
    return tuple(out)
