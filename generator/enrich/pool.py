"""Enrichment work on forked worker processes: row slices and other independent jobs.

`map_slices(task, total)` cuts rows 0..total-1 into consecutive slices and returns
`[task(start, stop) for each slice]`, in order. `start_jobs(jobs)` starts any independent
jobs and returns at once, so this process can work meanwhile; `.result(i)` waits for job i
(the workers go on with the others), `.results()` for all.
With more than one worker (see `parallel.worker_count`, which honours `LITREVIEW_WORKERS`),
forked processes run the jobs: they inherit each job and everything it reads (the corpus
matrices, the papers), so nothing is pickled on the way in, only results on the way back.
A row task must compute each row from the inputs alone, never from the other rows of its
slice, so that the result is the same for any slicing and any number of workers (tested).
This module knows nothing about papers.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
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


def _worker_setup(parent: int, collect: bool) -> None:
    """Each worker computes on one core: BLAS on one thread (a worker per core already; BLAS
    threads spinning next to the other workers cost more than they give), without a profiler
    inherited from the parent (it would slow the worker several times), and dies with the
    parent (see `parallel`). Its cyclic garbage collector never walks the inherited heap (a
    collection there took ~1 s at 50,000 papers and copied every page it touched) and is on or
    off as the parent's was (enrichment pauses it)."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    from ..parallel import _die_with_parent

    gc.freeze()  # in this worker only: whatever it inherited is left out of collections
    _die_with_parent(parent, collect)
    threadpool_limits(1)
    sys.setprofile(None)


def _run(index: int) -> Any:
    return _JOBS[index]()


class Started(Generic[T]):
    """Jobs under way in worker processes (or, with one worker, run when asked for).

    Each result is handed over once and not kept (large results are freed as soon as the
    caller is done with them). A worker that dies (out of memory) fails `result()` instead
    of hanging it; leaving the `with` block early cancels the jobs not yet begun.
    """

    def __init__(self, jobs: Sequence[Callable[[], T]], workers: int) -> None:
        global _JOBS
        self._jobs, self._pool = jobs, None
        self._futures: list[Future[T] | None] = []
        self._ahead: dict[int, T] = {}  # with one worker: results not handed over yet
        self._ran = 0  # with one worker: how many jobs have run (in job order)
        if workers > 1 and jobs:
            _JOBS = jobs
            try:  # the workers are forked at the first submit, with the jobs
                self._pool = ProcessPoolExecutor(
                    min(workers, len(jobs)), mp_context=multiprocessing.get_context("fork"),
                    initializer=_worker_setup, initargs=(os.getpid(), gc.isenabled()))
                self._futures = [self._pool.submit(_run, i) for i in range(len(jobs))]
            finally:
                _JOBS = ()

    def result(self, index: int) -> T:
        """Job `index`'s result; waits for it (with one worker: runs the jobs up to it)."""
        if self._pool is None:
            return self._run_up_to(index)
        future, self._futures[index] = self._futures[index], None
        if future is None:
            raise ValueError(f"the result of job {index} was handed over already")
        try:
            return future.result()
        except BaseException:
            self._pool.shutdown(wait=True, cancel_futures=True)
            raise

    def _run_up_to(self, index: int) -> T:
        for ahead in range(self._ran, index + 1):
            self._ahead[ahead] = self._jobs[ahead]()
        self._ran = max(self._ran, index + 1)
        if index not in self._ahead:
            raise ValueError(f"the result of job {index} was handed over already")
        return self._ahead.pop(index)

    def results(self, start: int = 0) -> list[T]:
        """The results of jobs `start`.. (in job order); then the workers are let go."""
        found = [self.result(i) for i in range(start, len(self._jobs))]
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        return found

    def __enter__(self) -> Started[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:  # jobs nobody waited for are not begun
            self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)


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
