"""Time and memory of enrichment (topics, tags, related) per stage, at several corpus sizes.

Usage: `python bench/enrich.py [--papers 1000,10000,50000]`.

Each size runs in its own process (so peak RSS is that size's), on the first N records of
`../shared/data/arxiv-cs-75k.jsonl.gz`, with the built-in taxonomy and default settings, and
prints one Markdown table: CPU seconds per stage (worker processes included), wall seconds
in all, peak RSS (of the main process). Loading the
records is not counted. This module measures; it changes nothing in the generator.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STAGES = ("corpus", "tags", "topics", "similarity", "top-k", "reasons")


def measure(n: int) -> dict:
    """Run the enrichment stages on n papers in this process; return their figures."""
    from generator.config import Config
    from generator.enrich import _aliases, _display
    from generator.enrich.corpus import build_corpus, phrase_key
    from generator.enrich.neighbours import top_k
    from generator.enrich.quality import load_arxiv
    from generator.enrich.related import similarity_model
    from generator.enrich.tags import choose_tags, phrase_weights
    from generator.enrich.taxonomy import builtin_taxonomy_path, parse_taxonomy
    from generator.enrich.topics import assign_topics, keyword_keys

    papers, _ = load_arxiv(n)
    taxonomy = parse_taxonomy(builtin_taxonomy_path().read_text("utf-8"), "taxonomy.yaml")
    config = Config()
    cpu: dict[str, float] = {}
    wall = time.perf_counter()

    def seconds() -> float:  # CPU of this process and of its finished workers
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def timed(name, fn, *args):
        start = seconds()
        result = fn(*args)
        cpu[name] = cpu.get(name, 0.0) + seconds() - start
        return result

    merges, spelling = _aliases(taxonomy)
    corpus = timed("corpus", build_corpus, papers, merges, keyword_keys(taxonomy.topics))
    weights = timed("tags", phrase_weights, corpus)
    display = timed("tags", _display, corpus, spelling)
    never = {phrase_key(t) for t in taxonomy.never_tags}
    keys = timed("tags", choose_tags, corpus, config.tags, never, set(), weights)
    timed("tags", lambda: [[display(k) for k in row] for row in keys])
    timed("topics", assign_topics, corpus, {p.id: p for p in papers}, taxonomy)
    model = timed("similarity", similarity_model, corpus, config.related.semantic_weight)
    links = timed("top-k", lambda: list(top_k(model.candidates, n, 5, config.related.min_score,
                                              rescore=model.rescore)))
    timed("reasons", _reasons_of, links, corpus, papers, display, weights)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"n": n, "cpu": cpu, "wall": time.perf_counter() - wall, "rss_mib": rss,
            "vocabulary": len(corpus.vocabulary)}


def _reasons_of(links, corpus, papers, display, weights) -> list:
    """The reasons of every link, as `related.find_related` makes them."""
    import numpy as np

    from generator.enrich.related import _reasons, shared_terms

    rows = np.array([r for r, cols, _ in links for _ in cols], np.int64)
    cols = np.array([c for _, cs, _ in links for c in cs], np.int64)
    terms = shared_terms(corpus.tfidf, rows, cols, corpus.vocabulary, 3, 0.5 + weights)
    by_id = {p.id: replace(p, tags=()) for p in papers}
    return [_reasons(by_id[corpus.ids[r]], by_id[corpus.ids[c]], [display(t) for t in ts], False)
            for r, c, ts in zip(rows, cols, terms, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="1000,10000,50000")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print("| papers | " + " | ".join(f"{s} (CPU s)" for s in STAGES)
          + " | total CPU s | wall s | peak RSS MiB | phrases |")
    print("|---" * (len(STAGES) + 5) + "|")
    for n in (int(x) for x in args.papers.split(",")):
        child = subprocess.run([sys.executable, __file__, "--child", str(n)],
                               capture_output=True, text=True)
        if child.returncode:
            sys.exit(child.stderr)
        out = child.stdout
        run = json.loads(out.strip().splitlines()[-1])
        cells = [f"{run['cpu'].get(s, 0):.1f}" for s in STAGES]
        print(f"| {n} | " + " | ".join(cells) + f" | {sum(run['cpu'].values()):.1f} | "
              f"{run['wall']:.1f} | {run['rss_mib']:.0f} | {run['vocabulary']} |")


if __name__ == "__main__":
    main()
