"""Quality measures of tags and related links against labels we did not make: arXiv categories.

Reads the arXiv corpus described in `shared/data/README.md` into `Paper` records plus each
paper's category set, and scores: the mean category overlap (Jaccard) between a paper and its
related papers (against random pairs and plain TF-IDF cosine), and how concentrated the papers of
each tag are in few categories. Used by `bench/quality.py` and the quality tests, never by a build.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ..model import Paper, SourceRef, paper_id, title_key
from .neighbours import top_k

__all__ = ["ARXIV", "category_entropy", "load_arxiv", "mean_jaccard", "plain_tfidf_links",
           "random_links", "tag_concentration", "tag_coverage"]

ARXIV = Path(__file__).resolve().parents[3] / "shared" / "data" / "arxiv-cs-75k.jsonl.gz"
"""The shared arXiv corpus, beside the work tree (`../shared/data`)."""

Links = Mapping[str, Sequence[str]]


def _categories(value: object) -> frozenset[str]:
    if isinstance(value, str):
        value = [v.strip(" '\"") for v in value.strip("[]").split(",")]
    return frozenset(c for c in value or () if c.startswith("cs.") or "." in c)


def load_arxiv(n: int, path: Path = ARXIV) -> tuple[list[Paper], dict[str, frozenset[str]]]:
    """The first `n` distinct records as papers, and each paper id's arXiv categories."""
    papers: dict[str, Paper] = {}
    labels: dict[str, frozenset[str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if len(papers) >= n:
                break
            record = json.loads(line)
            title = " ".join(record["title"].split())
            pid = paper_id(title_key(title))
            if pid in papers:
                continue
            papers[pid] = Paper(title=title, abstract=" ".join(record["summary"].split()),
                                sources=(SourceRef(path.name, number),), id=pid, slug=pid,
                                date=record.get("listing_date"))
            labels[pid] = _categories(record.get("categories"))
    return list(papers.values()), labels


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def mean_jaccard(links: Links, labels: Mapping[str, frozenset[str]]) -> float:
    """Mean category Jaccard over all (paper, related paper) links."""
    scores = [jaccard(labels[a], labels[b]) for a, others in links.items() for b in others]
    return float(np.mean(scores)) if scores else 0.0


def random_links(ids: Sequence[str], k: int, seed: int = 0) -> dict[str, list[str]]:
    """k random other papers per paper: the floor any method must beat."""
    rng = random.Random(seed)
    return {i: [o for o in rng.sample(ids, k + 1) if o != i][:k] for i in ids}


def plain_tfidf_links(papers: Sequence[Paper], k: int) -> dict[str, list[str]]:
    """The textbook baseline: TF-IDF (English stop words) cosine of title + abstract."""
    ordered = sorted(papers, key=lambda p: p.id)
    matrix = TfidfVectorizer(stop_words="english").fit_transform(
        f"{p.title} {p.abstract}" for p in ordered)
    matrix = matrix.tocsr()
    transposed = matrix.T.tocsr()
    links = top_k(lambda a, b: matrix[a:b] @ transposed, len(ordered), k, pool=k)
    return {ordered[row].id: [ordered[c].id for c in cols] for row, cols, _ in links}


def category_entropy(paper_ids: Iterable[str], labels: Mapping[str, frozenset[str]]) -> float:
    """Entropy (bits) of the category distribution of a set of papers (each category counted)."""
    counts = Counter(c for i in paper_ids for c in labels[i])
    total = sum(counts.values())
    return -sum(v / total * math.log2(v / total) for v in counts.values()) if total else 0.0


def tag_concentration(tags: Mapping[str, Sequence[str]], labels: Mapping[str, frozenset[str]],
                      min_papers: int = 20, seed: int = 0) -> tuple[float, float, int]:
    """Mean category entropy of big tags' papers, and of random paper sets of the same sizes.

    A tag whose papers sit in few categories says something; one spread like a random set of
    papers says little. Returns (tags' mean entropy, random sets' mean entropy, big tags).
    """
    by_tag: dict[str, list[str]] = {}
    for pid, names in tags.items():
        for name in names:
            by_tag.setdefault(name, []).append(pid)
    big = [ids for _, ids in sorted(by_tag.items()) if len(ids) >= min_papers]
    rng = random.Random(seed)
    ids = sorted(tags)
    ours = [category_entropy(group, labels) for group in big]
    chance = [category_entropy(rng.sample(ids, len(group)), labels) for group in big]
    return float(np.mean(ours or [0])), float(np.mean(chance or [0])), len(big)


def tag_coverage(tags: Mapping[str, Sequence[str]]) -> tuple[float, float]:
    """(share of papers with at least 3 tags, share of distinct tags carried by 2+ papers)."""
    counts = Counter(t for names in tags.values() for t in names)
    papers = sum(len(names) >= 3 for names in tags.values()) / max(len(tags), 1)
    shared = sum(n >= 2 for n in counts.values()) / max(len(counts), 1)
    return papers, shared
