"""Machine-readable outputs: papers.json (one record a line), the Atom feed, robots.txt with and
without `site_url`, and the sitemap, split into an index past the sitemaps.org limits."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator import outputs
from generator.config import Config
from generator.library import Library
from generator.model import Paper, Related, SourceRef
from generator.outputs import (
    FEED_SIZE,
    feed_xml,
    paper_record,
    paper_record_text,
    papers_json,
    robots_txt,
    site_pages,
    sitemap_files,
)

from .conftest import FIXTURES, build_pinned

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SITE = Config(site_url="https://me.github.io", base_url="/review/")


def _library(count: int = 3, venue: str | None = None) -> Library:
    return Library.build([
        Paper(title=f"Paper <{n}> & co", abstract=f"Abstract {n}.", id=f"id{n:03}",
              slug=f"paper-{n:03}", date=f"2024-01-{n % 28 + 1:02}" if n % 2 else None,
              venue=venue, sources=(SourceRef("a.txt", n + 1),))
        for n in range(count)])


@pytest.mark.parametrize(("config", "feed_id", "entry_id", "link"), [
    pytest.param(Config(), "urn:litreview:site:", "urn:litreview:paper:", "/papers/", id="paths"),
    pytest.param(SITE, "https://me.github.io/review/", "https://me.github.io/review/papers/",
                 "https://me.github.io/review/papers/", id="site-url"),
])
def test_feed_ids_are_absolute_iris(config: Config, feed_id: str, entry_id: str,
                                    link: str) -> None:
    feed = ET.fromstring(feed_xml(_library(), config))
    assert feed.findtext(f"{ATOM}id", "").startswith(feed_id)
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id", "") for e in entries]
    assert all(i.startswith(entry_id) for i in ids) and len(set(ids)) == 3
    assert all(e.find(f"{ATOM}link").get("href", "").startswith(link) for e in entries)
    assert entries[0].findtext(f"{ATOM}title") == "Paper <1> & co", "escaped, then parsed back"


def test_feed_holds_the_newest_papers_only() -> None:
    feed = ET.fromstring(feed_xml(_library(FEED_SIZE + 20), Config()))
    entries = feed.findall(f"{ATOM}entry")
    dates = [e.findtext(f"{ATOM}updated") for e in entries]
    assert len(entries) == FEED_SIZE and dates[0] == max(dates)
    assert feed.findtext(f"{ATOM}updated") == dates[0]


@pytest.mark.parametrize(("config", "expected"), [
    pytest.param(Config(), "User-agent: *\nAllow: /\n", id="no-site-url"),
    pytest.param(SITE, "User-agent: *\nAllow: /\nSitemap: https://me.github.io/review/sitemap.xml\n",
                 id="site-url"),
])
def test_robots_txt(config: Config, expected: str) -> None:
    assert robots_txt(config) == expected


def _locs(text: str) -> list[str]:
    return [str(el.text) for el in ET.fromstring(text).iter(f"{SITEMAP}loc")]


def test_site_pages_lists_every_reachable_page_once_in_site_order() -> None:
    pages = site_pages(_library(3, venue="Venue"), Config(per_page=2), ["my-review"])
    assert pages[:4] == ["", "papers/paper-000/", "papers/paper-001/", "papers/paper-002/"]
    assert pages.index("venues/") < pages.index("venues/venue/") < pages.index(
        "venues/venue/page/2/"), "index, then the term, then its second page"
    assert "venues/venue/page/3/" not in pages and "search/" not in pages
    assert pages[-3:] == ["reviews/", "reviews/my-review/", "map/"]
    assert len(pages) == len(set(pages))


def test_small_sitemap_is_one_urlset_of_absolute_urls() -> None:
    files = sitemap_files(_library(), SITE, ["r"])
    assert [name for name, _ in files] == ["sitemap.xml"]
    assert ET.fromstring(files[0][1]).tag == f"{SITEMAP}urlset"
    assert _locs(files[0][1]) == [f"https://me.github.io/review/{path}"
                                  for path in site_pages(_library(), SITE, ["r"])]


@pytest.mark.parametrize(("limit", "value"), [pytest.param("SITEMAP_URLS", 4, id="urls"),
                                              pytest.param("SITEMAP_BYTES", 700, id="bytes")])
def test_big_sitemap_becomes_an_index_of_parts_within_the_limits(
        monkeypatch: pytest.MonkeyPatch, limit: str, value: int) -> None:
    monkeypatch.setattr(outputs, limit, value)
    library = _library(10)
    files = dict(sitemap_files(library, SITE))
    index = files.pop("sitemap.xml")
    names = [f"sitemap-{n}.xml" for n in range(1, len(files) + 1)]
    assert len(names) > 1 and list(files) == names
    assert ET.fromstring(index).tag == f"{SITEMAP}sitemapindex"
    assert _locs(index) == [f"https://me.github.io/review/{name}" for name in names]
    urls: list[str] = []
    for name in names:
        assert ET.fromstring(files[name]).tag == f"{SITEMAP}urlset"
        assert len(_locs(files[name])) <= outputs.SITEMAP_URLS
        assert len(files[name].encode("utf-8")) <= outputs.SITEMAP_BYTES
        urls += _locs(files[name])
    assert urls == [f"https://me.github.io/review/{path}" for path in site_pages(library, SITE)]


def test_built_sitemap_index_covers_every_page_of_the_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The small fixture built with a 10-URL limit: sitemap.xml indexes sitemap-N.xml files that
    exist, which together list each page once: every index.html but the search page's."""
    monkeypatch.setattr(outputs, "SITEMAP_URLS", 10)
    site = tmp_path / "site"
    build_pinned(FIXTURES / "small", site, search_index=False)
    index = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert ET.fromstring(index).tag == f"{SITEMAP}sitemapindex"
    listed: list[str] = []
    for part in _locs(index):
        urls = _locs((site / part.removeprefix("/")).read_text(encoding="utf-8"))
        assert 0 < len(urls) <= 10, part
        listed += urls
    pages = {f"/{page.parent.relative_to(site).as_posix()}/".replace("/./", "/")
             for page in site.rglob("index.html")}
    assert "/map/" in pages and any("/page/2/" in page for page in pages)
    assert len(listed) == len(set(listed)) and set(listed) == pages - {"/search/"}


def test_papers_json_is_sorted_by_slug_with_nulls() -> None:
    records = json.loads(papers_json(_library()))
    assert [r["slug"] for r in records] == ["paper-000", "paper-001", "paper-002"]
    assert records[0]["date"] is None and records[0]["venue"] is None
    assert records[0]["links"] == [] and records[0]["sources"] == [{"listing": "a.txt", "line": 1}]


def test_papers_json_holds_one_record_a_line() -> None:
    library = _library(4)
    lines = papers_json(library).split("\n")
    assert lines[0] == "[" and lines[-2:] == ["]", ""]
    records = lines[1:-2]
    assert [json.loads(line.removesuffix(",")) for line in records] == [
        paper_record(paper, library) for paper in library.papers]
    assert all(line.endswith("},") for line in records[:-1]) and records[-1].endswith("}")
    assert json.loads(papers_json(Library.build([]))) == []


def test_papers_json_takes_each_line_from_record_text() -> None:
    """The hook a caller uses to memoise records: each paper's line comes from it, in order."""
    library, asked = _library(3), []

    def remembered(paper: Paper, lib: Library) -> str:
        asked.append(paper.slug)
        return paper_record_text(paper, lib)

    assert papers_json(library, record_text=remembered) == papers_json(library)
    assert asked == ["paper-000", "paper-001", "paper-002"]


@pytest.mark.parametrize("text", [
    pytest.param("Plain ASCII <b> & \"quotes\" \\ back", id="ascii"),
    pytest.param("Naïve Bayes for β-VAEs, 1/τ2", id="latin-and-greek"),
    pytest.param("鳥の歌 🐦 and ภาษาไทย", id="cjk-emoji-thai"),
    pytest.param("delete \x7f and bell \x07", id="controls-and-del"),
    pytest.param("line\u2028separator\ttab\nnewline", id="separators"),
])
def test_record_line_is_exactly_what_json_writes(text: str) -> None:
    """A line is made by orjson or, for text it would not escape, by `json`: either way it is
    `json.dumps`'s compact ASCII text, so papers.json does not depend on which encoder ran."""
    other = Paper(title="Other", abstract="", id="y", slug="other", sources=())
    paper = Paper(title=text, abstract=text, id="x", slug="x", venue=text,
                  sources=(SourceRef(f"{text}.txt", 3),), links=("https://a.org/x?a=1&b=2",),
                  related=(Related("y", 0.123456, (f"shared terms: {text}",)),))
    library = Library.build([paper, other])
    line = paper_record_text(paper, library)
    assert line == json.dumps(paper_record(paper, library), separators=(",", ":"))
    assert line.isascii() and json.loads(line)["title"] == text
    assert json.loads(line)["related"] == [{"slug": "other", "score": 0.123,
                                            "reasons": [f"shared terms: {text}"]}]


def test_sample_papers_json_is_json_dumps_line_by_line(default_site) -> None:
    site, _ = default_site
    lines = (site / "papers.json").read_text(encoding="utf-8").split("\n")[1:-2]
    records = [json.loads(line.removesuffix(",")) for line in lines]
    assert len(records) == 365
    assert [line.removesuffix(",") for line in lines] == [
        json.dumps(record, separators=(",", ":")) for record in records]
    assert any(not record["abstract"].isascii() for record in records), "sample has non-ASCII"


def test_importing_outputs_loads_no_template_markdown_or_repair_engine() -> None:
    """build imports outputs at start-up; the engines its functions use load when first used."""
    code = ("import sys, generator.outputs\n"
            "print(' '.join(sorted(set(sys.modules) & set(sys.argv[1:]))))")
    engines = ("jinja2", "markdown", "yaml", "ftfy", "rapidfuzz", "numpy", "urllib.request")
    loaded = subprocess.run([sys.executable, "-c", code, *engines], capture_output=True,
                            text=True, timeout=120, check=True).stdout.split()
    assert loaded == []
