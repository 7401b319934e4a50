"""Identity: one paper seen in several listings becomes one `Paper`, with a stable id and slug.

Entries match when their titles have the same `title_key` (case, accents, punctuation and
spacing ignored). The merged paper keeps every source, the union of links and listing topics,
and the first value found for each single field. Entries whose title is missing match on their
abstract instead. Slugs are ASCII, unique and depend only on the title (plus a short id suffix
when two titles would collide). Editors' `same_as` overrides live in the notes stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from .model import Paper, paper_id, title_key
from .slugs import slugify_text

__all__ = ["assign_slugs", "dedupe", "identity_key", "make_slug"]

_SINGLE_FIELDS = ("date", "venue", "authors_count", "organization", "upvotes")
MAX_SLUG = 80


MIN_ABSTRACT_KEY = 80
"""Shortest abstract key trusted to identify a paper whose title is missing."""


def _abstract_key(paper: Paper) -> str:
    key = title_key(paper.abstract)[:400]
    return key if len(key) >= MIN_ABSTRACT_KEY else ""


def identity_key(paper: Paper) -> str:
    """The key two entries of one paper share; abstracts stand in for missing titles.

    An entry with neither a title nor a usable abstract is only itself (its first source).
    """
    key = title_key(paper.title) if not paper.title_missing else ""
    if key:
        return key
    if abstract := _abstract_key(paper):
        return "abstract:" + abstract
    where = paper.sources[0]
    return f"source:{where.listing}:{where.line}:{title_key(paper.title)}"


def _merge(first: Paper, other: Paper) -> Paper:
    """Fold `other` into `first`: keep first values, fill gaps, union the lists."""
    fills = {f: getattr(other, f) for f in _SINGLE_FIELDS
             if getattr(first, f) is None and getattr(other, f) is not None}
    if first.title_missing and not other.title_missing:
        fills.update(title=other.title, title_missing=False)
    if not first.abstract and other.abstract:
        fills["abstract"] = other.abstract
    return replace(
        first, **fills,
        sources=first.sources + other.sources,
        links=tuple(dict.fromkeys(first.links + other.links)),
        source_topics=tuple(dict.fromkeys(first.source_topics + other.source_topics)),
    )


def dedupe(papers: Iterable[Paper]) -> tuple[list[Paper], int]:
    """Merge entries of the same paper; return papers with ids (input order) and merge count.

    Entries match on the title key; an entry whose title is missing also matches any entry
    with the same abstract (so a file-name title joins its properly titled copy).
    """
    groups: list[Paper] = []
    by_key: dict[str, int] = {}
    count = 0
    for paper in papers:
        keys = [identity_key(paper)]
        if abstract := _abstract_key(paper):
            keys.append("abstract:" + abstract)
        found = next((by_key[k] for k in keys if k in by_key), None)
        if found is not None and (keys[0] == identity_key(groups[found])
                                  or paper.title_missing or groups[found].title_missing):
            groups[found] = _merge(groups[found], paper)
            count += 1
        else:
            found = len(groups)
            groups.append(paper)
        for k in keys:
            by_key.setdefault(k, found)
    return [replace(p, id=paper_id(identity_key(p))) for p in groups], count


def make_slug(paper: Paper) -> str:
    """The preferred slug of a paper: its title, lower-case ASCII words joined by hyphens."""
    base = "" if paper.title_missing else slugify_text(paper.title, MAX_SLUG,
                                                       word_boundary=True)
    return base or f"untitled-{paper.id[:8]}"


def assign_slugs(papers: Sequence[Paper]) -> list[Paper]:
    """Give every paper a unique slug; on a collision all but the lowest id get an id suffix.

    Preferred slugs are reserved first, so a suffixed slug never takes another paper's title
    slug; the suffix grows from 6 hex digits until it is free.
    """
    by_slug: dict[str, list[Paper]] = {}
    for paper in papers:
        by_slug.setdefault(make_slug(paper), []).append(paper)
    used = set(by_slug)
    slug_of: dict[str, str] = {}
    for slug in sorted(by_slug):
        first, *others = sorted(by_slug[slug], key=lambda p: p.id)
        slug_of[first.id] = slug
        for paper in others:
            size = 6
            while (candidate := f"{slug}-{paper.id[:size]}") in used and size < len(paper.id):
                size += 1
            used.add(candidate)
            slug_of[paper.id] = candidate
    return [replace(p, slug=slug_of[p.id]) for p in papers]
