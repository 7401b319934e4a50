"""The I/O layer for listings: read files, decode them, pick a reader by sniffing, report.

Readers in this package are pure (`sniff(text)`, `parse(text, origin)`); this module is the only
place that opens listing files. A file that cannot be decoded or is in no known layout gives an
`Issue` naming the file and is skipped; it never stops the other files.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..model import Issue, Paper
from . import conference, huggingface

__all__ = ["READERS", "Listing", "Reader", "decode", "detect", "parse_text", "read_listing"]

LISTING_SUFFIXES = (".txt", ".text", ".md")


@dataclass(frozen=True)
class Reader:
    """One input layout: its name, how to recognise it and how to parse it."""

    name: str
    sniff: Callable[[str], bool]
    parse: Callable[[str, str], Iterator[Paper | Issue]]


READERS: tuple[Reader, ...] = (
    Reader(conference.NAME, conference.sniff, conference.parse),
    Reader(huggingface.NAME_SPACED, huggingface.sniff_spaced, huggingface.parse_spaced),
    Reader(huggingface.NAME_COMPACT, huggingface.sniff_compact, huggingface.parse_compact),
)


@dataclass(frozen=True)
class Listing:
    """The result of reading one listing file."""

    name: str
    layout: str | None
    papers: tuple[Paper, ...]
    issues: tuple[Issue, ...]


def detect(text: str) -> Reader | None:
    """Return the reader whose sniffer accepts `text`, or None."""
    return next((r for r in READERS if r.sniff(text)), None)


def decode(data: bytes, name: str) -> tuple[str | None, list[Issue]]:
    """Decode listing bytes: BOMs honoured, invalid UTF-8 replaced with a located warning.

    Returns (None, [error]) for content that is not text at all (PDF, binary, empty).
    """
    if not data.strip():
        return None, [Issue(name, None, "file is empty; skipped", error=True)]
    if data.startswith(b"%PDF"):
        return None, [Issue(name, None, "file is a PDF, not a text listing; skipped", error=True)]
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), []
    if b"\x00" in data[:4096]:
        return None, [Issue(name, None, "file is binary (NUL bytes), not a text listing; skipped",
                            error=True)]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = f"invalid UTF-8 at byte offset {exc.start}; undecodable bytes replaced with U+FFFD"
        return data.decode("utf-8-sig", errors="replace"), [Issue(name, line, msg)]


def parse_text(text: str, name: str) -> Listing:
    """Detect the layout of decoded `text` and parse it into a `Listing`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = detect(text)
    if reader is None:
        why = ("no known layout (expected a Hugging Face papers page or a conference "
               "'Collaborating Authors' listing); skipped")
        return Listing(name, None, (), (Issue(name, None, why, error=True),))
    papers: list[Paper] = []
    issues: list[Issue] = []
    for item in reader.parse(text, name):
        (issues if isinstance(item, Issue) else papers).append(item)
    if not papers:
        issues.append(Issue(name, None, f"no papers found in this {reader.name} listing"))
    return Listing(name, reader.name, tuple(papers), tuple(issues))


def read_listing(path: Path) -> Listing:
    """Read, decode and parse one listing file."""
    data = path.read_bytes()
    text, issues = decode(data, path.name)
    if text is None:
        return Listing(path.name, None, (), tuple(issues))
    listing = parse_text(text, path.name)
    return Listing(listing.name, listing.layout, listing.papers, tuple(issues) + listing.issues)


def listing_paths(directory: Path) -> list[Path]:
    """Return the listing files of `directory`, sorted by name (hidden files ignored)."""
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in LISTING_SUFFIXES
    )
