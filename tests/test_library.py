"""The read-only library: lookups, term indexes, and the newest-first order with tie-breaks."""

from __future__ import annotations

import pytest

from generator.library import Library, newest_first, term_slug
from generator.model import Paper, SourceRef


def _paper(pid: str, title: str, date: str | None = None, venue: str | None = None,
           listing: str = "a.txt") -> Paper:
    return Paper(title=title, abstract="", id=pid, slug=pid, date=date, venue=venue,
                 sources=(SourceRef(listing, 1),))


def test_newest_first_breaks_ties_by_title_then_id() -> None:
    papers = [_paper("b", "Beta", "2024-01-01"), _paper("a", "alpha", "2024-01-01"),
              _paper("n", "No date"), _paper("c", "Alpha", "2024-01-01"),
              _paper("z", "Zed", "2025-12-31")]
    assert [p.id for p in newest_first(papers)] == ["z", "a", "c", "b", "n"]
    assert [p.id for p in newest_first(reversed(papers))] == ["z", "a", "c", "b", "n"]


def test_terms_index_papers_by_kind_with_counts_and_lookup() -> None:
    library = Library.build([
        _paper("p1", "One", "2024-01-01", venue="NeurIPS", listing="x.txt"),
        _paper("p2", "Two", "2025-01-01", venue="NeurIPS", listing="y.txt"),
        _paper("p3", "Three", None, venue="ICML", listing="x.txt"),
    ])
    assert [p.id for p in library.papers] == ["p1", "p2", "p3"], "sorted by slug"
    venues = library.terms["venues"]
    assert [(t.name, t.slug, t.count) for t in venues] == [("ICML", "icml", 1),
                                                            ("NeurIPS", "neurips", 2)]
    neurips = library.term("venues", "NeurIPS")
    assert neurips is not None and [p.id for p in library.papers_of(neurips)] == ["p2", "p1"]
    assert library.term("venues", "Nature") is None
    assert library.term("listings", "x.txt").paper_ids == ("p1", "p3")
    assert library.by_slug["p2"].title == "Two"


def test_term_slugs_are_unique_within_a_kind() -> None:
    library = Library.build([_paper("p1", "A", venue="C++"), _paper("p2", "B", venue="C#"),
                             _paper("p3", "C", venue="c")])
    slugs = [t.slug for t in library.terms["venues"]]
    assert len(set(slugs)) == 3 and all(s.startswith("c") for s in slugs)


@pytest.mark.parametrize(("name", "slug"), [
    pytest.param("Statistical Learning", "statistical-learning", id="words"),
    pytest.param("hf-papers-regularization-and-sparsity.txt",
                 "hf-papers-regularization-and-sparsity-txt", id="file-name"),
    pytest.param("???", "term", id="never-empty"),
])
def test_term_slug(name: str, slug: str) -> None:
    assert term_slug(name) == slug
