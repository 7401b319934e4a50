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

from slugify import slugify

from .model import Paper, paper_id, title_key

__all__ = ["assign_slugs", "dedupe", "identity_key", "make_slug"]

_SINGLE_FIELDS = ("date", "venue", "authors_count", "organization", "upvotes")
MAX_SLUG = 80


def identity_key(paper: Paper) -> str:
    """The key two entries of one paper share; abstracts stand in for missing titles."""
    key = title_key(paper.title) if not paper.title_missing else ""
    return key or "abstract:" + title_key(paper.abstract)[:400]


def _merge(first: Paper, other: Paper) -> Paper:
    """Fold `other` into `first`: keep first values, fill gaps, union the lists."""
    fills = {f: getattr(other, f) for f in _SINGLE_FIELDS
             if getattr(first, f) is None and getattr(other, f) is not None}
    if first.title_missing and not other.title_missing:
        fills.update(title=other.title, title_missing=False)
    if len(other.abstract) > len(first.abstract) and not first.abstract:
        fills["abstract"] = other.abstract
    return replace(
        first, **fills,
        sources=first.sources + other.sources,
        links=tuple(dict.fromkeys(first.links + other.links)),
        source_topics=tuple(dict.fromkeys(first.source_topics + other.source_topics)),
    )


def dedupe(papers: Iterable[Paper]) -> tuple[list[Paper], int]:
    """Merge entries of the same paper; return papers with ids (input order) and merge count."""
    merged: dict[str, Paper] = {}
    count = 0
    for paper in papers:
        key = identity_key(paper)
        if key in merged:
            merged[key] = _merge(merged[key], paper)
            count += 1
        else:
            merged[key] = replace(paper, id=paper_id(key))
    return list(merged.values()), count


def make_slug(paper: Paper) -> str:
    """The preferred slug of a paper: its title, lower-case ASCII words joined by hyphens."""
    base = "" if paper.title_missing else slugify(paper.title, max_length=MAX_SLUG,
                                                  word_boundary=True)
    return base or f"untitled-{paper.id[:8]}"


def assign_slugs(papers: Sequence[Paper]) -> list[Paper]:
    """Give every paper a unique slug; on a collision all but the lowest id get an id suffix."""
    by_slug: dict[str, list[Paper]] = {}
    for paper in papers:
        by_slug.setdefault(make_slug(paper), []).append(paper)
    slug_of: dict[str, str] = {}
    for slug, group in by_slug.items():
        for i, paper in enumerate(sorted(group, key=lambda p: p.id)):
            slug_of[paper.id] = slug if i == 0 else f"{slug}-{paper.id[:6]}"
    return [replace(p, slug=slug_of[p.id]) for p in papers]
