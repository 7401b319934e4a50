"""Reader for conference topic listings ("Collaborating Authors" pages).

Layout: `Goto`, `Collaborating Authors`, one topic line (e.g. `Statistical Learning`), then
title / venue / abstract triples. The topic line is kept on every paper as a source label; the
venue line is optional per entry, and a line that recurs (the venue, repeated on every entry)
is never taken for a missing abstract. Pure functions: text in, records and located issues out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from ..model import Issue, Paper, SourceRef
from ._lines import Line, head_lines, looks_like_abstract, looks_like_title, text_lines

NAME = "conference-topic"

_CHROME = {"goto", "collaborating authors"}


def sniff(text: str) -> bool:
    """True when the page head has the `Collaborating Authors` marker."""
    head = [ln.lower() for ln in head_lines(text, 4)]
    return "collaborating authors" in head


def _split_head(lines: list[Line]) -> tuple[str | None, list[Line]]:
    """Return the topic line and the entry lines after the page chrome."""
    i = 0
    while i < len(lines) and lines[i].text.lower() in _CHROME:
        i += 1
    if i < len(lines) and not looks_like_abstract(lines[i].text):
        following = lines[i + 1 : i + 3]
        # The topic line is followed by a title and a venue, not by an abstract.
        if len(following) == 2 and not looks_like_abstract(following[1].text):
            return lines[i].text, lines[i + 1 :]
    return None, lines[i:]


def _known_venues(lines: list[Line]) -> frozenset[str]:
    """Short lines that recur (the venue is repeated on every entry): venues, never abstracts."""
    counts = Counter(ln.text for ln in lines if len(ln.text) <= 120 and looks_like_title(ln.text))
    return frozenset(text for text, n in counts.items() if n >= 3)


def _is_venue(lines: list[Line], i: int, venues: frozenset[str]) -> bool:
    if i >= len(lines) or not looks_like_title(lines[i].text) or len(lines[i].text) > 120:
        return False
    return lines[i].text in venues or (
        i + 1 < len(lines) and looks_like_abstract(lines[i + 1].text))


def parse(text: str, origin: str) -> Iterator[Paper | Issue]:
    """Yield papers (and located issues) from a conference topic listing."""
    topic, lines = _split_head(text_lines(text))
    venues = _known_venues(lines)
    i = 0
    while i < len(lines):
        title = lines[i]
        i += 1
        venue = None
        if _is_venue(lines, i, venues):
            venue = lines[i].text
            i += 1
        abstract = ""
        if i < len(lines) and lines[i].text not in venues and (
                looks_like_abstract(lines[i].text) or not _next_is_entry(lines, i, venues)):
            abstract = lines[i].text
            i += 1
        else:
            yield Issue(origin, title.number, f"entry {title.text[:60]!r} has no abstract")
        yield Paper(title=title.text, abstract=abstract, venue=venue,
                    sources=(SourceRef(origin, title.number),),
                    source_topics=(topic,) if topic else ())


def _next_is_entry(lines: list[Line], i: int, venues: frozenset[str]) -> bool:
    """True when line `i` starts a new entry (a title followed by a venue or an abstract)."""
    return looks_like_title(lines[i].text) and (
        _is_venue(lines, i + 1, venues)
        or (i + 1 < len(lines) and looks_like_abstract(lines[i + 1].text))
    )
