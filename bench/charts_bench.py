"""Charts benchmark: time and size of the home-page charts and the collection map for N papers.

Usage: `python bench/charts_bench.py [--papers 1000,10000,50000]`.

The first N arXiv records of the shared corpus become Papers (topic = the first arXiv category,
date = the listing date, link = the arXiv page), indexed by `Library.build` as a build would;
then each picture is drawn once, timed, and measured in bytes. Prints one Markdown table. This
module measures; it changes nothing in the generator. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from generator.charts import timeline_chart, topic_chart  # noqa: E402
from generator.library import Library  # noqa: E402
from generator.model import Paper, SourceRef, paper_id, title_key  # noqa: E402
from generator.papermap import collection_map  # noqa: E402

CORPUS = HERE.parent.parent / "shared" / "data" / "arxiv-cs-75k.jsonl.gz"


def read_papers(n: int) -> list[Paper]:
    """The first `n` distinct corpus papers."""
    papers: dict[str, Paper] = {}
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for row in fh:
            if len(papers) >= n:
                break
            rec = json.loads(row)
            title = " ".join(rec["title"].split())
            cats = rec["categories"]
            cats = cats if isinstance(cats, list) else re.findall(r"'([^']+)'", cats)
            pid = paper_id(title_key(title))
            papers.setdefault(pid, Paper(
                title=title, abstract=" ".join(rec["summary"].split()),
                sources=(SourceRef("arxiv.txt", len(papers) + 1),), id=pid, slug=f"p-{pid}",
                date=rec["listing_date"], links=(rec["abs"],), topics=tuple(cats[:2])))
    return list(papers.values())


def timed(make) -> tuple[float, int]:
    start = time.perf_counter()
    html = make()
    return time.perf_counter() - start, len(str(html).encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="1000,10000,50000")
    sizes = [int(n) for n in parser.parse_args().papers.split(",")]
    url = lambda path="": "/my-review/" + path  # noqa: E731
    import sklearn.manifold  # noqa: F401  (imported once here, not timed with the first map)
    print("| papers | topics chart s | KB | timeline s | KB | map s | map KB | points |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        library = Library.build(read_papers(n))
        topics_s, topics_b = timed(lambda: topic_chart(library, url))  # noqa: B023
        time_s, time_b = timed(lambda: timeline_chart(library))  # noqa: B023
        start = time.perf_counter()
        drawn = str(collection_map(library, url))
        map_s, map_b = time.perf_counter() - start, len(drawn.encode("utf-8"))
        points = drawn.count("<circle")
        print(f"| {len(library.papers):,} | {topics_s:.3f} | {topics_b / 1e3:.1f} | "
              f"{time_s:.3f} | {time_b / 1e3:.1f} | {map_s:.2f} | {map_b / 1e3:.0f} | "
              f"{points:,} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
