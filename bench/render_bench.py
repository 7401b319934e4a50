"""Time the `pages + render + write` stage alone, on N papers of the arXiv corpus.

Usage: `python bench/render_bench.py --papers 10000 [--workdir DIR] [--profile FILE]
[--runs 2]`. With `PYTHONPATH=DIR` it measures the generator in `DIR/generator` (a snapshot,
e.g. `git archive HEAD generator templates`, `templates/` moved to `generator/theme/`).

The first run at a size builds the project (compact Hugging Face listings, as `bench/run.py`
writes them) and saves the enrichment result (`enrichment-N.pickle` in the work dir); later
runs load it instead of enriching again, so the stage can be measured at 50,000 papers without
a full 50,000-paper build each time. Each run then calls the real `build()` into a fresh
`site/` (no page memo, no back buffer) and prints the stage's wall and CPU seconds and its
split (Markdown, HTML, outputs, writing in the parent). With `--profile` the last full run is
profiled with pyinstrument (parent process only). This module measures; it changes nothing.
"""

from __future__ import annotations

import argparse
import copyreg
import importlib
import os
import pickle
import resource
import shutil
import sys
import time
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if not os.environ.get("PYTHONPATH"):  # else: a snapshot of the generator (see --help)
    sys.path.insert(0, str(HERE.parent))

from corpus import read_records, write_listings  # noqa: E402

STAGE = "pages + render + write"
ENRICH_IMPORTS = ("scipy.sparse", "sklearn.feature_extraction.text", "sklearn.decomposition",
                  "sklearn.preprocessing")


class Saved(Exception):
    """Raised once the enrichment is saved: the rest of that build is not needed."""
copyreg.pickle(types.MappingProxyType, lambda m: (types.MappingProxyType, (dict(m),)))


def cpu_seconds(who: int | None = None) -> float:
    """CPU seconds of this process and its finished children (workers), or of `who` only."""
    kinds = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) if who is None else (who,)
    return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, kinds))


def prepare(work: Path, n: int) -> Path:
    """The project of `n` papers under `work` (made once)."""
    project = work / f"project-{n}"
    listings = project / "content" / "listings"
    if not listings.is_dir():
        partial = project / "content" / "listings.partial"  # an interrupted run starts over
        shutil.rmtree(partial, ignore_errors=True)
        write_listings(partial, read_records(n))
        partial.rename(listings)
    return project


def cached_enrich(work: Path, n: int) -> None:
    """Make `build()` reuse a saved enrichment of these `n` papers (saving it the first time)."""
    import generator.build as build_module
    import generator.enrich as enrich_module

    real = enrich_module.enrich
    saved = work / f"enrichment-{n}.pickle"

    def enrich(papers, config, root):  # type: ignore[no-untyped-def]
        if saved.exists():
            for module in ENRICH_IMPORTS:  # left imported by a real enrichment, before the fork
                importlib.import_module(module)
            return pickle.loads(saved.read_bytes())
        saved.write_bytes(pickle.dumps(real(papers, config, root), pickle.HIGHEST_PROTOCOL))
        raise Saved

    enrich_module.enrich = enrich
    if hasattr(build_module, "enrich"):  # imported by name at the top of older build.py
        build_module.enrich = enrich


def one_build(project: Path, fresh: bool, profile: Path | None = None) -> dict[str, object]:
    """Build `project` (from nothing when `fresh`); the stage's figures."""
    from generator.build import build
    from generator.cache import BuildCache

    if fresh:
        for folder in ("site", ".litreview-cache"):
            shutil.rmtree(project / folder, ignore_errors=True)
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    wall, cpu, own = time.perf_counter(), cpu_seconds(), cpu_seconds(resource.RUSAGE_SELF)
    report = build(project, search_index=False, cache=BuildCache(project))
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    own = cpu_seconds(resource.RUSAGE_SELF) - own
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    split = {k: v for k, v in report.stages_cpu.items()
             if k in ("pages (markdown)", "render (html)", "outputs", "write") or "(wall)" in k}
    return {"stage wall": report.stages.get(STAGE, 0.0),
            "stage cpu": report.stages_cpu.get(STAGE, 0.0), **split,
            "build wall": wall, "build cpu": cpu, "parent cpu": own, "workers": report.workers,
            "written": report.files_written, "reused jobs": report.jobs_reused}


def show(label: str, figures: dict[str, object]) -> None:
    cells = " · ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                       for k, v in figures.items())
    print(f"{label}: {cells}", flush=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", type=int, default=10000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/litreview-render-bench"))
    ap.add_argument("--runs", type=int, default=1, help="full builds to time")
    ap.add_argument("--profile", type=Path, help="pyinstrument profile of the last full run")
    args = ap.parse_args(argv)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    args.workdir.mkdir(parents=True, exist_ok=True)
    project = prepare(args.workdir, args.papers)
    cached_enrich(args.workdir, args.papers)
    if not (args.workdir / f"enrichment-{args.papers}.pickle").exists():
        try:
            one_build(project, fresh=True)  # stops once the enrichment is saved
        except Saved:
            print("enrichment saved (not timed)", flush=True)
    for run in range(args.runs):
        last = run == args.runs - 1
        show(f"full {run + 1}", one_build(project, True, args.profile if last else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
