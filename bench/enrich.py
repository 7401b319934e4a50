"""Time and memory of enrichment (topics, tags, related) per stage, at several corpus sizes.

Usage: `python bench/enrich.py [--papers 1000,10000,50000] [--workers N] [--profile DIR]`.

Each size runs in its own process (so peak RSS is that size's), on the first N records of
`../shared/data/arxiv-cs-75k.jsonl.gz`, with the built-in taxonomy and default settings. It
runs `enrich_papers` exactly as a build does (the cyclic garbage collector paused, as `build()`
pauses it), timing each of its stages, and prints one Markdown table: `wall / CPU` seconds per
stage (CPU includes the worker processes, counted when a pool's workers end, which may be in a
later stage), the total, peak RSS of the main process and of the largest worker. Loading the
records and importing SciPy and scikit-learn (the last column) are not counted in the stages.
Worker processes are not profiled: use `py-spy record --subprocesses -- python
bench/enrich.py --child 50000`.
`--workers 1` sets `LITREVIEW_WORKERS=1` (serial); `--profile DIR` writes a pyinstrument
profile of each size (main process only). This module measures; it changes nothing.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEAVY_IMPORTS = ("scipy.sparse", "sklearn.feature_extraction.text", "sklearn.decomposition")
"""What enrichment imports when it first runs (about 1 s), done before the clock starts."""
STAGES = {"corpus; display, tag scorer": "corpus; display, tag scorer",
          "tags (workers), topics": "tags, topics",
          "related (workers), enriched copies": "related, copies"}
"""`enrich_papers`' stages, and their column headings."""


def _cpu() -> float:
    """CPU seconds of this process and of its finished workers."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(n: int, profile: Path | None) -> dict:
    """Enrich n papers in this process; return the figures of each stage."""
    from generator.config import Config
    from generator.enrich import enrich_papers
    from generator.enrich.quality import load_arxiv
    from generator.enrich.taxonomy import builtin_taxonomy_path, parse_taxonomy

    papers, _ = load_arxiv(n)
    taxonomy = parse_taxonomy(builtin_taxonomy_path().read_text("utf-8"), "taxonomy.yaml")
    figures: dict[str, list[float]] = {}
    wall, cpu = time.perf_counter(), _cpu()
    for module in HEAVY_IMPORTS:  # as a build has them by then; timed apart
        importlib.import_module(module)
    figures["imports"] = [time.perf_counter() - wall, _cpu() - cpu]

    @contextmanager
    def timed(stage: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), _cpu()
        yield
        figures[stage] = [time.perf_counter() - wall, _cpu() - cpu]

    profiler = None
    if profile is not None:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.005)
        profiler.start()
    gc.disable()  # as `build()` runs every stage (see build._collector_paused)
    wall, cpu = time.perf_counter(), _cpu()
    enriched = enrich_papers(papers, Config(), taxonomy, timed)
    figures["total"] = [time.perf_counter() - wall, _cpu() - cpu]
    if profiler is not None:
        profiler.stop()
        profile.mkdir(parents=True, exist_ok=True)
        (profile / f"enrich-{n}.txt").write_text(profiler.output_text(unicode=False, color=False))
    return {"n": len(enriched), "stages": figures,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="1000,10000,50000")
    parser.add_argument("--workers", type=int, help="LITREVIEW_WORKERS for the runs")
    parser.add_argument("--profile", type=Path, help="write pyinstrument profiles here")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.profile)))
        return
    env = dict(os.environ)
    if args.workers:
        env["LITREVIEW_WORKERS"] = str(args.workers)
    print("| papers | " + " | ".join(STAGES.values())
          + " | total wall / CPU s | peak RSS MiB (worker) | imports s |")
    print("|---" * (len(STAGES) + 4) + "|")
    for n in (int(x) for x in args.papers.split(",")):
        command = [sys.executable, __file__, "--child", str(n)]
        if args.profile:
            command += ["--profile", str(args.profile)]
        child = subprocess.run(command, capture_output=True, text=True, env=env)
        if child.returncode:
            sys.exit(child.stderr)
        run = json.loads(child.stdout.strip().splitlines()[-1])
        cells = [f"{w:.1f} / {c:.1f}" for w, c in (run["stages"][s] for s in (*STAGES, "total"))]
        print(f"| {run['n']} | " + " | ".join(cells)
              + f" | {run['rss_mib']:.0f} ({run['worker_rss_mib']:.0f})"
              + f" | {run['stages']['imports'][0]:.1f} |")


if __name__ == "__main__":
    main()
