"""Enrichment quality on real data: arXiv papers judged by their own arXiv categories.

Thresholds are generous (the measured figures are in `bench/quality.py`'s table), but a broken
similarity, tagger or tie-break falls far below them: random links overlap 0.31 in categories.
"""

from __future__ import annotations

import pytest

from generator.config import Config
from generator.enrich import enrich_papers
from generator.enrich.quality import (
    ARXIV,
    load_arxiv,
    mean_jaccard,
    plain_tfidf_links,
    random_links,
    tag_concentration,
    tag_coverage,
)
from generator.enrich.taxonomy import OTHER, builtin_taxonomy_path, parse_taxonomy

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not ARXIV.is_file(), reason="needs ../shared/data")]


@pytest.fixture(scope="module")
def arxiv():
    papers, labels = load_arxiv(4000)
    taxonomy = parse_taxonomy(builtin_taxonomy_path().read_text("utf-8"), "taxonomy.yaml")
    enriched = {p.id: p for p in enrich_papers(papers, Config(), taxonomy)}
    return papers, labels, enriched


def test_related_links_share_categories_and_beat_plain_tfidf(arxiv) -> None:
    papers, labels, enriched = arxiv
    ours = mean_jaccard({i: [r.id for r in p.related] for i, p in enriched.items()}, labels)
    chance = mean_jaccard(random_links(sorted(enriched), 5), labels)
    plain = mean_jaccard(plain_tfidf_links(papers, 5), labels)
    assert ours >= chance + 0.15, (ours, chance)
    assert ours >= plain, (ours, plain)
    assert sum(len(p.related) == 5 for p in enriched.values()) >= 0.95 * len(enriched)


def test_tags_cover_papers_and_concentrate_in_categories(arxiv) -> None:
    _, labels, enriched = arxiv
    tags = {i: p.tags for i, p in enriched.items()}
    with_three, shared = tag_coverage(tags)
    assert with_three >= 0.9 and shared >= 0.25, (with_three, shared)
    ours, chance, big = tag_concentration(tags, labels, min_papers=15)
    assert big >= 30 and ours <= chance - 0.2, (ours, chance, big)


def test_curated_topics_cover_most_papers(arxiv) -> None:
    _, _, enriched = arxiv
    other = sum(p.topics == (OTHER,) for p in enriched.values())
    assert other <= 0.15 * len(enriched)
