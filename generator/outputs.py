"""Machine-readable outputs: papers.json, the Atom feed, sitemap.xml, robots.txt, .nojekyll.

All text is serialised by `json` and `xml.etree`, which escape it; nothing is concatenated into
markup by hand. Output is deterministic (no build timestamps: the feed's `updated` is the newest
paper date). HTML pages are rendered elsewhere (`render`).
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from .config import Config
from .library import KINDS, Library, newest_first
from .model import Paper
from .pages import front_matter
from .render import display_title

__all__ = ["feed_xml", "paper_record", "papers_json", "robots_txt", "sitemap_xml"]

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
    fields = front_matter(paper, library)
    fields.update(abstract=paper.abstract, note=paper.note or None)
    return {key: fields[key] for key in RECORD_KEYS}


def papers_json(library: Library) -> str:
    """All papers as a JSON array sorted by slug."""
    records = [paper_record(p, library) for p in library.papers]
    return json.dumps(records, ensure_ascii=False, indent=1) + "\n"


def absolute(config: Config, path: str) -> str:
    """Site URL of a site-relative path (origin + base_url when `site_url` is set)."""
    return f"{config.site_url}{config.base_url}{path}"


def sitemap_xml(library: Library, config: Config, review_slugs: Sequence[str] = ()) -> str:
    """A sitemap of the home, paper, index and review pages."""
    urlset = ET.Element("urlset", xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")
    paths = [""] + [f"papers/{p.slug}/" for p in library.papers]
    paths += ["reviews/"] + [f"reviews/{slug}/" for slug in review_slugs]
    for kind in KINDS:
        paths.append(f"{kind.name}/")
        paths.extend(f"{kind.name}/{t.slug}/" for t in library.terms[kind.name])
    for path in paths:
        ET.SubElement(ET.SubElement(urlset, "url"), "loc").text = absolute(config, path)
    ET.indent(urlset)
    return ET.tostring(urlset, encoding="unicode", xml_declaration=True) + "\n"


def feed_xml(library: Library, config: Config) -> str:
    """An Atom feed of the newest papers."""
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
