"""Tags: the 3 to 8 phrases that say what a paper is about, chosen across the whole corpus.

A paper's candidate tags are the phrases of its title and abstract that at least two papers use
(see `corpus`: normalised, variants merged, boilerplate excluded). Each is scored by its TF-IDF
weight in the paper (title phrases weigh more, common phrases less), with two corpus-level
corrections: a phrase that is mostly part of a longer one ("large language" inside "large
language model") is not a term of its own and is left out, and multi-word terms get a bonus.
A paper takes its best candidates, skipping any that overlaps one already taken, and stops
below a fraction of its best score once it has the minimum. This module does not decide which
tags get pages (see `library`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from ..config import TagsConfig
from .corpus import Corpus
from .neighbours import rank_order
from .pool import slice_jobs, start_jobs, workers_for
from .text import GENERIC_WORDS, is_adjective, word_key

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["TagScorer", "choose_tags", "completeness", "overlaps", "phrase_weights",
           "spelled_with_of", "tag_jobs", "tag_scorer"]

PART_OF_LONGER = 0.6
"""A phrase is "part of a longer term" when one extension by a word holds this share of its uses."""
WORD_BONUS = 0.3
"""Score bonus per extra word in a phrase (real multi-word terms beat their single words)."""
KEEP_ABOVE = 0.5
"""Past the minimum, a tag must score at least this fraction of the paper's best tag."""


def completeness(vocabulary: Sequence[str], df: np.ndarray) -> np.ndarray:
    """For each phrase, 1.0 when it stands on its own, 0.0 when it is mostly part of a longer one.

    A phrase is part of a longer one when one extension by a word holds `PART_OF_LONGER` of its
    uses ("large language" in "large language model"), or when its last word mostly goes on
    ("multimodal large language": "language" is mostly followed by "model").
    """
    index = dict(zip(vocabulary, range(len(vocabulary)), strict=True)).get
    multi = np.fromiter((i for i, t in enumerate(vocabulary) if " " in t), np.int64)
    terms = [vocabulary[i] for i in multi]
    heads = [t.partition(" ") for t in terms]  # (first word, " ", rest)
    tails = [t.rpartition(" ") for t in terms]  # (all but the last word, " ", last word)

    def columns(words: Iterable[str]) -> np.ndarray:
        return np.fromiter((index(w, -1) for w in words), np.int64, len(terms))

    longest_use = np.zeros(len(vocabulary))
    for inner in (columns(h[2] for h in heads), columns(t[0] for t in tails)):
        found = inner >= 0
        np.maximum.at(longest_use, inner[found], df[multi[found]])
    # A single word "goes on" when one two-word phrase starting with it holds most of its uses.
    continued = np.zeros(len(vocabulary))
    first = columns(h[0] for h in heads)
    found = (first >= 0) & np.fromiter((" " not in h[2] for h in heads), bool, len(terms))
    np.maximum.at(continued, first[found], df[multi[found]])
    whole = longest_use < PART_OF_LONGER * df
    dangling = continued >= PART_OF_LONGER * df
    last = np.full(len(vocabulary), -1, dtype=np.int64)
    last[multi] = columns(t[2] for t in tails)
    ends_open = (last >= 0) & dangling[np.maximum(last, 0)]
    return (whole & ~ends_open).astype(np.float32)


_HEAD_WORDS = GENERIC_WORDS | {"learning", "network", "neural", "deep", "language"}


def overlaps(term: str, other: str) -> bool:
    """True when two phrases share a distinctive word ("autoencoder", "sparse autoencoder").

    Broad head words ("learning", "models") do not count: "representation learning" and
    "contrastive learning" are two tags.
    """
    return not _distinctive(term).isdisjoint(_distinctive(other))


def spelled_with_of(tokens: Iterable[str]) -> set[str]:
    """Phrase keys written hyphenated around "of" somewhere ("mixture-of-experts").

    Only these "X of Y" phrases are terms; the rest ("number of parameters") are not tags.
    """
    return {" ".join(word_key(p) for p in t.split("-") if p)
            for t in tokens if "-of-" in t.lower()}


def phrase_weights(corpus: Corpus) -> np.ndarray:
    """Per column: 0 for a phrase mostly part of a longer one, else 1 plus the word bonus."""
    words = np.fromiter((t.count(" ") for t in corpus.vocabulary), dtype=np.float32,
                        count=len(corpus.vocabulary))
    return completeness(corpus.vocabulary, corpus.df) * (1 + WORD_BONUS * np.minimum(words, 2))


def _quality(corpus: Corpus, weights: np.ndarray, never: set[str], allowed: set[str]
             ) -> np.ndarray:
    quality = weights.copy()
    with_of = spelled_with_of(corpus.tokens) | allowed
    for i, term in enumerate(corpus.vocabulary):
        if (term in never or (" of " in term and term not in with_of)
                or (" " not in term and is_adjective(term))):
            quality[i] = 0
    return quality


@dataclass(frozen=True)
class TagScorer:
    """Tag scores of any rows: (1 + log tf) x sqrt(idf) x quality, so common real terms still
    qualify. A single word must also occur in the abstract: one seen only in the title is
    usually its verb ("Avoiding ...", "Rethinking ..."). Each row's scores depend on that row
    alone, so rows can be scored in slices, anywhere."""

    corpus: Corpus
    factor: np.ndarray
    """sqrt(idf) x quality, per column."""
    single: np.ndarray
    """True for the columns of one-word phrases."""

    def rows(self, start: int, stop: int) -> sparse.csr_matrix:
        """The scores of rows start..stop-1 (a row per row, a column per phrase)."""
        from scipy import sparse

        scores = self.corpus.counts[start:stop].astype(np.float32)
        scores.data = 1 + np.log(scores.data)
        scores = (scores @ sparse.diags(self.factor)).tocsr()
        title_only = (scores.multiply(self.single[None, :])
                      - scores.multiply(self.corpus.in_abstract[start:stop]))
        scores = (scores - title_only.multiply(self.single[None, :])).tocsr()
        scores.eliminate_zeros()
        return scores


def tag_scorer(corpus: Corpus, never: set[str] | None = None, allowed: set[str] | None = None,
               weights: np.ndarray | None = None) -> TagScorer:
    """The scorer of every candidate tag of every corpus row (see `choose_tags`)."""
    weights = phrase_weights(corpus) if weights is None else weights
    quality = _quality(corpus, weights, never or set(), allowed or set())
    n = corpus.counts.shape[0]
    idf = np.log((1 + n) / (1 + corpus.df)) + 1
    single = np.fromiter((" " not in t for t in corpus.vocabulary), bool, len(corpus.vocabulary))
    return TagScorer(corpus, (np.sqrt(idf) * quality).astype(np.float32), single)


def choose_tags(corpus: Corpus, settings: TagsConfig, never: set[str] | None = None,
                allowed: set[str] | None = None, weights: np.ndarray | None = None,
                show: Callable[[str], str] | None = None) -> list[list[str]]:
    """The tag keys of every corpus row, best first (see module docstring).

    `never` are phrase keys that are never tags; `allowed` are "X of Y" phrases that are;
    `weights` are `phrase_weights(corpus)` when the caller has them already; `show` turns keys
    into display text (see `display`). Rows are shared out to worker processes (see `pool`).
    """
    scorer = tag_scorer(corpus, never, allowed, weights)
    workers = workers_for(len(corpus.ids))
    slices = start_jobs(tag_jobs(scorer, settings, show, workers), workers).results()
    return [tags for part in slices for tags in part]


def tag_jobs(scorer: TagScorer, settings: TagsConfig, show: Callable[[str], str] | None,
             workers: int) -> list[Callable[[], list[list[str]]]]:
    """Jobs scoring and choosing the tags of consecutive slices of rows (see `pool`)."""
    vocabulary = scorer.corpus.vocabulary
    return slice_jobs(lambda start, stop: _pick_rows(scorer.rows(start, stop), vocabulary,
                                                     settings, show),
                      len(scorer.corpus.ids), workers)


def _pick_rows(scored: sparse.csr_matrix, vocabulary: Sequence[str], settings: TagsConfig,
               show: Callable[[str], str] | None) -> list[list[str]]:
    """The tags of each row of `scored`: its phrases by score (desc), then column, picked."""
    rows = np.repeat(np.arange(scored.shape[0]), np.diff(scored.indptr))
    order = rank_order(rows, scored.indices, scored.data, decimals=None)
    cols, values = scored.indices[order].tolist(), scored.data[order].tolist()
    bounds = scored.indptr.tolist()
    picked = [_pick(cols[lo:hi], values[lo:hi], vocabulary, settings)
              for lo, hi in zip(bounds, bounds[1:], strict=False)]
    return picked if show is None else [list(map(show, keys)) for keys in picked]


def _pick(cols: list[int], scores: list[float], vocabulary: Sequence[str],
          settings: TagsConfig) -> list[str]:
    picked: list[str] = []
    taken: set[str] = set()  # the distinctive words of the picked tags (see `overlaps`)
    for col, score in zip(cols, scores, strict=True):
        if score <= 0 or len(picked) == settings.max_per_paper:
            break
        if len(picked) >= settings.min_per_paper and score < KEEP_ABOVE * scores[0]:
            break
        term = vocabulary[col]
        words = _distinctive(term)
        if taken.isdisjoint(words):
            picked.append(term)
            taken |= words
    return picked


@lru_cache(maxsize=1 << 16)
def _distinctive(term: str) -> frozenset[str]:
    return frozenset(term.split()) - _HEAD_WORDS
