"""Enrichment: curated topics, keyphrase tags and related-paper links with reasons.

`enrich()` reads the taxonomy, analyses the corpus once (`corpus`), then gives every paper its
topics (`topics`), tags (`tags`) and related papers (`related`), and returns new copies. Nothing
here reads listings or writes the site; which tags and topics get pages is the library's call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Config
from ..model import Issue, Paper
from .corpus import Corpus, build_corpus, phrase_key
from .display import Display
from .related import find_related
from .tags import choose_tags, phrase_weights
from .taxonomy import OTHER, Taxonomy, load_taxonomy
from .topics import assign_topics, keyword_keys

__all__ = ["OTHER", "Enrichment", "enrich", "enrich_papers"]


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
    df = {t: int(d) for t, d in zip(corpus.vocabulary, corpus.df, strict=True) if " " in t}
    return Display(corpus.tokens, spelling, df)


def enrich_papers(papers: Sequence[Paper], config: Config, taxonomy: Taxonomy) -> list[Paper]:
    """Papers with topics, tags and related links (in input order)."""
    merges, spelling = _aliases(taxonomy)
    corpus = build_corpus(papers, merges, keep=keyword_keys(taxonomy.topics))
    display = _display(corpus, spelling)
    never = {phrase_key(t) for t in taxonomy.never_tags}
    with_of = {k for k in spelling if " of " in f" {k} "}
    weights = phrase_weights(corpus)
    tag_keys = choose_tags(corpus, config.tags, never, with_of, weights)
    tags = {pid: tuple(map(display, keys)) for pid, keys in zip(corpus.ids, tag_keys, strict=True)}
    topics = assign_topics(corpus, {p.id: p for p in papers}, taxonomy)
    tagged = {p.id: replace(p, topics=topics[p.id], tags=tags[p.id]) for p in papers}
    related = find_related(tagged, corpus, config.related, display, 0.5 + weights)
    return [replace(tagged[p.id], related=related[p.id]) for p in papers]


def enrich(papers: Sequence[Paper], config: Config, root: Path) -> Enrichment:
    """Give every paper topics, tags and related links; the taxonomy comes from `root`."""
    taxonomy = load_taxonomy(root)
    enriched = enrich_papers(papers, config, taxonomy)
    names = {t for p in enriched for t in p.topics}
    return Enrichment(enriched, [], {name: taxonomy.description(name) for name in sorted(names)})
