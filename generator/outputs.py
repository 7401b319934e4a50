"""Machine-readable outputs: papers.json, the Atom feed, sitemap.xml, robots.txt, .nojekyll.

All paper text is serialised by a JSON encoder (orjson, `json`) or `xml.etree`, which escape it;
the sitemap holds only URLs, each escaped (`&`, `<`, `>`) between fixed tags.
Output is deterministic (no build timestamps: the feed's `updated` is the newest paper date).
papers.json holds one record a line (`paper_record_text`, which a caller may memoise per
paper). HTML pages are rendered elsewhere (`render`); which pages exist is `render.page_jobs`'s
call, mirrored by `site_pages` for the sitemap.
"""

from __future__ import annotations

import hashlib
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from html import escape as _html_escape
from typing import TYPE_CHECKING, Any

import orjson

from .library import KINDS, newest_first

if TYPE_CHECKING:
    from .config import Config
    from .library import Library
    from .model import Paper

__all__ = ["feed_xml", "paper_record", "paper_record_text", "papers_json", "robots_txt",
           "site_pages", "sitemap_files"]

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


RECORD_KEYS = (
    "id", "slug", "title", "title_missing", "abstract", "date", "venue", "authors_count",
    "organization", "upvotes", "links", "topics", "tags", "listings", "source_topics", "sources",
    "related", "status", "rating", "note", "discussed_in",
)
"""Key order of a papers.json object (the contract in DESIGN.md, plus editors' fields)."""


def paper_record(paper: Paper, library: Library) -> dict[str, Any]:
    """The papers.json object of one paper: the front matter plus abstract and note."""
    from .pages import front_matter  # here, not at the top: importing outputs stays cheap

    fields = front_matter(paper, library)
    fields.update(abstract=paper.abstract, note=paper.note or None)
    return {key: fields[key] for key in RECORD_KEYS}


def paper_record_text(paper: Paper, library: Library) -> str:
    """One papers.json record as one line of JSON (no trailing comma): the text of
    `json.dumps(record, separators=(",", ":"))`, compact, non-ASCII written as `\\u` escapes.

    orjson makes it (twice as fast as `json`'s C encoder); a record holding a character orjson
    writes unescaped (non-ASCII, DEL) goes through `json` instead, so every line is the same
    as `json`'s and all-ASCII: 165 MB of them (50,000 papers) join and encode at memory speed,
    where one wide character would widen the whole string.
    """
    record = paper_record(paper, library)
    fast = orjson.dumps(record)
    if fast.isascii() and b"\x7f" not in fast:
        return fast.decode("ascii")
    return _ASCII_JSON.encode(record)


_ASCII_JSON = json.JSONEncoder(separators=(",", ":"))
"""`json`'s C encoder (no indent: an indent forces the pure-Python one)."""


def papers_json(library: Library,
                record_text: Callable[[Paper, Library], str] = paper_record_text) -> str:
    """All papers as a JSON array sorted by slug, one record per line (`[`, records, `]`).

    `record_text` makes each record's line; a caller may pass a memoising one.
    """
    if not library.papers:
        return "[]\n"
    return "[\n" + ",\n".join(record_text(p, library) for p in library.papers) + "\n]\n"


def absolute(config: Config, path: str) -> str:
    """Site URL of a site-relative path (origin + base_url when `site_url` is set)."""
    return f"{config.site_url}{config.base_url}{path}"


SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_URLS = 50_000
"""Most URLs in one sitemap file (the sitemaps.org limit); more make a sitemap index."""
SITEMAP_BYTES = 50 * 1024 * 1024
"""Most bytes in one sitemap file (the sitemaps.org limit, uncompressed)."""
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _xml_text(text: str) -> str:
    """`text` safe as XML character data (`&`, `<`, `>` escaped)."""
    return _html_escape(text, quote=False)


def site_pages(library: Library, config: Config, review_slugs: Sequence[str] = ()) -> list[str]:
    """Site-relative paths of every HTML page a reader can reach, in site order: home, papers,
    each kind's index and term pages (with page 2, 3, ... of long terms), reviews, the map.

    Not the search page (empty without a script) nor 404.html. Mirrors `render.page_jobs`.
    """
    paths = ["", *(f"papers/{p.slug}/" for p in library.papers)]
    for kind in KINDS:
        paths.append(f"{kind.name}/")
        for term in library.terms[kind.name]:
            base = f"{kind.name}/{term.slug}/"
            pages = max(1, math.ceil(term.count / config.per_page))
            paths += [base, *(f"{base}page/{n}/" for n in range(2, pages + 1))]
    return [*paths, "reviews/", *(f"reviews/{slug}/" for slug in review_slugs), "map/"]


def sitemap_files(library: Library, config: Config, review_slugs: Sequence[str] = ()
                  ) -> list[tuple[str, str]]:
    """The sitemap as (site path, text) pairs: `sitemap.xml` listing every page, or, past
    `SITEMAP_URLS` URLs or `SITEMAP_BYTES` bytes, `sitemap.xml` as a sitemap index of
    `sitemap-1.xml`, `sitemap-2.xml`, ... each within both limits."""
    prefix = _xml_text(absolute(config, ""))
    lines = [f"<url><loc>{prefix}{_xml_text(path)}</loc></url>\n"
             for path in site_pages(library, config, review_slugs)]
    parts = _split_sitemap(lines, _sitemap_text("urlset", []))
    if len(parts) == 1:
        return [("sitemap.xml", _sitemap_text("urlset", parts[0]))]
    names = [f"sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
    index = [f"<sitemap><loc>{_xml_text(absolute(config, name))}</loc></sitemap>\n"
             for name in names]
    return [("sitemap.xml", _sitemap_text("sitemapindex", index)),
            *((name, _sitemap_text("urlset", part)) for name, part in zip(names, parts,
                                                                           strict=True))]


def _split_sitemap(lines: Sequence[str], empty: str) -> list[list[str]]:
    """`lines` cut into runs that each fit one sitemap file (`empty` is a file with no URL)."""
    parts: list[list[str]] = [[]]
    size = len(empty.encode("utf-8"))
    for line in lines:
        cost = len(line) if line.isascii() else len(line.encode("utf-8"))
        if parts[-1] and (len(parts[-1]) >= SITEMAP_URLS or size + cost > SITEMAP_BYTES):
            parts.append([])
            size = len(empty.encode("utf-8"))
        parts[-1].append(line)
        size += cost
    return parts


def _sitemap_text(root: str, lines: Sequence[str]) -> str:
    """A sitemap document: the declaration, `<root>` in the sitemaps namespace, one entry a
    line."""
    return f'{_XML_DECLARATION}<{root} xmlns="{SITEMAP_NS}">\n{"".join(lines)}</{root}>\n'


def feed_xml(library: Library, config: Config) -> str:
    """An Atom feed of the newest papers."""
    from .render import display_title  # here, not at the top: importing outputs stays cheap

    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    newest = newest_first(library.papers)[:FEED_SIZE]
    updated = next((p.date for p in newest if p.date), "1970-01-01")
    _sub(feed, "title", config.title)
    _sub(feed, "subtitle", config.description)
    _sub(feed, "id", absolute(config, "") if config.site_url else _urn("site", config.title))
    _sub(feed, "updated", f"{updated}T00:00:00Z")
    ET.SubElement(feed, f"{{{ATOM}}}link", href=absolute(config, ""))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=absolute(config, "feed.xml"))
    _sub(ET.SubElement(feed, f"{{{ATOM}}}author"), "name", config.title)
    for paper in newest:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = absolute(config, f"papers/{paper.slug}/")
        _sub(entry, "title", display_title(paper))
        _sub(entry, "id", url if config.site_url else _urn("paper", paper.id))
        ET.SubElement(entry, f"{{{ATOM}}}link", href=url)
        _sub(entry, "updated", f"{paper.date or updated}T00:00:00Z")
        _sub(entry, "summary", paper.abstract)
        for topic in paper.topics:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=topic)
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


def _urn(kind: str, key: str) -> str:
    """A permanent Atom id for a site without `site_url` (Atom ids must be absolute IRIs)."""
    return f"urn:litreview:{kind}:{hashlib.sha1(key.encode('utf-8')).hexdigest()[:12]}"


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    el.text = text
    return el


def robots_txt(config: Config) -> str:
    """robots.txt allowing everything; it names the sitemap only when `site_url` makes its URL
    absolute, as the robots.txt standard requires."""
    sitemap = f"Sitemap: {absolute(config, 'sitemap.xml')}\n" if config.site_url else ""
    return f"User-agent: *\nAllow: /\n{sitemap}"
