"""Top-k most similar rows, computed block by block with explicit tie-breaks.

The caller supplies the similarity of a block of rows against every row (a dense
`block x N` array, e.g. a sparse product); memory stays at one block, never N x N. Each row keeps
its k best columns by `argpartition`; equal scores (rounded to 6 decimals, so float noise cannot
reorder them) are broken by column index, so results are deterministic. A row is never its own
neighbour. This module knows nothing about papers or text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["block_rows", "top_k"]

Scores = Callable[[int, int], np.ndarray]
"""scores(start, stop) -> similarities of rows start..stop-1 against all rows."""


def block_rows(n: int, budget: int = 40_000_000) -> int:
    """Rows per block so that one dense block holds about `budget` floats (at most 1000 rows)."""
    return max(1, min(1000, budget // max(n, 1)))


def top_k(scores: Scores, n: int, k: int, min_score: float = 0.0, block: int | None = None,
          workers: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (row, columns, scores) of every row's k best neighbours scoring >= `min_score`.

    Rows come in order; columns best first, equal scores in ascending column order. `scores`
    must return a new array (it is overwritten). Blocks run on `workers` threads (default: up
    to 2; NumPy and SciPy release the GIL in the heavy parts), results stay in row order.
    """
    k = min(k, n - 1)
    block = block or block_rows(n)
    floor = max(min_score, 1e-6)

    def run(start: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
        stop = min(start + block, n)
        if k <= 0:
            return [(r, np.empty(0, np.int64), np.empty(0, np.float32))
                    for r in range(start, stop)]
        sims = scores(start, stop)
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # never itself
        return list(_select(sims, start, k, floor))

    with ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1)) as pool:
        for rows in pool.map(run, range(0, n, block)):
            yield from rows


def _select(sims: np.ndarray, start: int, k: int,
            floor: float) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    # Candidates: the k best, plus anything within float noise of the k-th best.
    best = np.argpartition(sims, -k, axis=1)[:, -k:]
    kth = np.take_along_axis(sims, best, axis=1).min(axis=1) - 1e-6
    crowded = np.count_nonzero(sims >= kth[:, None], axis=1) > k
    for offset in range(sims.shape[0]):
        row = sims[offset]
        cols = np.flatnonzero(row >= kth[offset]) if crowded[offset] else best[offset]
        values = np.round(row[cols], 6)
        keep = values >= floor
        cols, values = cols[keep], values[keep]
        order = np.lexsort((cols, -values))[:k]
        yield start + offset, cols[order], values[order]
