"""The I/O layer for listings: read files, decode them, pick a reader by sniffing, report.

Readers in this package are pure (`sniff(text)`, `parse(text, origin)`); this module is the only
place that opens listing files. Decoding is forgiving and always says what it did: BOMs are
honoured, UTF-16 without a BOM and legacy 8-bit files are recognised, invalid UTF-8 is replaced
with a warning naming the byte offset and line. Before a reader sees the text, line endings are
normalised, characters no page or feed may carry are dropped and absurdly long lines are cut,
each with a located warning. A file that is not text (empty, PDF, image, archive) or is in no
known layout gives an error `Issue` naming the file and is skipped; it never stops the others.
This module does not repair text (see `repair`) and does not know about the site.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..model import Issue, Paper
from ..paths import scratch
from . import conference, huggingface

__all__ = ["MAX_LINE", "READERS", "Listing", "Reader", "decode", "detect", "listing_paths",
           "parse_text", "read_listing", "read_listings", "safe_name",
           "unread", "unread_entries"]

LISTING_SUFFIXES = (".txt", ".text", ".md")
_SUFFIXES = ", ".join(LISTING_SUFFIXES[:-1]) + " or " + LISTING_SUFFIXES[-1]
"""The listing suffixes, as a message names them."""
MAX_LINE = 100_000
"""Longest line kept, in characters: twenty times the longest real abstract."""


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
    """The result of reading one listing file (`digest`: SHA-256 of its bytes, when read)."""

    name: str
    layout: str | None
    papers: tuple[Paper, ...]
    issues: tuple[Issue, ...]
    digest: str = ""


def detect(text: str) -> Reader | None:
    """Return the reader whose sniffer accepts `text`, or None."""
    return next((r for r in READERS if r.sniff(text)), None)


# Magic numbers of files people save into the wrong folder, with a readable name.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx/.epub)"), (b"\x1f\x8b", "gzip-compressed"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"), (b"{\\rtf", "an RTF document"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"\x7fELF", "a program (ELF)"),
)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1b")
_ESCAPED = re.compile(r"[\udc80-\udcff]+")
_NON_ASCII = re.compile(r"[\u0080-\udc7f\udd00-\U0010ffff]")  # decoded, not an escaped byte


def decode(data: bytes, name: str) -> tuple[str | None, list[Issue]]:
    """Decode listing bytes; return (text, warnings) or (None, [error]) for non-text files."""
    if not data.strip():
        return None, [Issue(name, None, "file is empty; skipped", error=True)]
    if b"%PDF-" in data[:1024]:
        return None, [Issue(name, None, "file is a PDF (renamed?), not a text listing; save "
                                        "the page as text instead; skipped", error=True)]
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_wide(data[len(bom):], encoding, name, len(bom), "")
    wide = _sniff_bomless_utf16(data)
    if wide:
        return _decode_wide(data, wide, name, 0, " (no byte-order mark)")
    what = next((label for magic, label in _MAGIC if data.startswith(magic)), None)
    head = data[:8192]
    # Binary: a known magic number, or more than 2% control bytes (a stray NUL in text is not).
    if what or sum(head.count(b) for b in _CONTROL_BYTES) * 50 > len(head):
        kind = what or "control bytes"
        return None, [Issue(name, None, f"file is binary ({kind}), not a text listing; "
                                        "skipped", error=True)]
    return _decode_utf8(data.removeprefix(codecs.BOM_UTF8), name)


def _decode_wide(data: bytes, encoding: str, name: str, skipped: int,
                 note: str) -> tuple[str, list[Issue]]:
    """Decode UTF-16/32 (BOM already removed), locating the first undecodable unit."""
    issues = []
    if note:
        issues.append(Issue(name, None, f"decoded as {encoding.upper()}{note}"))
    try:
        return data.decode(encoding), issues
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        issues.append(Issue(name, line, f"invalid {encoding.upper()} at byte offset "
                                        f"{exc.start + skipped}; replaced with U+FFFD"))
        return text, issues


def _sniff_bomless_utf16(data: bytes) -> str | None:
    """`utf-16-le`/`-be` when most characters of the head are ASCII with a NUL beside them."""
    head = data[:4096]
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even_nul, odd_nul = head[0::2].count(0), head[1::2].count(0)
    if odd_nul > 0.6 * pairs and even_nul < 0.1 * pairs:
        return "utf-16-le"
    if even_nul > 0.6 * pairs and odd_nul < 0.1 * pairs:
        return "utf-16-be"
    return None


def _decode_utf8(data: bytes, name: str) -> tuple[str, list[Issue]]:
    """Decode UTF-8; a legacy 8-bit file becomes Windows-1252, stray bad bytes U+FFFD."""
    try:
        return data.decode("utf-8"), []  # the common case, without searching for bad bytes
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")  # linear; bad bytes -> U+DC80..
    first = _ESCAPED.search(text)
    if first is None:
        return text, []
    offset = len(text[: first.start()].encode("utf-8", errors="surrogateescape"))
    line = _line_at(text, first.start())
    runs = sum(1 for _ in _ESCAPED.finditer(text))
    more = f" and {runs - 1} more place(s)" if runs > 1 else ""
    if runs > 1 and not _NON_ASCII.search(text):
        # Several bad bytes and not one valid multi-byte character: a Windows "ANSI" file.
        msg = (f"invalid UTF-8 at byte offset {offset}{more}, and no valid UTF-8 character: "
               "decoded as Windows-1252; re-save the file as UTF-8 if characters look wrong")
        return data.decode("cp1252", errors="replace"), [Issue(name, line, msg)]
    msg = f"invalid UTF-8 at byte offset {offset}{more}; undecodable bytes replaced with U+FFFD"
    return _ESCAPED.sub("\ufffd", text), [Issue(name, line, msg)]


def _line_at(text: str, index: int) -> int:
    """1-based line of character `index`, counting `\\n`, `\\r\\n` and lone `\\r` as breaks."""
    head = text[:index]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


# Characters that are invalid in XML 1.0 and HTML (NUL, C0 controls other than tab and line
# feed, lone surrogates, noncharacters). C1 controls are kept: the mojibake repair needs them.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                        "\U0001fffe\U0001ffff\U0010fffe\U0010ffff]")
_ODD_BREAKS = ("\x85", "\u2028", "\u2029")  # NEL, LINE and PARAGRAPH SEPARATOR: spaces


def clean_input(text: str, name: str) -> tuple[str, list[Issue]]:
    """Normalise line endings, drop forbidden characters, cut over-long lines; report each."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    for odd in _ODD_BREAKS:  # str.replace is far faster than str.translate on big texts
        text = text.replace(odd, " ")
    issues: list[Issue] = []
    bad = _FORBIDDEN.search(text)
    if bad:
        count = len(_FORBIDDEN.findall(text))
        issues.append(Issue(name, _line_at(text, bad.start()),
                            f"{count} control or non-character code point(s) removed "
                            f"(first U+{ord(bad.group()):04X})"))
        text = _FORBIDDEN.sub("", text)
    if len(text) > MAX_LINE and any(len(line) > MAX_LINE for line in text.split("\n")):
        lines = text.split("\n")
        for n, line in enumerate(lines, start=1):
            if len(line) > MAX_LINE:
                issues.append(Issue(name, n, f"line is {len(line):,} characters long; cut to "
                                             f"the first {MAX_LINE:,}"))
                lines[n - 1] = line[:MAX_LINE]
        text = "\n".join(lines)
    return text, issues


def parse_text(text: str, name: str) -> Listing:
    """Clean decoded `text`, detect its layout and parse it into a `Listing`."""
    text, issues = clean_input(text, name)
    reader = detect(text)
    if reader is None:
        why = ("no known layout (expected a Hugging Face papers page or a conference "
               "'Collaborating Authors' listing); skipped")
        return Listing(name, None, (), (*issues, Issue(name, None, why, error=True)))
    papers: list[Paper] = []
    for item in reader.parse(text, name):
        (issues if isinstance(item, Issue) else papers).append(item)
    if not papers:
        issues.append(Issue(name, None, f"no papers found in this {reader.name} listing"))
    else:
        issues.extend(_cut_off_warning(text, papers[-1], name))
    return Listing(name, reader.name, tuple(papers), tuple(issues))


def _cut_off_warning(text: str, last: Paper, name: str) -> list[Issue]:
    """A warning when the file ends inside the last abstract (the listing was truncated)."""
    tail = text.rstrip()
    final = tail[tail.rfind("\n") + 1 :].strip()
    if not last.abstract or final != last.abstract.strip() or final[-1] in ".!?)]\"'”’…":
        return []
    line = tail.count("\n") + 1
    return [Issue(name, line, "the file ends in the middle of an abstract (cut off?); "
                              f"the abstract of {last.title[:60]!r} may be incomplete")]


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def safe_name(name: str) -> str:
    """A file name fit to print and to put in pages: control and undecodable characters
    (Linux allows any byte but `/` in names) become U+FFFD."""
    return _UNSAFE_NAME.sub("\ufffd", name)


def unread(path: Path, why: str) -> Listing:
    """The listing of a file left unread: no papers, one error saying `why`."""
    name = safe_name(path.name)
    return Listing(name, None, (), (Issue(name, None, why, error=True),))


def read_listing(path: Path) -> Listing:
    """Read, decode and parse one listing file; an unreadable file is an error issue."""
    name = safe_name(path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return unread(path, f"cannot read the file: {exc.strerror or exc}; skipped")
    digest = hashlib.sha256(data).hexdigest()
    text, issues = decode(data, name)
    if text is None:
        return Listing(name, None, (), tuple(issues), digest)
    listing = parse_text(text, name)
    return Listing(name, listing.layout, listing.papers, (*issues, *listing.issues), digest)


def listing_paths(directory: Path) -> list[Path]:
    """Return the listing files of `directory`, sorted by name (hidden files ignored)."""
    if not directory.is_dir():
        return []
    return sorted(
        p for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in LISTING_SUFFIXES
    )


def unread_entries(directory: Path, listed: Collection[Path]) -> list[Issue]:
    """A warning (kind "ignored") for each entry of `directory` other than its listing files
    (`listed`: its `listing_paths`) and editors' scratch files (`paths.scratch`): a file of
    another kind (an HTML page, a PDF) or a folder is never read, and an editor who put it
    there should hear so."""
    if not directory.is_dir():
        return []
    issues = []
    for entry in sorted(directory.iterdir()):
        if entry in listed or scratch(entry.name):
            continue
        name = safe_name(entry.name)
        if entry.is_symlink() and not entry.exists():
            why = "a symbolic link to nothing; ignored"
        elif entry.is_dir():
            name, why = f"{name}/", "a folder: listings in folders are not read; ignored"
        else:
            why = f"not a listing file ({_SUFFIXES}); ignored"
        issues.append(Issue(f"content/listings/{name}", None, why, kind="ignored"))
    return issues


def read_listings(directory: Path) -> list[Listing]:
    """Read every listing of `directory`, in an order that ignores names and mtimes.

    Listings are ordered by content (SHA-256), then name, so that renaming a file or
    creating files in another order does not change which entry of a duplicated paper is
    read first, hence not the site (apart from the renamed listing's own name).
    """
    listings = [read_listing(p) for p in listing_paths(directory)]
    return sorted(listings, key=lambda listing: (listing.digest, listing.name))
