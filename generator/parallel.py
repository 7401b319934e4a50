"""Rendering on every core: pages and Markdown made in worker processes, written by the parent.

`render_pages()` takes the independent page jobs of a build (`render.page_jobs`, a paper's job
making its Markdown page too), cuts them into slices of consecutive jobs, and has a pool of forked
workers render each slice to bytes. Forked workers inherit the library, the Jinja environment
and the jobs, so nothing is pickled on the way in; only finished bytes come back. The parent
hands each slice's files to the writer as the slice finishes (a job's files together, in
order), so no worker waits behind a slow slice; what is written does not depend on that order,
and the output is byte-identical to a serial run's (`tests/test_parallel.py`). Small sites,
one core, or a platform without `fork` render serially in-process.

Why one writer: creating files is kernel work that does not spread over cores (two processes
creating files in one folder take longer than one, measured on ext4), so the parent writes
while both workers render. Workers die with the parent; a worker that dies fails the build
(`BrokenProcessPool`) instead of hanging it. This module decides neither which pages exist
(`render`) nor how files are stored (`writer`).
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "RenderTimes", "Task", "charge", "exited_well", "fork_is_safe", "forked",
           "forks", "map_forked", "render_pages", "worker_count"]

Job = Callable[[], Iterable[tuple[str, str | bytes]]]
"""Makes one or a few output files: (site-relative path, text or bytes) pairs."""


class Task(tuple):
    """A deferred call `func(*args)`: a job whose function and arguments stay visible, so the
    page memo can name it without looking inside a closure (see `warmmemo.job_identity`).

    A tuple `(func, args)` underneath, so two tasks compare equal, in C, when they call equal
    functions (a method: of the very same object) with equal arguments (the very same objects
    count as equal without asking them): the page memo compares a build's 140,000 jobs with
    the last build's in milliseconds."""

    __slots__ = ()

    def __new__(cls, func: Callable[..., Any], *args: Any) -> Task:
        return tuple.__new__(cls, (func, args))

    @property
    def func(self) -> Callable[..., Any]:
        return self[0]

    @property
    def args(self) -> tuple[Any, ...]:
        return self[1]

    def __call__(self) -> Any:
        func, args = self
        return func(*args)

    def __getnewargs__(self) -> tuple[Any, ...]:
        return (self[0], *self[1])

    def __repr__(self) -> str:
        return f"Task({getattr(self[0], '__qualname__', self[0])!r}, {len(self[1])} args)"


Files = list[tuple[str, bytes]]

MIN_PARALLEL_JOBS = 2000
"""Below this many jobs a pool costs more than it saves (forking, sending results back)."""
SLICE = 250
"""Jobs per task: big enough to amortise a round trip, small enough to balance the workers."""
AHEAD = 3
"""Slices per worker rendered ahead of the one the parent is writing."""
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


_charged: dict[str, float] = {}
"""CPU seconds the running job charged to other kinds of work than its own (`charge`)."""


def charge(kind: str, seconds: float) -> None:
    """In a job: count `seconds` of its CPU time as `kind` work, not as the job's own kind
    (a job making two kinds of file)."""
    _charged[kind] = _charged.get(kind, 0.0) + seconds


def _run(jobs: Iterable[tuple[str, Job]], times: RenderTimes) -> Iterator[Files]:
    """Each job's files, encoded; CPU seconds per kind into `times`."""
    for kind, job in jobs:
        _charged.clear()
        start = time.process_time()
        files = [(rel, text if type(text) is bytes else text.encode("utf-8"))
                 for rel, text in job()]
        spent = time.process_time() - start
        for other, seconds in _charged.items():
            times.add(other, seconds)
            spent -= seconds
        times.add(kind, spent)
        yield files


# The jobs of the current pool, inherited by its forked workers (never pickled).
_JOBS: Sequence[tuple[str, Job]] = ()


def _run_slice(bounds: tuple[int, int]) -> tuple[list[Files], dict[str, float]]:
    """In a worker: render jobs[start:stop]; their files and CPU seconds per kind."""
    times = RenderTimes()
    done = list(_run(_JOBS[bounds[0] : bounds[1]], times))
    return done, times.cpu


def _die_with_parent(parent: int, collect: bool = True) -> None:
    """In a new worker: be killed when the parent dies (Linux), so a killed build leaves no
    orphan holding memory and waiting forever. Its cyclic garbage collector is on when
    `collect` (the parent pauses its own while building), else off."""
    if collect:
        gc.enable()
    else:
        gc.disable()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _render_pool(jobs: Sequence[tuple[str, Job]], workers: int, times: RenderTimes
                 ) -> Iterator[Files]:
    global _JOBS
    _JOBS = jobs
    gc.freeze()  # the workers' collector skips everything inherited (less CPU, fewer page copies)
    # Without a collector: pages make almost no reference cycles (a 50,000-paper build's two
    # workers freed some 600 objects by collecting, for 1.8 s of CPU).
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_die_with_parent, initargs=(os.getpid(), False))
    slices = ((start, min(start + SLICE, len(jobs))) for start in range(0, len(jobs), SLICE))
    # A few slices ahead per worker, not all, taken back as they finish, not in job order: a
    # slow slice (papers.json is in the first) holds up neither the other worker nor the
    # parent, and finished pages wait in memory only until the parent has written them.
    running = {pool.submit(_run_slice, b): b for b in itertools.islice(slices, AHEAD * workers)}
    try:
        while running:
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=running.__getitem__):  # by the slices' bounds
                del running[future]
                running.update((pool.submit(_run_slice, b), b)
                               for b in itertools.islice(slices, 1))
                done, cpu = future.result()
                for kind, seconds in cpu.items():
                    times.add(kind, seconds)
                yield from done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error: the running slices end
        gc.unfreeze()
        _JOBS = ()


_MAPPED: tuple[Callable[[Any], Any], Sequence[Any]] | None = None
"""The function and items of the running `map_forked`, inherited by its workers."""


def _map_one(index: int) -> Any:
    assert _MAPPED is not None
    func, items = _MAPPED
    return func(items[index])


def fork_is_safe() -> bool:
    """True when this process may fork a child that runs Python (Linux, one thread)."""
    return sys.platform == "linux" and threading.active_count() == 1


def forked(work: Callable[[], object]) -> int:
    """Run `work()` in a forked child that then exits at once (without the parent's exit
    code): status 1 when it returned False, 2 when it raised, else 0. Returns its pid; see
    `exited_well`."""
    pid = os.fork()
    if pid == 0:
        status = 2
        try:
            status = 1 if work() is False else 0
        finally:
            os._exit(status)
    return pid


def exited_well(pid: int) -> bool:
    """Wait for child `pid` (`forked`); True when it exited with status 0."""
    try:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    except ChildProcessError:
        return False


def forks(workers: int, items: int) -> bool:
    """True when `map_forked` hands `items` items to `workers` forked processes."""
    return workers > 1 and items > 1 and sys.platform == "linux"


def map_forked(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    """`[func(item) for item in items]`, in order, worked out by `workers` forked processes
    (here unless it `forks`). The workers inherit `func` and `items`, so only the results are
    pickled (make them bytes when the caller keeps bytes)."""
    global _MAPPED
    if not forks(workers, len(items)):
        return [func(item) for item in items]
    _MAPPED = (func, items)
    try:
        with ProcessPoolExecutor(min(workers, len(items)),
                                 mp_context=multiprocessing.get_context("fork"),
                                 initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
            return list(pool.map(_map_one, range(len(items))))
    finally:
        _MAPPED = None


def render_pages(jobs: Sequence[tuple[str, Job]], write: Callable[[str, bytes], None],
                 times: RenderTimes | None = None, tick: Callable[[], None] | None = None
                 ) -> RenderTimes:
    """Run every (kind, job), `write` its files, `tick` once per job. Each job's files are
    written together, in the order the job gave them; jobs in job order when serial, else in
    the order their slices finish.

    Returns CPU seconds per kind: the kind labels a job's time (`"pages (markdown)"`,
    `"render (html)"`); the parent's own time in `write` is added as `"write"`.
    """
    times = times if times is not None else RenderTimes()
    times.workers = worker_count(len(jobs))
    produced = (_render_pool(jobs, times.workers, times) if times.workers > 1
                else _run(jobs, times))
    try:
        for files in produced:
            start = time.process_time()
            for rel, data in files:
                write(rel, data)
            times.add("write", time.process_time() - start)
            if tick is not None:
                tick()
    finally:
        produced.close()  # on an error: the pool is shut down before the caller cleans up
    return times
