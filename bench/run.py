"""The scale benchmark: build N-paper sites from the arXiv corpus and print one table.

Usage: `python bench/run.py --papers 1000,10000,50000 [--hugo] [--no-search] [--profile]
[--workdir DIR] [--keep]`.

For each N it writes the first N corpus records as compact Hugging Face listings (2,000 papers a
file) into a fresh project, then runs, each in its own process (so peak RSS is that build's):
a full build, a no-op rebuild, and a rebuild after one small edit (one note when the project has
notes, else one abstract in one listing, labelled so), then, in one more process, note edits
rebuilt one after another as `litreview serve` does (warm in-memory state). With `--hugo` it
also builds the same `site/papers/*.md` pages with Hugo and prints the litreview/Hugo ratio
(litreview's build without the search index, process start to exit, against Hugo's).
`--profile` writes a pyinstrument profile of each full build next to the project. This module
measures; it changes nothing in the generator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import read_records, write_listings  # noqa: E402
from edits import edit_note_again, edit_one_input, prepare_note  # noqa: E402
from hugo import hugo_available, time_hugo  # noqa: E402
from proc import disk_probe, measure, tree_size  # noqa: E402
from table import Run, format_table  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", default="1000,10000",
                    help="comma-separated sizes, e.g. 1000,10000,50000")
    ap.add_argument("--hugo", action="store_true", help="also build the same pages with Hugo")
    ap.add_argument("--no-search", action="store_true", help="skip the Pagefind index")
    ap.add_argument("--profile", action="store_true", help="pyinstrument profile per full build")
    ap.add_argument("--workdir", type=Path, help="where projects go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the projects and sites")
    ap.add_argument("--json", type=Path, help="also write the raw results as JSON here")
    ap.add_argument("--snapshot", action="store_true",
                    help="build with a copy of generator/ and templates/ taken at the start "
                         "(others may be editing the working tree)")
    return ap.parse_args(argv)


def snapshot_code(work: Path) -> Path:
    """Copy the generator and its theme aside; builds import this copy (PYTHONPATH)."""
    src = work / "src"
    shutil.copytree(HERE.parent / "generator", src / "generator",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(HERE.parent / "templates", src / "generator" / "theme",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return src


def child_build(project: Path, label: str, env: dict[str, str], no_search: bool,
                profile: bool = False, session: bool = False) -> dict:
    """One build of `project` in a fresh Python process; the child's JSON plus wait4 figures."""
    result = project.parent / f"{project.name}-{label}.json"
    cmd = [sys.executable, str(HERE / "child.py"), str(project), str(project / "site"),
           str(result)]
    if no_search:
        cmd.append("--no-search")
    if profile:
        cmd += ["--profile", str(project.parent / f"{project.name}-{label}-profile.txt")]
    if session:
        cmd.append("--session")
    m = measure(cmd, cwd=HERE.parent, env=env, log=project.parent / f"{project.name}-{label}.log")
    if m.returncode != 0:
        raise SystemExit(f"{label} build of {project} failed; see "
                         f"{project.parent / f'{project.name}-{label}.log'}")
    data = json.loads(result.read_text())
    data.update(proc_wall_s=m.wall_s, proc_cpu_s=m.cpu_s, max_rss_mib=m.max_rss_mib)
    return data


def bench_size(n: int, pairs: list[tuple[str, str]], work: Path, args: argparse.Namespace,
               env: dict[str, str]) -> tuple[Run, list[Path]]:
    """Write the N-paper project, build it three ways (and with Hugo); return the figures and
    the output folders to delete once the table is out (deleting 100k files takes minutes)."""
    project = work / f"papers-{n}"
    write_listings(project / "content" / "listings", pairs[:n])
    note_label = prepare_note(project)
    full = child_build(project, "full", env, args.no_search, args.profile)
    files, size = tree_size(project / "site")
    noop = child_build(project, "noop", env, args.no_search)
    edit_label = edit_one_input(project, note_label)
    edited = child_build(project, "edit", env, args.no_search)
    again: dict = {}
    if note_label:  # the first rebuild after a full one also makes the writer's back buffer
        edit_note_again(project)
        again = child_build(project, "edit-again", env, args.no_search)
    session = child_build(project, "session", env, args.no_search, session=True) \
        if note_label else {}
    run = Run(n=n, full=full, noop=noop, edited=edited, edit_label=edit_label,
              files=files, bytes=size, session=session, again=again)
    if args.hugo:
        hugo, _, hfiles, hbytes = time_hugo(project / "site" / "papers", work / f"hugo-{n}")
        run = run.with_hugo(hugo.wall_s, hugo.cpu_s, hugo.max_rss_mib, hfiles, hbytes)
    return run, [work / f"hugo-{n}", project / "site"]


def load() -> str:
    """Load average and CPU pressure: other processes on the machine skew wall times."""
    avg = " ".join(f"{x:.1f}" for x in os.getloadavg())
    pressure = Path("/proc/pressure/cpu")
    some = pressure.read_text().split()[1] if pressure.exists() else "n/a"
    return f"load average {avg}, CPU pressure {some}"


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text()
                .splitlines() if ln.startswith("model name")), platform.processor())
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, "
            f"Python {platform.python_version()}, {platform.system()} {platform.release()}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.papers.split(",") if s.strip()]
    if args.hugo and not hugo_available():
        raise SystemExit("--hugo needs Debian's hugo: apt-get install -y hugo")
    pairs = read_records(max(sizes))
    work = args.workdir or Path(tempfile.mkdtemp(prefix="litreview-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONHASHSEED="0")
    if args.snapshot:  # builds import this copy, whatever happens to the working tree
        env["PYTHONPATH"] = str(snapshot_code(work))
    runs: list[Run] = []
    probe_dir = Path(tempfile.mkdtemp(prefix="disk-probe-", dir=work))
    probe, leftovers = disk_probe(probe_dir), [probe_dir]
    try:
        for n in sizes:
            print(f"building {n} papers in {work} ...", file=sys.stderr, flush=True)
            run, outputs = bench_size(n, pairs, work, args, env)
            runs.append(run)
            leftovers += outputs
            if args.json:
                args.json.write_text(json.dumps([r.as_dict() for r in runs], indent=1))
        print(f"{dt.date.today().isoformat()}, {machine()}; at the end: {load()}; before the "
              f"run, a folder and a 10 KB file took {probe:.0f} µs of CPU to make in the work "
              f"dir\n", flush=True)
        print(format_table(runs, search=not args.no_search), flush=True)
    finally:
        if not args.keep:
            for path in leftovers:
                shutil.rmtree(path, ignore_errors=True)
            if args.workdir is None:
                shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
