"""The enrichment pool: jobs in forked workers, results in job order, the first ones early."""

from __future__ import annotations

import gc
import os
from functools import partial

import pytest

from generator.enrich.pool import slice_bounds, start_jobs

RAN: list[int] = []


def _job(index: int) -> tuple[int, int]:
    RAN.append(index)
    return index * index, os.getpid()


def test_first_results_early_then_the_rest_in_job_order_from_two_workers() -> None:
    RAN.clear()
    jobs = [partial(_job, i) for i in range(7)]
    with start_jobs(jobs, 2) as started:
        first = [started.result(0), started.result(1)]
        rest = started.results(2)
        with pytest.raises(ValueError, match="handed over already"):
            started.result(1)  # results are not kept
    assert [square for square, _ in first + rest] == [i * i for i in range(7)]
    assert os.getpid() not in {pid for _, pid in first + rest} and not RAN  # all in the workers


def test_one_worker_runs_each_job_once_in_this_process_when_its_result_is_wanted() -> None:
    RAN.clear()
    started = start_jobs([partial(_job, i) for i in range(4)], 1)
    assert RAN == []
    assert started.result(1)[0] == 1 and RAN == [0, 1]  # job 0 ran too, kept for later
    assert started.result(0)[0] == 0 and RAN == [0, 1]
    assert [square for square, _ in started.results(2)] == [4, 9] and RAN == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="handed over already"):
        started.result(0)


def test_slices_cover_every_row_once_in_order() -> None:
    for total, slices in ((0, 3), (5, 12), (50_000, 12), (7, 1)):
        bounds = slice_bounds(total, slices)
        assert [row for a, b in bounds for row in range(a, b)] == list(range(total))
        assert len({b - a for a, b in bounds}) <= 2


def test_a_single_job_runs_in_a_worker_while_this_process_goes_on() -> None:
    with start_jobs([partial(_job, 3)], 2) as started:
        assert started.result(0)[1] != os.getpid()


def _fails(index: int) -> int:
    raise ValueError(f"job {index} failed")


def test_a_failed_job_fails_its_result_with_its_own_error() -> None:
    with start_jobs([partial(_job, 0), partial(_fails, 1), partial(_job, 2)], 2) as started:
        assert started.result(0)[0] == 0
        with pytest.raises(ValueError, match="job 1 failed"):
            started.results(1)


def _collector() -> tuple[bool, int]:
    return gc.isenabled(), gc.get_freeze_count()


@pytest.mark.parametrize("collecting", [False, True])
def test_a_worker_never_collects_what_it_inherited_and_collects_as_the_parent(
        collecting: bool) -> None:
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        inherited = [[] for _ in range(1000)]  # tracked objects the workers inherit
        with start_jobs([_collector, _collector], 2) as started:
            found = started.results()
    finally:
        (gc.enable if was else gc.disable)()
    assert inherited and all(enabled == collecting for enabled, _ in found)
    assert all(frozen >= len(inherited) for _, frozen in found)
