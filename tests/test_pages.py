"""Markdown pages: front matter that survives any title, round-trips, and matches papers.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from generator.library import Library
from generator.model import Paper, Related, SourceRef
from generator.pages import front_matter, markdown_to_fields, paper_to_markdown

FRONT_MATTER_KEYS = ["id", "slug", "title", "title_missing", "date", "venue", "authors_count",
                     "organization", "upvotes", "topics", "tags", "listings", "source_topics",
                     "links", "sources", "related"]


def _library(*papers: Paper) -> Library:
    return Library.build(papers)


@pytest.mark.parametrize("title", [
    pytest.param("Plain title", id="plain"),
    pytest.param("Colon: a subtitle", id="colon"),
    pytest.param("---\nbreak: out", id="front-matter-delimiter-and-newline"),
    pytest.param("'quotes' and \"double\" # hash", id="quotes-and-hash"),
    pytest.param("yes", id="yaml-boolean-word"),
    pytest.param("2024-01-02", id="yaml-date-like"),
    pytest.param("- list item", id="yaml-list-like"),
    pytest.param("{not: a mapping}", id="flow-mapping-like"),
    pytest.param("1/τ2 law and σ = 255, Θ(N)", id="unicode"),
    pytest.param("@at &anchor *alias !tag %directive", id="yaml-indicators"),
])
def test_front_matter_survives_hostile_titles(title: str) -> None:
    paper = Paper(title=title, abstract="Body with --- inside.\n\n---\nnot front matter",
                  sources=(SourceRef("a.txt", 3),), id="abc", slug="s")
    text = paper_to_markdown(paper, _library(paper))
    assert text.startswith("---\n")
    meta, body = markdown_to_fields(text)
    assert meta["title"] == title and isinstance(meta["title"], str)
    assert body == paper.abstract


def test_front_matter_has_every_field_in_order_with_null_for_missing() -> None:
    other = Paper(title="Other", abstract="", sources=(SourceRef("b.txt", 1),), id="o1",
                  slug="other")
    paper = Paper(title="T", abstract="A", id="p1", slug="t", date="2025-10-17",
                  organization="Amazon", upvotes=3, links=("https://github.com/x/y",),
                  sources=(SourceRef("a.txt", 5), SourceRef("b.txt", 9)),
                  source_topics=("Statistical Learning",),
                  related=(Related("o1", 0.51234, ("shared tag: x",)), Related("gone", 0.9)))
    meta = front_matter(paper, _library(paper, other))
    assert [k for k in meta if k in FRONT_MATTER_KEYS] == FRONT_MATTER_KEYS, "in this order"
    assert (meta["venue"], meta["authors_count"], meta["topics"]) == (None, None, [])
    assert meta["listings"] == ["a.txt", "b.txt"]
    assert meta["sources"] == [{"listing": "a.txt", "line": 5}, {"listing": "b.txt", "line": 9}]
    assert meta["related"] == [{"slug": "other", "score": 0.512, "reasons": ["shared tag: x"]}], \
        "related papers are named by slug; unknown ids are dropped"


def test_markdown_without_front_matter_is_all_body() -> None:
    assert markdown_to_fields("Just text\n") == ({}, "Just text\n")
    assert markdown_to_fields("---\nunterminated: yes\n") == ({}, "---\nunterminated: yes\n")


def test_built_markdown_pages_match_papers_json(default_site: tuple[Path, object]) -> None:
    site, _ = default_site
    records = {r["slug"]: r for r in json.loads((site / "papers.json").read_text("utf-8"))}
    pages = sorted((site / "papers").glob("*.md"))
    assert len(pages) == len(records) == 365
    for page in pages:
        meta, body = markdown_to_fields(page.read_text(encoding="utf-8"))
        record = records[page.stem]
        assert meta["slug"] == page.stem
        assert {k: meta[k] for k in ("id", "title", "date", "venue", "links", "listings")} == {
            k: record[k] for k in ("id", "title", "date", "venue", "links", "listings")}
        notes = f"\n\n## Notes\n\n{record['note']}" if record.get("note") else ""
        assert body == record["abstract"] + notes, "the body is the abstract, then any note"
        assert (page.parent / page.stem / "index.html").is_file()


def test_markdown_page_is_plain_yaml_for_other_tools(default_site: tuple[Path, object]) -> None:
    site, _ = default_site
    text = (site / "papers" / "chronos-2-from-univariate-to-universal-forecasting.md").read_text(
        encoding="utf-8")
    head = text.split("---\n")[1]
    meta = yaml.safe_load(head)
    assert (meta["organization"], meta["upvotes"], meta["date"]) == ("Amazon", 3, "2025-10-17")
    assert "pretrained time series models" in text.lower()
