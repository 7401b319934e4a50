"""The read-only library: lookups, term indexes, and the newest-first order with tie-breaks."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from generator.library import LINKED_KINDS, Library, newest_first, term_slug
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


def _random_papers(seed: int) -> list[Paper]:
    """Papers with skewed tags and topics, many date ties, some undated."""
    rnd = random.Random(seed)
    tags, topics = [f"tag {c}" for c in "ABCDEFGHIJKL"], [f"Topic {c}" for c in "VWXYZ"]
    return [replace(_paper(f"p{i:03d}", rnd.choice(["Same", "Other", f"T{i}"]),
                           rnd.choice([None, "2024-01-01", "2024-06-30", "2025-02-03"])),
                    tags=tuple(rnd.sample(tags[: rnd.randint(4, 12)], rnd.randint(0, 4))),
                    topics=tuple(rnd.sample(topics, rnd.randint(0, 2))))
            for i in range(80)]


def _reference_links(library: Library, limit: int = 15) -> dict:
    """`Library.links` counted by hand: shared papers of every pair of terms, in term order."""
    out = {}
    for (kind, other), least in LINKED_KINDS.items():
        columns = list(library.terms[other])
        for term in library.terms[kind]:
            mine = set(term.paper_ids)
            counts = [(-len(mine & set(u.paper_ids)), col, u.name)
                      for col, u in enumerate(columns) if not (kind == other and u is term)]
            best = sorted(c for c in counts if -c[0] >= least)[:limit]
            if best:
                out[(kind, term.name, other)] = tuple((name, -n) for n, _, name in best)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_term_links_and_term_order_match_a_count_by_hand(seed: int) -> None:
    papers = _random_papers(seed)
    library = Library.build(papers, min_tag_papers=3)
    assert dict(library.links) == _reference_links(library, limit=15)
    assert len(library.links) > 10
    for terms in library.terms.values():
        for term in terms:
            assert list(term.paper_ids) == [p.id for p in newest_first(
                p for p in papers if term.name in {*p.tags, *p.topics, *p.listings})]
    assert all(t.count >= 3 for t in library.terms["tags"])


def test_tags_below_the_threshold_get_no_term_but_keep_their_slug() -> None:
    papers = [replace(_paper("p1", "One"), tags=("A B", "a-b")),
              replace(_paper("p2", "Two"), tags=("a-b",))]
    tags = Library.build(papers, min_tag_papers=2).terms["tags"]
    assert [(t.name, t.slug) for t in tags] == [("a-b", "a-b-x")]


@pytest.mark.parametrize("shuffled", [False, True])
def test_with_papers_gives_the_library_a_fresh_build_gives(shuffled: bool) -> None:
    papers = [_paper(f"p{i}", f"Paper {i}", f"2024-01-{i + 1:02d}") for i in range(9)]
    library = Library.build(papers)
    edited = [replace(p, abstract="Edited.") if p.id in ("p3", "p7") else p
              for p in library.papers]
    if shuffled:  # not in the library's order: sorted, every lookup made again
        random.Random(4).shuffle(edited)
    after = library.with_papers(edited)
    fresh = Library.build(edited)
    assert after.papers == fresh.papers
    assert dict(after.by_id) == dict(fresh.by_id) and dict(after.by_slug) == dict(fresh.by_slug)
    assert list(after.by_id) == list(fresh.by_id), "same order as a fresh build"
    assert after.by_id["p3"].abstract == "Edited." and after.by_slug["p7"].abstract == "Edited."
    assert library.by_id["p3"].abstract == "", "the old library is untouched"
    assert after.terms is library.terms
