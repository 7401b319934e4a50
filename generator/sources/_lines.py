"""Line helpers shared by the readers: numbered non-blank lines and title/abstract heuristics.

Lines are split on `\\n` only (the I/O layer has normalised `\\r\\n`, `\\r` and the Unicode line
separators), so a line number here is the line an editor shows. Every helper is linear in the
size of its input; none uses a regular expression. No I/O.
"""

from __future__ import annotations

from typing import NamedTuple


class Line(NamedTuple):
    """A non-blank line of a listing, stripped, with its 1-based line number."""

    number: int
    text: str


def _strip(raw: str) -> str:
    return raw.replace("\u00a0", " ").strip()


def text_lines(text: str) -> list[Line]:
    """Return the non-blank lines of `text`, stripped of surrounding whitespace and NBSP."""
    out = []
    for n, raw in enumerate(text.split("\n"), start=1):
        stripped = _strip(raw)
        if stripped:
            out.append(Line(n, stripped))
    return out


def head_lines(text: str, count: int, *, blank: bool = False) -> list[str]:
    """The first `count` stripped lines of `text` (non-blank ones unless `blank`), read lazily
    so that sniffing a huge file costs no more than its first few lines."""
    out: list[str] = []
    start = 0
    while len(out) < count and start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        stripped = _strip(text[start:end])
        if stripped or blank:
            out.append(stripped)
        start = end + 1
    return out


def looks_like_abstract(text: str) -> bool:
    """Long prose: several sentences or well past title length."""
    if len(text) >= 300:
        return True
    return len(text) >= 60 and (text.endswith(".") or text.count(". ") >= 1)


def looks_like_title(text: str) -> bool:
    """Short and not ending like a sentence."""
    return len(text) <= 250 and not text.endswith(".")
