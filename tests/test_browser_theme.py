"""The theme in a real browser (Debian's Chromium through Playwright): a reader's path through
the site, the light/dark toggle and its memory, the map's links, the page without JavaScript,
no layout shift or sideways scrolling on a phone, axe-core accessibility checks in light and
dark, and screenshots of the main pages at phone and desktop widths in `tests/artifacts/`
(git-ignored) for a person to look at.

Skipped with the reason when Chromium or Playwright is missing, unless
LITREVIEW_REQUIRE_BROWSER=1 (CI), where that is a failure. Uses the shared helpers of
`tests/browser.py` and the session's default site.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Served, launch_chromium, require_chromium, serve_site

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WAIT_MS = 60_000
"""Generous: the suite must pass on a slow, loaded 2-core machine."""
PHONE, DESKTOP = 390, 1280
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def browser(default_site: tuple[Path, Any]) -> Iterator[Any]:
    require_chromium()  # the site is built first: Playwright starts last
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def served(default_site: tuple[Path, Any], browser: Any) -> Iterator[Served]:
    with serve_site(default_site[0], "/") as server:
        yield server


def _context(browser: Any, *, width: int = DESKTOP, scheme: str = "light",
             js: bool = True) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme=scheme, java_script_enabled=js)
    context.set_default_timeout(WAIT_MS)
    return context


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = _context(browser)
    yield context.new_page()
    context.close()


def _main_pages(site: Path) -> dict[str, str]:
    """Name -> site path of one page of each kind (the kinds the site has)."""
    def first(folder: str) -> str | None:
        found = sorted(p.parent.name for p in (site / folder).glob("*/index.html")
                       if p.parent.name != "page")
        return f"{folder}/{found[0]}/" if found else None

    pages = {"home": "", "paper": first("papers"), "topic": first("topics"),
             "tag": first("tags"), "review": first("reviews"), "map": "map/",
             "search": "search/"}
    return {name: path for name, path in pages.items()
            if path is not None and (site / path / "index.html").is_file()}


def _background(page: Any) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def _h1(page: Any) -> str:
    return page.locator("h1").first.inner_text().strip()


# A reader's path ---------------------------------------------------------------------------

def test_home_topic_paper_related_tag(page: Any, served: Served) -> None:
    page.goto(served.url)
    page.locator("#chart-topics svg a").first.click()  # a bar of "papers per topic"
    page.wait_for_url("**/topics/*/")
    topic = _h1(page)
    assert page.locator("main svg.chart").count() >= 1, "no tag chart on the topic page"
    page.locator("ol.paper-list .paper-link").first.click()
    page.wait_for_url("**/papers/*/")
    assert topic in page.locator(".paper-facts").inner_text()
    first_paper = _h1(page)
    related = page.locator(".related .paper-link").first
    related_title = related.inner_text().strip()
    related.click()
    page.wait_for_url("**/papers/*/")
    assert _h1(page) == related_title != first_paper
    tag = page.locator(".paper-facts a.chip[href*='/tags/']").first
    name = tag.inner_text().strip()
    tag.click()
    page.wait_for_url("**/tags/*/")
    assert _h1(page) == name


def test_previous_and_next_in_topic_walk_the_topic(page: Any, served: Served) -> None:
    page.goto(served.url + "topics/")
    page.locator("main .term-list a").first.click()
    page.wait_for_url("**/topics/*/")
    topic_path = page.evaluate("location.pathname")
    order = page.locator("ol.paper-list .paper-link").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    assert len(order) >= 3
    page.goto(served.url.rstrip("/") + order[1])
    row = page.locator(".topic-nav li").filter(
        has=page.locator(f".in-topic a[href='{topic_path}']"))
    row.locator("a.older").click()
    page.wait_for_url("**" + order[2])
    row = page.locator(".topic-nav li").filter(
        has=page.locator(f".in-topic a[href='{topic_path}']"))
    row.locator("a.newer").click()
    page.wait_for_url("**" + order[1])


# Light and dark ----------------------------------------------------------------------------

def test_toggle_switches_theme_and_the_choice_survives_a_reload(page: Any, served: Served
                                                                ) -> None:
    page.goto(served.url)
    light = _background(page)
    toggle = page.locator("button.theme-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-pressed") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    dark = _background(page)
    assert dark != light
    page.reload()
    assert _background(page) == dark
    assert page.locator("button.theme-toggle").get_attribute("aria-pressed") == "true"
    page.goto(served.url + "map/")  # the choice holds on every page
    assert _background(page) == dark
    page.locator("button.theme-toggle").click()  # back to the system's (light): forgotten
    assert _background(page) == light
    assert page.evaluate("localStorage.getItem('litreview-theme')") is None


def test_without_a_choice_the_page_follows_the_system(browser: Any, served: Served) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        context = _context(browser, scheme=scheme)
        page = context.new_page()
        page.goto(served.url)
        colours[scheme] = _background(page)
        pressed = page.locator("button.theme-toggle").get_attribute("aria-pressed")
        assert pressed == ("true" if scheme == "dark" else "false")
        context.close()
    assert colours["light"] != colours["dark"]


def test_without_javascript_pages_work_and_the_toggle_is_hidden(browser: Any,
                                                                served: Served) -> None:
    context = _context(browser, js=False)
    page = context.new_page()
    page.goto(served.url)
    assert not page.locator("button.theme-toggle").is_visible()
    assert page.locator("#chart-topics svg a").count() > 1
    page.goto(served.url + "map/")
    assert page.locator("svg.map a").count() > 100
    href = page.locator("ol.paper-list .paper-link, svg.map a").first.get_attribute("href")
    page.goto(served.url.rstrip("/") + href)
    assert page.locator("pre#bibtex").text_content().startswith("@")
    assert not page.locator("button.copy-citation").is_visible()
    context.close()


# The map -----------------------------------------------------------------------------------

def test_map_points_are_links_to_their_papers(page: Any, served: Served) -> None:
    page.goto(served.url + "map/")
    points = page.locator("svg.map a")
    count = points.count()
    assert count > 300
    for index in (0, count // 2, count - 1):
        point = points.nth(index)
        title = point.locator("title").text_content()
        point.locator("circle").click()  # a real click on the drawn point
        page.wait_for_url("**/papers/*/")
        assert _h1(page)[:40] == title[:40]
        page.go_back()
        page.wait_for_url("**/map/")


# Layout: no sideways scroll on a phone, no layout shift -------------------------------------

def test_pages_fit_a_phone_and_do_not_shift(browser: Any, served: Served,
                                           default_site: tuple[Path, Any]) -> None:
    context = _context(browser, width=PHONE)
    context.add_init_script("""
        window.__shift = 0;
        new PerformanceObserver(list => list.getEntries().forEach(e => {
          if (!e.hadRecentInput) window.__shift += e.value; }))
          .observe({type: 'layout-shift', buffered: true});""")
    page = context.new_page()
    for name, path in _main_pages(default_site[0]).items():
        page.goto(served.url + path)
        page.wait_for_load_state("load")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE, f"{name}: the page is {width}px wide on a {PHONE}px phone"
        shift = page.evaluate("window.__shift")
        if name != "search":  # the search UI is drawn by JavaScript after the load
            assert shift < 0.05, f"{name}: cumulative layout shift {shift:.3f}"
    context.close()


# Accessibility -----------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violation(browser: Any, served: Served, scheme: str,
                                        default_site: tuple[Path, Any]) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = _context(browser, scheme=scheme)
    page = context.new_page()
    found = []
    pages = _main_pages(default_site[0])
    assert {"home", "paper", "topic", "tag", "map", "search"} <= set(pages)
    for name, path in pages.items():
        page.goto(served.url + path)
        page.wait_for_load_state("load")
        results = axe.run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "best-practice"]})
        found += [f"{name} ({scheme}): {v['id']} [{v['impact']}] {v['help']}: "
                  f"{[n['target'] for n in v['nodes'][:3]]}"
                  for v in results.response["violations"] if v["impact"] in BLOCKING]
    context.close()
    assert found == [], "\n".join(found)


# Screenshots for people ---------------------------------------------------------------------

def test_screenshots_of_the_main_pages(browser: Any, served: Served,
                                       default_site: tuple[Path, Any]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    written = []
    for width in (PHONE, DESKTOP):
        for scheme in ("light", "dark"):
            context = _context(browser, width=width, scheme=scheme)
            page = context.new_page()
            for name, path in _main_pages(default_site[0]).items():
                page.goto(served.url + path)
                page.wait_for_load_state("load")
                shot = ARTIFACTS / f"{name}-{width}-{scheme}.png"
                page.screenshot(path=str(shot), full_page=name != "map")
                written.append(shot)
            context.close()
    assert all(shot.stat().st_size > 5_000 for shot in written)
