"""Markdown pages: front matter that survives any title, round-trips, and matches papers.json."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from generator.library import Library
from generator.model import Backlink, Paper, Related, SourceRef
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


HOSTILE_TITLES = ["Colon: a subtitle", "---\nbreak: out", "yes", "2024-01-02", "- item",
                  "{not: a mapping}", "1/τ2 law, Θ(N)", "@at &anchor *alias !tag %directive",
                  "null", "0x1F", "1e3", " padded ", "emoji 🧪 past the BMP", "a" * 150,
                  "tab\there", "line\u2028separator", "true", "~", ""]


def _reference(paper: Paper, library: Library) -> str:
    """A Markdown page as `yaml.dump` writes the front matter (what `paper_to_markdown` must
    match byte for byte)."""
    meta = yaml.dump(front_matter(paper, library), Dumper=yaml.CSafeDumper, sort_keys=False,
                     allow_unicode=True, width=100, default_flow_style=False)
    notes = f"\n\n## Notes\n\n{paper.note}" if paper.note else ""
    return f"---\n{meta}---\n\n{paper.abstract}{notes}\n"


def test_front_matter_is_exactly_what_pyyaml_dumps(default_site: tuple[Path, object]) -> None:
    """The front matter is emitted from events, not through PyYAML's node graph: the text is
    the same as `yaml.dump`'s for every paper of the sample listings and hostile values (every
    scalar type, quoting, folding of long lines, non-BMP characters, notes and backlinks)."""
    site, _ = default_site
    records = json.loads((site / "papers.json").read_text("utf-8"))
    papers = [Paper(title=r["title"], abstract=r["abstract"] or "", id=r["id"],
                    slug=r["slug"], date=r["date"], venue=r["venue"],
                    authors_count=r["authors_count"], organization=r["organization"],
                    upvotes=r["upvotes"], topics=tuple(r["topics"]), tags=tuple(r["tags"]),
                    links=tuple(r["links"]), sources=tuple(SourceRef(s["listing"], s["line"])
                                                           for s in r["sources"]))
              for r in records]
    first = papers[0]
    for n, title in enumerate(HOSTILE_TITLES):
        papers.append(replace(
            first, id=f"h{n}", slug=f"h-{n}", title=title, title_missing=n % 2 == 0,
            venue=title or None, tags=(title, "yes", "12"), upvotes=n, rating=n % 5 + 1,
            status="to-read", note=f"A note on {title}", source_topics=(title,),
            related=(Related(first.id, n / 7, (f"shared: {title}",)),),
            discussed_in=(Backlink("review", f"r-{n}", title), Backlink("note", first.id, ""))))
    library = _library(*papers)
    for paper in library.papers:
        assert paper_to_markdown(paper, library) == _reference(paper, library), paper.slug


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
