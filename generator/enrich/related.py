"""Related papers: the most similar others by text, each link with the reasons it was made.

Similarity blends two cosines over title + abstract (title phrases weighted, see `corpus`):
TF-IDF over distinctive phrases, and the same vectors reduced by latent semantic analysis (LSA,
a truncated SVD), which weighs what two papers say in different words. Candidates are the
papers sharing the most distinctive phrases (a sparse product, block by block, `neighbours.POOL`
per paper); the blend (`related.semantic_weight`) then ranks them. It beats plain TF-IDF cosine
on arXiv category overlap (see `bench/quality.py`). Phrases found in more than `COMMON_PAPERS`
papers are left out of the TF-IDF part: they barely move a ranking, and a fixed limit keeps
each paper's candidates as few in a large corpus as in a small one, so the product grows
linearly with the corpus (a limit growing with it made it quadratic).
Reasons name what the two papers share: their most distinctive common phrases, tags, topics,
venue and listing. This module does not choose tags or topics; it reads them from the papers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..config import RelatedConfig
from ..model import Related
from .corpus import Corpus
from .neighbours import rank_order, top_k_rows
from .pool import slice_jobs, start_jobs, workers_for
from .taxonomy import OTHER

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["Facts", "Similarity", "blended_similarity", "find_related", "lsa_rows", "pair_dots",
           "related_jobs", "shared_terms", "similarity_model"]

LSA_DIMENSIONS = 64
LSA_SAMPLE = 3000
"""The SVD is fitted on at most this many papers (a fixed random sample), then applied to all."""
COMMON_PAPERS = 100
"""Phrases in more than this many papers skip the TF-IDF product (see the module docstring)."""


@dataclass(frozen=True)
class Similarity:
    """Pruned TF-IDF rows (candidates and their text score) and dense LSA rows (blended in)."""

    tfidf: sparse.csr_matrix
    tfidf_t: sparse.csr_matrix
    """The transpose, converted once (a product with a CSC matrix would convert it per block)."""
    lsa: np.ndarray | None
    semantic_weight: float

    def candidates(self, start: int, stop: int) -> sparse.csr_matrix:
        """TF-IDF cosine of rows start..stop-1 against every row (sparse: shared phrases only)."""
        return (self.tfidf[start:stop] @ self.tfidf_t).tocsr()

    def rescore(self, rows: np.ndarray, cols: np.ndarray, text: np.ndarray) -> np.ndarray:
        """Blend the TF-IDF cosine of candidate pairs with their LSA cosine."""
        if self.lsa is None or self.semantic_weight == 0:
            return text
        return (1 - self.semantic_weight) * text + self.semantic_weight * pair_dots(
            self.lsa, rows, cols)


def pair_dots(vectors: np.ndarray, rows: np.ndarray, cols: np.ndarray,
              chunk: int = 1024) -> np.ndarray:
    """The dot product of `vectors[rows[i]]` and `vectors[cols[i]]` for each pair i.

    Gathered a chunk of pairs at a time into buffers that stay in the CPU cache: gathering all
    pairs at once writes and reads back two arrays of pairs x dimensions (gigabytes at 50,000
    papers) and took 2.5 times longer. Each pair's sum is the same either way.
    """
    out = np.empty(len(rows), np.float32)
    left = np.empty((min(chunk, len(rows)), vectors.shape[1]), vectors.dtype)
    right = np.empty_like(left)
    for a in range(0, len(rows), chunk):
        m = min(chunk, len(rows) - a)
        np.take(vectors, rows[a:a + m], axis=0, out=left[:m])
        np.take(vectors, cols[a:a + m], axis=0, out=right[:m])
        out[a:a + m] = np.einsum("ij,ij->i", left[:m], right[:m])
    return out


def lsa_rows(tfidf: sparse.csr_matrix) -> np.ndarray | None:
    """Unit LSA rows, the SVD fitted on a sample's rows and the phrases that sample uses.

    Leaving out the phrases absent from the sample changes nothing they would add (their
    columns are zero) but makes the SVD several times cheaper on a large vocabulary.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize
    from threadpoolctl import threadpool_limits

    n = tfidf.shape[0]
    rng = np.random.RandomState(0)
    sample = np.sort(rng.choice(n, LSA_SAMPLE, replace=False)) if n > LSA_SAMPLE else slice(None)
    fitted = tfidf[sample]
    used = np.unique(fitted.indices)
    dims = min(LSA_DIMENSIONS, n - 1, len(used) - 1)
    if dims < 2:
        return None
    with threadpool_limits(1), warnings.catch_warnings():  # BLAS: the same sums anywhere
        warnings.simplefilter("ignore", RuntimeWarning)  # explained variance of identical rows
        svd = TruncatedSVD(dims, random_state=0, n_iter=5).fit(fitted[:, used])
    reduced = tfidf[:, used] @ svd.components_.T.astype(np.float32)
    return normalize(reduced).astype(np.float32)


def similarity_model(corpus: Corpus, semantic_weight: float) -> Similarity:
    """The similarity of a corpus: TF-IDF without very common phrases, blended with LSA."""
    lsa = lsa_rows(corpus.tfidf) if semantic_weight > 0 else None
    return blended_similarity(corpus, lsa, semantic_weight)


def blended_similarity(corpus: Corpus, lsa: np.ndarray | None,
                       semantic_weight: float) -> Similarity:
    """`similarity_model` with the corpus' `lsa_rows` computed already."""
    from scipy import sparse

    common = corpus.df > COMMON_PAPERS
    pruned = (corpus.tfidf @ sparse.diags((~common).astype(np.float32))).tocsr()
    return Similarity(pruned, pruned.T.tocsr(), lsa, semantic_weight)


def shared_terms(tfidf: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray,
                 vocabulary: Sequence[str], limit: int, weights: np.ndarray | None = None,
                 chunk: int = 20_000) -> list[list[str]]:
    """For each pair (rows[i], cols[i]) the phrases weighing most in both, best first.

    A phrase's weight is the product of its TF-IDF weights in the two papers, times `weights`
    (whole multi-word terms first). A phrase overlapping one already named ("autoencoder" and
    "sparse autoencoder") is skipped.
    """
    from scipy import sparse

    scale = sparse.diags(weights if weights is not None else np.ones(tfidf.shape[1], np.float32))
    out: list[list[str]] = []
    for start in range(0, len(rows), chunk):
        part = slice(start, start + chunk)
        products = (tfidf[rows[part]].multiply(tfidf[cols[part]]) @ scale).tocsr()
        pair = np.repeat(np.arange(products.shape[0]), np.diff(products.indptr))
        # One sort for the whole chunk: by pair, then weight (desc), then column.
        order = rank_order(pair, products.indices, products.data, decimals=None)
        columns = products.indices[order].tolist()
        bounds = products.indptr.tolist()
        for i in range(products.shape[0]):
            best = columns[bounds[i] : min(bounds[i + 1], bounds[i] + 4 * limit)]
            out.append(_distinct([vocabulary[j] for j in best], limit))
    return out


def _distinct(terms: Iterable[str], limit: int) -> list[str]:
    """The first `limit` terms, skipping any that overlaps (word-wise) one already picked."""
    picked: list[str] = []
    padded_picked: list[str] = []
    for term in terms:
        padded = f" {term} "
        if not any(padded in p or p in padded for p in padded_picked):
            picked.append(term)
            padded_picked.append(padded)
            if len(picked) == limit:
                break
    return picked


@dataclass(frozen=True)
class Facts:
    """What a reason can name about each paper, by corpus row: id, tags, topics, venue, listings."""

    ids: Sequence[str]
    tags: Sequence[tuple[str, ...]]
    topics: Sequence[tuple[str, ...]]
    venues: Sequence[str | None]
    listings: Sequence[tuple[str, ...]]

    def reasons(self, row: int, col: int, terms: list[str], many_listings: bool
                ) -> tuple[str, ...]:
        """Why paper `col` is related to paper `row`: what the two share, strongest first."""
        reasons = []
        if terms:
            reasons.append("shared terms: " + ", ".join(terms))
        other = self.tags[col]
        tags = [t for t in self.tags[row] if t in other]
        if tags:
            reasons.append("shared tags: " + ", ".join(tags))
        other = self.topics[col]
        topics = [t for t in self.topics[row] if t in other and t != OTHER]
        if topics:
            reasons.append("same topic: " + ", ".join(topics))
        venue = self.venues[row]
        if venue and venue == self.venues[col]:
            reasons.append(f"same venue: {venue}")
        other = self.listings[col]
        listings = [n for n in self.listings[row] if n in other]
        if many_listings and listings:
            reasons.append("same listing: " + ", ".join(listings))
        return tuple(reasons)


def _related_rows(model: Similarity, corpus: Corpus, facts: Facts, settings: RelatedConfig,
                  display: Callable[[str], str], weights: np.ndarray | None,
                  many_listings: bool, start: int, stop: int) -> list[tuple[Related, ...]]:
    """The related papers of rows start..stop-1 (see `find_related`)."""
    n = len(corpus.ids)
    links = top_k_rows(model.candidates, n, settings.count, start, stop, settings.min_score,
                       rescore=model.rescore)
    rows = np.repeat([r for r, _, _ in links], [len(c) for _, c, _ in links]).astype(np.int64)
    cols = np.concatenate([c for _, c, _ in links]).astype(np.int64)
    terms = iter(shared_terms(corpus.tfidf, rows, cols, corpus.vocabulary,
                              settings.shared_terms, weights))
    return [tuple(Related(facts.ids[col], round(score, 4),
                          facts.reasons(row, col, [display(t) for t in next(terms)],
                                        many_listings))
                  for col, score in zip(cols_.tolist(), scores.tolist(), strict=True))
            for row, cols_, scores in links]


def related_jobs(corpus: Corpus, model: Similarity, facts: Facts, settings: RelatedConfig,
                 display: Callable[[str], str], weights: np.ndarray | None, workers: int
                 ) -> list[Callable[[], list[tuple[Related, ...]]]]:
    """Jobs finding the related papers of consecutive slices of rows (see `find_related`)."""
    many_listings = len({name for names in facts.listings for name in names}) > 1
    return slice_jobs(lambda start, stop: _related_rows(model, corpus, facts, settings, display,
                                                        weights, many_listings, start, stop),
                      len(corpus.ids), workers)


def find_related(corpus: Corpus, model: Similarity, facts: Facts, settings: RelatedConfig,
                 display: Callable[[str], str], weights: np.ndarray | None = None
                 ) -> list[tuple[Related, ...]]:
    """Each corpus row's related papers by `model`, best first, with scores and reasons.

    `weights` rank the shared phrases named as reasons (see `tags.phrase_weights`). Rows are
    shared out to worker processes (see `pool`); each row's links depend on that row alone.
    """
    workers = workers_for(len(corpus.ids))
    jobs = related_jobs(corpus, model, facts, settings, display, weights, workers)
    return [related for part in start_jobs(jobs, workers).results() for related in part]
