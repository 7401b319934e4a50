"""Quality of related links and tags on the arXiv corpus, judged by arXiv's own categories.

Usage: `python bench/quality.py [--papers 10000] [--count 5]`.

Enriches the first N records of `../shared/data/arxiv-cs-75k.jsonl.gz` exactly as a build does
(built-in taxonomy, default settings) and prints one Markdown table: for related links, the mean
category overlap (Jaccard of category sets) between a paper and its related papers, against
random pairs, plain TF-IDF cosine and litreview's TF-IDF part alone; for tags, the share of
papers with 3+ tags, the share of tags carried by 2+ papers, and how concentrated big tags are
in categories (entropy, lower is better) against random sets of the same size. It measures
only; nothing in the generator changes.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from generator.config import Config, RelatedConfig  # noqa: E402
from generator.enrich import enrich_papers  # noqa: E402
from generator.enrich.quality import (  # noqa: E402
    load_arxiv,
    mean_jaccard,
    plain_tfidf_links,
    random_links,
    tag_concentration,
    tag_coverage,
)
from generator.enrich.taxonomy import OTHER, builtin_taxonomy_path, parse_taxonomy  # noqa: E402


def _links(papers, config) -> tuple[dict, dict, float]:
    start = time.perf_counter()
    taxonomy = parse_taxonomy(builtin_taxonomy_path().read_text("utf-8"), "taxonomy.yaml")
    enriched = enrich_papers(papers, config, taxonomy)
    seconds = time.perf_counter() - start
    return ({p.id: [r.id for r in p.related] for p in enriched},
            {p.id: p for p in enriched}, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=5)
    args = parser.parse_args()
    papers, labels = load_arxiv(args.papers)
    config = replace(Config(), related=RelatedConfig(count=args.count))
    ours, enriched, seconds = _links(papers, config)
    text_only, _, _ = _links(papers, replace(config, related=replace(config.related,
                                                                     semantic_weight=0.0)))
    ids = sorted(p.id for p in papers)
    rows = [
        ("random pairs", mean_jaccard(random_links(ids, args.count), labels)),
        ("plain TF-IDF cosine (sklearn, English stop words)",
         mean_jaccard(plain_tfidf_links(papers, args.count), labels)),
        ("litreview, phrase TF-IDF only (semantic_weight 0)", mean_jaccard(text_only, labels)),
        ("litreview default (phrase TF-IDF + LSA)", mean_jaccard(ours, labels)),
    ]
    tags = {pid: p.tags for pid, p in enriched.items()}
    with_three, shared = tag_coverage(tags)
    entropy, chance, big = tag_concentration(tags, labels)
    other = sum(p.topics == (OTHER,) for p in enriched.values())
    print(f"## Enrichment quality on the first {len(papers)} arXiv papers "
          f"(related.count {args.count}; enrich took {seconds:.1f} s)\n")
    print("| related links | mean category Jaccard |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value:.3f} |")
    print("\n| tags | value |\n|---|---|")
    print(f"| papers with >= 3 tags | {with_three:.1%} |")
    print(f"| distinct tags carried by >= 2 papers (get a page) | {shared:.1%} |")
    print(f"| big tags (>= 20 papers) | {big} |")
    print(f"| category entropy of big tags, bits (random sets of same size) | "
          f"{entropy:.2f} ({chance:.2f}) |")
    print(f"| papers in no curated topic (\"Other\") | {other / len(papers):.1%} |")


if __name__ == "__main__":
    main()
