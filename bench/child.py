"""One measured build, run in its own process by `bench/run.py`.

Usage: `python bench/child.py PROJECT OUTPUT RESULT.json [--no-search] [--profile FILE]
[--session]`. With `--session`, times note edits rebuilt in one process (`run_session`).
Runs `generator.build.build()` once, as `litreview build` does (with the on-disk cache), and
writes a JSON result: wall and CPU seconds per stage
(from `BuildReport`), the whole build's wall and CPU time (workers included), the time spent
importing, files and bytes written. Peak RSS is measured by the parent with `wait4`, which is
why every build runs in a fresh process. This module prints nothing and compares nothing.
"""

from __future__ import annotations

import inspect
import json
import os
import resource
import sys
import time
from pathlib import Path


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (pool workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def build_kwargs(build, project: Path, no_search: bool) -> dict:
    """The keyword arguments `litreview build` passes, as far as this `build()` takes them."""
    params = inspect.signature(build).parameters  # follows the GC wrapper's __wrapped__
    kwargs: dict = {}
    if "cache" in params:  # the CLI's on-disk cache (parsed listings, last build's stamp)
        from generator.cache import BuildCache

        kwargs["cache"] = BuildCache(project)
    if "search_index" in params:
        kwargs["search_index"] = not no_search
    elif "search" in params:
        kwargs["search"] = not no_search
    elif "no_search" in params:
        kwargs["no_search"] = no_search
    return kwargs


def run(project: Path, output: Path, no_search: bool, profile: Path | None) -> dict:
    t0 = time.perf_counter()
    from generator.build import build

    imported = time.perf_counter() - t0
    kwargs = build_kwargs(build, project, no_search)
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    report = build(project, output=output, **kwargs)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    if profiler is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    return {
        "import_s": imported, "wall_s": wall, "cpu_s": cpu,
        "stages": dict(report.stages),
        "stages_cpu": dict(getattr(report, "stages_cpu", {}) or {}),
        "papers": report.papers, "files_written": report.files_written,
        "bytes_written": report.bytes_written, "issues": len(report.issues),
        "search_supported": "search_index" in kwargs or "search" in kwargs,
        "workers": getattr(report, "workers", 1), "skipped": getattr(report, "skipped", False),
    }


def run_session(project: Path, output: Path, no_search: bool, edits: int = 5) -> dict:
    """Rebuilds in one process with an in-session cache, as `litreview serve` does: a forced
    warm-up build (fills the in-memory state), then `edits` edits of the project's first note
    (its prose; each rebuild timed) and one rebuild with nothing changed."""
    from generator.build import build
    from generator.cache import BuildCache

    cache = BuildCache(project, in_session=True)
    quick = "quick" if "quick" in inspect.signature(build).parameters else "keep_search_index"
    options = {"search_index": not no_search, quick: True, "cache": cache}
    t0 = time.perf_counter()
    build(project, output=output, force=True, **options)
    warm_up = time.perf_counter() - t0
    note = sorted((project / "content" / "notes").glob("*.md"))[0]
    times = []
    for i in range(edits):
        with open(note, "a", encoding="utf-8") as fh:
            fh.write(f"\nSession edit {i}.\n")
        t0 = time.perf_counter()
        build(project, output=output, **options)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    build(project, output=output, **options)
    noop = time.perf_counter() - t0
    cache.flush()
    times.sort()
    return {"warm_up_s": warm_up, "median_s": times[len(times) // 2], "max_s": times[-1],
            "times": times, "noop_s": noop}


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    profile = None
    if "--profile" in argv:
        profile = Path(argv[argv.index("--profile") + 1])
        args.remove(str(profile))
    project, output, result = (Path(a) for a in args[:3])
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01: stable output
    if "--session" in argv:
        data = run_session(project, output, "--no-search" in argv)
    else:
        data = run(project, output, "--no-search" in argv, profile)
    result.write_text(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # as `litreview` exits (`generator.cli.run`): no teardown of the build's objects
