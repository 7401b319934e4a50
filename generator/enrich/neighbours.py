"""Top-k most similar rows from a sparse similarity, block by block, with explicit tie-breaks.

The caller supplies `candidates(start, stop)`: the sparse similarity of a block of rows against
every row (e.g. a product of sparse TF-IDF rows), so memory stays at one sparse block, never
N x N. Each row keeps its `pool` best candidates, which `rescore` may score again (e.g. blend in
a dense semantic similarity for just those pairs); then its k best. Everything is vectorised per
block: one sort by (row, score descending, column), so equal scores (rounded to 6 decimals, so
float noise cannot reorder them) go to the lower column, and results are deterministic. A row is
never its own neighbour. This module knows nothing about papers or text.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import sparse

__all__ = ["POOL", "block_rows", "top_k"]

Candidates = Callable[[int, int], sparse.csr_matrix]
"""candidates(start, stop) -> sparse similarities of rows start..stop-1 against all rows."""
Rescore = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""rescore(rows, cols, scores) -> new scores of those pairs."""
Links = list[tuple[int, np.ndarray, np.ndarray]]

POOL = 100
"""Candidates per row kept for rescoring."""


def block_rows(n: int, budget: int = 20_000_000) -> int:
    """Rows per block so that one block's candidates stay under `budget` (at most 1000 rows)."""
    return max(1, min(1000, budget // max(n, 1)))


def _best_per_row(rows: np.ndarray, cols: np.ndarray, scores: np.ndarray,
                  limit: int) -> np.ndarray:
    """Indices of each row's `limit` best entries: score desc, then column asc."""
    order = np.lexsort((cols, -np.round(scores, 6), rows))
    sorted_rows = rows[order]
    starts = np.searchsorted(sorted_rows, sorted_rows, side="left")
    return order[np.arange(len(order)) - starts < limit]


def _pool(sims: sparse.csr_matrix, pool: int) -> np.ndarray:
    """Mask of each row's `pool` largest entries (ties at the edge kept, settled later)."""
    keep = np.ones(sims.nnz, dtype=bool)
    for row in np.flatnonzero(np.diff(sims.indptr) > pool):
        lo, hi = sims.indptr[row], sims.indptr[row + 1]
        values = sims.data[lo:hi]
        keep[lo:hi] = values >= np.partition(values, hi - lo - pool)[hi - lo - pool]
    return keep


def _block(candidates: Candidates, rescore: Rescore | None, start: int, stop: int, k: int,
           pool: int, floor: float) -> Links:
    sims = candidates(start, stop).tocsr()
    local = np.repeat(np.arange(stop - start), np.diff(sims.indptr))
    sims.data[sims.indices == local + start] = -np.inf  # never itself
    keep = _pool(sims, pool)
    rows, cols, scores = local[keep] + start, sims.indices[keep].astype(np.int64), sims.data[keep]
    keep = _best_per_row(rows, cols, scores, pool)
    rows, cols, scores = rows[keep], cols[keep], scores[keep]
    if rescore is not None:
        scores = rescore(rows, cols, scores)
    scores = np.round(scores, 6)
    strong = scores >= floor
    rows, cols, scores = rows[strong], cols[strong], scores[strong]
    best = _best_per_row(rows, cols, scores, k)  # sorted by row, then rank
    rows, cols, scores = rows[best], cols[best], scores[best]
    bounds = np.searchsorted(rows, np.arange(start, stop + 1))
    return [(r, cols[bounds[i]:bounds[i + 1]], scores[bounds[i]:bounds[i + 1]])
            for i, r in enumerate(range(start, stop))]


def top_k(candidates: Candidates, n: int, k: int, min_score: float = 0.0, *,
          rescore: Rescore | None = None, pool: int = POOL, block: int | None = None,
          workers: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (row, columns, scores) of every row's k best neighbours scoring >= `min_score`.

    Rows come in order; columns best first, equal scores in ascending column order. Blocks run
    on `workers` threads (default: up to 2), results stay in row order.
    """
    k = min(k, n - 1)
    block = block or block_rows(n)
    floor = max(min_score, 1e-6)
    if k <= 0:
        yield from ((r, np.empty(0, np.int64), np.empty(0, np.float32)) for r in range(n))
        return

    def run(start: int) -> Links:
        return _block(candidates, rescore, start, min(start + block, n), k, max(pool, k), floor)

    with ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1)) as pool_:
        for links in pool_.map(run, range(0, n, block)):
            yield from links
