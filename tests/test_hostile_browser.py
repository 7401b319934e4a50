"""The XSS listings in a real browser: no payload runs on any page or in the search results.

The three hostile listings (every layout) are built into one site with its Pagefind index and
served; Chromium opens every HTML page and searches for the payloads' words. Every payload calls
`alert()`, so any script that runs shows up as a dialog: there must be none, and the search
results must show the payloads as text. Skipped without Chromium unless
LITREVIEW_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import launch_chromium, require_chromium, serve_site
from tests.conftest import build_pinned, write_project
from tests.test_hostile import HOSTILE, LAYOUTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WAIT_MS = 30_000
RESULT_LINK = ".pagefind-ui__result-link"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = {f"content/listings/{n}": (HOSTILE / n).read_text(encoding="utf-8") for n in LAYOUTS}
    root = write_project(tmp_path_factory.mktemp("xss"), files)
    report = build_pinned(root, root / "site")
    assert report.search is not None and report.search.enabled, report.search
    return root / "site"


def _watch(page: Any, dialogs: list[str]) -> None:
    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)


def test_no_payload_runs_on_any_page_or_search(hostile_site: Path) -> None:
    require_chromium()
    pages = sorted(p.relative_to(hostile_site).as_posix() for p in hostile_site.rglob("*.html"))
    dialogs: list[str] = []
    with serve_site(hostile_site) as served, launch_chromium() as browser:
        context = browser.new_context()
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        _watch(page, dialogs)
        for rel in pages:
            page.goto(served.url + rel.removesuffix("index.html"), wait_until="load")
        shown: list[str] = []
        for query in ("alert", "script", "onerror", "javascript"):
            page.goto(served.url + f"search/?q={query}")
            page.wait_for_function("([sel]) => document.querySelectorAll(sel).length > 0",
                                   arg=[RESULT_LINK])
            page.wait_for_load_state("networkidle")
            shown += page.locator(RESULT_LINK).all_inner_texts()
            assert page.locator(".pagefind-ui__results img, .pagefind-ui__results iframe,"
                                " .pagefind-ui__results svg").count() == 0
        context.close()
    assert len(pages) > 100
    assert dialogs == []
    assert any("<script>alert(1)</script>" in title for title in shown), shown
