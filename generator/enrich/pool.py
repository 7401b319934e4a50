"""Enrichment work split by rows over forked worker processes, results in row order.

`map_slices(task, total)` cuts rows 0..total-1 into consecutive slices and returns
`[task(start, stop) for each slice]`, in order. With more than one worker (see
`parallel.worker_count`, which honours `LITREVIEW_WORKERS`), forked processes run the slices:
they inherit `task` and everything it reads (the corpus matrices, the papers), so nothing is
pickled on the way in, only each slice's result on the way back. A task must compute each row
from the inputs alone, never from the other rows of its slice, so that the result is the same
for any slicing and any number of workers (tested). This module knows nothing about papers.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = ["map_slices", "slice_bounds", "workers_for"]

T = TypeVar("T")

MIN_ROWS = 2000
"""Below this many rows (papers) work stays in this process: forking costs more than it saves."""
SLICES_PER_WORKER = 6
"""Slices per worker: enough to balance uneven rows, few enough to keep round trips cheap."""

# The task of the running pool, inherited by its forked workers (never pickled).
_TASK: Callable[[int, int], Any] | None = None


def workers_for(rows: int) -> int:
    """How many processes should work on `rows` rows (`LITREVIEW_WORKERS` wins)."""
    from ..parallel import worker_count

    return worker_count(rows if rows >= MIN_ROWS else 0)


def slice_bounds(total: int, slices: int) -> list[tuple[int, int]]:
    """`slices` consecutive (start, stop) ranges covering 0..total-1, sizes differing by <= 1."""
    slices = max(1, min(slices, total))
    edges = [total * i // slices for i in range(slices + 1)]
    return [(a, b) for a, b in zip(edges, edges[1:], strict=False) if b > a]


def _unprofiled() -> None:
    """Workers drop a profiler inherited from the parent (it would slow them several times)."""
    sys.setprofile(None)


def _run(bounds: tuple[int, int]) -> Any:
    assert _TASK is not None
    return _TASK(*bounds)


def map_slices(task: Callable[[int, int], T], total: int, workers: int | None = None,
               per_worker: int = SLICES_PER_WORKER) -> list[T]:
    """`task(start, stop)` over consecutive slices of rows 0..total-1, results in order.

    One slice in this process when one worker is wanted; else `per_worker` slices per worker.
    """
    workers = workers_for(total) if workers is None else workers
    if workers <= 1 or total < 2:
        return [task(0, total)] if total else []
    return _in_pool(task, slice_bounds(total, workers * per_worker), workers)


def _in_pool(task: Callable[[int, int], T], bounds: Sequence[tuple[int, int]],
             workers: int) -> list[T]:
    global _TASK
    _TASK = task
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(min(workers, len(bounds)), initializer=_unprofiled) as pool:
            results = pool.map(_run, bounds, chunksize=1)
            pool.close()
            pool.join()
        return results
    finally:
        _TASK = None
