"""Front stages benchmark: read + repair, dedupe, the library and the build stamp, each alone.

Usage: `python bench/front_bench.py [--papers 10000,50000] [--workdir DIR] [--site DIR]
[--runs 3] [--dump FILE | --compare FILE]`.

The first N arXiv records become compact Hugging Face listings (`bench/corpus.py`, 2,000 papers
a file, kept in `--workdir`). Each stage then runs `--runs` times in this process on the same
inputs, and the best wall and CPU seconds are kept (CPU includes worker processes):
- `read + repair`: `build._read_repaired` with an in-memory cache (every listing parsed);
- `dedupe`: `reuse.identified` (`dedupe.dedupe`, then `dedupe.assign_slugs`), split below;
- `library`: `Library.build` of the enriched papers (enrichment runs once per size and is kept
  in `--workdir`; it is not measured here, see `bench/enrich.py`);
- `stamp: walk`: the output-folder record `BuildStamp.save` takes after a build, and
  `stamp: check`, what a no-op rebuild compares it with; on `--site DIR` (a built site, read
  only), else on a tree of empty files in `--workdir` shaped like the site of the library.
`--dump FILE` pickles every stage's result, `--compare FILE` checks them against such a dump
(same output before and after a change). Prints one Markdown table. This module measures; it
changes nothing in the generator. Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import pickle
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from corpus import read_records, write_listings  # noqa: E402

from generator import build, reuse  # noqa: E402
from generator.cache import BuildCache  # noqa: E402
from generator.config import Config  # noqa: E402
from generator.dedupe import assign_slugs, dedupe  # noqa: E402
from generator.fingerprint import folders_unchanged, output_folders  # noqa: E402
from generator.library import Library  # noqa: E402
from generator.model import Paper  # noqa: E402
from generator.sources import listing_paths  # noqa: E402


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (pool workers)."""
    own, kids = (resource.getrusage(resource.RUSAGE_SELF),
                 resource.getrusage(resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def best(run: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Best wall and best CPU seconds of `runs` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        result = None  # the last result is freed before the next run
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu_seconds() - cpu)
    return min(walls), min(cpus), result


def project(workdir: Path, n: int) -> Path:
    """A project holding the first `n` corpus records as listings (made once)."""
    root = workdir / f"project-{n}"
    if not (root / "content" / "listings").is_dir():
        write_listings(root / "content" / "listings", read_records(n))
    return root


def enriched(root: Path, unique: list[Paper]) -> tuple[list[Paper], dict[str, str]]:
    """The enriched papers of the project (computed once, then read from `root`)."""
    saved = root / "enriched.pickle"
    if saved.exists():
        return pickle.loads(saved.read_bytes())
    from generator.enrich import enrich

    enrichment = enrich(unique, Config(), root)
    result = (enrichment.papers, dict(enrichment.descriptions))
    saved.write_bytes(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
    return result


def site_tree(root: Path, library: Library) -> Path:
    """Empty files where a build puts its pages: a folder per paper and per term (made once)."""
    site = root / "site-tree"
    if site.is_dir():
        return site
    paths = [f"papers/{p.slug}/index.html" for p in library.papers]
    paths += [f"papers/{p.slug}.md" for p in library.papers]
    paths += [f"{kind}/{t.slug}/index.html" for kind, ts in library.terms.items() for t in ts]
    paths += ["index.html", "papers.json", "search/index.html", "assets/site.css"]
    for rel in paths:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).touch()
    return site


def library_state(library: Library) -> tuple[Any, ...]:
    """Everything a library holds, as plain values that compare by equality."""
    return (library.papers, dict(library.terms), dict(library.by_term), dict(library.links))


def measure(n: int, workdir: Path, site: Path | None, runs: int
            ) -> tuple[dict[str, tuple[float, float]], dict[str, Any]]:
    """Wall and CPU seconds of each front stage at `n` papers, and each stage's result."""
    root = project(workdir, n)
    times: dict[str, tuple[float, float]] = {}
    results: dict[str, Any] = {}

    def stage(name: str, run: Callable[[], Any]) -> Any:
        wall, cpu, result = best(run, runs)
        times[name] = (wall, cpu)
        return result

    paths = listing_paths(root / "content" / "listings")
    read = stage("read + repair", lambda: build._read_repaired(root, paths, BuildCache(None)))
    results["read + repair"] = read
    groups = [papers for _, papers, _ in read]
    results["dedupe"] = stage("dedupe", lambda: reuse.identified(groups, BuildCache(None)))
    unique, _ = stage("  dedupe.dedupe", lambda: dedupe(p for g in groups for p in g))
    stage("  dedupe.assign_slugs", lambda: assign_slugs(unique))
    papers, descriptions = enriched(root, results["dedupe"][0])
    library = stage("library", lambda: Library.build(papers, descriptions))
    results["library"] = library_state(library)
    tree = site or site_tree(root, library)
    folders = stage("stamp: walk", lambda: output_folders(tree))
    results["stamp: walk"] = sorted(folders)
    stage("stamp: check", lambda: folders_unchanged(folders))
    return times, results


def compare(results: dict[int, dict[str, Any]], path: Path) -> list[str]:
    """The stages whose result differs from the dump at `path`."""
    saved = pickle.loads(path.read_bytes())
    return [f"{n:,}: {name}" for n, stages in results.items() for name, value in stages.items()
            if n in saved and saved[n].get(name) != value]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="10000,50000")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/litreview-front-bench"))
    parser.add_argument("--site", type=Path, help="a built site to walk (read only)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dump", type=Path, help="pickle every stage's result here")
    parser.add_argument("--compare", type=Path, help="check results against such a dump")
    args = parser.parse_args()
    sizes = [int(n) for n in args.papers.split(",")]
    rows: dict[str, list[str]] = {}
    results: dict[int, dict[str, Any]] = {}
    for n in sizes:
        times, results[n] = measure(n, args.workdir, args.site, args.runs)
        for name, (wall, cpu) in times.items():
            rows.setdefault(name, []).append(f"{wall:.2f} / {cpu:.2f}")
    print("| stage (best wall / CPU s) | " + " | ".join(f"{n:,}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.dump:
        args.dump.write_bytes(pickle.dumps(results, pickle.HIGHEST_PROTOCOL))
    if args.compare:
        differ = compare(results, args.compare)
        print("results: " + ("DIFFER in " + ", ".join(differ) if differ else "identical"))
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
