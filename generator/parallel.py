"""Rendering on every core: pages and Markdown made in worker processes, written by the parent.

`render_pages()` takes the independent page jobs of a build (`render.page_jobs` plus one
Markdown job per paper), cuts them into slices of consecutive jobs, and has a pool of forked
workers render each slice to bytes. Forked workers inherit the library, the Jinja environment
and the jobs, so nothing is pickled on the way in; only finished bytes come back. The parent
hands them to the writer in job order, so the writer sees exactly the calls a serial run makes
and the output is byte-identical (`tests/test_parallel.py`). Small sites, one core, or a
platform without `fork` render serially in-process.

This module decides neither which pages exist (`render`) nor how files are stored (`writer`).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

__all__ = ["Job", "RenderTimes", "render_pages", "worker_count"]

Job = Callable[[], Iterable[tuple[str, str]]]
"""Makes one or a few output files: (site-relative path, text) pairs."""
Files = list[tuple[str, bytes]]

MIN_PARALLEL_JOBS = 2000
"""Below this many jobs a pool costs more than it saves (forking, sending bytes back)."""
SLICE = 250
"""Jobs per task: big enough to amortise a round trip, small enough to balance the workers."""
ENV_WORKERS = "LITREVIEW_WORKERS"
"""Environment variable: number of render processes (1 = serial, in-process)."""


@dataclass
class RenderTimes:
    """CPU seconds spent per kind of work (workers included) and how many processes worked."""

    cpu: dict[str, float] = field(default_factory=dict)
    workers: int = 1

    def add(self, kind: str, seconds: float) -> None:
        self.cpu[kind] = self.cpu.get(kind, 0.0) + seconds


def worker_count(jobs: int) -> int:
    """How many processes should render `jobs` jobs: `LITREVIEW_WORKERS`, else the usable cores
    (1 for small sites and where `fork` is unavailable)."""
    setting = os.environ.get(ENV_WORKERS, "").strip()
    if setting.isdigit() and int(setting) >= 1:
        wanted = int(setting)
    elif jobs < MIN_PARALLEL_JOBS:
        return 1
    else:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
    fork_ok = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
    return max(1, wanted) if fork_ok else 1


# The jobs of the current pool, inherited by its forked workers (never pickled).
_JOBS: Sequence[tuple[str, Job]] = ()


def _run_slice(bounds: tuple[int, int]) -> tuple[list[Files], dict[str, float]]:
    """Render jobs[start:stop] in a worker: each job's encoded files, CPU seconds per kind."""
    done: list[Files] = []
    cpu: dict[str, float] = {}
    for kind, job in _JOBS[bounds[0] : bounds[1]]:
        start = time.process_time()
        done.append([(rel, text.encode("utf-8")) for rel, text in job()])
        cpu[kind] = cpu.get(kind, 0.0) + time.process_time() - start
    return done, cpu


def _slices(total: int, size: int) -> list[tuple[int, int]]:
    return [(start, min(start + size, total)) for start in range(0, total, size)]


def _render_serial(jobs: Sequence[tuple[str, Job]], times: RenderTimes) -> Iterator[Files]:
    for kind, job in jobs:
        start = time.process_time()
        files = [(rel, text.encode("utf-8")) for rel, text in job()]
        times.add(kind, time.process_time() - start)
        yield files


def _render_pool(jobs: Sequence[tuple[str, Job]], workers: int, times: RenderTimes
                 ) -> Iterator[Files]:
    global _JOBS
    _JOBS = jobs
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(workers) as pool:
            for done, cpu in pool.imap(_run_slice, _slices(len(jobs), SLICE)):
                for kind, seconds in cpu.items():
                    times.add(kind, seconds)
                yield from done
            pool.close()
            pool.join()
    finally:
        _JOBS = ()


def render_pages(jobs: Sequence[tuple[str, Job]], write: Callable[[str, bytes], None],
                 times: RenderTimes | None = None, tick: Callable[[], None] | None = None
                 ) -> RenderTimes:
    """Run every (kind, job), `write` its files in job order, `tick` once per job.

    Returns CPU seconds per kind: the kind labels a job's time (`"pages (markdown)"`,
    `"render (html)"`); the parent's own time in `write` is added as `"write"`.
    """
    times = times if times is not None else RenderTimes()
    times.workers = worker_count(len(jobs))
    produced = (_render_pool(jobs, times.workers, times) if times.workers > 1
                else _render_serial(jobs, times))
    for files in produced:
        start = time.process_time()
        for rel, data in files:
            write(rel, data)
        times.add("write", time.process_time() - start)
        if tick is not None:
            tick()
    return times
