"""Editors' notes and reviews at scale: what they cost a build, `litreview check`, `new-note`.

    .venv/bin/python bench/notes_bench.py --papers 1000,10000 [--notes-every 10] [--workdir DIR]

For each size: the first N arXiv records as listings, one note on every `--notes-every`-th
paper (tags, status, rating, a pinned related paper, a body with a wiki-link, a table and
math), and one review citing 500 papers by slug and 100 by exact title. Prints a table of
wall / CPU seconds: the notes + reviews stage of a full build (from `BuildReport.stages`), the
content part of `check` (`build(check_only=True)`), the site link crawl of `check`
(`check.check_site`) with pages and links checked, and the paper lookup of `new-note`
(`notes.match_paper`, fuzzy words). This script only measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import read_records, write_listings  # noqa: E402
from generator.build import build  # noqa: E402
from generator.check import check_site  # noqa: E402
from generator.notes import match_paper  # noqa: E402

T = TypeVar("T")


def write_editorial(root: Path, papers: list, every: int) -> int:
    """Notes on every `every`-th paper and one big review; returns the number of notes."""
    notes = root / "content" / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    chosen = papers[::every]
    for i, paper in enumerate(chosen):
        other = papers[(i * every + 1) % len(papers)]
        (notes / f"{paper.slug}.md").write_text(
            f"---\npaper: {paper.slug}\ntags: [editor tag {i % 50}]\nstatus: read\nrating: 4\n"
            f"related: [{other.slug}]\n---\n\nCompare with [[{other.slug}]].\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n\nWith $\\alpha^2 \\leq \\beta$.\n",
            encoding="utf-8")
    cited = [f"- [[{p.slug}]]" for p in papers[:500]]
    cited += [f"- [[{p.title}]]" for p in papers[500:600]
              if "]" not in p.title and "|" not in p.title]
    review = root / "content" / "reviews" / "big-review.md"
    review.parent.mkdir(parents=True, exist_ok=True)
    review.write_text("---\ntitle: A big review\n---\n\n" + "\n".join(cited) + "\n",
                      encoding="utf-8")
    return len(chosen)


def measure(n: int, every: int, work: Path) -> list[str]:
    root = work / f"p{n}"
    write_listings(root / "content" / "listings", read_records(n))
    papers = list(build(root, check_only=True).linked.papers)
    count = write_editorial(root, papers, every)
    report = build(root, output=root / "site", search_index=False)
    stage = f"{report.stages['notes + reviews']:.2f} / {report.stages_cpu['notes + reviews']:.2f}"
    content, _ = timed(lambda: build(root, check_only=True))
    crawl, (pages, links, issues) = timed(lambda: check_site(root / "site", "/"))
    lookup, _ = timed(lambda: match_paper("graph neural network molecule", papers))
    return [f"{n:,}", f"{count:,}", stage, content, crawl,
            f"{pages:,} / {links:,} / {len(issues)}", lookup]


def timed(work: Callable[[], T]) -> tuple[str, T]:
    """`wall / CPU` seconds of `work()`, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return f"{time.perf_counter() - wall:.2f} / {time.process_time() - cpu:.2f}", result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="1000,10000")
    parser.add_argument("--notes-every", type=int, default=10)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    table = Table(title="Notes, reviews and check (wall / CPU seconds)", title_justify="left")
    for col in ("papers", "notes", "notes + reviews stage", "check: content",
                "check: site links", "pages / links / broken", "new-note lookup"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for n in (int(x) for x in args.papers.split(",")):
            table.add_row(*measure(n, args.notes_every, Path(tmp)))
    Console().print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
