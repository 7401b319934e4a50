"""The theme without a browser: charts, the collection map, paper facts (links, BibTeX,
previous/next), the page chrome (meta and OpenGraph tags, favicon, skip link, toggle) and the
GitHub Pages workflow. Real data: the default site built from the sample listings, and papers
of the arXiv corpus for the map. The browser tests are in `test_browser_theme.py`.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from bs4 import BeautifulSoup
from jinja2 import UndefinedError
from markupsafe import Markup

from generator.charts import Bar, bar_chart, bucket_dates, column_chart, shorten
from generator.facts import arxiv_id, bibtex, human_date, paper_links, topic_neighbours
from generator.library import Library
from generator.model import Paper, SourceRef, paper_id, title_key
from generator.papermap import MAP_LIMIT, collection_map, map_points, sample_papers
from tests.conftest import FIXTURES, REPO, build_pinned, write_project

CORPUS = REPO.parent / "shared" / "data" / "arxiv-cs-75k.jsonl.gz"
WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"


def _soup(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def _arxiv_papers(n: int) -> list[Paper]:
    """The first `n` corpus records as Papers: topic = first arXiv category, link = abs page."""
    if not CORPUS.exists():
        pytest.skip(f"the arXiv corpus is not at {CORPUS}")
    papers: list[Paper] = []
    seen: set[str] = set()
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for row in fh:
            if len(papers) >= n:
                break
            rec = json.loads(row)
            title = " ".join(rec["title"].split())
            cats = rec["categories"]  # a list, or a Python-list string in some records
            category = cats[0] if isinstance(cats, list) else re.findall(r"'([^']+)'", cats)[0]
            pid = paper_id(title_key(title))
            if pid in seen:  # the corpus lists a few titles twice
                continue
            seen.add(pid)
            papers.append(Paper(title=title, abstract=" ".join(rec["summary"].split()),
                                sources=(SourceRef("arxiv.txt", len(papers) + 1),), id=pid,
                                slug=f"p-{pid}", date=rec["listing_date"],
                                links=(rec["abs"],), topics=(category,)))
    return papers


# Charts ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("dates", "unit", "expected"), [
    pytest.param(["2025-01-05", "2025-03-30", None, "2025-03-01"], "month",
                 [("2025-01", 1), ("2025-02", 0), ("2025-03", 2)], id="months-with-gap"),
    pytest.param(["2019-06-01", "2025-01-01", "2025-02-01"], "year",
                 [("2019", 1), ("2020", 0), ("2021", 0), ("2022", 0), ("2023", 0),
                  ("2024", 0), ("2025", 2)], id="long-span-by-year"),
    pytest.param([None, "not a date"], "month", [], id="nothing-dated"),
])
def test_bucket_dates(dates, unit, expected) -> None:
    assert bucket_dates(dates) == (unit, expected)


def test_bar_chart_escapes_labels_and_scales_bars() -> None:
    bars = [Bar("<script>alert(1)</script>", 10, "/tags/x/"), Bar('Fish & "chips"', 5, None)]
    html = bar_chart(bars, chart_id="c", caption="Caption <b>")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find("script") is None and soup.find("b") is None
    assert "<script>alert(1)</script>" in soup.get_text()
    widths = [r["width"] for r in soup.select("rect.chart-bar")]
    assert widths == ["84%", "42%"]
    assert [a["href"] for a in soup.select("svg a")] == ["/tags/x/"]
    assert soup.select_one("svg")["aria-labelledby"] == "c-caption"
    assert [li.get_text(" ", strip=True) for li in soup.select("details li")] == [
        "<script>alert(1)</script> 10", 'Fish & "chips" 5']
    assert not soup.select("[style]")


def test_column_chart_titles_each_column_and_has_a_table() -> None:
    html = column_chart("month", [("2025-11", 3), ("2025-12", 0), ("2026-01", 6)],
                        chart_id="t", caption="Papers per month")
    soup = BeautifulSoup(html, "html.parser")
    assert [t.get_text() for t in soup.select("rect title")] == [
        "Nov 2025: 3 papers", "Dec 2025: 0 papers", "Jan 2026: 6 papers"]
    assert soup.select_one("svg")["role"] == "img"
    assert [tuple(td.get_text() for td in tr.find_all(["th", "td"]))
            for tr in soup.select("tbody tr")] == [("Nov 2025", "3"), ("Dec 2025", "0"),
                                                  ("Jan 2026", "6")]
    assert column_chart("month", [], chart_id="e", caption="x") == Markup("")


def test_shorten_cuts_at_a_word() -> None:
    assert shorten("Regularization, sparsity and efficiency", 20) == "Regularization…"
    assert shorten("short", 20) == "short"


# The map -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def arxiv_papers() -> list[Paper]:
    return _arxiv_papers(20_000)


def test_sample_keeps_every_topic_and_the_limit(arxiv_papers) -> None:
    sample = sample_papers(arxiv_papers, MAP_LIMIT)
    assert len(sample) == MAP_LIMIT
    assert {p.topics[0] for p in sample} == {p.topics[0] for p in arxiv_papers}
    assert sample == sorted(sample, key=lambda p: p.id)
    assert sample_papers(arxiv_papers[:50], MAP_LIMIT) == sorted(arxiv_papers[:50],
                                                                 key=lambda p: p.id)


def test_map_places_papers_of_one_category_together(arxiv_papers) -> None:
    """Each point's ten nearest points on the map share its main arXiv category (the authors'
    label, which we never see) far more often than chance."""
    points, groups = map_points(arxiv_papers[:3000], limit=800)
    xy = np.array([(p.x, p.y) for p in points])
    cats = np.array([p.paper.topics[0] for p in points])
    dist = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=-1)
    np.fill_diagonal(dist, np.inf)
    nearest = np.argsort(dist, axis=1)[:, :10]
    agreement = float((cats[nearest] == cats[:, None]).mean())
    _, counts = np.unique(cats, return_counts=True)
    chance = float(((counts / counts.sum()) ** 2).sum())
    assert agreement > chance + 0.1, (agreement, chance)  # measured: 0.54 against 0.36
    assert [n for n, _ in groups][:2] == ["cs.CV", "cs.CL"]


def test_map_of_twenty_thousand_papers_stays_light_and_reproducible(arxiv_papers) -> None:
    library = Library.build(arxiv_papers)
    url = lambda path="": "/review/" + path  # noqa: E731
    html = collection_map(library, url)
    soup = BeautifulSoup(html, "html.parser")
    links = soup.select("svg a")
    assert len(links) == MAP_LIMIT
    assert len(html.encode()) < 450_000
    assert all(a["href"].startswith("/review/papers/p-") and a.title.get_text() for a in links)
    assert "1,200 of the 20,000 papers" in soup.figcaption.get_text()
    assert collection_map(library, url) == html


def test_map_has_a_legend_of_topic_links(default_site) -> None:
    site = default_site[0]
    soup = _soup(site, "map/index.html")
    legend = soup.select("#map-legend li a")
    assert legend and all((site / a["href"].lstrip("/") / "index.html").is_file()
                          for a in legend)
    points = soup.select("svg.map a")
    papers = json.loads((site / "papers.json").read_text(encoding="utf-8"))
    assert len(points) == len(papers)
    assert {a["href"] for a in points} == {f"/papers/{p['slug']}/" for p in papers}


# Paper facts -------------------------------------------------------------------------------

def test_links_are_named_and_arxiv_comes_first(arxiv_papers) -> None:
    paper = arxiv_papers[0]
    both = Paper(**{**paper.__dict__, "links": ("https://github.com/org/repo", paper.links[0])})
    links = paper_links(both)
    assert [link.kind for link in links] == ["arxiv", "pdf", "code"]
    assert links[0].label == f"arXiv:{arxiv_id(paper)}" and arxiv_id(paper) == "2503.11731"
    assert links[2].label == "Code on GitHub (org/repo)"
    assert links[1].url == "https://arxiv.org/pdf/2503.11731"


def test_bibtex_from_what_is_known(arxiv_papers, default_site) -> None:
    entry = bibtex(arxiv_papers[0], arxiv_papers[0].title)
    assert entry.startswith("@misc{industrial2025")
    fields = dict(re.findall(r"^  (\w+)\s+= (.*?),?$", entry, re.M))
    assert fields["eprint"] == "{2503.11731}" and fields["archiveprefix"] == "{arXiv}"
    assert fields["year"] == "2025" and fields["month"] == "mar"
    assert fields["url"] == "{https://arxiv.org/abs/2503.11731}"
    assert "author" not in fields
    records = json.loads((default_site[0] / "papers.json").read_text(encoding="utf-8"))
    neurips = next(r for r in records if r["venue"])
    soup = _soup(default_site[0], f"papers/{neurips['slug']}/index.html")
    text = soup.select_one("pre#bibtex").get_text()
    assert text.startswith("@inproceedings{") and "booktitle" in text
    assert text.count("{") == text.count("}")


def test_bibtex_escapes_latex_specials() -> None:
    paper = Paper(title="100% of R&D_{x} #1 ~ok^", abstract="", sources=(), id="abcd1234")
    entry = bibtex(paper, paper.title)
    assert r"100\% of R\&D\_\{x\} \#1 \textasciitilde{}ok\textasciicircum{}" in entry
    assert entry.startswith("@misc{100abcd,\n")


def test_human_date() -> None:
    assert human_date("2026-05-05") == "5 May 2026"
    assert human_date(None) == "" and human_date("2026") == "2026"


def test_previous_and_next_follow_the_topic_order(default_site) -> None:
    site = default_site[0]
    topic = _soup(site, "topics/interpretability-and-explainability/index.html")
    order = [a["href"] for a in topic.select("ol.paper-list .paper-link")]
    assert len(order) >= 3
    paper = _soup(site, order[1].lstrip("/") + "index.html")
    nav = paper.find("nav", attrs={"aria-label": "Previous and next in topic"})
    row = next(li for li in nav.select("li")
               if li.select_one(".in-topic a")["href"] == "/topics/interpretability-and"
                                                           "-explainability/")
    assert row.select_one("a.newer")["href"] == order[0]
    assert row.select_one("a.older")["href"] == order[2]


def test_topic_neighbours_on_a_library(arxiv_papers) -> None:
    library = Library.build(arxiv_papers[:200])
    paper = library.papers[0]
    (hood,) = topic_neighbours(library, paper)
    ids = hood.topic.paper_ids
    at = ids.index(paper.id)
    assert (hood.newer.id if hood.newer else None) == (ids[at - 1] if at else None)
    assert (hood.older.id if hood.older else None) == (ids[at + 1] if at + 1 < len(ids)
                                                      else None)


# Page chrome -------------------------------------------------------------------------------

def test_every_page_has_meta_opengraph_favicon_skip_link_and_toggle(default_site) -> None:
    site = default_site[0]
    pages = sorted(p for p in site.rglob("*.html") if not p.relative_to(site).parts[0]
                   == "pagefind")
    assert len(pages) > 300
    for path in pages[::7]:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        rel = path.relative_to(site).as_posix()
        meta = {m.get("property") or m.get("name"): m.get("content") for m in soup.find_all("meta")}
        assert meta["description"] and meta["og:title"] and meta["og:description"], rel
        assert meta["og:type"] == ("article" if rel.startswith("papers/") else "website"), rel
        assert soup.find("link", rel="icon")["href"] == "/assets/favicon.svg"
        skip = soup.select_one("a.skip-link")
        assert skip["href"] == "#main" and soup.find(id="main") is not None, rel
        toggle = soup.select_one("button.theme-toggle")
        assert toggle["aria-pressed"] == "false" and toggle.get_text(strip=True) == "Dark theme"
    for asset in ("favicon.svg", "theme.js", "style.css"):
        assert (site / "assets" / asset).stat().st_size > 200


def test_paper_page_og_title_is_the_paper_title(default_site) -> None:
    site = default_site[0]
    records = json.loads((site / "papers.json").read_text(encoding="utf-8"))
    paper = next(r for r in records if not r["title_missing"])
    soup = _soup(site, f"papers/{paper['slug']}/index.html")
    assert soup.find("meta", property="og:title")["content"] == paper["title"]


def test_home_page_charts_link_to_topics(default_site) -> None:
    site = default_site[0]
    soup = _soup(site, "index.html")
    bars = soup.select("#chart-topics svg a")
    assert 1 < len(bars) <= 12
    counts = [int(a.select_one(".chart-value").get_text().replace(",", "")) for a in bars]
    assert counts == sorted(counts, reverse=True)
    for a in bars:
        assert (site / a["href"].lstrip("/") / "index.html").is_file()
    timeline = soup.select_one("#chart-timeline")
    assert timeline is not None and timeline.select("rect.chart-bar")


def test_long_term_index_has_a_letter_bar(default_site) -> None:
    soup = _soup(default_site[0], "tags/index.html")
    letters = soup.select("nav.letter-index a")
    assert len(letters) > 10
    assert all(soup.find(id=a["href"][1:]) is not None for a in letters)


def test_dark_palette_covers_every_light_variable() -> None:
    css = (REPO / "templates" / "static" / "style.css").read_text(encoding="utf-8")
    blocks = re.findall(r"(:root[^{]*)\{([^}]*)\}", css)
    light = set(re.findall(r"(--[\w-]+):", blocks[0][1]))
    colours = {v for v in light if v not in ("--measure", "--wide")}
    dark = [set(re.findall(r"(--[\w-]+):", body)) for _, body in blocks
            if "color-scheme: dark" in body]
    assert len(dark) == 2 and all(colours <= d for d in dark)


# Paper cards -------------------------------------------------------------------------------


def _card_site(tmp_path: Path, card: str) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "small", root)
    write_project(root, {"templates/_paper_card.html": card})
    return root


def test_a_project_paper_card_lists_papers_on_every_index_page(tmp_path: Path) -> None:
    """`_paper_card.html` is rendered once per paper and reused: every list of papers (home,
    term pages of every kind, all their pages) shows the project's own card, for the right
    papers."""
    root = _card_site(tmp_path, '<li class="my-card" data-slug="{{ paper.slug }}">'
                                "{{ paper | display_title }}</li>\n")
    out = tmp_path / "site"
    build_pinned(root, out, search_index=False)
    records = json.loads((out / "papers.json").read_text(encoding="utf-8"))
    for kind, field in (("topics", "topics"), ("tags", "tags"), ("listings", "listings")):
        terms = {name for r in records for name in r.get(field) or []}
        for folder in sorted(p for p in (out / kind).iterdir() if p.is_dir()):
            pages = sorted(folder.rglob("index.html"))
            cards = [li for page in pages for li in _soup(out, page.relative_to(out).as_posix())
                     .select("ol.paper-list > li")]
            assert cards and all(li.get("class") == ["my-card"] for li in cards), folder
            name = _soup(out, f"{kind}/{folder.name}/index.html").h1.get_text()
            expected = {r["slug"] for r in records if name in (r.get(field) or [])}
            if name in terms:  # (a tag of one paper has no page)
                assert {li["data-slug"] for li in cards} == expected, folder
    assert _soup(out, "index.html").select("ol.paper-list > li.my-card")


def test_a_paper_card_cannot_depend_on_the_page(tmp_path: Path) -> None:
    """The card is the same on every page, so it does not see the page's variables: a card
    using one fails the build with an error naming it."""
    root = _card_site(tmp_path, '<li>{{ paper.slug }} on {{ page_path }}</li>\n')
    with pytest.raises(UndefinedError, match="page_path"):
        build_pinned(root, tmp_path / "site", search_index=False)


# GitHub Pages ------------------------------------------------------------------------------

def test_pages_workflow_builds_and_deploys_with_the_official_actions() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert "push" in flow[True] and flow["permissions"] == {
        "contents": "read", "pages": "write", "id-token": "write"}
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    uses = [s.get("uses", "") for s in build["steps"]]
    assert any(u.startswith("actions/configure-pages@") for u in uses)
    upload = next(s for s in build["steps"]
                  if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    script = "\n".join(s.get("run", "") for s in build["steps"])
    assert "litreview build" in script and '--base-url "$BASE_URL"' in script
    assert "github.event.repository.name" in WORKFLOW.read_text(encoding="utf-8")
