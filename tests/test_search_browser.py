"""Search in a real browser: the default site with its Pagefind index, served at `/` and under
`/my-review/` (as a GitHub project site), driven through Debian's Chromium with Playwright.

Skipped with the reason when Chromium or Playwright is missing, unless
LITREVIEW_REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Served, launch_chromium, require_chromium, serve_site
from tests.conftest import REPO, build_pinned

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SUB_PATH = "/my-review/"
WAIT_MS = 60_000
"""Generous: the suite must pass on a slow, loaded 2-core machine."""
MESSAGE = ".pagefind-ui__message"
RESULT_LINK = ".pagefind-ui__result-link"
COUNT = re.compile(r"^(\d+) results? for ")
PAGE_SIZE = 10
"""Results Pagefind UI shows before "Load more" (search.js sets pageSize)."""


@pytest.fixture(scope="module")
def sub_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("subpath") / "site"
    report = build_pinned(REPO, out, base_url=SUB_PATH)
    assert report.search is not None and report.search.enabled, report.search
    return out


@pytest.fixture(scope="module")
def browser(default_site: tuple[Path, Any], sub_site: Path) -> Iterator[Any]:
    require_chromium()  # sites are built first: Playwright starts last
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module", params=["/", SUB_PATH], ids=["root", "sub-path"])
def served(request: pytest.FixtureRequest, default_site: tuple[Path, Any], sub_site: Path,
           browser: Any) -> Iterator[Served]:
    site = default_site[0] if request.param == "/" else sub_site
    with serve_site(site, request.param) as server:
        yield server


@pytest.fixture
def page(browser: Any, served: Served) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def papers(default_site: tuple[Path, Any]) -> dict[str, dict[str, Any]]:
    """papers.json of the default site by slug."""
    data = json.loads((default_site[0] / "papers.json").read_text(encoding="utf-8"))
    return {p["slug"]: p for p in data}


def result_count(page: Any, previous: str | None = None) -> int:
    """Wait for 'N results for …' (a new one if `previous`) and its links shown; return N."""
    message = page.locator(MESSAGE)
    if previous is not None:
        page.wait_for_function("([sel, old]) => document.querySelector(sel)?.textContent !== old",
                               arg=[MESSAGE, previous])
    page.wait_for_function("([sel]) => /^\\d+ results? for /.test("
                           "document.querySelector(sel)?.textContent || '')", arg=[MESSAGE])
    match = COUNT.match(message.inner_text())
    assert match, message.inner_text()
    count = int(match.group(1))
    # The message comes first; each result's link appears once its fragment has loaded.
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length >= n",
                           arg=[RESULT_LINK, min(count, PAGE_SIZE)])
    return count


def result_slugs(page: Any, served: Served) -> list[str]:
    """Slugs of the result links shown, checking each link is a paper page under the base."""
    slugs = []
    for href in page.locator(RESULT_LINK).evaluate_all("links => links.map(a => a.href)"):
        assert href.startswith(served.url + "papers/"), href
        slugs.append(href[len(served.url + "papers/"):].strip("/"))
    return slugs


def result_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(RESULT_LINK).all_inner_texts()]


def test_sparsemax_finds_the_sparsemax_paper(page: Any, served: Served) -> None:
    page.goto(served.url + "search/?q=sparsemax")
    assert result_count(page) >= 1
    assert result_titles(page)[0].startswith("From Softmax to Sparsemax")


def test_click_through_finds_the_ctr_papers(page: Any, served: Served,
                                            papers: dict[str, dict[str, Any]]) -> None:
    page.goto(served.url + "search/")
    page.locator(".pagefind-ui__search-input").fill("click-through")
    count = result_count(page)
    ctr_titles = {p["title"] for p in papers.values()
                  if re.search(r"click-through", p["title"], re.IGNORECASE)}
    mentions = [p for p in papers.values()
                if "click-through" in (p["title"] + " " + p["abstract"]).lower()]
    assert len(ctr_titles) >= 2 and count >= len(mentions)
    shown = set(result_titles(page))
    assert ctr_titles <= shown, ctr_titles - shown
    assert all("click" in (papers[s]["title"] + papers[s]["abstract"]).lower()
               for s in result_slugs(page, served))
    assert page.evaluate("location.search") == "?q=click-through"  # shareable


@pytest.mark.parametrize("kind", ["topic", "listing", "venue"])
def test_a_filter_narrows_the_hits(page: Any, served: Served, kind: str,
                                   papers: dict[str, dict[str, Any]]) -> None:
    values = _filter_values(papers, kind)
    if not values:
        pytest.skip(f"no paper has a {kind} yet")
    page.goto(served.url + "search/?q=learning")
    before = result_count(page)
    value = max(values, key=lambda v: (sum(v in _terms(p, kind) for p in papers.values()), v))
    page.locator("summary.pagefind-ui__filter-name", has_text=re.compile(f"^{kind}$", re.I)
                 ).click()
    old = page.locator(MESSAGE).inner_text()
    page.locator(f'input.pagefind-ui__filter-checkbox[name="{kind}"]'
                 f'[value="{value}"]').check()
    after = result_count(page, previous=old)
    assert 0 < after < before
    slugs = result_slugs(page, served)
    assert slugs and all(value in _terms(papers[s], kind) for s in slugs)
    assert f"{kind}=" in page.evaluate("location.search")


def _terms(paper: dict[str, Any], kind: str) -> list[str]:
    if kind == "listing":
        return [s["listing"] for s in paper["sources"]]
    if kind == "venue":
        return [paper["venue"]] if paper["venue"] else []
    return list(paper[kind + "s"])


def _filter_values(papers: dict[str, dict[str, Any]], kind: str) -> set[str]:
    return {t for p in papers.values() for t in _terms(p, kind)}


def test_a_shared_link_restores_query_filter_and_sort(page: Any, served: Served,
                                                      papers: dict[str, dict[str, Any]]) -> None:
    listing = "hf-papers-interaction-and-interpretability.txt"
    page.goto(served.url + f"search/?q=learning&listing={listing}&sort=newest")
    assert result_count(page) > 0
    slugs = result_slugs(page, served)
    assert all(listing in _terms(papers[s], "listing") for s in slugs)
    dates = [papers[s]["date"] or "0000-00-00" for s in slugs]
    assert dates == sorted(dates, reverse=True) and dates[0] != "0000-00-00"
    assert page.locator(f'input[name="listing"][value="{listing}"]').is_checked()
    assert page.locator("#search-sort").input_value() == "newest"


def test_a_result_link_opens_the_paper(page: Any, served: Served) -> None:
    page.goto(served.url + "search/?q=sparsemax")
    result_count(page)
    title = result_titles(page)[0]
    page.locator(RESULT_LINK).first.click()
    page.wait_for_url(served.url + "papers/**")
    assert page.locator("h1").inner_text().strip() == title
    assert page.locator("link[rel=stylesheet]").first.evaluate("l => l.sheet !== null")


def test_slash_focuses_the_header_box_and_enter_searches(page: Any, served: Served) -> None:
    page.goto(served.url + "topics/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("sparsemax")
    page.keyboard.press("Enter")
    page.wait_for_url(served.url + "search/?q=sparsemax")
    assert result_count(page) >= 1
    assert page.locator(".pagefind-ui__search-input").input_value() == "sparsemax"


def test_every_request_stays_under_the_base_path(page: Any, served: Served) -> None:
    served.not_found.clear()
    page.goto(served.url + "search/?q=attention")
    result_count(page)
    page.locator(RESULT_LINK).first.click()
    page.wait_for_url(served.url + "papers/**")
    page.wait_for_load_state("networkidle")
    assert [p for p in served.not_found if p != "/favicon.ico"] == []


def test_without_javascript_the_header_form_still_reaches_the_search_page(
        browser: Any, served: Served) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(served.url)
        page.locator(".site-search input[name=q]").fill("attention")
        page.locator(".site-search button").click()
        page.wait_for_url(served.url + "search/?q=attention")
        assert "needs JavaScript" in page.locator("main").inner_text()
    finally:
        context.close()


def test_a_site_without_its_index_says_so(browser: Any, default_site: tuple[Path, Any],
                                          tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(default_site[0], site, ignore=shutil.ignore_patterns("pagefind"))
    context = browser.new_context()
    try:
        with serve_site(site) as server:
            page = context.new_page()
            page.goto(server.url + "search/?q=attention")
            page.locator("#search-missing").wait_for(state="visible", timeout=WAIT_MS)
            assert "could not be loaded" in page.locator("#search-missing").inner_text()
    finally:
        context.close()
