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
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..model import Paper
from .corpus import TITLE_WEIGHT, Corpus, phrase_key
from .pool import SLICES_PER_WORKER, slice_jobs, start_jobs, workers_for
from .taxonomy import OTHER, Taxonomy, Topic
from .text import chunks_of, phrases, split_token, tokenize

__all__ = ["MAX_TOPICS", "MIN_SCORE", "assign_topics", "keyword_keys", "keyword_pattern",
           "regex_jobs", "topics_of"]

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
    from scipy import sparse

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


def _any_of(patterns: Sequence[re.Pattern[str] | None]) -> re.Pattern[str] | None:
    """One regex matching wherever any of `patterns` does (None if they cannot be joined).

    Most texts match no topic's regex: one search rules them out for every topic at once.
    """
    sources = [f"(?:{p.pattern})" for p in patterns if p is not None]
    if not sources or any(_BACKREFERENCE.search(s) for s in sources):
        return None
    try:
        return re.compile("|".join(sources), re.IGNORECASE)
    except re.error:  # e.g. one group name used in two topics
        return None


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _regex_scores(papers: Sequence[Paper], patterns: Sequence[re.Pattern[str] | None]
                  ) -> np.ndarray:
    """papers x topics: weighted regex hits of the keywords that are not phrases, and patterns."""
    scores = np.zeros((len(papers), len(patterns)), dtype=np.float32)
    found = [(t, p) for t, p in enumerate(patterns) if p is not None]
    if not found:
        return scores
    search = (_any_of(patterns) or re.compile("")).search
    for row, paper in enumerate(papers):
        for weight, text in ((TITLE_HITS, "" if paper.title_missing else paper.title),
                             (1, paper.abstract)):
            if search(text) is None:
                continue
            for t, pattern in found:
                scores[row, t] += weight * len(pattern.findall(text))
    return scores


def _best(scores: np.ndarray, topics: tuple[Topic, ...]) -> list[tuple[str, ...]]:
    """Each row's topics scoring `MIN_SCORE` or more, best first (ties in taxonomy order)."""
    order = np.argsort(-scores, axis=1, kind="stable")[:, :MAX_TOPICS]  # stable: ties by index
    placed = np.take_along_axis(scores, order, axis=1) >= MIN_SCORE
    names = [topic.name for topic in topics]
    return [tuple(names[t] for t, ok in zip(row, oks, strict=True) if ok) or (OTHER,)
            for row, oks in zip(order.tolist(), placed.tolist(), strict=True)]


def regex_jobs(ordered: Sequence[Paper], taxonomy: Taxonomy, workers: int,
               per_worker: int = SLICES_PER_WORKER) -> list[Callable[[], np.ndarray]]:
    """Jobs scoring consecutive slices of `ordered` (the corpus' papers, in row order) by the
    topics' regular expressions: keywords that are not phrases, and patterns.

    They need no corpus, so they can run before it is built; `topics_of` takes their results.
    """
    patterns = tuple(_regex(topic) for topic in taxonomy.topics)
    return slice_jobs(lambda start, stop: _regex_scores(ordered[start:stop], patterns),
                      len(ordered), workers, per_worker)


def topics_of(corpus: Corpus, taxonomy: Taxonomy, regex_scores: Sequence[np.ndarray]
              ) -> list[tuple[str, ...]]:
    """Each corpus row's topics, best first; ("Other",) for a row matching none.

    `regex_scores` are the results of the corpus' `regex_jobs`, in order.
    """
    topics = taxonomy.topics
    if not topics:
        return [(OTHER,)] * len(corpus.ids)
    regex = np.concatenate(regex_scores) if regex_scores else 0
    return _best(_phrase_scores(corpus, topics) + regex, topics)


def assign_topics(corpus: Corpus, papers: Mapping[str, Paper],
                  taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """Each paper's topics by id, best first; ("Other",) for a paper that matches none.

    The regular expressions run on worker processes for large corpora (see `pool`).
    """
    workers = workers_for(len(corpus.ids))
    jobs = regex_jobs([papers[pid] for pid in corpus.ids], taxonomy, workers)
    found = topics_of(corpus, taxonomy, start_jobs(jobs, workers).results())
    return dict(zip(corpus.ids, found, strict=True))
