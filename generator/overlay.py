"""Applying editors' notes to papers: identity fixes, field overrides, hiding, pinned links.

`apply_notes` runs between de-duplication and enrichment: it finds each note's paper, splits
entries the automatic matching merged wrongly (`not_same_as`), merges papers it kept apart
(`same_as`), sets titles (a new title gives a new slug; the old one stays a link alias),
tags, topics, status and rating, and drops hidden papers. `pin_notes` runs after enrichment and
re-applies topics and tags and pins or removes related papers, so enrichment can never undo an
editor's choice. Every problem becomes a located `Issue`; nothing is dropped silently. Pure
functions, no I/O; notes are read by `notes`, their bodies rendered by `reviews`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, reduce
from itertools import chain

from .dedupe import _merge as merge_entries  # the same merge rule as automatic de-duplication
from .dedupe import make_slug
from .model import Issue, Paper, Related, SourceRef, paper_id
from .notes import Note, PaperIndex

__all__ = ["Applied", "Overlay", "apply_notes", "pin_notes", "tag_spellings"]

EDITORS_PICK = "editor's pick"


@dataclass(frozen=True)
class Applied:
    """A note that found its paper, with its `related` / `not_related` resolved to ids."""

    note: Note
    paper_id: str
    related: tuple[str, ...] = ()
    not_related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Overlay:
    """Papers with notes applied (hidden ones removed), and what happened to every note."""

    papers: tuple[Paper, ...]
    applied: tuple[Applied, ...]
    orphans: tuple[Note, ...]
    hidden: tuple[Paper, ...]
    index: PaperIndex
    issues: tuple[Issue, ...]


def _issue(note: Note, key: str, message: str, kind: str, error: bool = True) -> Issue:
    return Issue(note.path, note.line(key), message, error=error, kind=kind)


class _State:
    """The papers while notes are applied: by id in input order, plus names they used to have."""

    def __init__(self, papers: Sequence[Paper], raw: Sequence[Paper]) -> None:
        self.papers: dict[str, Paper] = {p.id: p for p in papers}
        self.raw = raw
        self.aliases: dict[str, str] = {}
        self.issues: list[Issue] = []

    @cached_property
    def entries(self) -> dict[SourceRef, Paper]:
        """Every entry before merging, by its first source (made when a note splits one)."""
        return {e.sources[0]: e for e in self.raw if e.sources}

    def rename(self, old: Paper, new_id: str) -> None:
        """Keep `old`'s slug, id and title as names of paper `new_id`."""
        for name in (old.slug, old.id, old.title):
            self.aliases.setdefault(name, new_id)


def _find_targets(notes: Sequence[Note], index: PaperIndex,
                  state: _State) -> tuple[dict[str, Note], list[Note]]:
    """Each note's paper id; notes whose paper is missing are orphans, duplicates are errors."""
    targets: dict[str, Note] = {}
    orphans: list[Note] = []
    for note in notes:
        found = index.find(note.paper)
        if found is None:
            orphans.append(note)
            state.issues.append(_issue(note, "paper", index.missing(note.paper)
                                       + " (the note is kept, but shown nowhere)",
                                       "orphan note", error=False))
        elif found in targets:
            state.issues.append(_issue(note, "paper", f"a second note on the same paper as "
                                       f"{targets[found].path}; merge them into one note",
                                       "duplicate note"))
        else:
            targets[found] = note
    return targets, orphans


def _source_matches(source: SourceRef, spec: str) -> bool:
    """`listing.txt` names every entry of a listing, `listing.txt:12` the one at line 12."""
    listing, _, line = spec.rpartition(":")
    if line.isdigit() and listing:
        return source.listing == listing and source.line == int(line)
    return source.listing == spec


def _split(state: _State, pid: str, note: Note) -> None:
    """`not_same_as`: turn the named entries of a merged paper back into papers of their own."""
    paper = state.papers[pid]
    entries = [state.entries[s] for s in paper.sources if s in state.entries]
    groups = []
    for spec in note.not_same_as:
        group = [e for e in entries if _source_matches(e.sources[0], spec)
                 and not any(e in g for g in groups)]
        if not group:
            sources = ", ".join(f"{s.listing}:{s.line}" for s in paper.sources)
            state.issues.append(_issue(note, "not_same_as", f"not_same_as: {spec!r} is not an "
                                       f"entry of this paper (its entries: {sources})",
                                       "bad field"))
            continue
        groups.append(group)
    keep = [e for e in entries if not any(e in g for g in groups)]
    if groups and not keep:
        state.issues.append(_issue(note, "not_same_as", "not_same_as names every entry of the "
                                   "paper; keep at least one", "bad field"))
        return
    if groups:
        state.papers[pid] = replace(reduce(merge_entries, keep), id=pid, slug=paper.slug,
                                    title=paper.title, title_missing=paper.title_missing)
    for group in groups:
        first = group[0].sources[0]
        new_id = paper_id(f"{pid}|{first.listing}:{first.line}")
        state.papers[new_id] = replace(reduce(merge_entries, group), id=new_id,
                                       slug=_free_slug(state, make_slug(group[0]), new_id))


def _free_slug(state: _State, slug: str, pid: str) -> str:
    """`slug`, or `slug-<id prefix>` when another paper has it (the prefix grows until free)."""
    used = {p.slug for i, p in state.papers.items() if i != pid}
    size, candidate = 6, slug
    while candidate in used or state.aliases.get(candidate, pid) != pid:
        candidate, size = f"{slug}-{pid[:size]}", size + 1
    return candidate


def _merge_same(state: _State, pid: str, note: Note, index: PaperIndex,
                targets: Mapping[str, Note]) -> None:
    """`same_as`: fold the named papers into this one (its values win, sources are kept)."""
    for ref in note.same_as:
        other_id = index.find(ref)
        other_id = state.aliases.get(other_id, other_id) if other_id else None
        if other_id is None or other_id not in state.papers:
            state.issues.append(_issue(note, "same_as", "same_as: " + index.missing(ref),
                                       "broken link"))
            continue
        if other_id == pid:
            state.issues.append(_issue(note, "same_as", f"same_as: {ref!r} is this paper",
                                       "bad field", error=False))
            continue
        if other_id in targets:
            state.issues.append(_issue(note, "same_as", f"same_as merges a paper that has its "
                                       f"own note ({targets[other_id].path}); merge the notes",
                                       "duplicate note"))
        this, other = state.papers[pid], state.papers.pop(other_id)
        merged = merge_entries(this, other)
        state.papers[pid] = replace(merged, id=pid, slug=this.slug)
        state.rename(other, pid)


def _override(state: _State, pid: str, note: Note) -> None:
    """Title, tags, topics, status and rating from the note; a new title gets a new slug."""
    paper = state.papers[pid]
    changes: dict = {"tags": edit_tags(paper.tags, note)}
    if note.topics is not None:
        changes["topics"] = note.topics
    if note.status is not None:
        changes["status"] = note.status
    if note.rating is not None:
        changes["rating"] = note.rating
    if note.title is not None and (note.title != paper.title or paper.title_missing):
        changes.update(title=note.title, title_missing=False)
    updated = replace(paper, **changes)
    if "title" in changes:
        state.rename(paper, pid)
        updated = replace(updated, slug=_free_slug(state, make_slug(updated), pid))
    state.papers[pid] = updated


def edit_tags(tags: tuple[str, ...], note: Note,
              spelling: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The note's `tags` first, then the others, minus `remove_tags` (ignoring case).

    `spelling` maps a case-folded tag to the spelling used across the site, so an editor's
    "Sparse Coding" joins the papers tagged "sparse coding".
    """
    removed = {t.casefold() for t in note.remove_tags}
    out: dict[str, str] = {}
    for tag in note.tags + tags:
        key = tag.casefold()
        if key not in removed:
            out.setdefault(key, (spelling or {}).get(key, tag))
    return tuple(out.values())


def tag_spellings(tag_lists: Iterable[tuple[str, ...]]) -> dict[str, str]:
    """The most used spelling of every tag (ties: lower case first, then alphabetical)."""
    counts: dict[str, dict[str, int]] = {}
    for tag, n in Counter(chain.from_iterable(tag_lists)).items():  # counted in C: 50k papers
        counts.setdefault(tag.casefold(), {})[tag] = n
    return {key: min(forms, key=lambda t: (-forms[t], t != t.lower(), t))
            for key, forms in counts.items()}


def _resolve(refs: Sequence[str], key: str, note: Note, pid: str, index: PaperIndex,
             hidden: PaperIndex, issues: list[Issue]) -> tuple[str, ...]:
    """Ids of the papers `refs` name; unknown names are errors, hidden ones warnings."""
    ids = []
    for ref in refs:
        found = index.find(ref)
        if found == pid:
            issues.append(_issue(note, key, f"{key}: {ref!r} is this paper", "bad field",
                                 error=False))
        elif found:
            ids.append(found)
        elif hidden.find(ref):
            issues.append(_issue(note, key, f"{key}: {ref!r} is hidden by a note; ignored",
                                 "hidden link", error=False))
        else:
            issues.append(_issue(note, key, f"{key}: " + index.missing(ref), "broken link"))
    return tuple(dict.fromkeys(ids))


def apply_notes(notes: Sequence[Note], papers: Sequence[Paper],
                raw: Sequence[Paper]) -> Overlay:
    """Apply every note to the de-duplicated `papers` (`raw`: the entries before merging)."""
    state = _State(papers, raw)
    first_index = PaperIndex.build(papers)
    targets, orphans = _find_targets(notes, first_index, state)
    for pid, note in targets.items():
        if note.not_same_as:
            _split(state, pid, note)
    for pid, note in targets.items():
        if note.same_as and pid in state.papers:
            _merge_same(state, pid, note, first_index, targets)
    live = {pid: note for pid, note in targets.items() if pid in state.papers}
    for pid, note in live.items():
        _override(state, pid, note)
    hidden = tuple(state.papers.pop(pid) for pid, note in live.items() if note.hide)
    index = PaperIndex.build(state.papers.values(), state.aliases)
    hidden_index = PaperIndex.build(hidden)
    applied = tuple(
        Applied(note, pid,
                _resolve(note.related, "related", note, pid, index, hidden_index, state.issues),
                _resolve(note.not_related, "not_related", note, pid, index, hidden_index,
                         state.issues))
        for pid, note in live.items())
    return Overlay(tuple(state.papers.values()), applied, tuple(orphans), hidden, index,
                   tuple(state.issues))


def pin_notes(papers: Sequence[Paper], applied: Sequence[Applied], count: int,
              spelling: Mapping[str, str] | None = None) -> tuple[list[Paper], list[Issue]]:
    """After enrichment: the notes' topics and tags win again; related picks first, vetoes out.
    `spelling`: `tag_spellings` of the papers' and notes' tags, when the caller has it."""
    by_id = {a.paper_id: a for a in applied}
    if spelling is None:
        spelling = tag_spellings([*(p.tags for p in papers), *(a.note.tags for a in applied)])
    issues: list[Issue] = []
    out = []
    for paper in papers:
        a = by_id.get(paper.id)
        if a is None:
            out.append(paper)
            continue
        for tag in a.note.remove_tags:
            if tag.casefold() not in {t.casefold() for t in paper.tags + a.note.tags}:
                issues.append(_issue(a.note, "remove_tags", f"remove_tags: {tag!r} is not a tag "
                                     "of this paper", "bad field", error=False))
        topics = a.note.topics if a.note.topics is not None else paper.topics
        out.append(replace(paper, topics=topics, tags=edit_tags(paper.tags, a.note, spelling),
                           related=_pinned(paper.related, a, count)))
    return out, issues


def _pinned(related: tuple[Related, ...], a: Applied, count: int) -> tuple[Related, ...]:
    """Editor's picks first (keeping any computed reasons), then computed links not vetoed."""
    computed = {r.id: r for r in related}
    picks = tuple(Related(i, computed[i].score if i in computed else 0.0,
                          (EDITORS_PICK, *(computed[i].reasons if i in computed else ())))
                  for i in a.related)
    rest = tuple(r for r in related if r.id not in a.related and r.id not in a.not_related)
    return (picks + rest)[: max(count, len(picks))]
