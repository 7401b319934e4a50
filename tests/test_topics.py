"""Topics: the taxonomy file (checked, with located errors) and topic assignment and pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator.build import BuildReport
from generator.enrich.taxonomy import OTHER, builtin_taxonomy_path, load_taxonomy, parse_taxonomy
from generator.enrich.topics import keyword_pattern
from generator.errors import ContentError

from .conftest import REPO

GOOD = """\
topics:
  Vision:
    description: Seeing machines.
    keywords: [image, vision transformer]
    patterns: ['\\bViT\\b']
aliases:
  large language models: [LLM, LLMs]
never_tags: [proposed method]
"""


def _papers(default_site: tuple[Path, BuildReport]) -> list[dict]:
    return json.loads((default_site[0] / "papers.json").read_text(encoding="utf-8"))


def test_taxonomy_parses_topics_aliases_and_never_tags() -> None:
    taxonomy = parse_taxonomy(GOOD, "content/taxonomy.yaml")
    assert [t.name for t in taxonomy.topics] == ["Vision"]
    assert taxonomy.topics[0].keywords == ("image", "vision transformer")
    assert taxonomy.topics[0].patterns[0].search("a ViT model")
    assert ("LLMs", "large language models") in taxonomy.aliases
    assert taxonomy.never_tags == ("proposed method",)
    assert taxonomy.description(OTHER).startswith("Papers that match none")


@pytest.mark.parametrize("text, line, words", [
    pytest.param(GOOD.replace("never_tags", "never_tag"), 8, "did you mean 'never_tags'",
                 id="unknown-top-key"),
    pytest.param(GOOD.replace("    keywords:", "    keyword:"), 4, "did you mean 'keywords'",
                 id="unknown-topic-key"),
    pytest.param(GOOD.replace("'\\bViT\\b'", "'(ViT'"), 5, "bad regular expression '(ViT'",
                 id="bad-regex"),
    pytest.param(GOOD.replace("    description: Seeing machines.\n", ""), 2, "needs a description",
                 id="no-description"),
    pytest.param(GOOD.replace("  Vision:", "  Other:"), 2, "reserved", id="reserved-other"),
    pytest.param(GOOD.replace("[image, vision transformer]", "{a: b}"), 4, "list of strings",
                 id="keywords-not-a-list"),
    pytest.param(GOOD.replace("    keywords: [image, vision transformer]\n", "")
                 .replace("    patterns: ['\\bViT\\b']\n", ""), 2, "needs keywords",
                 id="no-keywords"),
    pytest.param("topics:\n  A: [\n", 3, "invalid YAML", id="yaml-syntax"),
])
def test_taxonomy_mistakes_name_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ContentError) as caught:
        parse_taxonomy(text, "content/taxonomy.yaml")
    assert caught.value.path == "content/taxonomy.yaml"
    assert caught.value.line == line, caught.value
    assert words in caught.value.message


def test_bad_taxonomy_fails_the_build_with_its_location(project, tmp_path: Path) -> None:
    from .conftest import build_pinned

    root = project({"content/listings/a.txt": (REPO / "content/listings/neurips-epoch.txt")
                    .read_text(encoding="utf-8"),
                    "content/taxonomy.yaml": GOOD.replace("'\\bViT\\b'", "'[unclosed'")})
    with pytest.raises(ContentError, match=r"content/taxonomy.yaml:5: bad regular expression"):
        build_pinned(root, tmp_path / "site")


def test_builtin_taxonomy_is_the_shipped_project_taxonomy() -> None:
    """The default for projects without a taxonomy is the file the sample project ships."""
    shipped = REPO / "content" / "taxonomy.yaml"
    assert builtin_taxonomy_path().read_bytes() == shipped.read_bytes()
    assert len(load_taxonomy(REPO).topics) >= 12


@pytest.mark.parametrize("keyword, text, hit", [
    pytest.param("sparse autoencoder", "Sparse-Autoencoders work", True, id="case-hyphen-plural"),
    pytest.param("graph", "a paragraph", False, id="word-bounded"),
    pytest.param("click-through rate", "click through rates", True, id="space-for-hyphen"),
])
def test_keyword_patterns(keyword: str, text: str, hit: bool) -> None:
    import re

    assert bool(re.search(keyword_pattern(keyword), text, re.IGNORECASE)) is hit


@pytest.mark.parametrize("patterns", [
    pytest.param([r"\bgraphs?\b", r"transformers?", None, r"\bX[\s\-]*ray"], id="plain"),
    pytest.param([r"(\w+) \1\b", r"(?P<w>neural)"], id="backreference"),
    pytest.param([r"(?P<w>graph)", r"(?P<w>neural)"], id="same-group-name"),
])
def test_regex_scores_count_every_topic_hit(patterns: list[str | None]) -> None:
    """The one-search prefilter skips texts no pattern matches and changes no count."""
    import re

    from generator.enrich.topics import TITLE_HITS, _regex_scores

    from .test_related import sample_papers

    papers = sample_papers()
    compiled = [re.compile(p, re.IGNORECASE) if p else None for p in patterns]
    scores = _regex_scores(papers, compiled)
    for row, paper in enumerate(papers):
        for t, pattern in enumerate(compiled):
            title = "" if paper.title_missing else paper.title
            expected = 0 if pattern is None else (TITLE_HITS * len(pattern.findall(title))
                                                  + len(pattern.findall(paper.abstract)))
            assert scores[row, t] == expected
    assert scores.sum() > 0


def test_every_sample_paper_has_a_topic_and_few_are_other(default_site) -> None:
    papers = _papers(default_site)
    assert all(p["topics"] for p in papers)
    other = [p for p in papers if p["topics"] == [OTHER]]
    assert default_site[1].unplaced == len(other)
    assert len(other) <= 0.05 * len(papers), [p["title"] for p in other]
    assert all(len(p["topics"]) <= 3 for p in papers)


@pytest.mark.parametrize("words, topic", [
    pytest.param("sparse autoencoder", "Interpretability and explainability", id="sae"),
    pytest.param("interpretab", "Interpretability and explainability", id="interpretability"),
    pytest.param("click-through rate", "Recommender systems and CTR prediction", id="ctr"),
    pytest.param("fmri", "Neuroscience and brain imaging", id="fmri"),
    pytest.param("information bottleneck", "Information theory and compression", id="ib"),
])
def test_papers_about_a_subject_land_in_its_topic(default_site, words: str, topic: str) -> None:
    papers = [p for p in _papers(default_site) if words in p["title"].lower()]
    assert papers, words
    inside = [p for p in papers if topic in p["topics"]]
    assert len(inside) >= 0.8 * len(papers), [(p["title"], p["topics"]) for p in papers]


def test_listing_topic_lines_stay_source_labels(default_site) -> None:
    papers = _papers(default_site)
    labelled = [p for p in papers if "Statistical Learning" in p["source_topics"]]
    assert len(labelled) == 10
    assert not any("Statistical Learning" in p["topics"] for p in papers)


def test_topic_page_shows_description_count_tags_neighbours_and_dated_papers(default_site):
    site = default_site[0]
    page = BeautifulSoup((site / "topics/interpretability-and-explainability/index.html")
                         .read_text(encoding="utf-8"), "html.parser")
    text = page.get_text(" ", strip=True)
    assert "Understanding what models compute" in text
    assert "Most frequent tags" in text and "Neighbouring topics" in text
    headings = {h.get_text(strip=True): h for h in page.find_all("h2")}
    tags = headings["Most frequent tags"].find_next("ul").find_all("li")
    counts = [int(li.find(class_="count").get_text()) for li in tags]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 3
    assert all(li.a["href"].startswith("/tags/") for li in tags)
    neighbours = headings["Neighbouring topics"].find_next("ul").find_all("a")
    assert any(a.get_text() == "Language models and NLP" for a in neighbours)
    dates = [t["datetime"] for t in page.select("ol.paper-list time")]
    assert dates and dates == sorted(dates, reverse=True)
