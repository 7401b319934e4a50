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
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from ..config import Config
from ..model import Issue, Paper
from .corpus import Corpus, analysis_jobs, corpus_of, phrase_key
from .display import Display
from .pool import start_jobs, workers_for
from .related import Facts, blended_similarity, find_related, lsa_rows
from .tags import phrase_weights, tag_jobs, tag_scores
from .taxonomy import OTHER, Taxonomy, load_taxonomy
from .topics import keyword_keys, regex_jobs, topics_of

__all__ = ["INPUT_FIELDS", "OTHER", "Enrichment", "enrich", "enrich_papers"]

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
    return Display(corpus.tokens, spelling, df)


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
    with timed("corpus, topic regexes (workers), tag scores"):
        # The workers analyse the text, then match topic regexes while this process builds the
        # corpus from their analyses and scores tag candidates.
        analysis = analysis_jobs(ordered, workers)
        with start_jobs([*analysis, *regex_jobs(ordered, taxonomy, workers)],
                        workers) as started:
            corpus = corpus_of(ordered, started.results(len(analysis)), merges,
                               keep=keyword_keys(taxonomy.topics))
            display = _display(corpus, spelling)
            weights = phrase_weights(corpus)
            never = {phrase_key(t) for t in taxonomy.never_tags}
            with_of = {k for k in spelling if " of " in f" {k} "}
            scored = tag_scores(corpus, never, with_of, weights)
            regex = started.results()[len(analysis):]
    with timed("tags, LSA (workers), topics"):
        lsa = [partial(lsa_rows, corpus.tfidf)] if config.related.semantic_weight > 0 else []
        with start_jobs([*lsa, *tag_jobs(corpus, config.tags, scored, display, workers)],
                        workers) as started:
            topics = topics_of(corpus, taxonomy, regex)
            found = started.results()
        lsa_found = found.pop(0) if lsa else None
        tags = [tuple(names) for part in found for names in part]
    with timed("related"):
        facts = Facts(corpus.ids, tags, topics, [p.venue for p in ordered],
                      [p.listings for p in ordered])
        model = blended_similarity(corpus, lsa_found, config.related.semantic_weight)
        related = find_related(corpus, model, facts, config.related, display, 0.5 + weights)
    row = {pid: i for i, pid in enumerate(corpus.ids)}
    return [replace(p, topics=topics[i], tags=tags[i], related=related[i])
            for p, i in zip(papers, map(row.__getitem__, (p.id for p in papers)), strict=True)]


def enrich(papers: Sequence[Paper], config: Config, root: Path) -> Enrichment:
    """Give every paper topics, tags and related links; the taxonomy comes from `root`."""
    taxonomy = load_taxonomy(root)
    enriched = enrich_papers(papers, config, taxonomy)
    names = {t for p in enriched for t in p.topics}
    return Enrichment(enriched, [], {name: taxonomy.description(name) for name in sorted(names)})
