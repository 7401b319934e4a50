"""Identity: one paper seen in several listings becomes one `Paper`, with a stable id and slug.

Entries match when their titles have the same `title_key` (case, accents, punctuation and
spacing ignored). The merged paper keeps every source, the union of links and listing topics,
and the first value found for each single field. Entries whose title is missing match on their
abstract instead. Slugs are ASCII, unique and depend only on the title (plus a short id suffix
when two titles would collide). Editors' `same_as` overrides live in the notes stage.
`rebuild` makes the same papers again from what matching found (kept by `reuse` between
processes), without matching or slugifying.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import replace

from .model import Paper, paper_id, title_key
from .slugs import slugify_text

__all__ = ["assign_slugs", "dedupe", "dedupe_entries", "identity_key", "make_slug", "rebuild"]

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
    entries = list(papers)
    unique, _ = dedupe_entries(entries)
    return unique, len(entries) - len(unique)


def dedupe_entries(papers: Sequence[Paper]) -> tuple[list[Paper], list[tuple[int, ...]]]:
    """`dedupe`'s papers, and for each the positions in `papers` of the entries merged into it,
    in merge order: what `rebuild` needs to make the same papers again without matching."""
    groups: list[Paper] = []
    members: list[list[int]] = []
    by_key: dict[str, int] = {}
    for index, paper in enumerate(papers):
        keys = [identity_key(paper)]
        if abstract := _abstract_key(paper):
            keys.append("abstract:" + abstract)
        found = next((by_key[k] for k in keys if k in by_key), None)
        if found is not None and (keys[0] == identity_key(groups[found])
                                  or paper.title_missing or groups[found].title_missing):
            groups[found] = _merge(groups[found], paper)
            members[found].append(index)
        else:
            found = len(groups)
            groups.append(paper)
            members.append([index])
        for k in keys:
            by_key.setdefault(k, found)
    return ([replace(p, id=paper_id(identity_key(p))) for p in groups],
            [tuple(m) for m in members])


def rebuild(papers: Sequence[Paper], made: Iterable[tuple[tuple[int, ...], str, str]]
            ) -> list[Paper]:
    """The papers that `dedupe_entries` and then `assign_slugs` made from these very entries,
    from what they found: for each paper, its entries' positions (`dedupe_entries`), its id
    and its slug. Nothing is matched or slugified again."""
    return [replace(functools.reduce(_merge, (papers[i] for i in members)), id=id_, slug=slug)
            for members, id_, slug in made]


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
