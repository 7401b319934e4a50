"""Reader for text saved from Hugging Face "Daily Papers" search pages, spaced and compact.

The spaced layout separates lines with blank lines; the compact one does not, and glues the
`Subscribe` button text to the first title. Both are title / abstract pairs, each optionally
followed by a metadata block: `• N authors` or an organisation line, a `·` line, and a date
(`Mon D` or `Mon D, YYYY`, optionally with an upvote count). Dates are returned as read; the
repair stage resolves yearless ones. Pure functions: text in, records and located issues out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Issue, Paper, SourceRef
from ._lines import Line, head_lines, looks_like_abstract, looks_like_title, text_lines

NAME_SPACED = "huggingface-spaced"
NAME_COMPACT = "huggingface-compact"

_HEADER = re.compile(
    r"^(new|subscribe|daily papers|by\s*ak and the research community"
    r"|get trending papers in your email inbox.*)$",
    re.IGNORECASE,
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DAY_ONLY = re.compile(rf"^{_MONTH}\s+\d{{1,2}}$")
DATE_LINE = re.compile(rf"^(?P<date>{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?)(?:\s+(?P<up>\d+))?$")
_AUTHORS = re.compile(r"^•?\s*(?P<n>\d+)\s+authors?$")
_SEPARATOR = "·"


def _is_hf(text: str) -> bool:
    head = head_lines(text, 12)
    return any(h.lower().startswith(("get trending papers", "daily papers")) for h in head)


def sniff_spaced(text: str) -> bool:
    """True for a Hugging Face papers page saved with blank lines between lines."""
    if not _is_hf(text):
        return False
    first = head_lines(text.lstrip(), 6, blank=True)
    return sum(1 for ln in first if not ln) >= 2


def sniff_compact(text: str) -> bool:
    """True for a Hugging Face papers page saved without blank lines."""
    return _is_hf(text) and not sniff_spaced(text)


def _skip_header(lines: list[Line]) -> tuple[list[Line], Line | None]:
    """Drop the page chrome; return the remaining lines (Subscribe-glued title split off)."""
    i = 0
    while i < len(lines):
        text = lines[i].text
        if _HEADER.match(text) or (i < 8 and _DAY_ONLY.match(text)):
            i += 1
            continue
        if text.startswith("Subscribe") and len(text) > len("Subscribe"):
            glued = Line(lines[i].number, text[len("Subscribe") :].strip())
            return lines[i + 1 :], glued
        break
    return lines[i:], None


def _count(digits: str) -> int | None:
    """A count of authors or upvotes; None for absurd ones (int() of 5,000 digits raises)."""
    return int(digits) if len(digits) <= 9 else None


def _read_meta(lines: list[Line], i: int, origin: str) -> tuple[dict, int, list[Issue]]:
    """Parse a metadata block at `i` if there is one; return its fields, the next index and
    an issue when the block is cut short (a `·` line with no date after it)."""
    meta: dict = {}
    issues: list[Issue] = []
    if i + 1 < len(lines) and lines[i + 1].text == _SEPARATOR:
        who = lines[i].text
        m = _AUTHORS.match(who)
        if m:
            meta["authors_count"] = _count(m.group("n"))
        else:
            meta["organization"] = who
        d = DATE_LINE.match(lines[i + 2].text) if i + 2 < len(lines) else None
        if d:
            meta["date"] = d.group("date")
            if d.group("up"):
                meta["upvotes"] = _count(d.group("up"))
        else:
            issues.append(Issue(origin, lines[i + 1].number,
                                "metadata block has no date after '·' (file cut off?)"))
        i += 3 if d else 2
    elif i < len(lines) and (m := _AUTHORS.match(lines[i].text)):
        meta["authors_count"] = _count(m.group("n"))
        i += 1
    return meta, i, issues


def _is_meta_start(lines: list[Line], i: int) -> bool:
    return i < len(lines) and (
        _AUTHORS.match(lines[i].text) is not None
        or (i + 1 < len(lines) and lines[i + 1].text == _SEPARATOR)
    )


def _parse(text: str, origin: str) -> Iterator[Paper | Issue]:
    body, glued = _skip_header(text_lines(text))
    lines = ([glued] if glued else []) + body
    i = 0
    while i < len(lines):
        if _is_meta_start(lines, i):
            yield Issue(origin, lines[i].number, "metadata block without a paper; skipped")
            _, i, _ = _read_meta(lines, i, origin)
            continue
        title = lines[i]
        i += 1
        abstract = ""
        nxt = lines[i] if i < len(lines) else None
        if nxt and not _is_meta_start(lines, i) and _takes_abstract(lines, i):
            abstract = nxt.text
            i += 1
        else:
            yield Issue(origin, title.number, f"entry {title.text[:60]!r} has no abstract")
        meta, i, issues = _read_meta(lines, i, origin)
        yield from issues
        yield Paper(title=title.text, abstract=abstract,
                    sources=(SourceRef(origin, title.number),), **meta)


def _takes_abstract(lines: list[Line], i: int) -> bool:
    """Decide whether line `i` is the abstract of the title before it, or the next title."""
    cand = lines[i].text
    if looks_like_abstract(cand):
        return True
    after = lines[i + 1].text if i + 1 < len(lines) else None
    # A short title-like line followed by an abstract is the next entry's title.
    return not (looks_like_title(cand) and after is not None and looks_like_abstract(after))


def parse_spaced(text: str, origin: str) -> Iterator[Paper | Issue]:
    """Yield papers (and located issues) from a spaced Hugging Face papers page."""
    return _parse(text, origin)


def parse_compact(text: str, origin: str) -> Iterator[Paper | Issue]:
    """Yield papers (and located issues) from a compact Hugging Face papers page."""
    return _parse(text, origin)
