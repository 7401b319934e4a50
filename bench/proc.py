"""Run one command as a child process and measure it: wall time, CPU time, peak RSS.

`os.wait4` gives the resource usage of exactly that child (and of the workers it waited for),
so builds measured one after another do not blur into each other. Nothing here knows what the
command does.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measured", "disk_probe", "measure", "tree_size"]


@dataclass(frozen=True)
class Measured:
    """Wall and CPU seconds and peak resident memory of one finished child process."""

    wall_s: float
    cpu_s: float
    max_rss_mib: float
    returncode: int


def measure(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
            log: Path | None = None) -> Measured:
    """Run `cmd` to completion; its output goes to `log` (or is discarded)."""
    sink = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            sink.close()
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                    proc.returncode)


def tree_size(root: Path) -> tuple[int, int]:
    """(file count, total bytes) of every file under `root`."""
    files = size = 0
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    files += 1
                    size += entry.stat(follow_symlinks=False).st_size
    return files, size


def disk_probe(folder: Path, files: int = 1000) -> float:
    """CPU microseconds to make one folder holding one 10 KB file in `folder` (left there:
    deleting them would slow the next files made). A site is made of such pairs; on ext4
    without a journal they cost many times more for minutes after a large delete (the inode
    allocator skips recently deleted inodes), which this shows before a benchmark trusts the
    disk."""
    folder.mkdir(parents=True, exist_ok=True)
    data = b"x" * 10_000
    start = time.process_time()
    for i in range(files):
        os.mkdir(folder / f"d{i}")
        (folder / f"d{i}" / "index.html").write_bytes(data)
    return (time.process_time() - start) / files * 1e6
