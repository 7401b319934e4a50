"""Acronym definitions in text: "large language models (LLMs)" defines `llm`.

Uses the Schwartz-Hearst rule (each letter of the short form appears in order in the long form,
the first one at the start of a word), on the few words before a parenthesised short form.
Returns normalised keys only; which expansion wins across a corpus is decided by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .text import chunks_of, word_key

__all__ = ["defined_acronyms", "long_form"]

_SHORT = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9-]{1,11})\s*[),;]")
_CLAUSE_END = re.compile(r"[()\[\].;:!?]")
_WORD = re.compile(r"\S+")


def _is_short_form(text: str) -> bool:
    upper = sum(c.isupper() for c in text)
    return upper >= 2 and upper * 2 >= len(text.rstrip("s")) and any(c.isalpha() for c in text)


def long_form(short: str, before: str) -> str | None:
    """The long form of `short` at the end of `before`, or None (Schwartz-Hearst)."""
    words = _WORD.findall(before)
    letters = [c for c in short.removesuffix("s").lower() if c.isalnum()]
    window = " ".join(words[-min(len(letters) + 5, 2 * len(letters)):]).lower()
    s, pos = len(letters) - 1, len(window) - 1
    while s >= 0:
        c = letters[s]
        while pos >= 0 and (window[pos] != c
                            or (s == 0 and pos > 0 and window[pos - 1].isalnum())):
            pos -= 1
        if pos < 0:
            return None
        pos -= 1
        s -= 1
    start = window.rfind(" ", 0, pos + 1) + 1
    found = window[start:]
    return found if len(found.split()) > 1 or "-" in found else None


def defined_acronyms(text: str) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Yield (short-form key, long-form keys) for every "long form (SF)" in `text`."""
    for match in _SHORT.finditer(text):
        short = match.group(1)
        before = text[max(0, match.start() - 200) : match.start()]
        before = _CLAUSE_END.split(before)[-1]
        if not _is_short_form(short):
            continue
        found = long_form(short, before)
        if not found:
            continue
        chunks = chunks_of(found)
        if len(chunks) == 1 and len(chunks[0]) > 1:
            yield word_key(short.replace("-", "")), chunks[0]
