"""URL slugs: exactly python-slugify's output, computed without it for plain ASCII text.

`slugify_text(text, max_length, word_boundary)` equals `slugify(text, max_length=...,
word_boundary=...)` for every input. python-slugify runs each text through two Unicode
normalisations, transliteration, a 250-name HTML-entity pattern and five regular expressions
(about 25 microseconds a title); a build slugs every title and every term name, 100,000 texts
at 50,000 papers. For ASCII text without `&` (no entity to decode) those steps leave the text
as it is, and what remains is: lower-case, drop commas between digits, join the runs of ASCII
letters and digits with `-`, truncate as python-slugify does (`smart_truncate`, its own code).
Any other text goes to python-slugify itself. Equality is tested on every title and term of the
arXiv corpus and on generated text (`tests/test_slugs.py`). This module knows nothing about
papers or pages.
"""

from __future__ import annotations

import re

from slugify import slugify, smart_truncate

__all__ = ["slugify_text"]

_NUMBER_COMMA = re.compile(r"(?<=\d),(?=\d)")
"""python-slugify's `NUMBERS_PATTERN`: `1,000` becomes `1000`."""
_TO_SPACE = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})
"""ASCII other than letters and digits: what python-slugify turns into (collapsed) dashes."""


def slugify_text(text: str, max_length: int = 0, word_boundary: bool = False) -> str:
    """`slugify(text, max_length=max_length, word_boundary=word_boundary)`, faster."""
    if not text.isascii() or "&" in text:
        return slugify(text, max_length=max_length, word_boundary=word_boundary)
    if "," in text:
        text = _NUMBER_COMMA.sub("", text)
    text = "-".join(text.lower().translate(_TO_SPACE).split())  # split(): runs of spaces
    if 0 < max_length <= len(text):  # shorter text: `smart_truncate` returns it as it is
        return smart_truncate(text, max_length, word_boundary, "-")
    return text
