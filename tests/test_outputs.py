"""Machine-readable outputs: Atom feed and robots.txt with and without `site_url`."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from generator.config import Config
from generator.library import Library
from generator.model import Paper, SourceRef
from generator.outputs import FEED_SIZE, feed_xml, papers_json, robots_txt, sitemap_xml

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = Config(site_url="https://me.github.io", base_url="/review/")


def _library(count: int = 3) -> Library:
    return Library.build([
        Paper(title=f"Paper <{n}> & co", abstract=f"Abstract {n}.", id=f"id{n:03}",
              slug=f"paper-{n:03}", date=f"2024-01-{n % 28 + 1:02}" if n % 2 else None,
              sources=(SourceRef("a.txt", n + 1),))
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


def test_sitemap_lists_absolute_urls_with_site_url() -> None:
    root = ET.fromstring(sitemap_xml(_library(), SITE))
    locs = [el.text for el in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert locs[0] == "https://me.github.io/review/"
    assert "https://me.github.io/review/papers/paper-001/" in locs


def test_papers_json_is_sorted_by_slug_with_nulls() -> None:
    records = json.loads(papers_json(_library()))
    assert [r["slug"] for r in records] == ["paper-000", "paper-001", "paper-002"]
    assert records[0]["date"] is None and records[0]["venue"] is None
    assert records[0]["links"] == [] and records[0]["sources"] == [{"listing": "a.txt", "line": 1}]
