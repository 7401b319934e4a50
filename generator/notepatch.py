"""A note's prose edited: patch the few files of the site that show it, without the pipeline.

The commonest edit between two builds is an editor rewriting the prose of a note. That changes
two fields of one paper (`note`, `note_html`) and, with the built-in theme, three files: the
paper's page, its Markdown page and its line of papers.json. The pipeline would load and index
every paper to find that out (seconds at 50,000 papers). So after every complete build outside
`serve`, `remember()` keeps a `PatchState`: the digest of each input file, each note as parsed
with the paper it applied to, the files of the pages that read each such paper's note (the page
memo's `Record.notes`, seen through `model.watching_notes`), the term indexes, the rendered
reviews, and every paper pickled on its own in `papers.bin`, to be read back one by one.

`prose_edit()` finds an edit it can patch and gives None for any other, which the full build
then makes:
- the site holds what the build of the state published (the list its commit kept, `sitelist`),
  settings and every input file are the same but for notes that build read;
- each changed note differs only in its body, which has no wiki-link before or after (links
  make other papers' backlinks) and renders without an issue; that build reported none for it;
- the note's paper is shown, and only its own pages and papers.json read its note (a theme
  that shows notes elsewhere takes the full build).
`NoteEdit.files()` renders the papers' pages with a library that unpickles papers on demand,
and splices their papers.json lines. It writes nothing to the site: `build` publishes through
its `SiteWriter`, then `NoteEdit.save()` keeps the state of the patched site (in the child
that keeps the site's list, see `SiteWriter.close`).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from . import outputs
from .cache import BuildCache, output_name, wait_for_writer, write_pickle
from .errors import ContentError
from .fingerprint import BuildStamp
from .markup import find_wikilinks
from .model import Issue, Paper
from .notes import Note, parse_note, read_text
from .outdir import Piece
from .paths import leaves
from .render import Renderer, make_environment
from .reviews import NOTE_HEADINGS, link_body, note_fields
from .sitejobs import paper_pages
from .writer import SiteWriter

__all__ = ["NoteEdit", "PatchState", "patch", "prose_edit", "remember"]

STATE, PAPERS, LOCK = "state.pickle", "papers.bin", "writing.lock"
TOKEN = 16
"""Bytes of the random token that opens `papers.bin` (its state names it)."""


@dataclass(frozen=True)
class PatchState:
    """What patching needs of the last complete build (see the module docstring)."""

    inputs: str
    settings: str
    files: Mapping[str, bytes]
    notes: Mapping[str, tuple[Note, str | None]]
    """Note path -> the note as parsed and the id of the paper it applied to (None: none)."""
    readers: Mapping[str, frozenset[str]]
    """Id of a paper with a note -> the files of the pages that read its note."""
    flagged: frozenset[str]
    """Paths the build reported an issue for."""
    terms: bytes
    """The library without its papers (`reuse.terms_only`)."""
    reviews: tuple[Any, ...]
    order: tuple[tuple[str, str], ...]
    """(id, slug) of every paper, in the library's order."""
    token: bytes = b""
    """The token that opens the `papers.bin` which `offsets` point into."""
    offsets: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Paper id -> (offset, size) of its pickle in `papers.bin`."""
    lines: tuple[int, ...] = ()
    """The size of each paper's line in the site's papers.json, in `order` (() unknown)."""


def _folder(cache: BuildCache, out: Path) -> Path | None:
    if cache.directory is None:
        return None
    return cache.directory / output_name("patch", out)


def remember(cache: BuildCache, out: Path, stamp: BuildStamp, library: Any, linked: Any,
             overlay: Any, issues: Sequence[Issue],
             readers: Callable[[], Mapping[str, frozenset[str]]]) -> None:
    """Keep the state of the site this build made in `out`: made and written by a forked
    child that the build does not wait for (`BuildCache.write_behind`); `prose_edit` waits
    for it. `readers()` gives `PatchState.readers`."""
    folder = _folder(cache, out)
    if folder is not None:
        cache.write_behind(folder / LOCK, partial(
            _write, folder, stamp, library, linked.reviews, overlay, issues, readers))


def _write(folder: Path, stamp: BuildStamp, library: Any, reviews: Sequence[Any],
           overlay: Any, issues: Sequence[Issue],
           readers: Callable[[], Mapping[str, frozenset[str]]]) -> None:
    """Write `papers.bin`, then the state naming it (a reader finds both or a mismatch)."""
    from .reuse import terms_only

    try:
        papers = library.papers
        lines = _record_lines((stamp.out / "papers.json").read_bytes(), len(papers))
        folder.mkdir(parents=True, exist_ok=True)
        token, offsets = os.urandom(TOKEN), {}
        spare = folder / f".{PAPERS}.tmp"
        with open(spare, "wb") as fh:
            fh.write(token)
            _append(fh, papers, offsets)
        os.replace(spare, folder / PAPERS)
        notes = {a.note.path: (a.note, a.paper_id) for a in overlay.applied}
        notes.update({note.path: (note, None) for note in overlay.orphans})
        write_pickle(folder / STATE, PatchState(
            stamp.inputs, stamp.settings, dict(stamp.files), notes, dict(readers()),
            frozenset(issue.path for issue in issues), terms_only(library), tuple(reviews),
            tuple((p.id, p.slug) for p in papers), token, offsets, lines))
    except OSError:  # a read-only or full disk only costs speed
        return


def _append(fh: Any, papers: Iterable[Paper], offsets: dict[str, tuple[int, int]]) -> None:
    """Pickle each paper on its own at the end of open file `fh`; note where in `offsets`."""
    position = fh.seek(0, os.SEEK_END)
    for paper in papers:
        blob = pickle.dumps(paper, pickle.HIGHEST_PROTOCOL)
        offsets[paper.id] = (position, len(blob))
        fh.write(blob)
        position += len(blob)


def _record_lines(listing: bytes, count: int) -> tuple[int, ...]:
    """The size of each record's line in papers.json (`listing`: "[", a line a paper, "]"; see
    `outputs.papers_json`), or () when it does not hold `count` records so."""
    sizes = tuple(len(line) for line in listing.split(b"\n"))
    return sizes[1:-2] if len(sizes) == count + 3 and count else ()


def _load(folder: Path) -> PatchState | None:
    try:
        with open(folder / STATE, "rb") as fh:
            state = pickle.load(fh)
    except Exception:  # missing, torn, foreign or outdated: no patching
        return None
    return state if isinstance(state, PatchState) else None


@dataclass(frozen=True)
class Change:
    """One note whose prose changed: the paper it applies to and its new note fields."""

    paper_id: str
    note: Note
    fields: dict[str, str]


def patch(root: Path, out: Path, config: Any, cache: BuildCache, stamp: BuildStamp,
          report: Any, index: Callable[[SiteWriter], Any]) -> Any | None:
    """Publish a prose edit of notes (see `prose_edit`) by writing only the files it changes;
    `index` makes the search index. The report of the build, or None (nothing done)."""
    with report.stage("unchanged check"):  # what changed: a full build reports only this
        edit = prose_edit(root, out, cache, stamp)
    if edit is None:
        return None
    with report.stage("note patch"):
        writer = SiteWriter(out, back=cache.back_folder(out))
    try:
        with report.stage("note patch"):
            published = writer.published_soon()  # the site's folders checked meanwhile
            try:
                files = edit.files(make_environment(root / "templates", config), config)
            except Exception:  # noqa: BLE001 - the full build reports it, file and line
                files = None
            if not published() or files is None:  # someone changed the site, or the edit
                writer.discard()
                return None
            stamp.forget()
            for rel, text in files:
                if isinstance(text, Spliced):  # papers.json: a line changed
                    writer.write_spliced(rel, text.source, text.pieces)
                else:
                    writer.write(rel, text)
            writer.keep_all(list(writer.old_files() - writer.changed))
        with report.stage("search index"):
            searched = index(writer)
        writer.publish()
    except BaseException:
        writer.discard()
        raise
    patched = replace(edit.report, output=out, files_written=writer.count,
                      bytes_written=writer.bytes, files_unchanged=writer.unchanged,
                      files_deleted=writer.deleted, changed_paths=writer.published,
                      jobs_reused=0, deferred=0, stages=report.stages,
                      stages_cpu=report.stages_cpu, skipped=False, search=searched)
    # The site's list, the patch state and the stamp are kept by a child: done once published.
    writer.close(partial(_saved, edit, stamp, replace(patched, changed_paths=())),
                 partial(cache.write_behind, stamp.lock))
    cache.finish()
    return patched


def _saved(edit: NoteEdit, stamp: BuildStamp, report: Any) -> None:
    edit.save(stamp)
    stamp.save(report, walk=False)


def prose_edit(root: Path, out: Path, cache: BuildCache, stamp: BuildStamp) -> NoteEdit | None:
    """The edit since the last complete build when it is prose in notes only, else None."""
    folder = _folder(cache, out)
    if folder is None:
        return None
    wait_for_writer(folder / LOCK)  # the last build's state, being written
    state = _load(folder)
    last = stamp.last_record()  # the site is checked by `patch`, when it is written
    if (state is None or last is None or last[0] != state.inputs
            or state.settings != stamp.settings or stamp.files.keys() != state.files.keys()):
        return None
    changes = []
    for name, digest in stamp.files.items():
        if state.files[name] != digest:
            change = _prose_change(root, name, state)
            if change is None:
                return None
            changes.append(change)
    return NoteEdit(out, folder, state, last[2], tuple(changes)) if changes else None


def _prose_change(root: Path, name: str, state: PatchState) -> Change | None:
    """The change of input file `name` when it is a note whose prose alone changed."""
    known = state.notes.get(name)
    if known is None or known[1] is None or name in state.flagged:
        return None
    old, paper_id = known
    try:
        if leaves(root / name, root):
            return None
        note = parse_note(read_text(root / name, name), name)
    except (OSError, ContentError):
        return None
    if replace(note, body=old.body) != old or find_wikilinks(old.body):
        return None
    resolver = _NoLinks()
    text, html, _ = link_body(note.path, note.body, note.body_line, lambda **_: resolver,
                              NOTE_HEADINGS)
    if resolver.met or resolver.issues:
        return None
    return Change(paper_id, note, note_fields(text, html))


class _NoLinks:
    """The wiki-link resolver of prose that must have no link: it notes that it met one."""

    def __init__(self) -> None:
        self.issues: list[Issue] = []
        self.cited: list[str] = []
        self.met = False

    def __call__(self, link: Any) -> str:
        self.met = True
        return ""


@dataclass
class NoteEdit:
    """Notes whose prose changed since the last complete build (see `prose_edit`)."""

    out: Path
    folder: Path
    state: PatchState
    report: Any
    """The report of the last complete build."""
    changes: tuple[Change, ...]
    papers: dict[str, Paper] = field(default_factory=dict)
    """The edited papers, once `files()` made them."""
    lines: tuple[int, ...] = ()
    """The sizes of the lines of papers.json as `files()` made it."""

    def files(self, env: Any, config: Any) -> list[tuple[str, str | Spliced]] | None:
        """The site files the edit changes, with their new text (None: this edit cannot be
        patched after all; nothing was written)."""
        with _Shelf(self.folder / PAPERS, self.state) as shelf:
            if shelf.token != self.state.token or any(
                    c.paper_id not in self.state.offsets for c in self.changes):
                return None
            old = {c.paper_id: shelf[c.paper_id] for c in self.changes}
            new = {c.paper_id: replace(old[c.paper_id], **c.fields) for c in self.changes}
            own = {"papers.json"}.union(*({f"papers/{p.slug}.md", f"papers/{p.slug}/index.html"}
                                         for p in new.values()))
            if any(not self.state.readers.get(pid, frozenset()) <= own for pid in new):
                return None
            shelf.changed = new
            library = _library(self.state.terms, shelf)
            renderer = Renderer(env, library, config, self.state.reviews)
            pages = [item for paper in new.values() for item in paper_pages(renderer.paper, paper)]
            listing = _spliced(self.out / "papers.json", shelf.ids, self.state.lines, {
                pid: (outputs.paper_record_text(old[pid], library),
                      outputs.paper_record_text(new[pid], library)) for pid in new})
            if listing is None:
                return None
            self.papers.update(new)
            self.lines = listing[1]
        return [*pages, ("papers.json", listing[0])]

    def save(self, stamp: BuildStamp) -> None:
        """After publishing: the state of the patched site (its papers appended to
        `papers.bin`); on failure, no state (the next build is a full one)."""
        state = self.state
        try:
            with open(self.folder / PAPERS, "r+b") as fh:
                if fh.read(TOKEN) != state.token:
                    raise OSError("papers.bin was replaced")
                offsets = dict(state.offsets)
                _append(fh, self.papers.values(), offsets)
            notes = {**state.notes, **{c.note.path: (c.note, c.paper_id) for c in self.changes}}
            write_pickle(self.folder / STATE, replace(
                state, inputs=stamp.inputs, files=dict(stamp.files), notes=notes,
                offsets=offsets, lines=self.lines))
        except OSError:
            (self.folder / STATE).unlink(missing_ok=True)


def _spliced(path: Path, ids: Sequence[str], lines: Sequence[int],
             records: Mapping[str, tuple[str, str]]) -> tuple[Spliced, tuple[int, ...]] | None:
    """papers.json at `path` with the record of each paper id in `records` (old, new)
    replaced, and the new sizes of its lines; None when a record is not where the last build
    wrote it (`lines`: their sizes, in the order of `ids`). Bytes: records are ASCII."""
    if len(lines) != len(ids):
        return None
    sizes = list(lines)
    at = sorted(ids.index(pid) for pid in records)
    try:
        with open(path, "rb") as fh:
            pieces: list[Piece] = []
            done = 0
            for i in at:
                old, new = (text.encode() for text in records[ids[i]])
                start = 2 + sum(sizes[:i]) + i  # "[\n", then a record and "\n" a line
                if os.pread(fh.fileno(), sizes[i], start).rstrip(b",") != old:
                    return None
                pieces += [(done, start - done), new]
                done = start + len(old)
                sizes[i] += len(new) - len(old)
            pieces.append((done, os.fstat(fh.fileno()).st_size - done))
    except OSError:
        return None
    return Spliced(path, tuple(pieces)), tuple(sizes)


@dataclass(frozen=True)
class Spliced:
    """A file made of pieces of file `source` (see `SiteWriter.write_spliced`)."""

    source: Path
    pieces: tuple[Piece, ...]


class _Shelf(Mapping[str, Paper]):
    """The last build's papers by id, each unpickled from `papers.bin` when first asked for;
    `changed` ones (the edit's) first."""

    def __init__(self, path: Path, state: PatchState) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self.token = os.pread(self._fd, TOKEN, 0)
        self._offsets = state.offsets
        self.ids = [pid for pid, _ in state.order]
        """Paper ids in the library's order."""
        self.slugs = {slug: pid for pid, slug in state.order}
        self._loaded: dict[str, Paper] = {}
        self.changed: dict[str, Paper] = {}

    def __enter__(self) -> _Shelf:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def __getitem__(self, pid: str) -> Paper:
        paper = self.changed.get(pid) or self._loaded.get(pid)
        if paper is None:
            offset, size = self._offsets[pid]
            paper = self._loaded[pid] = pickle.loads(os.pread(self._fd, size, offset))
        return paper

    def __contains__(self, pid: object) -> bool:
        return pid in self._offsets

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


class _Papers(Sequence[Paper]):
    """The library's papers in order, read from the shelf as they are asked for."""

    def __init__(self, shelf: _Shelf, ids: Sequence[str]) -> None:
        self._shelf, self._ids = shelf, ids

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._shelf[pid] for pid in self._ids[index])
        return self._shelf[self._ids[index]]


class _BySlug(Mapping[str, Paper]):
    def __init__(self, shelf: _Shelf, ids: Mapping[str, str]) -> None:
        self._shelf, self._ids = shelf, ids

    def __getitem__(self, slug: str) -> Paper:
        return self._shelf[self._ids[slug]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


def _library(terms: bytes, shelf: _Shelf) -> Any:
    """The last build's library (its term indexes: `terms`), its papers read from `shelf`."""
    return replace(pickle.loads(terms), papers=_Papers(shelf, shelf.ids), by_id=shelf,
                   by_slug=_BySlug(shelf, shelf.slugs))
