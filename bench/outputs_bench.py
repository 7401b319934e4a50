"""Outputs benchmark: CPU seconds and size of papers.json, the feed and the sitemap for N papers.

Usage: `python bench/outputs_bench.py [--papers 10000,50000] [--cache DIR]`.

The first N arXiv records become compact Hugging Face listings (`bench/corpus.py`), go through
the real stages up to the Library (read, repair, dedupe, enrich; enrichment dominates the set-up,
about a minute at 50,000 papers; `--cache DIR` keeps the enriched papers for the next run), then
each output function runs three times on that Library and the best CPU time is kept. Prints one
Markdown table. This module measures; it changes nothing in the generator. Not a test: numbers
depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import read_records, write_listings  # noqa: E402

from generator import outputs  # noqa: E402
from generator.build import today  # noqa: E402
from generator.config import Config  # noqa: E402
from generator.dedupe import assign_slugs, dedupe  # noqa: E402
from generator.enrich import enrich  # noqa: E402
from generator.library import Library  # noqa: E402
from generator.model import Paper  # noqa: E402
from generator.repair import repair_listing  # noqa: E402
from generator.sources import listing_paths, read_listing  # noqa: E402

SITE = Config(site_url="https://example.github.io", base_url="/review/")


def enriched_papers(n: int, cache: Path | None) -> tuple[list[Paper], dict[str, str]]:
    """The first `n` corpus papers through read, repair, dedupe and enrich (or from `cache`)."""
    saved = cache / f"outputs-bench-{n}.pickle" if cache else None
    if saved is not None and saved.exists():
        return pickle.loads(saved.read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_listings(root / "content" / "listings", read_records(n))
        papers = [p for path in listing_paths(root / "content" / "listings")
                  for p in repair_listing(read_listing(path).papers, today())[0]]
        unique, _ = dedupe(papers)
        enrichment = enrich(assign_slugs(unique), Config(), root)
    result = (enrichment.papers, dict(enrichment.descriptions))
    if saved is not None:
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_bytes(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    return result


def best_cpu(make: Callable[[], object]) -> tuple[float, int]:
    """Best CPU seconds of three runs, and the output's size in UTF-8 bytes."""
    times, out = [], None
    for _ in range(3):
        start = time.process_time()
        out = make()
        times.append(time.process_time() - start)
    files = out if isinstance(out, list) else [("", out)]
    return min(times), sum(len(str(text).encode("utf-8")) for _, text in files)


def measure(library: Library) -> dict[str, tuple[float, int]]:
    return {
        "papers.json": best_cpu(lambda: outputs.papers_json(library)),
        "feed.xml": best_cpu(lambda: outputs.feed_xml(library, SITE)),
        "sitemap": best_cpu(lambda: outputs.sitemap_files(library, SITE, ["a-review"])),
        "robots.txt": best_cpu(lambda: outputs.robots_txt(SITE)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="10000,50000")
    parser.add_argument("--cache", type=Path, help="keep enriched papers here between runs")
    args = parser.parse_args()
    sizes = [int(n) for n in args.papers.split(",")]
    rows: dict[str, list[str]] = {}
    for n in sizes:
        papers, descriptions = enriched_papers(n, args.cache)
        library = Library.build(papers, descriptions=descriptions)
        figures = measure(library)
        for name, (cpu, size) in figures.items():
            rows.setdefault(name, []).append(f"{cpu:.2f} s / {size / 1e6:.1f} MB")
        total = sum(cpu for cpu, _ in figures.values())
        rows.setdefault("all outputs", []).append(f"**{total:.2f} s**")
    print("| output (CPU s / size) | " + " | ".join(f"{n:,}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
