"""Reuse of whole-collection stage results between builds (dedupe, enrichment, the library).

The per-file cache (`cache`) makes reading unchanged listings free; this module does the same
for the stages that look at every paper at once, so that editing one note of a 50,000-paper
collection does not redo the work of the other 49,999:

- `identified()`: de-duplication and slugs, reused while every listing's repaired papers are
  the very same objects as in the last build of this process (a `litreview serve` session);
  between processes, remade from what matching found while the listings' per-file cache keys
  (their bytes, the code, the build date) are the same.
- `enriched()`: topics, tags and related links, reused while the enrichment inputs are equal:
  every field of every paper (in order) but the editorial ones (`EDITORIAL_FIELDS`), the
  related/tags settings, the taxonomy and the code. Kept in memory and on disk
  (`.litreview-cache/state/`), so a note's prose, status or rating edited between two
  `litreview build` runs skips enrichment too.
- `library()`: the term indexes of the last library, reused while no paper's terms, date,
  title or slug changed; kept on disk too, like the tag spellings (`spellings()`), both keyed
  by the enrichment's key and the few papers notes changed (`_derived_key`).

Reused results keep object identity for unchanged papers, which the page memo (`pagememo`)
uses to skip unchanged pages cheaply. This module never decides what a stage computes; a
result is reused only when recomputing it would give the same value.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import operator
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .cache import BuildCache, code_version
from .config import Config
from .dedupe import assign_slugs, dedupe_entries, rebuild
from .library import Library
from .memoreads import untracked
from .model import Paper
from .overlay import tag_spellings

__all__ = ["enriched", "identified", "interned", "library", "paper_record_text", "spellings",
           "terms_only"]

ENRICHED_FIELDS = ("topics", "tags", "related")
"""What enrichment adds to a paper; every other field is the input's."""
EDITORIAL_FIELDS = ("status", "rating", "note", "note_html", "discussed_in", "related")
"""Fields enrichment never reads: what an editor's note shows (prose, status, rating), the
backlinks of wiki-links, and related links (enrichment makes them; notes pin them after)."""
_KEY_FIELDS = tuple(f.name for f in fields(Paper) if f.name not in EDITORIAL_FIELDS)
"""Every other field is part of the enrichment key: a superset of what it reads is safe (a
change there recomputes), so a field added to `Paper` is covered without touching this."""


def _same_items(old: Sequence[Any], new: Sequence[Any]) -> bool:
    """True when `old` and `new` hold the very same objects in the same order."""
    return len(old) == len(new) and all(map(operator.is_, old, new))


def _same_in(view: Callable[[Paper], Any], old: Sequence[Paper], new: Sequence[Paper]) -> bool:
    """True when `old` and `new` pair up, in order, as papers with equal `view`s (compared only
    where the objects differ: between two builds of a session most are the very same)."""
    return len(old) == len(new) and all(
        n is o or view(n) == view(o) for n, o in zip(new, old, strict=True))


def identified(groups: Sequence[list[Paper]], cache: BuildCache) -> tuple[list[Paper], int]:
    """`dedupe` and `assign_slugs` of the papers of every listing (`groups`, in build order).

    Between processes, what matching found (each paper's entries, id and slug) is kept by a
    digest of the groups (`_groups_key`) and the papers are remade from it (`dedupe.rebuild`).
    """
    kept = cache.session.get("identified")
    if kept is not None and _same_items(kept[0], groups):
        return kept[1]
    key, entries = _groups_key(groups, cache), [paper for group in groups for paper in group]
    stored = cache.recall("identified")
    if isinstance(stored, tuple) and len(stored) == 4 and stored[0] == key:
        result, rows = (rebuild(entries, stored[1]), stored[2]), stored[3]
    else:
        unique, members = dedupe_entries(entries)
        result = (assign_slugs(unique), len(entries) - len(unique))
        rows = _rows_digest(result[0])
        cache.remember("identified", (key, [(m, p.id, p.slug) for m, p in zip(
            members, result[0], strict=True)], result[1], rows))
    cache.session["identified"] = (tuple(groups), result, rows)
    return result


def _groups_key(groups: Sequence[list[Paper]], cache: BuildCache) -> str:
    """Digest of the listings' papers, in order: a group that is a per-file result of this
    process stands for itself by its cache key (`BuildCache.origin`: the listing's bytes, the
    code, the build date), any other by its pickled papers."""
    h = hashlib.blake2b(f"identified\0{code_version()}\0{len(groups)}".encode(), digest_size=20)
    for group in groups:
        origin = cache.origin(group)
        h.update(b"\1" + hashlib.blake2b(pickle.dumps(group, protocol=pickle.HIGHEST_PROTOCOL))
                 .digest() if origin is None else b"\0" + origin.encode())
    return h.hexdigest()


def _rows_digest(papers: Sequence[Paper]) -> bytes:
    """Digest of the enrichment inputs (`_key_row`) of `papers`, in order."""
    rows = pickle.dumps([_key_row(p) for p in papers], protocol=pickle.HIGHEST_PROTOCOL)
    return hashlib.blake2b(rows, digest_size=20).digest()


def interned(name: str, papers: Sequence[Paper], cache: BuildCache) -> list[Paper]:
    """`papers`, each replaced by the equal paper of the last build's list `name` when there
    is one: stages that copy a few papers every build (notes, backlinks) then hand the next
    stage the very same objects as last time, which is what makes reuse cheap downstream."""
    kept = cache.session.get(f"interned {name}")
    if kept is None:
        out = list(papers)
    else:
        out = [p if (o := kept.get(p.id)) is None or o is p or o != p else o for p in papers]
    cache.session[f"interned {name}"] = {p.id: p for p in out}
    return out


def _key_row(paper: Paper) -> tuple[Any, ...]:
    return tuple(getattr(paper, name) for name in _KEY_FIELDS)


def _taxonomy_bytes(root: Path) -> bytes:
    from .enrich.taxonomy import TAXONOMY_FILE, builtin_taxonomy_path

    project = root / TAXONOMY_FILE
    return (project if project.is_file() else builtin_taxonomy_path()).read_bytes()


def _enrichment_key(papers: Sequence[Paper], settings: tuple[Any, ...],
                    base: tuple[Any, ...] | None) -> bytes:
    """Digest of the enrichment inputs of `papers`. With `base`, the last `identified` result
    and the digest of its papers' rows, a paper whose row is that of the identified paper with
    its id (most papers: notes touch few) is digested as that paper's position, which gives
    the same key for the same rows and spares pickling 50,000 abstracts again."""
    h = hashlib.blake2b(digest_size=20)
    h.update(pickle.dumps((code_version(), settings, _KEY_FIELDS),
                          protocol=pickle.HIGHEST_PROTOCOL))
    position: dict[str, tuple[int, Paper]] = {}
    if base is not None:
        h.update(base[2])
        position = {p.id: (i, p) for i, p in enumerate(base[1][0])}
    rows = _rows(papers, [position.get(paper.id) for paper in papers], _key_row)
    h.update(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))
    return h.digest()


def _rows(papers: Sequence[Paper], basis: Sequence[tuple[int, Paper] | None],
          view: Callable[[Paper], Any]) -> list[Any]:
    """Each paper's `view`, or the position of its `basis` paper (already digested, with its
    position, by the caller) when that paper has the same view: no abstract pickled again."""
    return [b[0] if b is not None and (b[1] is p or view(b[1]) == view(p)) else view(p)
            for p, b in zip(papers, basis, strict=True)]


def enriched(papers: Sequence[Paper], config: Config, root: Path, cache: BuildCache,
             compute: Callable[[], Any]) -> Any:
    """The `Enrichment` of `papers`: `compute()`'s, or the last one while its inputs are equal.

    A reused enrichment is rebuilt from the kept topics, tags and related links of each paper;
    papers that are the very same objects as last time get their very same enriched copies.
    """
    from .enrich import Enrichment

    session = cache.session.get("enriched")
    settings = (config.related, config.tags, _taxonomy_bytes(root))
    if session is not None and session[3] == settings and _same_in(_key_row, session[1], papers):
        key = session[0]  # the same inputs as last time: no need to digest 50,000 abstracts
    else:
        key = _enrichment_key(papers, settings, cache.session.get("identified"))
    if session is not None and session[0] == key:
        old_inputs, old_result = session[1], session[2]
        fresh = [o if n is i else replace(n, **{f: getattr(o, f) for f in ENRICHED_FIELDS})
                 for n, i, o in zip(papers, old_inputs, old_result.papers, strict=True)]
        result = replace(old_result, papers=fresh)
    else:
        stored = cache.recall("enrichment")
        if isinstance(stored, tuple) and len(stored) == 4 and stored[0] == key:
            _, added, descriptions, issues = stored
            fresh = [replace(p, **dict(zip(ENRICHED_FIELDS, extra, strict=True)))
                     for p, extra in zip(papers, added, strict=True)]
            result = Enrichment(fresh, list(issues), descriptions)
        else:
            result = compute()
            cache.remember("enrichment", (
                key, [tuple(getattr(p, f) for f in ENRICHED_FIELDS) for p in result.papers],
                dict(result.descriptions), tuple(result.issues)))
    cache.session["enriched"] = (key, tuple(papers), result, settings)
    return result


def _tags_of(paper: Paper) -> tuple[str, ...]:
    return paper.tags


def spellings(papers: Sequence[Paper], note_tags: Sequence[tuple[str, ...]],
              cache: BuildCache) -> dict[str, str]:
    """`overlay.tag_spellings` of the papers' and the notes' tags, the last one while the
    papers carry the same tags in the same order and the notes the same tags (`serve` pins
    the same enrichment again after every note edit)."""
    kept = cache.session.get("spellings")
    note_tags = tuple(note_tags)
    if kept is not None and kept[1] == note_tags and _same_in(_tags_of, kept[0], papers):
        return kept[2]
    key = _derived_key("spellings", papers, [tags for tags in note_tags if tags], cache, _tags_of)
    stored = cache.recall("spellings")
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
        result = stored[1]
    else:
        result = tag_spellings([*(p.tags for p in papers), *note_tags])
        cache.remember("spellings", (key, result))
    cache.session["spellings"] = (tuple(papers), note_tags, result)
    return result


def _derived_key(name: str, papers: Sequence[Paper], extra: Any, cache: BuildCache,
                 view: Callable[[Paper], Any]) -> bytes:
    """Digest of the `view`s of `papers` (what a stage after enrichment reads) and `extra`.

    The papers of this build's enrichment are known by its key (`enriched`: the views read
    nothing else); a paper whose view is that of the enriched paper in its place (all but the
    few that notes pinned) is digested as its position, so 50,000 papers cost no pickling."""
    h = hashlib.blake2b(pickle.dumps((name, code_version(), extra),
                                     protocol=pickle.HIGHEST_PROTOCOL), digest_size=20)
    last = cache.session.get("enriched")
    made: Sequence[Paper] = last[2].papers if last is not None else ()
    if last is not None:
        h.update(last[0])
    basis = [(i, made[i]) if i < len(made) else None for i in range(len(papers))]
    h.update(pickle.dumps(_rows(papers, basis, view), protocol=pickle.HIGHEST_PROTOCOL))
    return h.digest()


def _terms_of(paper: Paper) -> tuple[Any, ...]:
    """Everything of a paper the library's term indexes depend on."""
    return (paper.id, paper.slug, paper.date, paper.title, paper.topics, paper.tags,
            paper.venue, paper.listings)


def library(papers: Sequence[Paper], cache: BuildCache, descriptions: Any,
            min_tag_papers: int) -> Library:
    """`Library.build(...)`, reusing the last library's terms when no paper's terms changed:
    from memory in a session, else from disk (a library without its papers, then
    `Library.with_papers`)."""
    kept, args = cache.session.get("library"), (dict(descriptions), min_tag_papers)
    if kept is not None:
        old_papers, old_library, old_args = kept
        if old_args == args and _same_in(_terms_of, old_papers, papers):
            result = old_library.with_papers(papers)
            cache.session["library"] = (tuple(papers), result, old_args)
            return result
    key = _derived_key("library", papers, args, cache, _terms_of)
    stored = cache.recall("library")
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
        result = pickle.loads(stored[1]).with_papers(papers)
    else:
        result = Library.build(papers, descriptions=descriptions, min_tag_papers=min_tag_papers)
        cache.remember("library", (key, terms_only(result)))
    cache.session["library"] = (tuple(papers), result, args)
    return result


def terms_only(library: Library) -> bytes:
    """`library` without its papers, pickled (its read-only mappings as mappings again)."""
    empty: Mapping[str, Paper] = MappingProxyType({})
    data = io.BytesIO()
    pickler = pickle.Pickler(data, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table,
                              MappingProxyType: lambda m: (_read_only, (dict(m),))}
    pickler.dump(replace(library, papers=(), by_id=empty, by_slug=empty))
    return data.getvalue()


def _read_only(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    """A read-only view of `mapping` (how `terms_only` pickles one)."""
    return MappingProxyType(mapping)


_RECORDS: dict[str, tuple[tuple[Any, ...], str]] = {}
"""papers.json records of this process by paper id, with the objects each was made from."""


def paper_record_text(paper: Paper, library: Any) -> str:
    """`outputs.paper_record_text`, remembered while the paper and the papers it names (its
    related papers and the notes citing it) are the very same objects: a `serve` session
    rewrites papers.json after every edit, but re-encodes only the records that changed."""
    from . import outputs

    library = untracked(library)  # the papers.json job reads every paper (`papers`) anyway
    named = library.by_id
    deps = (paper, *(named.get(r.id) for r in paper.related),
            *(named.get(b.key) for b in paper.discussed_in if b.kind != "review"))
    known = _RECORDS.get(paper.id)
    if known is not None and _same_items(known[0], deps):
        return known[1]
    text = outputs.paper_record_text(paper, library)
    _RECORDS[paper.id] = (deps, text)
    return text

