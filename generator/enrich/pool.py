"""Enrichment work on forked worker processes: row slices and other independent jobs.

`map_slices(task, total)` cuts rows 0..total-1 into consecutive slices and returns
`[task(start, stop) for each slice]`, in order. `start_jobs(jobs)` starts any independent
jobs and returns at once, so this process can work meanwhile; `.results()` waits for them.
With more than one worker (see `parallel.worker_count`, which honours `LITREVIEW_WORKERS`),
forked processes run the jobs: they inherit each job and everything it reads (the corpus
matrices, the papers), so nothing is pickled on the way in, only results on the way back.
A row task must compute each row from the inputs alone, never from the other rows of its
slice, so that the result is the same for any slicing and any number of workers (tested).
This module knows nothing about papers.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

__all__ = ["Started", "map_slices", "slice_bounds", "slice_jobs", "start_jobs", "workers_for"]

T = TypeVar("T")

MIN_ROWS = 2000
"""Below this many rows (papers) work stays in this process: forking costs more than it saves."""
SLICES_PER_WORKER = 6
"""Slices per worker: enough to balance uneven rows, few enough to keep round trips cheap."""

# The jobs of the pool being forked, inherited by its workers (never pickled).
_JOBS: Sequence[Callable[[], Any]] = ()


def workers_for(rows: int) -> int:
    """How many processes should work on `rows` rows (`LITREVIEW_WORKERS` wins)."""
    from ..parallel import worker_count

    return worker_count(rows if rows >= MIN_ROWS else 0)


def slice_bounds(total: int, slices: int) -> list[tuple[int, int]]:
    """`slices` consecutive (start, stop) ranges covering 0..total-1, sizes differing by <= 1."""
    slices = max(1, min(slices, total))
    edges = [total * i // slices for i in range(slices + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def slice_jobs(task: Callable[[int, int], T], total: int, workers: int,
               per_worker: int = SLICES_PER_WORKER) -> list[Callable[[], T]]:
    """`task` over consecutive slices of rows 0..total-1: one slice when one worker works."""
    slices = 1 if workers <= 1 else workers * per_worker
    return [partial(task, a, b) for a, b in slice_bounds(total, slices)] if total else []


def _worker_setup() -> None:
    """Each worker computes on one core: BLAS on one thread (a worker per core already; BLAS
    threads spinning next to the other workers cost more than they give), and without a
    profiler inherited from the parent (it would slow the worker several times)."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    threadpool_limits(1)
    sys.setprofile(None)


def _run(index: int) -> Any:
    return _JOBS[index]()


class Started(Generic[T]):
    """Jobs under way in worker processes (or, with one worker, run when asked for)."""

    def __init__(self, jobs: Sequence[Callable[[], T]], workers: int) -> None:
        global _JOBS
        self._jobs, self._pool, self._pending = jobs, None, None
        if workers > 1 and len(jobs) > 1:
            _JOBS = jobs
            try:  # the workers are forked here, with the jobs
                self._pool = multiprocessing.get_context("fork").Pool(
                    min(workers, len(jobs)), initializer=_worker_setup)
            finally:
                _JOBS = ()
            self._pending = self._pool.map_async(_run, range(len(jobs)), chunksize=1)

    def results(self) -> list[T]:
        """Every job's result, in job order (waits for the workers)."""
        if self._pool is None or self._pending is None:
            return [job() for job in self._jobs]
        try:
            results = self._pending.get()
            self._pool.close()
            self._pool.join()
            return results
        finally:
            self._pool.terminate()


def start_jobs(jobs: Sequence[Callable[[], T]], workers: int) -> Started[T]:
    """Start independent `jobs` on up to `workers` forked processes (see `Started`)."""
    return Started(jobs, workers)


def map_slices(task: Callable[[int, int], T], total: int, workers: int | None = None,
               per_worker: int = SLICES_PER_WORKER) -> list[T]:
    """`task(start, stop)` over consecutive slices of rows 0..total-1, results in order.

    One slice in this process when one worker is wanted; else `per_worker` slices per worker.
    """
    workers = workers_for(total) if workers is None else workers
    return start_jobs(slice_jobs(task, total, workers, per_worker), workers).results()
