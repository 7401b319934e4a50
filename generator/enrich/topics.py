"""Topics: which curated areas (from the taxonomy) a paper belongs to.

A keyword counts wherever the corpus counts its phrase, so it matches in any case, with plural,
hyphen and spelling variants, and through acronyms and aliases ("sparse autoencoder" matches
"Sparse Auto-Encoders" and "SAEs"): the scores of all papers for all topics are one sparse
product of the phrase counts with a keyword matrix. Keywords that are not a phrase of the corpus
vocabulary ("human-in-the-loop", "3D reconstruction") and the taxonomy's `patterns` are matched
as regular expressions instead. A hit in the title counts `TITLE_HITS` (the corpus' title
weight), in the abstract 1; a paper joins every topic scoring `MIN_SCORE` or more (at most
`MAX_TOPICS`, best first, ties in taxonomy order), or "Other" when none. Listing topic lines
("Statistical Learning") stay in `source_topics` and are not read here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
from scipy import sparse

from ..model import Paper
from .corpus import TITLE_WEIGHT, Corpus, phrase_key
from .taxonomy import OTHER, Taxonomy, Topic
from .text import chunks_of, phrases, split_token, tokenize

__all__ = ["MAX_TOPICS", "MIN_SCORE", "assign_topics", "keyword_keys", "keyword_pattern"]

TITLE_HITS = TITLE_WEIGHT
MIN_SCORE = 3
"""A title hit, or three hits in the abstract, place a paper in a topic."""
MAX_TOPICS = 3


def is_phrase(keyword: str) -> bool:
    """True when the whole keyword is one candidate phrase of the corpus vocabulary.

    Not "user study" (the boilerplate "study" ends a chunk) nor "3D reconstruction".
    """
    chunks = chunks_of(keyword)
    words = [key for token in tokenize(keyword) for key, _ in split_token(token)]
    return (len(chunks) == 1 and list(chunks[0]) == words
            and " ".join(chunks[0]) in phrases(chunks[0]))


def keyword_keys(topics: Iterable[Topic]) -> set[str]:
    """Phrase keys of every keyword that is a phrase (kept in the corpus even if rare)."""
    return {phrase_key(k) for t in topics for k in t.keywords if is_phrase(k)}


def keyword_pattern(keyword: str) -> str:
    """Regex source for one keyword: word-bounded, hyphen or space, optional plural."""
    words = [re.escape(w) for w in re.split(r"[\s\-]+", keyword.strip()) if w]
    plural = r"(?:s|es)?" if words and words[-1][-1:].isalpha() else ""
    return r"\b" + r"[\s\-]*".join(words) + plural + r"\b"


def _regex(topic: Topic) -> re.Pattern[str] | None:
    sources = [keyword_pattern(k) for k in topic.keywords if not is_phrase(k)]
    sources += [f"(?:{p.pattern})" for p in topic.patterns]
    return re.compile("|".join(sources), re.IGNORECASE) if sources else None


def _phrase_scores(corpus: Corpus, topics: tuple[Topic, ...]) -> np.ndarray:
    """papers x topics: weighted counts of each topic's keyword phrases."""
    column = corpus.column()
    rows, cols = [], []
    for t, topic in enumerate(topics):
        keys = {corpus.key(k) for k in topic.keywords if is_phrase(k)}
        found = sorted(column[k] for k in keys if k in column)
        rows += found
        cols += [t] * len(found)
    keywords = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                                 shape=(len(column), len(topics)))
    return (corpus.counts @ keywords).toarray()


def _regex_scores(papers: list[Paper], topics: tuple[Topic, ...]) -> np.ndarray:
    """papers x topics: weighted regex hits of the keywords that are not phrases, and patterns."""
    scores = np.zeros((len(papers), len(topics)), dtype=np.float32)
    for t, topic in enumerate(topics):
        pattern = _regex(topic)
        if pattern is None:
            continue
        for row, paper in enumerate(papers):
            title = "" if paper.title_missing else paper.title
            scores[row, t] = (TITLE_HITS * len(pattern.findall(title))
                              + len(pattern.findall(paper.abstract)))
    return scores


def assign_topics(corpus: Corpus, papers: Mapping[str, Paper],
                  taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """Each paper's topics by id, best first; ("Other",) for a paper that matches none."""
    topics = taxonomy.topics
    if not topics:
        return {pid: (OTHER,) for pid in corpus.ids}
    ordered = [papers[pid] for pid in corpus.ids]
    scores = _phrase_scores(corpus, topics) + _regex_scores(ordered, topics)
    out = {}
    for row, pid in enumerate(corpus.ids):
        hits = np.flatnonzero(scores[row] >= MIN_SCORE)
        best = sorted(hits, key=lambda t: (-scores[row, t], t))[:MAX_TOPICS]
        out[pid] = tuple(topics[t].name for t in best) or (OTHER,)
    return out
