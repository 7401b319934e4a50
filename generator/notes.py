"""Editors' notes (`content/notes/*.md`): front matter, parsing, paper lookup, new-note skeletons.

A note is Markdown with YAML front matter whose `paper:` names a paper by slug, id or exact
title. `parse_note` is pure and raises a `ContentError` naming file and line; `read_notes` is
the only function that reads note files and turns such errors into issues, so one bad note
never hides the others. `PaperIndex` finds papers by the names editors write (and suggests the
closest ones); `match_paper` is the fuzzy lookup of `litreview new-note`, and `create_note`
writes its one new file, never over an existing one. Applying notes to papers is `overlay`'s
job; rendering their bodies is `reviews`'.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, UsageError
from .model import Issue, Paper, title_key
from .paths import OUTSIDE, leaves
from .yamlfile import load_yaml

__all__ = ["NOTE_FIELDS", "STATUSES", "Document", "Note", "PaperIndex", "create_note",
           "match_paper", "note_skeleton", "parse_note", "read_documents", "read_notes",
           "split_front_matter"]

STATUSES = ("to-read", "reading", "read", "key")
LIST_FIELDS = ("tags", "remove_tags", "topics", "related", "not_related", "same_as",
               "not_same_as")
NOTE_FIELDS = ("paper", "title", *LIST_FIELDS, "status", "rating", "hide")
SUFFIXES = (".md", ".markdown")


@dataclass(frozen=True)
class Document:
    """A Markdown file split into front matter and body, with the lines of its keys."""

    path: str
    meta: Mapping[str, Any]
    lines: Mapping[str, int]
    body: str
    body_line: int


@dataclass(frozen=True)
class Note:
    """One editor's note. `topics` is None when the note does not set topics."""

    path: str
    paper: str
    lines: Mapping[str, int] = field(default_factory=dict, compare=False)
    title: str | None = None
    tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    topics: tuple[str, ...] | None = None
    related: tuple[str, ...] = ()
    not_related: tuple[str, ...] = ()
    same_as: tuple[str, ...] = ()
    not_same_as: tuple[str, ...] = ()
    status: str | None = None
    rating: int | None = None
    hide: bool = False
    body: str = ""
    body_line: int = 1

    def line(self, key: str = "paper") -> int | None:
        """The line of a front matter key (the `paper:` line by default)."""
        return self.lines.get(key) or self.lines.get("paper")


# ---------------------------------------------------------------- front matter


def split_front_matter(text: str, path: str) -> Document:
    """Split `---` YAML front matter from the Markdown body; errors name file and line."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].strip() != "---":
        raise ContentError(path, 1, "no front matter: the file must start with a '---' line, "
                                    "then `key: value` lines, then another '---' line")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ContentError(path, 1, "front matter is not closed: add a '---' line after it")
    data, key_lines = load_yaml("\n".join(lines[1:end]), path, first_line=2)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ContentError(path, 2, "front matter must be `key: value` lines, "
                                    f"not a {type(data).__name__}")
    return Document(path, data, key_lines, "\n".join(lines[end + 1 :]), end + 2)


def check_keys(doc: Document, valid: Sequence[str]) -> None:
    """Reject unknown front matter keys, naming the nearest valid one."""
    for key in doc.meta:
        if str(key) not in valid:
            close = difflib.get_close_matches(str(key), valid, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(valid)}"
            raise ContentError(doc.path, doc.lines.get(str(key)), f"unknown key {key!r}; {hint}")


def text_value(doc: Document, key: str) -> str | None:
    """A front matter value that must be text (numbers are accepted as their text)."""
    value = doc.meta.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ContentError(doc.path, doc.lines.get(key), f"{key} must be text, not {value!r}")
    text = str(value).strip()
    if not text:
        raise ContentError(doc.path, doc.lines.get(key), f"{key} is empty")
    return text


def _list_value(doc: Document, key: str) -> tuple[str, ...]:
    value = doc.meta.get(key)
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        bad = isinstance(item, bool) or not isinstance(item, (str, int, float))
        if bad or not str(item).strip():
            raise ContentError(doc.path, doc.lines.get(key),
                               f"{key} must be a list of names, not {value!r}")
        out.append(str(item).strip())
    return tuple(dict.fromkeys(out))


def _status(doc: Document) -> str | None:
    status = text_value(doc, "status")
    if status is not None and status not in STATUSES:
        raise ContentError(doc.path, doc.lines.get("status"),
                           f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    return status


def _rating(doc: Document) -> int | None:
    rating = doc.meta.get("rating")
    if rating is None:
        return None
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ContentError(doc.path, doc.lines.get("rating"),
                           f"rating must be a whole number from 1 to 5, not {rating!r}")
    return rating


def _hide(doc: Document) -> bool:
    hide = doc.meta.get("hide", False)
    if not isinstance(hide, bool):
        raise ContentError(doc.path, doc.lines.get("hide"), f"hide must be true or false, "
                                                            f"not {hide!r}")
    return hide


def parse_note(text: str, path: str) -> Note:
    """Parse one note file's text; raises `ContentError` (file and line) when it is wrong."""
    doc = split_front_matter(text, path)
    check_keys(doc, NOTE_FIELDS)
    paper = text_value(doc, "paper")
    if paper is None:
        raise ContentError(path, 1, "the note does not say which paper it is about: "
                                    "add `paper: <slug, id or exact title>`")
    lists = {key: _list_value(doc, key) for key in LIST_FIELDS}
    return Note(path=path, paper=paper, lines=dict(doc.lines), title=text_value(doc, "title"),
                **{k: v for k, v in lists.items() if k != "topics"},
                topics=lists["topics"] if "topics" in doc.meta else None,
                status=_status(doc), rating=_rating(doc), hide=_hide(doc),
                body=doc.body, body_line=doc.body_line)


# ---------------------------------------------------------------- reading files


def read_text(file: Path, path: str) -> str:
    """A content file's text; invalid UTF-8 is an error naming the line of the bad byte."""
    data = file.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContentError(path, line, "not UTF-8 text; save the file as UTF-8") from None


def read_documents(folder: Path, root: Path) -> tuple[list[tuple[str, str]], list[Issue]]:
    """(path, text) of every Markdown file under `folder`, sorted; other files are reported."""
    texts, issues = [], []
    if not folder.is_dir():
        return texts, issues
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        path = file.relative_to(root).as_posix()
        if any(part.startswith(".") for part in file.relative_to(folder).parts):
            continue
        if file.suffix.lower() not in SUFFIXES:
            issues.append(Issue(path, None, "not a Markdown file (.md); ignored", kind="ignored"))
            continue
        if leaves(file, root):
            issues.append(Issue(path, None, OUTSIDE, error=True, kind="outside the project"))
            continue
        try:
            texts.append((path, read_text(file, path)))
        except ContentError as exc:
            issues.append(Issue(exc.path, exc.line, exc.message, error=True, kind="front matter"))
    return texts, issues


def read_notes(root: Path) -> tuple[list[Note], list[Issue]]:
    """Every note under `content/notes/`; a note that cannot be parsed becomes an error issue."""
    texts, issues = read_documents(root / "content" / "notes", root)
    notes = []
    for path, text in texts:
        try:
            notes.append(parse_note(text, path))
        except ContentError as exc:
            issues.append(Issue(exc.path, exc.line, exc.message, error=True, kind="front matter"))
    return notes, sorted(issues, key=lambda i: (i.path, i.line or 0))


# ---------------------------------------------------------------- finding papers


class PaperIndex:
    """Finds a paper's id by slug, id or exact title, then by title ignoring case/punctuation.

    `aliases` are names a paper had before the notes changed it (old slug, old title, the id of
    a paper merged into it), so links written before a fix keep working. The exact names are
    indexed at once; title keys and fuzzy choices only when a name needs them (a build over
    50,000 papers usually resolves every link exactly).
    """

    def __init__(self, papers: Sequence[Paper], aliases: Mapping[str, str] | None = None
                 ) -> None:
        self.papers = papers
        # A slug or id names its (last) paper; else an alias; else a title its first paper.
        exact = {p.title: p.id for p in reversed(papers) if not p.title_missing}
        exact.update(aliases or {})
        exact.update({name: p.id for p in papers for name in (p.slug, p.id)})
        self.exact: Mapping[str, str] = exact

    @classmethod
    def build(cls, papers: Iterable[Paper], aliases: Mapping[str, str] | None = None) -> PaperIndex:
        return cls(tuple(papers), aliases)

    @functools.cached_property
    def keyed(self) -> Mapping[str, str | None]:
        """Title key -> the one paper with that key (None: several)."""
        keyed: dict[str, str | None] = {}
        for paper in self.papers:
            if not paper.title_missing:
                key = title_key(paper.title)
                keyed[key] = paper.id if keyed.get(key, paper.id) == paper.id else None
        return keyed

    @functools.cached_property
    def choices(self) -> Mapping[str, str]:
        """Slug -> the text fuzzy suggestions compare with."""
        return {p.slug: f"{p.slug.replace('-', ' ')} {p.title}" for p in self.papers}

    def find(self, name: str) -> str | None:
        """The id of the paper `name` refers to, or None."""
        name = name.strip()
        return self.exact.get(name) or self.keyed.get(title_key(name)) or None

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Slugs of the papers whose slug or title is closest to `name`."""
        return [slug for _, score, slug in _closest(name, self.choices, limit) if score >= 50]

    def missing(self, name: str) -> str:
        """A message for a name that matches no paper, with the closest slugs."""
        close = self.suggest(name)
        hint = f"; closest: {', '.join(close)}" if close else ""
        return f"no paper {name!r} in the listings{hint}"


def _closest(query: str, choices: Mapping[str, str], limit: int) -> list[tuple[str, float, str]]:
    """The `limit` choices (key -> text) closest to `query`, best first: (text, score out of
    100, key). Close: the words of the title in any order, or a near-exact substring (typos).
    rapidfuzz is imported here, once per search: a note patched needs no fuzzy search."""
    from rapidfuzz import fuzz, process, utils

    def score(query: str, choice: str, **_: Any) -> float:
        return max(fuzz.token_set_ratio(query, choice), fuzz.partial_ratio(query, choice))

    return process.extract(query, choices, scorer=score, limit=limit,
                           processor=utils.default_process)


def match_paper(query: str, papers: Sequence[Paper]) -> tuple[Paper | None, list[Paper]]:
    """The paper `query` names (slug, id, exact title or words of the title), else candidates.

    Returns (paper, []) for a clear match and (None, closest papers) when there is none or
    several fit about equally well.
    """
    by_id = {p.id: p for p in papers}
    found = PaperIndex.build(papers).find(query)
    if found:
        return by_id[found], []
    ranked = _closest(query, {p.id: p.title for p in papers}, 6)
    if ranked and ranked[0][1] >= 70 and (len(ranked) < 2 or ranked[0][1] - ranked[1][1] >= 10):
        return by_id[ranked[0][2]], []
    return None, [by_id[key] for _, score, key in ranked if score >= 50]


# ---------------------------------------------------------------- new notes


def note_skeleton(paper: Paper) -> str:
    """The text of a new note on `paper`: front matter filled in, optional fields commented."""
    meta = yaml.safe_dump({"paper": paper.slug, "status": "to-read"}, sort_keys=False,
                          allow_unicode=True, width=100)
    title_line = ("# title: the real title   # the listing gave none: uncomment and fix\n"
                  if paper.title_missing else "# title: a corrected title\n")
    return (
        "---\n" + meta + title_line +
        "# rating: 4            # 1 to 5\n"
        "# tags: [add, these]\n"
        "# remove_tags: [wrong tag]\n"
        "# topics: [Replaces, the computed topics]\n"
        "# related: [slug-of-a-paper-to-pin-first]\n"
        "# not_related: [slug-of-a-wrong-related-paper]\n"
        "# same_as: [slug-of-a-duplicate-to-merge-into-this-one]\n"
        "# not_same_as: [listing-file.txt:123]   # split an entry wrongly merged into this one\n"
        "# hide: true\n"
        "---\n\n"
        "<!-- Your notes on this paper, in Markdown: tables, footnotes, $math$, and links to\n"
        "     other papers as [[their-slug]] or [[their-slug|a label]]. This comment is not\n"
        "     shown on the site. -->\n"
    )


def create_note(root: Path, paper: Paper, noted: Mapping[str, str]) -> Path:
    """Write `content/notes/<slug>.md` for `paper`; refuses if the paper has a note already.

    `noted` maps the ids of papers that have a note to that note's path.
    """
    if paper.id in noted:
        raise UsageError(f"{paper.slug} already has a note: {noted[paper.id]} (not overwritten)")
    target = root / "content" / "notes" / f"{paper.slug}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with target.open("x", encoding="utf-8") as out:
            out.write(note_skeleton(paper))
    except FileExistsError:
        raise UsageError(f"{target.relative_to(root).as_posix()} exists already "
                         "(not overwritten)") from None
    return target
