"""Review pages and wiki-links: resolution and errors, bibliography, backlinks, the reviews
index and home page, the shipped example, and the Markdown helpers they rest on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.errors import ContentError
from generator.markup import (
    MarkdownRefused,
    find_wikilinks,
    markdown_link,
    render_markdown,
    tex_to_text,
)
from generator.reviews import parse_review

from .conftest import build_pinned
from .test_notes import K_SPARSE, LOTTERY, SECOND_ME, UNTITLED, listings_project

FIXED_SLUG = "a-fixed-title"
REVIEW = f"""---
title: "Sparse <b>networks</b> & friends"
description: A short tour.
date: 2025-02-01
---

## Tour

Start with [[{LOTTERY}]], then [[{K_SPARSE}|the k-sparse
autoencoder]], then [[Axiomatic Attribution for Deep Networks]] and
[[AXIOMATIC attribution, for deep networks!]] (the same paper again, by title). The paper
renamed by a note is still found by its old address: [[{UNTITLED}]]. A hidden paper is text:
[[{SECOND_ME}|Second Me]]. Not links: `[[{LOTTERY}]]` and \\[[escaped]].
"""
NOTES = {
    "content/notes/fix.md": f"---\npaper: {UNTITLED}\ntitle: A Fixed Title\n---\n",
    "content/notes/hide.md": f"---\npaper: {SECOND_ME}\nhide: true\n---\n",
    "content/notes/k.md": f"---\npaper: {K_SPARSE}\n---\nBuilds on [[{LOTTERY}]].\n",
}


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    root = listings_project(tmp_path_factory.mktemp("reviews") / "project",
                            {**NOTES, "content/reviews/sparse-tour.md": REVIEW})
    site = root.parent / "site"
    return root, site, build_pinned(root, site, search_index=False)


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def test_review_page_links_every_kind_of_wiki_link(reviewed) -> None:
    _, site, report = reviewed
    body = soup(site / "reviews" / "sparse-tour" / "index.html").select_one(".review-body")
    hrefs = [a["href"] for a in body.find_all("a")]
    assert hrefs == [f"/papers/{LOTTERY}/", f"/papers/{K_SPARSE}/",
                     "/papers/axiomatic-attribution-for-deep-networks/",
                     "/papers/axiomatic-attribution-for-deep-networks/",
                     f"/papers/{FIXED_SLUG}/"]
    assert body.find("a", href=f"/papers/{K_SPARSE}/").get_text() == "the k-sparse autoencoder"
    assert body.h2.get_text() == "Tour"
    text = body.get_text()
    assert "Second Me" in text and f"[[{LOTTERY}]]" in text and "[[escaped]]" in text
    [hidden] = [i for i in report.issues if i.kind == "hidden link"]
    assert (hidden.path, hidden.line, hidden.error) == ("content/reviews/sparse-tour.md", 13, False)


def test_bibliography_lists_cited_papers_once_in_citation_order(reviewed) -> None:
    _, site, _ = reviewed
    page = soup(site / "reviews" / "sparse-tour" / "index.html")
    cited = [a["href"] for a in page.select("#bibliography a.paper-link")]
    assert cited == [f"/papers/{LOTTERY}/", f"/papers/{K_SPARSE}/",
                     "/papers/axiomatic-attribution-for-deep-networks/", f"/papers/{FIXED_SLUG}/"]
    assert page.h1.get_text() == "Sparse <b>networks</b> & friends", "titles are escaped"


def test_backlinks_name_the_reviews_and_notes_citing_a_paper(reviewed) -> None:
    _, site, _ = reviewed
    items = soup(site / "papers" / LOTTERY / "index.html").select(".discussed-in li a")
    assert [(a["href"], a.get_text()) for a in items] == [
        ("/reviews/sparse-tour/", "Sparse <b>networks</b> & friends"),
        (f"/papers/{K_SPARSE}/#notes", "k-Sparse Autoencoders")]
    record = {r["slug"]: r for r in json.loads((site / "papers.json").read_text("utf-8"))}
    assert record[LOTTERY]["discussed_in"] == [
        {"kind": "review", "slug": "sparse-tour", "title": "Sparse <b>networks</b> & friends"},
        {"kind": "note", "slug": K_SPARSE, "title": "k-Sparse Autoencoders"}]
    assert record[K_SPARSE]["note"] == (f"Builds on [Stabilizing the Lottery Ticket Hypothesis]"
                                        f"(</papers/{LOTTERY}/>).")
    assert record["axiomatic-attribution-for-deep-networks"]["discussed_in"][0]["kind"] == "review"
    own = soup(site / "papers" / K_SPARSE / "index.html").select(".discussed-in a")
    assert [a["href"] for a in own] == ["/reviews/sparse-tour/"], "its own note is no backlink"


def test_reviews_are_listed_on_home_index_nav_and_sitemap(reviewed) -> None:
    _, site, _ = reviewed
    index = soup(site / "reviews" / "index.html")
    assert [a["href"] for a in index.select(".review-list a")] == ["/reviews/sparse-tour/"]
    assert "4 papers" in index.select_one(".review-list").get_text()
    home = soup(site / "index.html")
    assert home.find("a", href="/reviews/sparse-tour/") is not None
    assert home.select_one("header nav a[href='/reviews/']") is not None
    assert "/reviews/sparse-tour/" in (site / "sitemap.xml").read_text("utf-8")


def test_reviews_work_under_a_sub_path(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {"content/reviews/r.md": f"---\n---\n[[{LOTTERY}]]\n"})
    build_pinned(root, tmp_path / "site", base_url="/my-review/", search_index=False)
    page = soup(tmp_path / "site" / "reviews" / "r" / "index.html")
    assert page.select_one(".review-body a")["href"] == f"/my-review/papers/{LOTTERY}/"
    assert page.h1.get_text() == "R", "the title defaults to the file name"


def test_a_broken_wiki_link_fails_the_build_with_file_and_line(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {"content/reviews/r.md": (
        "---\ntitle: R\n---\n\nFine: [[k-sparse-autoencoders]].\n"
        "Broken: [[stabilizing-the-lottery-ticket-hypotesis]].\n")})
    with pytest.raises(ContentError) as info:
        build_pinned(root, tmp_path / "site", search_index=False)
    assert (info.value.path, info.value.line) == ("content/reviews/r.md", 6)
    assert f"closest: {LOTTERY}" in info.value.message
    assert "--allow-broken-links" in info.value.message
    assert not (tmp_path / "site").exists(), "nothing was written"


def test_allow_broken_links_builds_and_marks_the_link(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {"content/reviews/r.md": (
        "---\n---\n[[no-such-paper|a <label>]] and [[unclosed\n")})
    result = CliRunner().invoke(main, ["build", "-C", str(root), "-o", str(tmp_path / "s"),
                                       "--no-search", "--allow-broken-links"])
    assert result.exit_code == 0, result.output
    assert "content/reviews/r.md:3: wiki-link [[no-such-paper|a <label>]]" in result.output
    assert "unclosed wiki-link" in result.output
    page = soup(tmp_path / "s" / "reviews" / "r" / "index.html")
    assert page.select_one(".review-body span.broken-link").get_text() == "a <label>"
    refused = CliRunner().invoke(main, ["build", "-C", str(root), "-o", str(tmp_path / "t"),
                                        "--no-search"])
    assert refused.exit_code == 1 and "content/reviews/r.md:3" in refused.output


@pytest.mark.parametrize(("text", "line", "words"), [
    pytest.param("no front matter\n", 1, "no front matter", id="no-front-matter"),
    pytest.param("---\ntitel: x\n---\n", 2, "did you mean 'title'", id="typo"),
    pytest.param("---\ndate: 01/02/2025\n---\n", 2, "yyyy-mm-dd", id="bad-date"),
])
def test_bad_review_front_matter_is_located(text: str, line: int, words: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_review(text, "content/reviews/r.md")
    assert info.value.line == line and words in info.value.message


def test_two_reviews_with_one_address_are_an_error(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {"content/reviews/My Review.md": "---\n---\nA\n",
                                             "content/reviews/my-review.md": "---\n---\nB\n"})
    issues = [i for i in build(root, check_only=True).issues if i.kind == "duplicate review"]
    assert [(i.path, i.error) for i in issues] == [("content/reviews/my-review.md", True)]


def test_the_shipped_example_review_cites_real_papers(default_site) -> None:
    site, report = default_site
    assert not [i for i in report.issues if i.path.startswith("content/")]
    page = soup(site / "reviews" / "interpretability-reading-map" / "index.html")
    links = {a["href"] for a in page.select(".review-body a")}
    cited = [a["href"] for a in page.select("#bibliography a.paper-link")]
    assert len(cited) == len(links) >= 15 and set(cited) == links
    assert all((site / href.strip("/") / "index.html").is_file() for href in cited)
    assert page.select_one(".review-body table") is not None
    assert page.select_one(".review-body span.math") is not None


# ---------------------------------------------------------------- markup helpers


@pytest.mark.parametrize(("text", "found"), [
    pytest.param("[[a]] and [[b|B c]]", [("a", None, 1), ("b", "B c", 1)], id="plain-and-label"),
    pytest.param("x\n[[Long\ntitle|wrapped\nlabel]]", [("Long title", "wrapped label", 2)],
                 id="wrapped"),
    pytest.param("[[a\n\nb]]", [("", None, 1)], id="not-across-paragraphs"),
    pytest.param("`[[a]]` ``[[b]]`` <!-- [[c]] -->", [], id="code-and-comments"),
    pytest.param("```\n[[a]]\n```\n~~~~\n[[b]]\n~~~~\n[[c]]", [("c", None, 7)], id="fences"),
    pytest.param(r"\[[a]] [[", [("", None, 1)], id="escaped-and-unclosed"),
])
def test_find_wikilinks(text: str, found: list[tuple[str, str | None, int]]) -> None:
    assert [(w.target, w.label, w.line) for w in find_wikilinks(text)] == found


@pytest.mark.parametrize(("tex", "text"), [
    ("\\alpha^2 + \\beta_{ij}", "α2 + βij"),
    ("\\frac{1}{\\sqrt{n}} \\leq \\epsilon", "1/(√n) ≤ ε"),
    ("x \\in \\mathbb{R}^d", "x ∈ ℝd"),
    ("1/\\tau^2", "1/τ2"),
    ("\\unknown{x}", "\\unknownx"),
])
def test_math_is_shown_readably(tex: str, text: str) -> None:
    assert tex_to_text(tex) == text


@pytest.mark.parametrize("tex", ["{" * 5000, "\\frac" * 5000, "\\sqrt{" * 3000, "x^{" * 3000])
def test_math_nested_beyond_reason_is_shown_as_written(tex: str) -> None:
    """Deep formulas (an attack, or a pasted mistake) keep their source text past the nesting
    limit instead of exhausting Python's stack."""
    middle = tex[len(tex) // 2 :][:100]
    assert middle in tex_to_text(tex)


@pytest.mark.parametrize("text", [
    pytest.param("\n".join("    " * i + "- x" for i in range(1000)), id="deep-list"),
    pytest.param("[" * 100_000, id="brackets"),
    pytest.param("[a](" * 50_000, id="open-links"),
    pytest.param("[\n" * 5_000, id="one-bracket-a-line"),
])
def test_markdown_python_markdown_would_take_minutes_over_is_refused(text: str) -> None:
    with pytest.raises(MarkdownRefused):
        render_markdown(text)


def test_long_lists_and_nesting_people_write_still_render() -> None:
    assert render_markdown("\n".join("    " * i + "- x" for i in range(8))).count("<ul>") == 8
    bibliography = "\n".join(f"- [Paper {i}](/papers/p{i}/) (2024)" for i in range(3000))
    assert render_markdown(bibliography).count("<li>") == 3000
    code = "```\n" + "[(" * 5000 + "\n```"
    assert "[(" * 100 in render_markdown(code)


def test_a_note_too_deep_to_render_is_plain_text_and_a_warning(tmp_path: Path) -> None:
    """The build goes on: the note's text is shown escaped, and the warning names the note."""
    deep = "\n".join("    " * i + f"- <b>level {i}</b>" for i in range(1000))
    root = listings_project(tmp_path / "project", {
        "content/notes/deep.md": f"---\npaper: {LOTTERY}\n---\nIntro.\n\n{deep}\n",
        "content/notes/tex.md": f"---\npaper: {K_SPARSE}\n---\nSee ${'{' * 5000}$.\n"})
    report = build_pinned(root, root / "site", search_index=False)
    warned = [i for i in report.issues if i.kind == "markdown"]
    assert [(i.path, i.line, i.error) for i in warned] == [("content/notes/deep.md", 4, False)]
    notes = soup(root / "site" / "papers" / LOTTERY / "index.html").select_one("#notes")
    assert notes.find("b") is None and "<b>level 999</b>" in notes.pre.get_text()
    math = soup(root / "site" / "papers" / K_SPARSE / "index.html").select_one("#notes .math")
    assert math is not None and "{" * 100 in math.get_text()


def test_markdown_link_shows_any_title_literally() -> None:
    title = "A *b* [c] <script>x</script> $y$ & `z`"
    html = render_markdown(markdown_link(title, "/papers/p/", title='Q "quoted"'))
    a = BeautifulSoup(html, "html.parser").a
    assert (a.get_text(), a["href"], a["title"]) == (title, "/papers/p/", 'Q "quoted"')


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    "[x](javascript:alert(1))",
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<div style='position:fixed'>x</div>",
    "<form action=//evil.example><input></form>",
])
def test_sanitiser_removes_active_content(payload: str) -> None:
    html = render_markdown(f"Before.\n\n{payload}\n\nAfter.")
    parsed = BeautifulSoup(html, "html.parser")
    assert parsed.find(["script", "iframe", "style", "svg", "form", "input"]) is None
    for tag in parsed.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on") or a == "style"], tag
        assert "javascript" not in str(tag.get("href", "")), tag
    assert "Before." in html and "After." in html
