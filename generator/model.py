"""Typed, immutable records passed between pipeline stages.

This module holds the data shapes only: `Paper` and the small records it carries, the canonical
title key used to recognise one paper across listings, and the paper id derived from it. It does
no I/O and knows nothing about listings, templates or the site layout. A paper's note fields
can be watched (`watching_notes`): the page memo learns which pages show which notes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = [
    "Backlink",
    "Issue",
    "Paper",
    "Related",
    "SourceRef",
    "note_read",
    "notes_read_by",
    "paper_id",
    "title_key",
    "watching_notes",
]

_note_watcher: Callable[[Any], None] | None = None
"""Called with the paper whenever its `note` or `note_html` is read (see `watching_notes`)."""


class _NoteField:
    """A `Paper` field whose reads the watcher sees. The value lives in the instance's
    `__dict__` under the field's own name, as a plain field's would: pickles, `vars()` and
    equality are those of a plain field; only reading it goes through `__get__`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> str:
        if obj is None:
            return ""  # the field's default, as `dataclass` asks for it
        if _note_watcher is not None:
            _note_watcher(obj)
        return obj.__dict__[self.name]

    def __set__(self, obj: Any, value: str) -> None:
        obj.__dict__[self.name] = value


class watching_notes:  # noqa: N801 - used as a function: `with watching_notes(w):`
    """Call `watcher(paper)` on every read of a paper's note fields while in this block (None:
    no watching); the watcher outside the block is restored after. A plain class, not a
    generator: every page job of a build enters one."""

    __slots__ = ("watcher", "outer")

    def __init__(self, watcher: Callable[[Any], None] | None) -> None:
        self.watcher = watcher

    def __enter__(self) -> None:
        global _note_watcher
        self.outer, _note_watcher = _note_watcher, self.watcher

    def __exit__(self, *exc: object) -> None:
        global _note_watcher
        _note_watcher = self.outer


def notes_read_by(make: Callable[[], T]) -> tuple[T, tuple[Any, ...]]:
    """`make()`, and the papers whose notes it read (the watcher is told too). For a cache of
    renderings: a later use of the same rendering replays them with `note_read`."""
    outer = _note_watcher
    seen: list[Any] = []

    def both(paper: Any) -> None:
        seen.append(paper)
        if outer is not None:
            outer(paper)

    with watching_notes(both):
        made = make()
    return made, tuple(seen)


def note_read(paper: Any) -> None:
    """Tell the watcher that `paper`'s note was read (see `notes_read_by`)."""
    if _note_watcher is not None:
        _note_watcher(paper)


@dataclass(frozen=True)
class SourceRef:
    """Where one entry of a paper was read: listing file name and 1-based line of its title."""

    listing: str
    line: int


@dataclass(frozen=True)
class Related:
    """A link to another paper, with the similarity score and human-readable reasons."""

    id: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Backlink:
    """A review or note citing a paper: `key` is the review slug or the citing paper's id."""

    kind: str
    key: str
    title: str


@dataclass(frozen=True)
class Issue:
    """A located problem found while reading or repairing content (a warning unless `error`)."""

    path: str
    line: int | None
    message: str
    error: bool = False
    kind: str = ""
    """What the issue is about, for summaries (e.g. "broken link"); empty for listing issues."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Paper:
    """One paper. Readers fill the raw fields; later stages return copies via `replace`.

    `date` is raw text as read (e.g. ``"Mar 17"``) until repair turns it into ISO ``yyyy-mm-dd``.
    `source_topics` are the listings' own topic lines ("Statistical Learning"), kept apart from
    the curated `topics` the enrichment stage assigns.
    """

    title: str
    abstract: str
    sources: tuple[SourceRef, ...]
    id: str = ""
    slug: str = ""
    title_missing: bool = False
    date: str | None = None
    venue: str | None = None
    authors_count: int | None = None
    organization: str | None = None
    upvotes: int | None = None
    links: tuple[str, ...] = ()
    source_topics: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    related: tuple[Related, ...] = field(default=())
    status: str | None = None
    """Editor's reading status from a note: to-read, reading, read or key."""
    rating: int | None = None
    """Editor's rating from a note, 1 to 5."""
    note: str = _NoteField()  # type: ignore[assignment]
    """The editor's note (Markdown, wiki-links already turned into ordinary links); "" when
    none. Watched, like `note_html` (see `watching_notes`)."""
    note_html: str = _NoteField()  # type: ignore[assignment]
    """The note rendered to sanitised HTML."""
    discussed_in: tuple[Backlink, ...] = ()
    """Reviews and notes that cite this paper with a wiki-link."""

    @property
    def listings(self) -> tuple[str, ...]:
        """Listing names this paper was read from, in first-seen order, without repeats."""
        return tuple(dict.fromkeys(s.listing for s in self.sources))

    @property
    def year(self) -> int | None:
        """Year of `date` once it is ISO, else None."""
        if self.date and re.match(r"^\d{4}-\d{2}-\d{2}$", self.date):
            return int(self.date[:4])
        return None


_NON_ALNUM = re.compile(r"[\W_]+")
_ASCII_KEEP = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ASCII_DROP = bytes(b for b in range(128) if b not in _ASCII_KEEP)
_ASCII_LOWER = bytes.maketrans(_ASCII_KEEP[10:36], _ASCII_KEEP[36:])
# Latin letters that do not decompose under NFKD but are commonly typed without the stroke.
_PLAIN_LATIN = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "æ": "ae", "œ": "oe",
                              "ı": "i", "þ": "th"})


def title_key(title: str) -> str:
    """Return the matching key of a title: accents, case, punctuation and spacing removed.

    Two listings' spellings of one paper ("Naïve", "Naive", "NAIVE —", "ﬁ" vs "fi") give the
    same key. Letters of other scripts are kept, so "β-VAE" and "VAE" stay different papers.
    """
    if title.isascii():  # the common case: nothing to decompose, one C pass (abstracts too)
        return title.encode("ascii").translate(_ASCII_LOWER, _ASCII_DROP).decode("ascii")
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_ALNUM.sub("", stripped.translate(_PLAIN_LATIN).casefold())


def paper_id(key: str) -> str:
    """Return the stable id of a paper from its matching key (12 hex digits of SHA-1)."""
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
