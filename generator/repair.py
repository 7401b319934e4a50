"""Text repair for parsed records: encoding damage, whitespace, file-name titles, dates, links.

Works on one listing's papers at a time (yearless dates need the page's other dates) and
returns repaired copies plus located issues. It does not merge papers (see `dedupe`) and does
not read files. The mojibake handled here is UTF-8 read as Windows-874 (`ฯ„` for `τ`), which
ftfy does not undo; correct Thai text is left alone.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import replace

from .model import Issue, Paper, title_key

__all__ = [
    "clean_organization",
    "clean_text",
    "extract_links",
    "fix_thai_mojibake",
    "is_file_name_title",
    "iter_urls",
    "repair_listing",
    "resolve_date",
    "saved_year",
]

# Windows-874 as browsers decode it: 0x80-0x9F from Windows-1252, 0xA0-0xFF Thai.
_W874: dict[str, int] = {}
for _b in range(0x80, 0x100):
    _codec = "cp1252" if _b < 0xA0 else "cp874"
    try:
        _W874[bytes([_b]).decode(_codec)] = _b
    except UnicodeDecodeError:
        _W874[chr(_b)] = _b
_LEAD = "".join(re.escape(c) for c, b in _W874.items() if 0xC2 <= b <= 0xEF)
_CONT = "".join(re.escape(c) for c, b in _W874.items() if 0x80 <= b <= 0xBF)
_MOJIBAKE = re.compile(f"(?:[{_LEAD}][{_CONT}]{{1,2}})+")
_THAI = re.compile(r"[\u0e00-\u0e7f]")


def _undo_w874(run: str) -> str | None:
    """Decode a run of Windows-874 characters back to UTF-8 text, or None if it is not that."""
    try:
        fixed = bytes(_W874[c] for c in run).decode("utf-8")
    except (KeyError, UnicodeDecodeError):
        return None
    if any(unicodedata.category(c).startswith("C") or _THAI.match(c) for c in fixed):
        return None
    return fixed


def fix_thai_mojibake(text: str) -> str:
    """Repair UTF-8 that was decoded as Windows-874, leaving real Thai words untouched.

    A candidate run must decode as strict UTF-8 to printable non-Thai characters and must not
    sit inside Thai text (a Thai letter right before or after it means it is Thai).
    """

    if not _MOJIBAKE.search(text):
        return text
    thai_elsewhere = bool(_THAI.search(_MOJIBAKE.sub("", text)))

    def fix(m: re.Match[str]) -> str:
        run = m.group(0)
        if thai_elsewhere and not any(_W874[c] < 0xA0 for c in run):
            return run  # in Thai text, only runs with Windows-1252 punctuation are suspect
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end()] if m.end() < len(text) else ""
        if _THAI.match(before) or _THAI.match(after):
            return m.group(0)
        return _undo_w874(run) or run

    return _MOJIBAKE.sub(fix, text)


_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Invisible break hints (zero-width space, word joiner, stray BOM, soft hyphen): dropped.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Unicode category Cc except tab and newline."""
_PLAIN = re.compile("[\t\n\x20-\x25\x27-\x7e]*\\Z")
"""Printable ASCII without `&` (no HTML entity): text that ftfy and the repairs leave as is."""


def clean_text(text: str) -> str:
    """Repair encoding damage and normalise whitespace to single spaces, NFC."""
    if _PLAIN.match(text):  # plain ASCII has nothing to repair (and is most text: fast)
        # Its only spaces are space, tab and newline, exactly what `split()` splits on here;
        # most text has single spaces already, and only its ends may need a cut.
        if "  " in text or "\t" in text or "\n" in text:
            return " ".join(text.split())
        return text.strip(" ")
    import ftfy  # here: a build that reads no listing (a note patched) does not load it

    text = fix_thai_mojibake(text)
    text = ftfy.fix_text(text, uncurl_quotes=False, fix_character_width=False,
                         normalization="NFC")
    text = _CONTROL.sub("", text)
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text.replace("\n", " ")).strip()


_FILE_NAME = re.compile(r"^[\w.\-]+\.(?:pdf|txt|html?|docx?|tex|ps)$", re.IGNORECASE)


def is_file_name_title(title: str) -> bool:
    """True when a 'title' is really a file name such as `<hex>-Paper-Conference.pdf`."""
    return bool(_FILE_NAME.match(title.strip()))


_URL = re.compile(r"""https?://[^\s<>"'{}|\\^`\[\]]+""", re.IGNORECASE)
_TRAILING = ".,;:!?)]}*'\""


def iter_urls(text: str) -> Iterator[tuple[int, str]]:
    """Yield (start, url) for each http(s) URL in `text`, trailing punctuation trimmed."""
    if "://" not in text:  # most abstracts: no need to run the pattern over them
        return
    for m in _URL.finditer(text):
        url = _trim_url(m.group(0))
        if len(url) > len("https://x"):
            yield m.start(), url


def _trim_url(url: str) -> str:
    """Drop trailing punctuation, keeping a `)` that closes a `(` of the URL. Linear time."""
    end, opens, closes = len(url), url.count("("), url.count(")")
    while end and url[end - 1] in _TRAILING:
        if url[end - 1] == ")":
            if opens >= closes:
                break
            closes -= 1
        end -= 1
    return url[:end]


def extract_links(text: str) -> tuple[str, ...]:
    """Return the http(s) URLs in `text`, first-seen order, cut-off duplicates dropped."""
    found = [url for _, url in iter_urls(text)]
    unique = list(dict.fromkeys(found))
    # A cut-off copy of a longer URL (`…/Strip` beside `…/Strip_MLP`) is noise. In sorted
    # order, a URL that prefixes another is followed by one it prefixes: O(n log n).
    ordered = sorted(unique)
    cut = {u for u, after in zip(ordered, ordered[1:], strict=False) if after.startswith(u)}
    return tuple(u for u in unique if u not in cut)


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_DATE = re.compile(r"^(?P<mon>[A-Za-z]{3})[a-z]*\.?\s+(?P<day>\d{1,2})(?:,\s*(?P<year>\d{4}))?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def saved_year(raw_dates: Sequence[str | None], today: dt.date) -> int:
    """Year a page was saved: one after the latest year written on it, never after today."""
    years = [int(m.group("year")) for d in raw_dates if d and (m := _DATE.match(d.strip()))
             and m.group("year")]
    return min(max(years) + 1, today.year) if years else today.year


def resolve_date(raw: str, year: int, today: dt.date) -> str | None:
    """Turn `Mon D[, YYYY]` (or ISO) into `yyyy-mm-dd`; yearless dates take `year`."""
    raw = raw.strip()
    if _ISO.match(raw):
        return raw
    m = _DATE.match(raw)
    if not m or m.group("mon").lower() not in _MONTHS:
        return None
    month, day = _MONTHS[m.group("mon").lower()], int(m.group("day"))
    explicit = m.group("year")
    try:
        date = dt.date(int(explicit or year), month, day)
        if not explicit and date > today:  # a yearless date cannot be in the future
            date = dt.date(date.year - 1, month, day)
    except ValueError:
        return None
    return date.isoformat()


_ORG_REPEAT = re.compile(r"^(?P<handle>\S+)\s+(?P<name>.+)$")


def clean_organization(raw: str | None) -> str | None:
    """`amazon Amazon` (avatar handle + display name) becomes `Amazon`."""
    if not raw:
        return None
    text = clean_text(raw)
    m = _ORG_REPEAT.match(text)
    if m and title_key(m.group("handle")) == title_key(m.group("name")):
        return m.group("name")
    return text


def _repair_paper(paper: Paper, year: int, today: dt.date) -> tuple[Paper, list[Issue]]:
    issues: list[Issue] = []
    title, abstract = clean_text(paper.title), clean_text(paper.abstract)
    where = paper.sources[0]
    missing = paper.title_missing or is_file_name_title(title) or not title
    if missing and not paper.title_missing:
        issues.append(Issue(where.listing, where.line,
                            f"title is a file name ({title!r}); kept, marked title_missing"))
    date = None
    if paper.date:
        date = resolve_date(clean_text(paper.date), year, today)
        if date is None:
            issues.append(Issue(where.listing, where.line, f"unreadable date {paper.date!r}"))
    links = tuple(dict.fromkeys(paper.links + extract_links(abstract)))
    fields = dict(title=title, abstract=abstract, title_missing=missing, date=date,
                  venue=clean_text(paper.venue) if paper.venue else None,
                  organization=clean_organization(paper.organization), links=links,
                  source_topics=tuple(clean_text(t) for t in paper.source_topics))
    changed = {name: value for name, value in fields.items() if getattr(paper, name) != value}
    return (replace(paper, **changed) if changed else paper), issues


def repair_listing(papers: Sequence[Paper], today: dt.date) -> tuple[list[Paper], list[Issue]]:
    """Repair every paper of one listing; returns repaired papers and located issues (a
    paper with nothing to repair is returned as it is, not copied)."""
    year = saved_year([p.date for p in papers], today)
    repaired: list[Paper] = []
    issues: list[Issue] = []
    for paper in papers:
        fixed, found = _repair_paper(paper, year, today)
        repaired.append(fixed)
        issues.extend(found)
    return repaired, issues
