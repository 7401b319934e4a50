"""Whole-site tests: golden output, link crawl at `/` and a sub-path, determinism, contracts.

The default site is the repository's own project (the five sample listings); the golden site
is `tests/fixtures/small`. Every build pins "today" (SOURCE_DATE_EPOCH) so dates are stable.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from generator.build import BuildReport

from .conftest import build_pinned, describe_tree_diff, site_tree
from .refresh_golden import GOLDEN, REFRESH_COMMAND, build_small_site, golden_files

ORIGIN = "http://site.test"
LINK_ATTRIBUTES = (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"),
                   ("source", "src"), ("iframe", "src"), ("form", "action"))
RECORD_KEYS = {"id", "slug", "title", "title_missing", "abstract", "date", "venue",
               "authors_count", "organization", "upvotes", "links", "topics", "tags", "sources",
               "related"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def sub_path_site(tmp_path_factory: pytest.TempPathFactory, default_project: Path) -> Path:
    out = tmp_path_factory.mktemp("sub") / "site"
    build_pinned(default_project, out, base_url="/sub-path/")
    return out


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _page(site: Path, rel: str) -> BeautifulSoup:
    return _soup(site / rel)


# Golden ------------------------------------------------------------------------------------

def test_small_fixture_site_matches_golden(tmp_path: Path) -> None:
    report = build_small_site(tmp_path / "site")
    assert report.papers == 13
    diff = describe_tree_diff(site_tree(GOLDEN), golden_files(tmp_path / "site"))
    assert not diff, (f"the small fixture site differs from {GOLDEN}. If the change is "
                      f"intended, run `{REFRESH_COMMAND}` and review `git diff tests/golden`.\n"
                      f"{diff}")


# Link crawl --------------------------------------------------------------------------------

def _page_url(rel: str, base: str) -> str:
    """The URL a page is served at; 404.html is served at any missing path, so use a deep one."""
    if rel == "404.html":
        return f"{base}no/such/page/"
    return base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _target(site: Path, base: str, url: str) -> Path | None:
    """The file a site URL path is served from, or None if it is outside `base`."""
    path = unquote(urlsplit(url).path)
    if not path.startswith(base):
        return None
    rel = path[len(base):]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    target = site / rel
    return target / "index.html" if target.is_dir() else target


@lru_cache(maxsize=4096)
def _ids(path: Path) -> frozenset[str]:
    return frozenset(str(el["id"]) for el in _soup(path).find_all(id=True))


def _references(site: Path) -> Iterator[tuple[str, str]]:
    """(file, reference) for every link-like attribute of every HTML page and every CSS url()."""
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        if rel.startswith("pagefind/"):
            continue
        soup = _soup(page)
        for tag, attr in LINK_ATTRIBUTES:
            for el in soup.find_all(tag, attrs={attr: True}):
                yield rel, str(el[attr])
    for sheet in sorted(site.rglob("*.css")):
        rel = sheet.relative_to(site).as_posix()
        if not rel.startswith("pagefind/"):
            yield from ((rel, ref) for ref in CSS_URL.findall(sheet.read_text(encoding="utf-8")))


def _broken_links(site: Path, base: str) -> list[str]:
    broken = []
    for rel, ref in _references(site):
        if ref.startswith(("mailto:", "data:")):
            continue
        assert not ref.lower().startswith("javascript:"), (rel, ref)
        if ref.startswith("#"):  # same document, wherever it is served
            if ref[1:] and ref[1:] not in _ids(site / rel):
                broken.append(f"{rel}: {ref} (no element id={ref[1:]!r})")
            continue
        url = urljoin(ORIGIN + _page_url(rel, base), ref)
        if not url.startswith(ORIGIN + "/"):
            continue  # external
        target = _target(site, base, url[len(ORIGIN):])
        fragment = urlsplit(url).fragment
        if target is None or not target.is_file():
            broken.append(f"{rel}: {ref} (no file)")
        elif fragment and target.suffix == ".html" and fragment not in _ids(target):
            broken.append(f"{rel}: {ref} (no element id={fragment!r})")
    return broken


@pytest.mark.parametrize("base", [pytest.param("/", id="root"),
                                  pytest.param("/sub-path/", id="sub-path")])
def test_every_internal_link_and_asset_resolves(base: str, default_site, sub_path_site) -> None:
    site = default_site[0] if base == "/" else sub_path_site
    broken = _broken_links(site, base)
    assert broken == [], f"{len(broken)} broken links, e.g.:\n" + "\n".join(broken[:20])
    for loc in ET.parse(site / "sitemap.xml").getroot().iter(f"{SITEMAP}loc"):
        target = _target(site, base, str(loc.text))
        assert target is not None and target.is_file(), loc.text


def test_crawl_notices_a_broken_link(tmp_path: Path, default_site) -> None:
    """The crawler itself can fail: a page with a dead link is reported."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<a href="papers/nope/">x</a><a href="#gone">y</a><link '
                                     'href="/assets/style.css"><a href="https://x.org/">', "utf-8")
    (site / "theme.css").write_text("a { background: url('img/dot.png') } b { x: url(data:,) }")
    assert _broken_links(site, "/") == ["index.html: papers/nope/ (no file)",
                                        "index.html: #gone (no element id='gone')",
                                        "index.html: /assets/style.css (no file)",
                                        "theme.css: img/dot.png (no file)"]
    assert _broken_links(site, "/sub/")[2] == "index.html: /assets/style.css (no file)"


def test_sub_path_site_has_no_root_relative_links(sub_path_site: Path) -> None:
    bad = [(rel, ref) for rel, ref in _references(sub_path_site)
           if ref.startswith("/") and not ref.startswith("/sub-path/")]
    assert bad == []


# Determinism -------------------------------------------------------------------------------

def test_two_builds_are_byte_identical(tmp_path: Path, default_project: Path,
                                      default_site) -> None:
    first, _ = default_site
    second = tmp_path / "again"
    build_pinned(default_project, second)
    diff = describe_tree_diff(site_tree(first), site_tree(second))
    assert not diff, diff


def test_rebuilding_into_the_same_directory_gives_the_same_site(tmp_path: Path) -> None:
    from .refresh_golden import SMALL

    out = tmp_path / "site"
    first = build_pinned(SMALL, out)
    once = site_tree(out)
    second = build_pinned(SMALL, out)
    diff = describe_tree_diff(once, site_tree(out))
    searches = [getattr(report, "search", None) for report in (first, second)]
    assert not diff, f"{diff}\nsearch index: {searches}"
    assert not list(tmp_path.glob(".site.*")), "no staging or backup directory left behind"


# Outputs and contracts ---------------------------------------------------------------------

def test_papers_json_contract(default_site) -> None:
    site, _ = default_site
    records = json.loads((site / "papers.json").read_text(encoding="utf-8"))
    assert isinstance(records, list) and len(records) == 365
    slugs = [r["slug"] for r in records]
    assert slugs == sorted(slugs) and len(set(slugs)) == 365
    assert [sorted(RECORD_KEYS - set(r)) for r in records if RECORD_KEYS - set(r)] == []
    for r in records:
        assert r["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["date"]), r["date"]
        for key in ("links", "topics", "tags", "sources", "related"):
            assert isinstance(r[key], list), (r["slug"], key)
        assert all(link.startswith(("http://", "https://")) for link in r["links"])
        assert all(set(s) == {"listing", "line"} for s in r["sources"])
        assert all(rel["slug"] in slugs for rel in r["related"])
    by_slug = {r["slug"]: r for r in records}
    chronos = by_slug["chronos-2-from-univariate-to-universal-forecasting"]
    assert (chronos["organization"], chronos["upvotes"], chronos["authors_count"],
            chronos["venue"]) == ("Amazon", 3, None, None)
    missing = [r for r in records if r["title_missing"]]
    assert len(missing) == 1 and missing[0]["venue"] == "Neural Information Processing Systems"
    assert sum(1 for r in records if r["date"] is None) > 0


def test_feed_and_sitemap_are_xml(default_site) -> None:
    site, _ = default_site
    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert 0 < len(entries) <= 50
    for entry in entries:
        assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}id")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00Z", entry.findtext(f"{ATOM}updated", ""))
    urls = [loc.text for loc in ET.parse(site / "sitemap.xml").getroot().iter(f"{SITEMAP}loc")]
    assert len(urls) == len(set(urls)) and len(urls) > 365


def test_site_has_github_pages_files(default_site) -> None:
    site, _ = default_site
    assert (site / ".nojekyll").is_file() and (site / ".nojekyll").stat().st_size == 0
    assert "not found" in _page(site, "404.html").get_text().lower()
    assert (site / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n", \
        "no Sitemap line without site_url: robots.txt needs an absolute sitemap URL"
    assert len(list((site / "papers").glob("*/index.html"))) == 365
    for kind in ("topics", "tags", "venues", "listings"):
        assert (site / kind / "index.html").is_file(), kind


def test_default_build_warns_only_about_the_missing_title(default_site) -> None:
    _, report = default_site
    assert isinstance(report, BuildReport)
    assert [str(i) for i in report.issues] == [
        "neurips-statistical-learning.txt:8: title is a file name "
        "('06872e1e6d11baf2ae27285c50132f4f-Paper-Conference.pdf'); kept, marked title_missing"]
    assert (report.papers, report.merged) == (365, 10)
    assert report.missing_titles == [p.stem for p in (default_site[0] / "papers").glob(
        "untitled-*.md")]


# What a reader sees on the pages -----------------------------------------------------------

def _paper_page(site: Path, slug_start: str) -> BeautifulSoup:
    (page,) = [p for p in (site / "papers").glob(f"{slug_start}*/index.html")]
    return _soup(page)


def test_paper_in_two_listings_has_one_page_naming_both(default_site) -> None:
    site, _ = default_site
    assert len(list((site / "papers").glob("relp-*/index.html"))) == 1
    page = _paper_page(site, "relp-faithful")
    hrefs = {a["href"] for a in page.find_all("a", href=True)}
    assert {"/listings/hf-papers-regularization-and-sparsity-txt/",
            "/listings/hf-papers-representations-and-neuroimaging-txt/"} <= hrefs
    for listing in hrefs & {"/listings/hf-papers-regularization-and-sparsity-txt/",
                            "/listings/hf-papers-representations-and-neuroimaging-txt/"}:
        pages = (site / listing.strip("/")).rglob("index.html")
        assert any(_soup(p).find("a", href=re.compile("^/papers/relp-faithful")) for p in pages)


@pytest.mark.parametrize(("slug_start", "text"), [
    pytest.param("diversity-is-all-you-need", "recovering the 1/τ2 law", id="tau"),
    pytest.param("ditch-the-denoiser", "(σ = 255, SNR = 0.72 dB)", id="sigma"),
    pytest.param("monarchattention", "Θ(N Nd)", id="theta"),
])
def test_repaired_text_is_on_the_page(default_site, slug_start: str, text: str) -> None:
    page = _paper_page(default_site[0], slug_start)
    assert text in page.get_text()
    assert not re.search("[ฯฮ][„ƒ˜]", page.get_text())


@pytest.mark.parametrize(("slug_start", "url"), [
    pytest.param("domain-generalization-via-rationale", "https://github.com/liangchen527/RIDG",
                 id="code-is-available-at"),
    pytest.param("strip-mlp", "https://github.com/Med-Process/Strip_MLP", id="broken-latex-href"),
])
def test_url_in_abstract_is_a_clickable_link(default_site, slug_start: str, url: str) -> None:
    page = _paper_page(default_site[0], slug_start)
    abstract = page.find(class_="abstract")
    assert abstract is not None
    assert url in [a["href"] for a in abstract.find_all("a", href=True)]
    assert not [a["href"] for a in page.find_all("a", href=True) if "{" in a["href"]]


def test_missing_title_page_shows_placeholder_and_file_name(default_site) -> None:
    page = _paper_page(default_site[0], "untitled-")
    heading = page.find("h1").get_text()
    assert heading.startswith("Untitled paper") and "Large language models" in heading
    assert "06872e1e6d11baf2ae27285c50132f4f-Paper-Conference.pdf" in page.get_text()


def test_metadata_is_on_the_page(default_site) -> None:
    text = _paper_page(default_site[0], "chronos-2-from").get_text(" ")
    assert "Amazon" in text and "2025-10-17" in text and "Upvotes" in text
