"""Related papers: the most similar others by text, each link with the reasons it was made.

Similarity blends two cosines over title + abstract (title phrases weighted, see `corpus`):
TF-IDF over distinctive phrases, and the same vectors reduced by latent semantic analysis (LSA,
a truncated SVD), which weighs what two papers say in different words. Candidates are the
papers sharing the most distinctive phrases (a sparse product, block by block, `neighbours.POOL`
per paper); the blend (`related.semantic_weight`) then ranks them. It beats plain TF-IDF cosine
on arXiv category overlap (see `bench/quality.py`). Phrases found in more than 1% of a large
corpus are left out of the TF-IDF part: they barely move a ranking and cost most of the product.
Reasons name what the two papers share: their most distinctive common phrases, tags, topics,
venue and listing. This module does not choose tags or topics; it reads them from the papers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from ..config import RelatedConfig
from ..model import Paper, Related
from .corpus import Corpus
from .neighbours import top_k
from .taxonomy import OTHER

__all__ = ["Similarity", "find_related", "shared_terms", "similarity_model"]

LSA_DIMENSIONS = 64
LSA_SAMPLE = 3000
"""The SVD is fitted on at most this many papers (a fixed random sample), then applied to all."""
COMMON_DF = 0.01
"""Phrases in more than this share of papers (and more than 100) skip the TF-IDF product."""


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
        semantic = np.einsum("ij,ij->i", self.lsa[rows], self.lsa[cols])
        return (1 - self.semantic_weight) * text + self.semantic_weight * semantic


def _lsa(tfidf: sparse.csr_matrix) -> np.ndarray | None:
    n, v = tfidf.shape
    dims = min(LSA_DIMENSIONS, n - 1, v - 1)
    if dims < 2:
        return None
    rng = np.random.RandomState(0)
    sample = np.sort(rng.choice(n, LSA_SAMPLE, replace=False)) if n > LSA_SAMPLE else slice(None)
    svd = TruncatedSVD(dims, random_state=0, n_iter=5).fit(tfidf[sample])
    return normalize(svd.transform(tfidf)).astype(np.float32)


def similarity_model(corpus: Corpus, semantic_weight: float) -> Similarity:
    """The similarity of a corpus: TF-IDF without very common phrases, blended with LSA."""
    n = corpus.tfidf.shape[0]
    common = corpus.df > max(100, COMMON_DF * n)
    pruned = (corpus.tfidf @ sparse.diags((~common).astype(np.float32))).tocsr()
    lsa = _lsa(corpus.tfidf) if semantic_weight > 0 else None
    return Similarity(pruned, pruned.T.tocsr(), lsa, semantic_weight)


def shared_terms(tfidf: sparse.csr_matrix, rows: np.ndarray, cols: np.ndarray,
                 vocabulary: Sequence[str], limit: int, weights: np.ndarray | None = None,
                 chunk: int = 20_000) -> list[list[str]]:
    """For each pair (rows[i], cols[i]) the phrases weighing most in both, best first.

    A phrase's weight is the product of its TF-IDF weights in the two papers, times `weights`
    (whole multi-word terms first). A phrase overlapping one already named ("autoencoder" and
    "sparse autoencoder") is skipped.
    """
    scale = sparse.diags(weights if weights is not None else np.ones(tfidf.shape[1], np.float32))
    out: list[list[str]] = []
    for start in range(0, len(rows), chunk):
        part = slice(start, start + chunk)
        products = (tfidf[rows[part]].multiply(tfidf[cols[part]]) @ scale).tocsr()
        pair = np.repeat(np.arange(products.shape[0]), np.diff(products.indptr))
        # One sort for the whole chunk: by pair, then weight (desc), then column.
        order = np.lexsort((products.indices, -products.data, pair))
        columns = products.indices[order]
        bounds = products.indptr
        for i in range(products.shape[0]):
            best = columns[bounds[i] : min(bounds[i + 1], bounds[i] + 4 * limit)]
            out.append(_distinct([vocabulary[j] for j in best], limit))
    return out


def _distinct(terms: Iterable[str], limit: int) -> list[str]:
    """The first `limit` terms, skipping any that overlaps (word-wise) one already picked."""
    picked: list[str] = []
    for term in terms:
        padded = f" {term} "
        if not any(padded in f" {p} " or f" {p} " in padded for p in picked):
            picked.append(term)
            if len(picked) == limit:
                break
    return picked


def _reasons(paper: Paper, other: Paper, terms: list[str], many_listings: bool) -> tuple[str, ...]:
    reasons = []
    if terms:
        reasons.append("shared terms: " + ", ".join(terms))
    tags = [t for t in paper.tags if t in other.tags]
    if tags:
        reasons.append("shared tags: " + ", ".join(tags))
    topics = [t for t in paper.topics if t in other.topics and t != OTHER]
    if topics:
        reasons.append("same topic: " + ", ".join(topics))
    if paper.venue and paper.venue == other.venue:
        reasons.append(f"same venue: {paper.venue}")
    listings = [n for n in paper.listings if n in other.listings]
    if many_listings and listings:
        reasons.append("same listing: " + ", ".join(listings))
    return tuple(reasons)


def find_related(papers: Mapping[str, Paper], corpus: Corpus, settings: RelatedConfig,
                 display: Callable[[str], str], weights: np.ndarray | None = None
                 ) -> dict[str, tuple[Related, ...]]:
    """Each paper's related papers (by id), best first, with scores and reasons.

    `weights` rank the shared phrases named as reasons (see `tags.phrase_weights`).
    """
    model = similarity_model(corpus, settings.semantic_weight)
    n = len(corpus.ids)
    links = list(top_k(model.candidates, n, settings.count, settings.min_score,
                       rescore=model.rescore))
    rows = np.concatenate([np.full(len(c), r) for r, c, _ in links] or [np.empty(0, int)])
    cols = np.concatenate([c for _, c, _ in links] or [np.empty(0, int)])
    terms = shared_terms(corpus.tfidf, rows.astype(np.int64), cols.astype(np.int64),
                         corpus.vocabulary, settings.shared_terms, weights)
    many_listings = len({name for p in papers.values() for name in p.listings}) > 1
    out: dict[str, tuple[Related, ...]] = {}
    pair = 0
    for row, cols_, scores in links:
        paper = papers[corpus.ids[row]]
        related = []
        for col, score in zip(cols_, scores, strict=True):
            other = papers[corpus.ids[col]]
            named = [display(t) for t in terms[pair]]
            related.append(Related(other.id, round(float(score), 4),
                                   _reasons(paper, other, named, many_listings)))
            pair += 1
        out[paper.id] = tuple(related)
    return out
