"""Identity across listings (375 entries are 365 papers) and slugs (unique, ASCII, stable)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.dedupe import assign_slugs, dedupe, make_slug
from generator.model import Paper, SourceRef, paper_id, title_key
from generator.repair import repair_listing
from generator.sources import listing_paths, read_listing

from .conftest import LISTINGS

TODAY = dt.date(2026, 6, 1)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ABSTRACT = "We study a problem and propose a method that works well on several benchmarks. " * 3


def _paper(title: str, listing: str = "a.txt", line: int = 1, **fields: object) -> Paper:
    fields.setdefault("abstract", ABSTRACT)
    return Paper(title=title, sources=(SourceRef(listing, line),), **fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sample_papers() -> list[Paper]:
    papers: list[Paper] = []
    for path in listing_paths(LISTINGS):
        repaired, _ = repair_listing(read_listing(path).papers, TODAY)
        papers.extend(repaired)
    return papers


def test_sample_listings_hold_375_entries_of_365_papers(sample_papers: list[Paper]) -> None:
    assert len(sample_papers) == 375
    unique, merged = dedupe(sample_papers)
    assert (len(unique), merged) == (365, 10)
    assert len({p.id for p in unique}) == 365
    in_two = [p for p in unique if len(p.listings) == 2]
    assert len(in_two) == 10
    assert all(len(p.sources) == 2 for p in in_two)


def test_paper_in_two_listings_keeps_both_sources_and_fills_gaps(
        sample_papers: list[Paper]) -> None:
    unique, _ = dedupe(sample_papers)
    relp = next(p for p in unique if p.title.startswith("RelP: Faithful"))
    assert relp.listings == ("hf-papers-regularization-and-sparsity.txt",
                             "hf-papers-representations-and-neuroimaging.txt")
    assert [s.line for s in relp.sources] == [405, 365]
    # The compact listing has no metadata; the spaced one fills date and authors.
    assert (relp.date, relp.authors_count) == ("2025-08-28", 4)


@pytest.mark.parametrize("variant", [
    pytest.param("Naïve Bayes Revisited: A Study", id="accents"),
    pytest.param("NAIVE BAYES REVISITED: A STUDY", id="upper-case"),
    pytest.param("naive bayes revisited — a study", id="dash-and-lower-case"),
    pytest.param("Naive  Bayes\u00a0Revisited:\tA Study.", id="whitespace-and-full-stop"),
    pytest.param("Naive-Bayes Revisited, a Study!", id="punctuation"),
    pytest.param(unicodedata.normalize("NFD", "Naïve Bayes Revisited: A Study"), id="nfd"),
    pytest.param("Ｎａｉｖｅ Ｂａｙｅｓ Ｒｅｖｉｓｉｔｅｄ: A Study", id="full-width"),
    pytest.param("“Naive” Bayes Revisited: A Study", id="curly-quotes"),
])
def test_title_variants_match_one_paper(variant: str) -> None:
    original = _paper("Naive Bayes Revisited: A Study", "first.txt", 3, date="2024-01-02")
    other = _paper(variant, "second.txt", 9, upvotes=5)
    (merged,), count = dedupe([original, other])
    assert count == 1
    assert merged.title == original.title and merged.listings == ("first.txt", "second.txt")
    assert (merged.date, merged.upvotes) == ("2024-01-02", 5)


@pytest.mark.parametrize(("one", "two"), [
    pytest.param("β-VAE: Learning Basic Visual Concepts", "VAE: Learning Basic Visual Concepts",
                 id="greek-letter-matters"),
    pytest.param("α-Divergence Minimisation", "β-Divergence Minimisation", id="greek-letters"),
    pytest.param("深度学习的理论", "深度学习的实践", id="cjk"),
    pytest.param("Learning to Rank", "Learning to Rank 2", id="trailing-number"),
])
def test_different_titles_stay_different_papers(one: str, two: str) -> None:
    unique, count = dedupe([_paper(one), _paper(two, abstract=ABSTRACT + " Other.")])
    assert (len(unique), count) == (2, 0)
    assert title_key(one) != title_key(two)


def test_file_name_title_joins_its_titled_copy_by_abstract() -> None:
    titled = _paper("Forgetting Is Predictable", "b.txt", 4, date="2025-01-01")
    untitled = _paper("06872e1e6d11baf2ae27285c50132f4f-Paper-Conference.pdf", "a.txt", 8,
                      title_missing=True, venue="NeurIPS")
    for order in ([untitled, titled], [titled, untitled]):
        (merged,), count = dedupe(order)
        assert count == 1 and not merged.title_missing
        assert merged.title == "Forgetting Is Predictable"
        assert (merged.venue, merged.date) == ("NeurIPS", "2025-01-01")
        assert merged.id == paper_id(title_key("Forgetting Is Predictable")), "id from title"


def test_untitled_papers_without_abstract_are_never_merged() -> None:
    papers = [_paper("x.pdf", "a.txt", 1, title_missing=True, abstract=""),
              _paper("y.pdf", "a.txt", 5, title_missing=True, abstract="")]
    unique, count = dedupe(papers)
    assert (len(unique), count) == (2, 0)
    assert len({p.id for p in unique}) == 2


def test_ids_do_not_depend_on_listing_order(sample_papers: list[Paper]) -> None:
    forward, _ = dedupe(sample_papers)
    backward, _ = dedupe(list(reversed(sample_papers)))
    assert {p.id for p in forward} == {p.id for p in backward}


# Slugs ---------------------------------------------------------------------------------------

def test_sample_slugs_are_unique_ascii_and_never_empty(sample_papers: list[Paper]) -> None:
    papers = assign_slugs(dedupe(sample_papers)[0])
    slugs = [p.slug for p in papers]
    assert len(set(slugs)) == 365
    assert [s for s in slugs if not SLUG.match(s) or len(s) > 90] == []
    untitled = [p for p in papers if p.title_missing]
    assert [p.slug for p in untitled] == [f"untitled-{untitled[0].id[:8]}"]


@pytest.mark.parametrize(("title", "slug"), [
    pytest.param("Chronos-2: From Univariate to Universal Forecasting",
                 "chronos-2-from-univariate-to-universal-forecasting", id="punctuation"),
    pytest.param("Fréchet Cumulative Covariance Net", "frechet-cumulative-covariance-net",
                 id="accent-transliterated"),
    pytest.param("1/τ2 Law", "1-t2-law", id="greek-transliterated"),
    pytest.param("深度学习", "shen-du-xue-xi", id="cjk-transliterated"),
    pytest.param("C++ & C#", "c-c", id="symbols"),
    pytest.param("A " + "very " * 40 + "long title",
                 "a" + "-very" * 15, id="long-cut-at-word-boundary"),
])
def test_slug_of_a_title(title: str, slug: str) -> None:
    paper = _paper(title)
    assert make_slug(paper) == slug
    assert make_slug(_paper(title, "other.txt", 99, abstract="different")) == slug, "stable"


@pytest.mark.parametrize("title", [
    pytest.param("---", id="only-punctuation"),
    pytest.param("   ", id="blank"),
    pytest.param("\u200b", id="invisible"),
])
def test_slug_is_never_empty(title: str) -> None:
    (paper,) = assign_slugs(dedupe([_paper(title)])[0])
    assert SLUG.match(paper.slug) and paper.slug.startswith("untitled-")


def test_slug_collisions_are_resolved_deterministically() -> None:
    # Different papers (title keys differ) whose titles transliterate to one slug.
    papers, _ = dedupe([_paper("β-VAE Revisited"), _paper("B-VAE Revisited", abstract="x"),
                        _paper("b vae revisited!", abstract="y")])
    assert len(papers) == 2, "'B-VAE Revisited' and 'b vae revisited!' are one paper"
    first = assign_slugs(papers)
    second = assign_slugs(list(reversed(papers)))
    assert {p.id: p.slug for p in first} == {p.id: p.slug for p in second}
    winner, loser = sorted(first, key=lambda p: p.id)
    assert winner.slug == "b-vae-revisited"
    assert loser.slug == f"b-vae-revisited-{loser.id[:6]}"


def test_suffixed_slug_never_takes_another_papers_slug() -> None:
    twins = [Paper(title="Same Title", abstract="", sources=(SourceRef("a.txt", n),), id=pid)
             for n, pid in ((1, "aaaaaaaaaaaa"), (2, "bbbbbbbbbbbb"))]
    squatter = Paper(title="Same Title bbbbbb", abstract="", sources=(SourceRef("b.txt", 1),),
                     id="cccccccccccc")
    slugs = {p.id: p.slug for p in assign_slugs([*twins, squatter])}
    assert slugs == {"aaaaaaaaaaaa": "same-title", "cccccccccccc": "same-title-bbbbbb",
                     "bbbbbbbbbbbb": "same-title-bbbbbbb"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=30))
def test_slugs_are_unique_and_ascii_for_any_titles(titles: list[str]) -> None:
    papers, _ = dedupe([_paper(t, "p.txt", i + 1, abstract=f"abstract {i}")
                        for i, t in enumerate(titles)])
    slugs = [p.slug for p in assign_slugs(papers)]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG.match(s) for s in slugs), slugs
