"""Related papers: blockwise top-k, the sample's known pairs, reasons, settings, determinism."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from generator.build import BuildReport
from generator.config import Config, RelatedConfig
from generator.enrich import INPUT_FIELDS, _aliases, enrich_papers
from generator.enrich.corpus import build_corpus, phrases_of
from generator.enrich.neighbours import rank_order, top_k
from generator.enrich.related import shared_terms
from generator.enrich.taxonomy import load_taxonomy
from generator.model import Backlink, Paper, Related

from .conftest import REPO, build_pinned, snapshot_project


def _sparse_scores(matrix: np.ndarray):
    return lambda start, stop: sparse.csr_matrix(matrix[start:stop] @ matrix.T)


def test_top_k_is_blockwise_exact_never_self_and_breaks_ties_by_index() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.random((37, 5)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors[10] = vectors[3]  # two rows tie exactly for every other row
    full = vectors @ vectors.T
    for block in (1, 4, 37):
        links = list(top_k(_sparse_scores(vectors), 37, 4, block=block, pool=40))
        assert [row for row, _, _ in links] == list(range(37))
        for row, cols, scores in links:
            assert row not in cols
            expected = sorted((c for c in range(37) if c != row),
                              key=lambda c: (-round(float(full[row, c]), 6), c))[:4]
            assert list(cols) == expected, (row, block)
            assert np.all(np.diff(scores) <= 0)


def test_top_k_rescores_a_pool_of_candidates() -> None:
    text = np.array([[1, .9, .8, .7], [.9, 1, 0, 0], [.8, 0, 1, 0], [.7, 0, 0, 1]], np.float32)
    prefer_last = lambda rows, cols, scores: scores + cols  # noqa: E731
    links = {row: list(cols) for row, cols, _ in
             top_k(_sparse_scores(text), 4, 1, rescore=prefer_last, pool=2)}
    assert links[0] == [2]  # column 3 was not among row 0's two best candidates


def test_top_k_leaves_out_weak_links() -> None:
    matrix = np.eye(4, dtype=np.float32)
    matrix[0, 1] = matrix[1, 0] = 0.5
    links = {row: list(cols) for row, cols, _ in
             top_k(lambda a, b: sparse.csr_matrix(matrix[a:b]), 4, 3, 0.3)}
    assert links == {0: [1], 1: [0], 2: [], 3: []}


def test_shared_terms_are_in_both_papers_and_not_nested() -> None:
    vocabulary = ["autoencoder", "sparse", "sparse autoencoder", "steering", "vision"]
    tfidf = sparse.csr_matrix(np.array([[0.2, 0.3, 0.8, 0.4, 0.0],
                                        [0.2, 0.3, 0.7, 0.0, 0.9]], dtype=np.float32))
    terms = shared_terms(tfidf, np.array([0]), np.array([1]), vocabulary, limit=3)
    assert terms == [["sparse autoencoder"]]


def _papers(default_site: tuple[Path, BuildReport]) -> dict[str, dict]:
    records = json.loads((default_site[0] / "papers.json").read_text(encoding="utf-8"))
    return {p["slug"]: p for p in records}


def _find(papers: dict[str, dict], title_start: str) -> dict:
    return next(p for p in papers.values() if p["title"].startswith(title_start))


@pytest.mark.parametrize("a, b", [
    pytest.param("FinalMLP", "AutoInt", id="ctr-prediction"),
    pytest.param("Cauchy-Schwarz Divergence Information Bottleneck",
                 "Information Bottleneck Analysis", id="information-bottleneck"),
    pytest.param("k-Sparse Autoencoders", "Decomposing The Dark Matter of Sparse Autoencoders",
                 id="sparse-autoencoders"),
])
def test_papers_on_one_subject_are_related(default_site, a: str, b: str) -> None:
    papers = _papers(default_site)
    first, second = _find(papers, a), _find(papers, b)
    assert second["slug"] in [r["slug"] for r in first["related"]]
    assert first["slug"] in [r["slug"] for r in second["related"]]


def test_related_links_are_valid_ranked_and_explained(default_site) -> None:
    papers = _papers(default_site)
    for slug, paper in papers.items():
        links = paper["related"]
        assert len(links) <= 5
        assert slug not in [r["slug"] for r in links]
        assert len({r["slug"] for r in links}) == len(links)
        assert all(r["slug"] in papers for r in links)
        found = [r["score"] for r in links if "editor's pick" not in r["reasons"]]  # notes pin
        assert found == sorted(found, reverse=True) and min(found, default=1) >= 0.12
        assert all(r["reasons"] for r in links)
    assert sum(len(p["related"]) == 5 for p in papers.values()) >= 0.9 * len(papers)


def sample_papers() -> list[Paper]:
    """The five sample listings read, repaired and de-duplicated (the build's first stages)."""
    from generator.build import today
    from generator.dedupe import assign_slugs, dedupe
    from generator.repair import repair_listing
    from generator.sources import read_listings

    papers: list[Paper] = []
    for listing in read_listings(REPO / "content" / "listings"):
        papers += repair_listing(listing.papers, today())[0]
    return assign_slugs(dedupe(papers)[0])


def test_shared_terms_of_a_reason_occur_in_both_papers(default_site) -> None:
    papers = _papers(default_site)
    merges, _ = _aliases(load_taxonomy(REPO))
    corpus = build_corpus(sample_papers(), merges)
    variants: dict[str, set[str]] = {}
    for variant, key in corpus.merges.items():
        variants.setdefault(key, {key}).add(variant)
    checked = 0
    for paper in papers.values():
        for link in paper["related"]:
            other = papers[link["slug"]]
            reason = next((r for r in link["reasons"] if r.startswith("shared terms: ")), None)
            for term in reason.removeprefix("shared terms: ").split(", ") if reason else ():
                key = corpus.key(term)
                spellings = variants.get(key, {key})  # "CTR" may stand for the term
                for text in (paper, other):
                    assert spellings & phrases_of(f"{text['title']}. {text['abstract']}"), term
                checked += 1
    assert checked > 500


def test_related_count_and_min_score_settings(tmp_path: Path) -> None:
    root = snapshot_project(REPO, tmp_path / "project")
    (root / "litreview.yaml").write_text("related:\n  count: 2\n  min_score: 0.3\n",
                                         encoding="utf-8")
    build_pinned(root, tmp_path / "site", search_index=False)
    records = json.loads((tmp_path / "site" / "papers.json").read_text(encoding="utf-8"))
    assert max(len(p["related"]) for p in records) == 2
    assert min(r["score"] for p in records for r in p["related"]) >= 0.3
    assert any(len(p["related"]) < 2 for p in records)  # weak links left out, not padded


def test_enrichment_is_deterministic_and_independent_of_input_order() -> None:
    papers = sample_papers()
    taxonomy = load_taxonomy(REPO)
    config = replace(Config(), related=RelatedConfig(count=5))
    first = {p.id: p for p in enrich_papers(papers, config, taxonomy)}
    again = {p.id: p for p in enrich_papers(list(reversed(papers)), config, taxonomy)}
    assert first == again


@pytest.mark.slow
def test_corpus_is_the_same_from_one_or_two_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    from generator.enrich.quality import ARXIV, load_arxiv

    if not ARXIV.is_file():
        pytest.skip("needs ../shared/data")
    papers, _ = load_arxiv(2500)
    built = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("LITREVIEW_WORKERS", workers)
        built[workers] = build_corpus(papers)
    one, two = built["1"], built["2"]
    assert one.vocabulary == two.vocabulary and one.merges == two.merges
    assert one.tokens == two.tokens
    for matrix in ("counts", "tfidf", "in_abstract"):  # entries in the same order: same sums
        a, b = getattr(one, matrix), getattr(two, matrix)
        assert all(np.array_equal(getattr(a, part), getattr(b, part))
                   for part in ("indptr", "indices", "data")), matrix


_OTHER_VALUES = {
    "slug": "renamed-slug", "date": "1999-12-31", "authors_count": 99,
    "organization": "Some Lab", "upvotes": 12345, "links": ("https://example.org/x",),
    "source_topics": ("Statistical Learning",), "topics": ("Robotics and embodied AI",),
    "tags": ("hand-set tag",), "related": (Related("000000000000", 0.9, ("editor's pick",)),),
    "status": "read", "rating": 5, "note": "My **note** about sparse autoencoders and CTR.",
    "note_html": "<p>note</p>", "discussed_in": (Backlink("review", "survey", "A survey"),),
}
"""A different value for every `Paper` field that enrichment must not read."""


def _enriched(papers: list[Paper]) -> dict[str, tuple]:
    config = replace(Config(), related=RelatedConfig(count=5))
    return {p.id: (p.topics, p.tags, p.related)
            for p in enrich_papers(papers, config, load_taxonomy(REPO))}


def test_enrichment_reads_only_its_input_fields() -> None:
    names = {f.name for f in dataclasses.fields(Paper)}
    assert set(INPUT_FIELDS) <= names
    assert names - set(INPUT_FIELDS) == set(_OTHER_VALUES)  # a new field: decide which it is
    papers = sample_papers()
    before = _enriched(papers)
    changed = [replace(p, **_OTHER_VALUES) if i % 2 else p for i, p in enumerate(papers)]
    assert _enriched(changed) == before
    # The comparison notices a change in what enrichment does read: venues become reasons.
    venues = [replace(p, venue="ICML") if i % 2 else p for i, p in enumerate(papers)]
    assert _enriched(venues) != before


def test_enriched_copies_keep_every_other_field() -> None:
    papers = [replace(p, **_OTHER_VALUES) for p in sample_papers()[:40]]
    config = replace(Config(), related=RelatedConfig(count=3))
    for before, after in zip(papers, enrich_papers(papers, config, load_taxonomy(REPO)),
                             strict=True):
        assert replace(after, topics=before.topics, tags=before.tags,
                       related=before.related) == before


def test_enrichment_is_the_same_from_one_or_two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    papers = sample_papers()
    monkeypatch.setenv("LITREVIEW_WORKERS", "1")
    one = _enriched(papers)
    monkeypatch.setenv("LITREVIEW_WORKERS", "2")
    assert _enriched(papers) == one
    monkeypatch.setenv("LITREVIEW_WORKERS", "3")  # other slice boundaries
    assert _enriched(papers) == one


def test_importing_enrichment_loads_neither_scipy_nor_scikit_learn() -> None:
    code = ("import sys, generator.enrich\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPO)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("rows_per_run", [1, 3, 50])
def test_rank_order_is_lexsort_by_row_score_and_column(rows_per_run: int) -> None:
    rng = np.random.default_rng(rows_per_run)
    pairs = sorted({(int(r), int(c)) for r, c in rng.integers(0, 400, (3000, 2))})
    rows, cols = (np.array(x) for x in zip(*pairs, strict=True))
    cols = cols * (1 << 20)  # wide columns leave few key bits for rows: several runs
    scores = rng.choice(np.array([0.5, -0.0, 0.0, 1e-7, -3.25, 0.1234567], np.float32),
                        len(rows)) + rng.normal(0, 1e-8, len(rows)).astype(np.float32)
    for decimals in (6, None):
        rounded = scores if decimals is None else np.round(scores, decimals)
        expected = np.lexsort((cols, -rounded, rows))
        assert (rank_order(rows, cols, scores, decimals) == expected).all()
