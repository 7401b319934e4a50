"""Top-k most similar rows from a sparse similarity, block by block, with explicit tie-breaks.

The caller supplies `candidates(start, stop)`: the sparse similarity of a block of rows against
every row (e.g. a product of sparse TF-IDF rows), so memory stays at one sparse block, never
N x N. Each row keeps its `pool` best candidates, which `rescore` may score again (e.g. blend in
a dense semantic similarity for just those pairs); then its k best. Everything is vectorised per
block: one sort by (row, score descending, column), so equal scores (rounded to 6 decimals, so
float noise cannot reorder them) go to the lower column, and results are deterministic. A row is
never its own neighbour. Every row's result depends on that row alone, so any split of the rows
(blocks, threads, processes) gives the same links. This module knows nothing about papers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["POOL", "block_rows", "rank_order", "top_k", "top_k_rows"]

Candidates = Callable[[int, int], "sparse.csr_matrix"]
"""candidates(start, stop) -> sparse similarities of rows start..stop-1 against all rows."""
Rescore = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""rescore(rows, cols, scores) -> new scores of those pairs."""
Links = list[tuple[int, np.ndarray, np.ndarray]]

POOL = 300
"""Candidates per row kept for rescoring."""


def block_rows(n: int, budget: int = 20_000_000) -> int:
    """Rows per block so that one block's candidates stay under `budget` (at most 1000 rows)."""
    return max(1, min(1000, budget // max(n, 1)))


def _descending(values: np.ndarray) -> np.ndarray:
    """Integers in the order of float32 `values`, largest first (-0.0 equal to 0.0)."""
    bits = values.view(np.int32).astype(np.int64)
    ordered = np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)
    return (1 << 31) - 1 - ordered


def rank_order(rows: np.ndarray, cols: np.ndarray, scores: np.ndarray,
               decimals: int | None = 6) -> np.ndarray:
    """The order sorting entries by row, then score (desc; rounded to `decimals`), then column.

    `rows` must be ascending and (row, column) pairs unique. Float32 scores sort as one packed
    integer key per run of rows (one sort, not three); other scores by `np.lexsort`, with the
    same result.
    """
    rounded = scores if decimals is None else np.round(scores, decimals)
    if len(rows) == 0 or rounded.dtype != np.float32 or not np.isfinite(rounded).all():
        return np.lexsort((cols, -rounded, rows))
    col_bits = max(int(cols.max()).bit_length(), 1)
    row_bits = 63 - 32 - col_bits  # what the packed key leaves for rows
    if row_bits < 4:
        return np.lexsort((cols, -rounded, rows))
    rows = rows.astype(np.int64)
    score = _descending(rounded + np.float32(0)) << col_bits | cols.astype(np.int64)
    starts = np.arange(rows[0], rows[-1] + 1, 1 << row_bits)  # runs of rows the key can hold
    edges = np.append(np.searchsorted(rows, starts), len(rows))
    orders = [lo + np.argsort((rows[lo:hi] - rows[lo]) << (32 + col_bits) | score[lo:hi])
              for lo, hi in zip(edges, edges[1:], strict=False) if hi > lo]
    return np.concatenate(orders)


def _best_per_row(rows: np.ndarray, cols: np.ndarray, scores: np.ndarray,
                  limit: int) -> np.ndarray:
    """Indices of each row's `limit` best entries, by row then rank: score desc, column asc."""
    order = rank_order(rows, cols, scores)
    sorted_rows = rows[order]
    edges = np.flatnonzero(np.diff(sorted_rows)) + 1
    starts = np.repeat(np.concatenate(([0], edges)),
                       np.diff(np.concatenate(([0], edges, [len(order)]))))
    return order[np.arange(len(order)) - starts < limit]


def _pool(data: np.ndarray, indptr: np.ndarray, pool: int) -> np.ndarray:
    """Mask of each row's `pool` largest entries (ties at the edge kept, settled later)."""
    keep = np.ones(len(data), dtype=bool)
    for row in np.flatnonzero(np.diff(indptr) > pool):
        lo, hi = indptr[row], indptr[row + 1]
        values = data[lo:hi]
        keep[lo:hi] = values >= np.partition(values, hi - lo - pool)[hi - lo - pool]
    return keep


def _block(candidates: Candidates, rescore: Rescore | None, start: int, stop: int, k: int,
           pool: int, floor: float) -> Links:
    sims = candidates(start, stop).tocsr()
    local = np.repeat(np.arange(stop - start), np.diff(sims.indptr))
    sims.data[sims.indices == local + start] = -np.inf  # never itself: last in every pool
    keep = np.flatnonzero(_pool(sims.data, sims.indptr, pool))
    keep = keep[sims.data[keep] != -np.inf]
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


def top_k_rows(candidates: Candidates, n: int, k: int, start: int, stop: int,
               min_score: float = 0.0, *, rescore: Rescore | None = None, pool: int = POOL,
               block: int | None = None) -> Links:
    """(row, columns, scores) of rows start..stop-1, as `top_k` gives them, in this thread."""
    k = min(k, n - 1)
    if k <= 0:
        return [(r, np.empty(0, np.int64), np.empty(0, np.float32)) for r in range(start, stop)]
    block = block or block_rows(n)
    return [link for a in range(start, stop, block)
            for link in _block(candidates, rescore, a, min(a + block, stop), k, max(pool, k),
                               max(min_score, 1e-6))]


def top_k(candidates: Candidates, n: int, k: int, min_score: float = 0.0, *,
          rescore: Rescore | None = None, pool: int = POOL, block: int | None = None,
          workers: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (row, columns, scores) of every row's k best neighbours scoring >= `min_score`.

    Rows come in order; columns best first, equal scores in ascending column order. Blocks run
    on `workers` threads (default: up to 2), results stay in row order.
    """
    block = block or block_rows(n)

    def run(start: int) -> Links:
        return top_k_rows(candidates, n, k, start, min(start + block, n), min_score,
                          rescore=rescore, pool=pool, block=block)

    with ThreadPoolExecutor(max_workers=workers or min(2, os.cpu_count() or 1)) as threads:
        for links in threads.map(run, range(0, n, block)):
            yield from links
