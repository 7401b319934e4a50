"""Enrichment: curated topics, keyphrase tags and related-paper links with reasons.

`enrich()` reads the taxonomy, analyses the corpus once (`corpus`), then gives every paper its
topics (`topics`), tags (`tags`) and related papers (`related`), and returns new copies. Nothing
here reads listings or writes the site; which tags and topics get pages is the library's call.

The result depends only on the `INPUT_FIELDS` of the papers (in any order), the `tags` and
`related` settings of the config, and the taxonomy. Large corpora are worked on by forked
worker processes (`pool`), with the same result as one process. Importing this package loads
neither SciPy nor scikit-learn: they load when enrichment runs.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..config import Config
from ..model import Issue, Paper, Related
from .corpus import Corpus, analysis_jobs, corpus_of, phrase_key
from .display import Display
from .pool import start_jobs, workers_for
from .related import Facts, blended_similarity, lsa_rows, related_jobs
from .tags import phrase_weights, tag_jobs, tag_scorer
from .taxonomy import OTHER, Taxonomy, load_taxonomy
from .topics import keyword_keys, regex_jobs, topics_of

__all__ = ["INPUT_FIELDS", "OTHER", "Enrichment", "enrich", "enrich_papers"]

A = TypeVar("A")
B = TypeVar("B")

INPUT_FIELDS: tuple[str, ...] = ("id", "title", "title_missing", "abstract", "venue", "sources")
"""The `Paper` fields enrichment reads; topics, tags and related links depend on nothing else of
a paper (`sources` for its listing names, named in reasons). Every other field of an input
paper is copied to its enriched copy unread (tested: `tests/test_related.py`)."""


@dataclass(frozen=True)
class Enrichment:
    """Enriched papers, the issues found, and each topic's description (for topic pages)."""

    papers: list[Paper]
    issues: list[Issue]
    descriptions: Mapping[str, str]

    @property
    def unplaced(self) -> int:
        """How many papers matched no curated topic (they are in "Other")."""
        return sum(1 for p in self.papers if p.topics == (OTHER,))


def _aliases(taxonomy: Taxonomy) -> tuple[dict[str, str], dict[str, str]]:
    """(variant key -> preferred key, preferred key -> preferred spelling)."""
    merges, spelling = {}, {}
    for variant, preferred in taxonomy.aliases:
        target = phrase_key(preferred)
        if target:
            spelling[target] = preferred
            merges[phrase_key(variant)] = target
    return {k: v for k, v in merges.items() if k and k != v}, spelling


def _display(corpus: Corpus, spelling: Mapping[str, str]) -> Display:
    df = {t: d for t, d in zip(corpus.vocabulary, corpus.df.tolist(), strict=True) if " " in t}
    return Display(corpus.forms, spelling, df)


@contextmanager
def _untimed(stage: str) -> Iterator[None]:
    yield


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (and in forked workers, which inherit it).

    Enrichment allocates millions of small containers (chunks, counts, links) next to a large
    live heap, and makes no reference cycles of its own: every automatic collection would walk
    that heap for nothing (half the CPU of unpickling workers' results at 50,000 papers).
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def enrich_papers(papers: Sequence[Paper], config: Config, taxonomy: Taxonomy,
                  timed: Callable[[str], AbstractContextManager[object]] = _untimed
                  ) -> list[Paper]:
    """Papers with topics, tags and related links (in input order).

    `timed(stage)` wraps each stage (see `bench/enrich.py`) for benchmarks.
    """
    with _collector_paused():
        return _enrich_papers(papers, config, taxonomy, timed)


def _enrich_papers(papers: Sequence[Paper], config: Config, taxonomy: Taxonomy,
                   timed: Callable[[str], AbstractContextManager[object]]) -> list[Paper]:
    merges, spelling = _aliases(taxonomy)
    ordered = sorted(papers, key=lambda p: p.id)  # the corpus' rows
    workers = workers_for(len(ordered))
    with ExitStack() as pools:
        with timed("corpus; display, tag scorer"):
            # One worker works out the LSA while this process prepares display forms and tag
            # scores.
            corpus, regex = _corpus(ordered, taxonomy, merges, workers)
            lsa = pools.enter_context(start_jobs(
                [partial(lsa_rows, corpus.tfidf)] if config.related.semantic_weight > 0 else [],
                workers))
            display = _display(corpus, spelling)
            weights = phrase_weights(corpus)
            scorer = tag_scorer(corpus, {phrase_key(t) for t in taxonomy.never_tags},
                                {k for k in spelling if " of " in f" {k} "}, weights)
        with timed("tags (workers), topics"), start_jobs(
                tag_jobs(scorer, config.tags, display, workers), workers) as tagging:
            topics = topics_of(corpus, taxonomy, regex)
            tags = [tuple(names) for part in tagging.results() for names in part]
        with timed("related (workers), enriched copies"):
            facts = Facts(corpus.ids, tags, topics, [p.venue for p in ordered],
                          [p.listings for p in ordered])
            model = blended_similarity(corpus, next(iter(lsa.results()), None),
                                       config.related.semantic_weight)
            jobs = related_jobs(corpus, model, facts, config.related, display, 0.5 + weights,
                                workers)
            with start_jobs(jobs, workers) as relating:
                found = chain.from_iterable(map(relating.result, range(len(jobs))))
                return _copies(papers, ordered, topics, tags, found)


def _corpus(ordered: Sequence[Paper], taxonomy: Taxonomy, merges: Mapping[str, str],
            workers: int) -> tuple[Corpus, list[np.ndarray]]:
    """The corpus of `ordered` and its rows' topic regex scores (see `topics.regex_jobs`).

    Each worker analyses the text of one slice of the papers, then matches the topic regexes
    there (so that nothing else runs while this process joins the analyses).
    """
    jobs = zip(analysis_jobs(ordered, workers), regex_jobs(ordered, taxonomy, workers, 1),
               strict=True)
    started = start_jobs([partial(_both, *pair) for pair in jobs], workers)
    if workers > 1:  # while the workers analyse, not after: `corpus_of` and LSA need these
        _import_models()
    found = started.results()
    corpus = corpus_of(ordered, [part for part, _ in found], merges,
                       keep=keyword_keys(taxonomy.topics))
    return corpus, [scores for _, scores in found]


def _import_models() -> None:
    """Import scikit-learn's models (a second of CPU, once per process)."""
    import sklearn.decomposition  # noqa: F401
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.preprocessing  # noqa: F401


def _both(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    return first(), second()


def _copies(papers: Sequence[Paper], ordered: Sequence[Paper],
            topics: Sequence[tuple[str, ...]], tags: Sequence[tuple[str, ...]],
            related: Iterable[tuple[Related, ...]]) -> list[Paper]:
    """The enriched copies of `papers`, in input order, from the results by corpus row.

    `related` may still be coming in from the workers: each row is copied as soon as its
    links are in, while the workers go on with the next rows.
    """
    by_row = [replace(p, topics=row_topics, tags=row_tags, related=links) for
              p, row_topics, row_tags, links in zip(ordered, topics, tags, related, strict=True)]
    row = {p.id: i for i, p in enumerate(ordered)}
    copies = [by_row[row[p.id]] for p in papers]
    return [c if ordered[row[p.id]] is p else replace(p, topics=c.topics, tags=c.tags,
                                                      related=c.related)
            for p, c in zip(papers, copies, strict=True)]


def enrich(papers: Sequence[Paper], config: Config, root: Path) -> Enrichment:
    """Give every paper topics, tags and related links; the taxonomy comes from `root`."""
    taxonomy = load_taxonomy(root)
    enriched = enrich_papers(papers, config, taxonomy)
    names = {t for p in enriched for t in p.topics}
    return Enrichment(enriched, [], {name: taxonomy.description(name) for name in sorted(names)})
