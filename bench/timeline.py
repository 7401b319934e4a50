"""How many cores a build keeps busy, second by second: where one core sits idle.

Usage: `python bench/timeline.py PROJECT [--no-search] [--interval 0.5]`. Runs one build of
PROJECT (`bench/child.py`, with the on-disk cache, as `litreview build` does) while sampling
the machine's busy cores from `/proc/stat`, then prints the samples as `seconds:cores` and
every stretch of at least a second with fewer than 1.5 cores busy: the serial parts of the
build, which a 2-core machine pays in full. Build a fresh project (no `site/`, no
`.litreview-cache/`) to see a full build. Linux only; other processes on the machine count
too, so run it on a quiet one. This module measures; it changes nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def busy_ticks() -> tuple[int, int]:
    """(all ticks, busy ticks) of every core since boot."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(t) for t in stat.readline().split()[1:]]
    return sum(ticks), sum(ticks) - ticks[3] - ticks[4]  # less idle and iowait


def sample(build: subprocess.Popen, interval: float) -> list[tuple[float, float]]:
    """(seconds since start, cores busy) every `interval` until `build` ends."""
    cores, start, last, found = os.cpu_count() or 1, time.perf_counter(), busy_ticks(), []
    while build.poll() is None:
        time.sleep(interval)
        now = busy_ticks()
        total = max(now[0] - last[0], 1)
        found.append((time.perf_counter() - start, cores * (now[1] - last[1]) / total))
        last = now
    return found


def serial_stretches(samples: list[tuple[float, float]], interval: float
                     ) -> list[tuple[float, float]]:
    """(start, end) of each stretch of at least a second with fewer than 1.5 cores busy."""
    stretches, begun = [], None
    for at, busy in [*samples, (float("inf"), 2.0)]:
        if busy < 1.5 and begun is None:
            begun = at - interval
        elif busy >= 1.5 and begun is not None:
            end = min(at - interval, samples[-1][0])
            if end - begun >= 1.0:
                stretches.append((begun, end))
            begun = None
    return stretches


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("project", type=Path)
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument("--interval", type=float, default=0.5)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, str(HERE / "child.py"), str(args.project),
                   str(args.project / "site"), str(Path(tmp) / "result.json")]
        build = subprocess.Popen(command + (["--no-search"] if args.no_search else []))
        samples = sample(build, args.interval)
    print(" ".join(f"{at:.1f}:{busy:.2f}" for at, busy in samples))
    stretches = serial_stretches(samples, args.interval)
    for start, end in stretches:
        print(f"fewer than 1.5 cores busy: {start:5.1f} -> {end:5.1f} s ({end - start:.1f} s)")
    print(f"build {samples[-1][0] if samples else 0:.1f} s, of which "
          f"{sum(e - s for s, e in stretches):.1f} s with fewer than 1.5 cores busy")
    return build.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
