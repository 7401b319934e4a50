"""A read-only index of the enriched papers: by id, by slug, and by term of each taxonomy.

Built once after enrichment; the render stage only reads it. Terms (topics, tags, venues,
listings) map to their papers newest first, with explicit tie-breaks so output is stable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from operator import itemgetter
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .model import Paper
from .slugs import slugify_text

if TYPE_CHECKING:
    import numpy as np
    from scipy import sparse

__all__ = ["KINDS", "Library", "Term", "method_reads", "newest_first", "reads_only", "term_slug"]


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
    return slugify_text(term, max_length=80, word_boundary=True) or "term"


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


def reads_only(*attributes: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a `Library` method whose result depends only on its arguments and these
    attributes (the page memo skips re-checking it while they are the very same objects)."""
    def mark(method: Callable[..., Any]) -> Callable[..., Any]:
        method.reads_only = attributes  # type: ignore[attr-defined]
        return method
    return mark


def method_reads(library: Any, name: str) -> tuple[str, ...] | None:
    """The attributes library method `name` depends on besides its arguments (its
    `reads_only`), or None when it says none or is not a method."""
    return getattr(getattr(type(library), name, None), "reads_only", None)


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
    descriptions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Topic name -> its one-paragraph description (from the taxonomy)."""
    links: Mapping[tuple[str, str, str], tuple[tuple[str, int], ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    """(kind, name, other kind) -> the other kind's terms sharing most papers, with counts."""

    @classmethod
    def build(cls, papers: Sequence[Paper], descriptions: Mapping[str, str] | None = None,
              min_tag_papers: int = 2) -> Library:
        """Index `papers`; a tag gets a term (a page) when `min_tag_papers` papers carry it."""
        ordered = tuple(sorted(papers, key=lambda p: p.slug))
        newest = newest_first(ordered)  # once, not once per term
        terms = {kind.name: _index(kind, newest, min_tag_papers if kind.name == "tags" else 1)
                 for kind in KINDS}
        return cls(
            papers=ordered,
            by_id=MappingProxyType({p.id: p for p in ordered}),
            by_slug=MappingProxyType({p.slug: p for p in ordered}),
            terms=MappingProxyType(terms),
            by_term=MappingProxyType({(t.kind, t.name): t for ts in terms.values() for t in ts}),
            descriptions=MappingProxyType(dict(descriptions or {})),
            links=MappingProxyType(term_links(ordered, terms)),
        )

    def with_papers(self, papers: Sequence[Paper]) -> Library:
        """This library's terms and links over `papers`, which must have the same ids, slugs,
        dates, titles and terms as this library's (only other fields changed)."""
        old = self.papers
        if len(papers) == len(old):  # an edit that kept every paper in its place: copy, replace
            swapped = [i for i, (p, q) in enumerate(zip(papers, old, strict=True)) if p is not q]
            if all(papers[i].id == old[i].id and papers[i].slug == old[i].slug for i in swapped):
                by_id, by_slug = _copy(self.by_id), _copy(self.by_slug)
                by_id.update((papers[i].id, papers[i]) for i in swapped)
                by_slug.update((papers[i].slug, papers[i]) for i in swapped)
                return replace(self, papers=tuple(papers), by_id=MappingProxyType(by_id),
                               by_slug=MappingProxyType(by_slug))
        ordered = tuple(sorted(papers, key=lambda p: p.slug))
        return replace(self, papers=ordered,
                       by_id=MappingProxyType({p.id: p for p in ordered}),
                       by_slug=MappingProxyType({p.slug: p for p in ordered}))

    @reads_only("links", "by_term")
    def linked(self, term: Term, other_kind: str) -> list[tuple[Term, int]]:
        """Terms of `other_kind` sharing most papers with `term` (most first), with counts.

        Topics link to their most frequent tags and to neighbouring topics; tags to the tags
        that co-occur with them.
        """
        pairs = self.links.get((term.kind, term.name, other_kind), ())
        return [(self.by_term[(other_kind, name)], count) for name, count in pairs]

    @reads_only("by_id")
    def papers_of(self, term: Term) -> list[Paper]:
        return [self.by_id[i] for i in term.paper_ids]

    @reads_only("by_term")
    def term(self, kind: str, name: str) -> Term | None:
        """The term `name` of taxonomy `kind` (e.g. `("venues", "NeurIPS")`), or None."""
        return self.by_term.get((kind, name))


def _copy(mapping: Mapping[str, Paper]) -> dict[str, Paper]:
    """A dict copy of a dict or a read-only view of one (in C: no lookups)."""
    return mapping.copy() if isinstance(mapping, dict | MappingProxyType) else dict(mapping)


def _index(kind: Kind, papers: Sequence[Paper], least: int = 1) -> tuple[Term, ...]:
    """Group papers by term; terms sorted by name; unique slugs per kind; only terms with at
    least `least` papers are kept (the slugs of the others are taken all the same).

    `papers` come newest first (`newest_first`), so each term's papers are in that order as
    they are grouped: the same order as sorting each term's papers, since the sort is stable.
    """
    groups: defaultdict[str, list[str]] = defaultdict(list)
    for paper in papers:
        for name in kind.terms_of(paper):
            groups[name].append(paper.id)
    used: set[str] = set()
    out = []
    for name in sorted(groups, key=lambda n: (n.casefold(), n)):
        slug = term_slug(name)
        while slug in used:
            slug += "-x"
        used.add(slug)
        if len(groups[name]) >= least:
            out.append(Term(kind.name, name, slug, tuple(groups[name])))
    return tuple(out)


LINKED_KINDS = {("topics", "tags"): 2, ("topics", "topics"): 1, ("tags", "tags"): 2,
                ("tags", "topics"): 1}
"""Which term pages list which related terms (see `Library.linked`), and the fewest shared
papers that make a link (one shared paper says little about two tags)."""


def term_links(papers: Sequence[Paper], terms: Mapping[str, Sequence[Term]], limit: int = 15
               ) -> dict[tuple[str, str, str], tuple[tuple[str, int], ...]]:
    """For each pair of kinds in `LINKED_KINDS`, each term's most co-occurring other terms.

    Counts are shared papers, from one sparse product per pair of kinds; ties go by term order
    (by name). The top `limit` of every term are picked at once with NumPy (`_most_shared`),
    so neither a big tag nor 40,000 small ones cost a Python loop over counts.
    """
    index = {p.id: i for i, p in enumerate(papers)}
    kinds = {kind for pair in LINKED_KINDS for kind in pair}
    incidence = {kind: _incidence(terms[kind], index) for kind in kinds}  # once per kind
    out: dict[tuple[str, str, str], tuple[tuple[str, int], ...]] = {}
    for (kind, other), least in LINKED_KINDS.items():
        shared = (incidence[kind].T @ incidence[other]).tocsr()
        found = _most_shared(shared, least, kind == other, limit)
        names = [t.name for t in terms[other]]
        rows, cols, counts = (a.tolist() for a in found)
        for row, group in groupby(zip(rows, cols, counts, strict=True), key=itemgetter(0)):
            out[(kind, terms[kind][row].name, other)] = tuple((names[c], n) for _, c, n in group)
    return out


def _most_shared(shared: sparse.csr_matrix, least: int, same_kind: bool, limit: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns, counts) of the entries of `shared` that make links: counts of at least
    `least`, not the diagonal when rows and columns are the same terms, at most `limit` per
    row; by row, then most shared first, ties by column (term order)."""
    import numpy as np
    rows = np.repeat(np.arange(shared.shape[0]), np.diff(shared.indptr))
    cols, counts = shared.indices, shared.data
    keep = (counts >= least) & ((cols != rows) | (not same_kind))
    rows, cols, counts = rows[keep], cols[keep], counts[keep]
    order = np.lexsort((cols, -counts, rows))
    rows, cols, counts = rows[order], cols[order], counts[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)  # place within its row
    top = rank < limit
    return rows[top], cols[top], counts[top]


def _incidence(terms: Sequence[Term], index: Mapping[str, int]) -> sparse.csr_matrix:
    """Papers x terms 0/1 matrix."""
    import numpy as np
    from scipy import sparse
    rows = [index[i] for t in terms for i in t.paper_ids]
    cols = [c for c, t in enumerate(terms) for _ in t.paper_ids]
    return sparse.csr_matrix((np.ones(len(rows), dtype=np.int64), (rows, cols)),
                             shape=(len(index), len(terms)))
