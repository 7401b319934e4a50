"""Line helpers shared by the readers: numbered non-blank lines and title/abstract heuristics."""

from __future__ import annotations

from typing import NamedTuple


class Line(NamedTuple):
    """A non-blank line of a listing, stripped, with its 1-based line number."""

    number: int
    text: str


def text_lines(text: str) -> list[Line]:
    """Return the non-blank lines of `text`, stripped of surrounding whitespace and NBSP."""
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.replace("\u00a0", " ").strip()
        if stripped:
            out.append(Line(n, stripped))
    return out


def looks_like_abstract(text: str) -> bool:
    """Long prose: several sentences or well past title length."""
    if len(text) >= 300:
        return True
    return len(text) >= 60 and (text.endswith(".") or text.count(". ") >= 1)


def looks_like_title(text: str) -> bool:
    """Short and not ending like a sentence."""
    return len(text) <= 250 and not text.endswith(".")
