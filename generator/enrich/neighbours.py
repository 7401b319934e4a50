"""Top-k most similar rows, computed block by block with explicit tie-breaks.

The caller supplies the similarity of a block of rows against every row (a dense
`block x N` array, e.g. a sparse product); memory stays at one block, never N x N. Each row keeps
its k best columns by `argpartition`; equal scores (rounded to 6 decimals, so float noise cannot
reorder them) are broken by column index, so results are deterministic. A row is never its own
neighbour. This module knows nothing about papers or text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

__all__ = ["block_rows", "top_k"]

Scores = Callable[[int, int], np.ndarray]
"""scores(start, stop) -> similarities of rows start..stop-1 against all rows."""


def block_rows(n: int, budget: int = 40_000_000) -> int:
    """Rows per block so that one dense block holds about `budget` floats (at most 1000 rows)."""
    return max(1, min(1000, budget // max(n, 1)))


def top_k(scores: Scores, n: int, k: int, min_score: float = 0.0,
          block: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield (row, columns, scores) of every row's k best neighbours scoring >= `min_score`.

    Columns come best first; equal scores in ascending column order.
    """
    k = min(k, n - 1)
    block = block or block_rows(n)
    for start in range(0, n, block):
        stop = min(start + block, n)
        if k <= 0:
            yield from ((r, np.empty(0, np.int64), np.empty(0, np.float32))
                        for r in range(start, stop))
            continue
        sims = np.round(scores(start, stop), 6)
        sims[np.arange(stop - start), np.arange(start, stop)] = -np.inf  # never itself
        yield from _select(sims, start, k, max(min_score, 1e-6))


def _select(sims: np.ndarray, start: int, k: int,
            floor: float) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    best = np.argpartition(sims, -k, axis=1)[:, -k:]
    values = np.take_along_axis(sims, best, axis=1)
    kth = values.min(axis=1)
    # Rows with more columns tied at the k-th score than fit: gather every tied column.
    crowded = np.count_nonzero(sims >= kth[:, None], axis=1) > k
    for offset in range(sims.shape[0]):
        row = sims[offset]
        cols = np.flatnonzero(row >= kth[offset]) if crowded[offset] else best[offset]
        cols = cols[row[cols] >= floor]
        order = np.lexsort((cols, -row[cols]))[:k]
        yield start + offset, cols[order], row[cols[order]]
