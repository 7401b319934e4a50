"""The search stage without a browser: what Pagefind indexes (paper pages only, each with its
filters and a date sort value), the search page and header form, the `npx` fallback, search
switched off with a reason, and a byte-reproducible bundle. Browser behaviour is in
test_search_browser.py.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import cbor2
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from generator import search
from generator.build import BuildReport
from generator.cli import main
from generator.search_bundle import bundle_problem, stabilise_bundle
from tests.conftest import (
    FIXTURES,
    REPO,
    build_pinned,
    describe_tree_diff,
    site_tree,
    snapshot_project,
)

SMALL = FIXTURES / "small"


def unpack(path: Path) -> bytes:
    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(b"pagefind_dcd"), path
    return raw[len(b"pagefind_dcd"):]


def fragments(site: Path) -> list[dict[str, Any]]:
    """Every search record of a built site, as Pagefind stored it."""
    return [json.loads(unpack(f)) for f in sorted((site / "pagefind/fragment").iterdir())]


def meta(site: Path) -> list[Any]:
    (language,) = json.loads((site / "pagefind/pagefind-entry.json").read_text())["languages"
                                                                                  ].values()
    return cbor2.loads(unpack(site / f"pagefind/pagefind.{language['hash']}.pf_meta"))


def papers_json(site: Path) -> list[dict[str, Any]]:
    return json.loads((site / "papers.json").read_text(encoding="utf-8"))


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture
def no_indexer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with neither Pagefind's Python package nor Node."""
    monkeypatch.setattr(search, "_python_pagefind", lambda: None)
    monkeypatch.setattr(search, "_npx", lambda: None)


# What is indexed ---------------------------------------------------------------------------

def test_every_paper_is_one_record_and_nothing_else_is(default_site: tuple[Path, BuildReport]
                                                       ) -> None:
    site, report = default_site
    papers = papers_json(site)
    urls = [f["url"] for f in fragments(site)]
    assert sorted(urls) == sorted(f"/papers/{p['slug']}/" for p in papers)
    assert report.search is not None and report.search.records == len(papers) == 365


def test_records_carry_title_and_filters_from_the_paper(default_site: tuple[Path, BuildReport]
                                                        ) -> None:
    site, _ = default_site
    by_url = {f["url"]: f for f in fragments(site)}
    for paper in papers_json(site):
        record = by_url[f"/papers/{paper['slug']}/"]
        filters = record["filters"]
        assert sorted(filters["listing"]) == sorted({s["listing"] for s in paper["sources"]})
        assert filters.get("venue", []) == ([paper["venue"]] if paper["venue"] else [])
        assert filters.get("year", []) == ([paper["date"][:4]] if paper["date"] else [])
        assert sorted(filters.get("topic", [])) == sorted(paper["topics"])
        assert sorted(filters.get("tag", [])) == sorted(paper["tags"])
        if not paper["title_missing"]:
            assert record["meta"]["title"] == paper["title"]


def test_every_record_has_a_date_sort_value_undated_ones_too(
        default_site: tuple[Path, BuildReport]) -> None:
    site, _ = default_site
    pages, sorts = meta(site)[1], dict(meta(site)[4])
    assert sorts.keys() == {"date"}
    assert sorted(sorts["date"]) == list(range(len(pages)))
    assert any(p["date"] is None for p in papers_json(site))  # the case that matters


def test_only_paper_pages_are_marked_as_records(default_site: tuple[Path, BuildReport]) -> None:
    site, _ = default_site
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        if rel.startswith("pagefind/"):
            continue
        bodies = soup(page).select("[data-pagefind-body]")
        if rel.startswith("papers/"):
            assert len(bodies) == 1, rel
            assert bodies[0]["data-pagefind-sort"].startswith("date:"), rel
            assert bodies[0].h1["data-pagefind-weight"] == "10", rel
        else:
            assert bodies == [], rel


def test_filter_values_are_written_sorted(default_site: tuple[Path, BuildReport]) -> None:
    site, _ = default_site
    for path in sorted((site / "pagefind/filter").iterdir()):
        name, values = cbor2.loads(unpack(path))
        assert [v for v, _ in values] == sorted(v for v, _ in values), name


def test_an_untrusted_venue_stays_one_exact_filter_value(project: Any, tmp_path: Path) -> None:
    venue = 'Workshop on A, B: C & "D" <i>x</i>'
    entries = "".join(
        f"A Paper With A Hostile Venue, Part {n}\n\n{venue}\n\n"
        f"We study venues whose names hold commas, colons and markup, part {n}, and show that "
        "a static site generator must keep such a name as one filter value, unchanged.\n\n"
        for n in ("One", "Two", "Three"))
    root = project({"content/listings/talks.txt":
                    "Goto\n\nCollaborating Authors\n\n Talks\n\n\n" + entries})
    report = build_pinned(root, tmp_path / "site")
    assert report.papers == 3 and report.search is not None and report.search.records == 3
    # One value, commas and colons kept; `<`, `>`, `&` become look-alikes, because Pagefind's
    # UI shows filter values as HTML (see render.pagefind_value and tests/test_hostile_browser).
    shown = 'Workshop on A, B: C \uff06 "D" \u2039i\u203ax\u2039/i\u203a'
    assert [r["filters"]["venue"] for r in fragments(tmp_path / "site")] == [[shown]] * 3


# Pages -----------------------------------------------------------------------------------------

def test_every_page_has_a_plain_get_search_form(default_site: tuple[Path, BuildReport]) -> None:
    site, _ = default_site
    pages = [p for p in sorted(site.rglob("*.html")) if "pagefind" not in p.parts]
    assert len(pages) > 365
    for page in pages:
        form = soup(page).select_one("header form.site-search")
        assert form is not None, page
        assert (form["action"], form["method"]) == ("/search/", "get"), page
        assert form.select_one("input[name=q]") is not None, page


def test_search_page_points_at_the_bundle_under_the_base_url(tmp_path: Path) -> None:
    report = build_pinned(SMALL, tmp_path / "site", base_url="/my-review/")
    page = soup(tmp_path / "site/search/index.html")
    ui = page.select_one("#search")
    assert ui["data-bundle"] == "/my-review/pagefind/"
    assert ui["data-base-url"] == "/my-review/"
    assert page.select_one("header form.site-search")["action"] == "/my-review/search/"
    assert page.select_one('link[href="/my-review/pagefind/pagefind-ui.css"]') is not None
    assert report.search is not None and report.search.enabled
    assert (tmp_path / "site/pagefind/pagefind-ui.js").is_file()


# When search is off ------------------------------------------------------------------------------

def test_without_any_indexer_the_build_succeeds_and_says_why(no_indexer: None,
                                                             tmp_path: Path) -> None:
    report = build_pinned(SMALL, tmp_path / "site")
    assert report.search is not None and not report.search.enabled
    assert "pagefind[bin]" in report.search.off_reason and "npx" in report.search.off_reason
    assert not (tmp_path / "site/pagefind").exists()
    notice = soup(tmp_path / "site/search/index.html").select_one("#search-off").get_text()
    assert "Search is off" in notice and "pagefind[bin]" in notice
    assert soup(tmp_path / "site/search/index.html").select_one("#search") is None


def _copy(tmp_path: Path) -> Path:
    """The small fixture copied: the CLI keeps its cache in the project (never in tests/)."""
    return snapshot_project(SMALL, tmp_path / "project")


def test_cli_says_search_is_off_and_why(no_indexer: None, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "-C", str(_copy(tmp_path)), "-o",
                                       str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "Search is off: Pagefind is not installed (pip install 'pagefind[bin]')" in \
        " ".join(result.output.split())


def test_no_search_flag_skips_the_index(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "-C", str(_copy(tmp_path)), "-o",
                                       str(tmp_path / "s"), "--no-search"])
    assert result.exit_code == 0, result.output
    assert "Search is off: disabled with --no-search" in result.output
    assert not (tmp_path / "s/pagefind").exists()
    assert "disabled with --no-search" in (tmp_path / "s/search/index.html").read_text()


def test_cli_reports_the_index_separately(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "-C", str(_copy(tmp_path)), "-o",
                                       str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    papers = len(papers_json(tmp_path / "s"))
    assert f"Search index: {papers} papers" in result.output
    assert "search index" in result.output  # the stage time in the timing line


def test_an_indexer_that_crashes_turns_search_off(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    async def crash(site: Path, bundle: Path) -> None:
        bundle.mkdir()
        (bundle / "half-written.js").write_text("x")
        raise RuntimeError("pagefind service died")

    monkeypatch.setattr(search, "_index_with_python", crash)
    report = build_pinned(SMALL, tmp_path / "site")
    assert report.search is not None and report.search.off_reason is not None
    assert "pagefind service died" in report.search.off_reason
    assert not (tmp_path / "site/pagefind").exists()
    assert (tmp_path / "site/index.html").is_file()


# The npx fallback ------------------------------------------------------------------------------

def fake_node(bin_dir: Path, npx_script: str) -> None:
    """Put a `node` and an `npx` (a shell script) first on PATH."""
    bin_dir.mkdir()
    for name, text in (("node", "#!/bin/sh\nexit 0\n"), ("npx", npx_script)):
        path = bin_dir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_without_the_python_package_npx_pagefind_indexes(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from pagefind.service import get_executable

    real = get_executable()
    log = tmp_path / "npx-args"
    # Stands in for `npx --yes pagefind@1 ARGS`: records ARGS and runs the real Pagefind CLI.
    fake_node(tmp_path / "bin", f'#!/bin/sh\necho "$@" > "{log}"\nshift 2\nexec "{real}" "$@"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(search, "_python_pagefind", lambda: None)
    report = build_pinned(SMALL, tmp_path / "site")
    assert report.search is not None and report.search.backend == "npx", report.search
    assert report.search.enabled and report.search.records == len(papers_json(tmp_path / "site"))
    args = log.read_text().split()
    assert args[:2] == ["--yes", "pagefind@1"] and "papers/*/index.html" in args
    assert report.search.reproducible


def test_a_failing_npx_turns_search_off_with_its_message(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    fake_node(tmp_path / "bin", "#!/bin/sh\necho 'npm error network ENOTFOUND' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(search, "_python_pagefind", lambda: None)
    report = build_pinned(SMALL, tmp_path / "site")
    assert report.search is not None and report.search.off_reason is not None
    assert "exited with 1" in report.search.off_reason
    assert "ENOTFOUND" in report.search.off_reason
    assert (tmp_path / "site/search/index.html").is_file()


# A reproducible, complete bundle ---------------------------------------------------------------

def test_the_index_is_byte_identical_across_builds(default_site: tuple[Path, BuildReport],
                                                   tmp_path: Path) -> None:
    first, report = default_site
    again = build_pinned(REPO, tmp_path / "site")
    assert report.search is not None and report.search.reproducible
    assert again.search is not None and again.search.reproducible
    expected = {k: v for k, v in site_tree(first).items() if k.startswith("pagefind/")}
    actual = {k: v for k, v in site_tree(tmp_path / "site").items() if k.startswith("pagefind/")}
    assert len(expected) > 300
    assert describe_tree_diff(expected, actual) == ""


def test_an_unknown_bundle_layout_is_left_as_written(default_site: tuple[Path, BuildReport],
                                                     tmp_path: Path) -> None:
    bundle = tmp_path / "pagefind"
    shutil.copytree(default_site[0] / "pagefind", bundle)
    (meta_file,) = bundle.glob("*.pf_meta")
    meta_file.write_bytes(gzip.compress(b"pagefind_dcd" + cbor2.dumps({"a": "new layout"})))
    before = site_tree(bundle)
    assert stabilise_bundle(bundle) is False
    assert site_tree(bundle) == before


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_an_incomplete_bundle_is_noticed(default_site: tuple[Path, BuildReport],
                                         tmp_path: Path, damage: str) -> None:
    bundle = tmp_path / "pagefind"
    shutil.copytree(default_site[0] / "pagefind", bundle)
    assert bundle_problem(bundle) is None
    if damage == "empty":
        (bundle / "pagefind-entry.json").write_bytes(b"")
    else:
        (meta_file,) = bundle.glob("*.pf_meta")
        meta_file.write_bytes(meta_file.read_bytes()[:-20])
    assert bundle_problem(bundle) is not None
