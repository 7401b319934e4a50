"""The enrichment pool: jobs in forked workers, results in job order, the first ones early."""

from __future__ import annotations

import os
from functools import partial

from generator.enrich.pool import slice_bounds, start_jobs

RAN: list[int] = []


def _job(index: int) -> tuple[int, int]:
    RAN.append(index)
    return index * index, os.getpid()


def test_first_results_early_then_all_in_job_order_from_two_workers() -> None:
    RAN.clear()
    jobs = [partial(_job, i) for i in range(7)]
    with start_jobs(jobs, 2) as started:
        first = started.results(2)
        every = started.results()
    assert [square for square, _ in first] == [0, 1]
    assert [square for square, _ in every] == [i * i for i in range(7)]
    assert os.getpid() not in {pid for _, pid in every} and not RAN  # all in the workers


def test_one_worker_runs_each_job_once_in_this_process_when_its_result_is_wanted() -> None:
    RAN.clear()
    started = start_jobs([partial(_job, i) for i in range(4)], 1)
    assert RAN == []
    assert [square for square, _ in started.results(2)] == [0, 1] and RAN == [0, 1]
    assert [square for square, _ in started.results()] == [0, 1, 4, 9] and RAN == [0, 1, 2, 3]
    assert {pid for _, pid in started.results()} == {os.getpid()} and RAN == [0, 1, 2, 3]


def test_slices_cover_every_row_once_in_order() -> None:
    for total, slices in ((0, 3), (5, 12), (50_000, 12), (7, 1)):
        bounds = slice_bounds(total, slices)
        assert [row for a, b in bounds for row in range(a, b)] == list(range(total))
        assert len({b - a for a, b in bounds}) <= 2
