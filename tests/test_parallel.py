"""Rendering in a process pool gives exactly the site a serial build gives; big index pages.

The project is the sample listings plus the first 500 papers of the arXiv corpus (in the
compact Hugging Face layout), 10 papers to an index page: big enough that jobs spread over many
slices and both workers, and that one listing's index runs to 50 pages.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from jinja2 import UndefinedError

from generator import parallel
from generator.build import BuildReport
from tests.conftest import (
    FIXTURES,
    LISTINGS,
    REPO,
    build_pinned,
    describe_tree_diff,
    site_tree,
    write_project,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv-cs-75k.jsonl.gz"
ARXIV_PAPERS = 500


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def arxiv_listing(n: int) -> str:
    """The first `n` corpus papers as a compact Hugging Face listing."""
    lines = ["Get trending papers in your email inbox!"]
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        for i, row in zip(range(n), fh, strict=False):
            record = json.loads(row)
            title = _one_line(record["title"])
            lines += [("Subscribe" if i == 0 else "") + title, _one_line(record["summary"])]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CORPUS.exists():
        pytest.skip(f"the arXiv corpus is not at {CORPUS}")
    root = tmp_path_factory.mktemp("parallel")
    shutil.copytree(LISTINGS, root / "content" / "listings")
    write_project(root, {"content/listings/arxiv.txt": arxiv_listing(ARXIV_PAPERS),
                         "litreview.yaml": "per_page: 10\n"})
    return root


def _build(project: Path, out: Path, workers: int, monkeypatch: pytest.MonkeyPatch
           ) -> BuildReport:
    monkeypatch.setenv(parallel.ENV_WORKERS, str(workers))
    return build_pinned(project, out, search_index=False)


@pytest.fixture(scope="module")
def serial_site(project: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> tuple[Path, BuildReport]:
    out = tmp_path_factory.mktemp("serial") / "site"
    with pytest.MonkeyPatch.context() as monkeypatch:
        return out, _build(project, out, 1, monkeypatch)


@pytest.mark.slow
def test_parallel_build_is_byte_identical_to_serial(project: Path, serial_site, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    serial_out, serial = serial_site
    pooled = _build(project, tmp_path / "pooled", 2, monkeypatch)
    assert (serial.workers, pooled.workers) == (1, 2)
    assert pooled.papers == serial.papers > ARXIV_PAPERS
    expected, actual = site_tree(serial_out), site_tree(tmp_path / "pooled")
    assert len(actual) > 2 * ARXIV_PAPERS + 50
    assert not describe_tree_diff(expected, actual)
    assert pooled.files_written == serial.files_written == len(actual) - 1  # minus the marker
    assert pooled.bytes_written == serial.bytes_written
    assert pooled.stages_cpu["render (html)"] > 0 and pooled.stages_cpu["write"] > 0
    for report in (serial, pooled):  # a paper's job makes both pages; each kind has its time
        assert 0 < report.stages_cpu["pages (markdown)"] < report.stages_cpu["render (html)"]


def test_long_index_shows_a_window_of_pages(serial_site) -> None:
    """Page 15 of a 50-page listing index links pages 1, 13 to 17 and 50, with gaps."""
    out, _ = serial_site
    html = (out / "listings" / "arxiv-txt" / "page" / "15" / "index.html").read_text()
    nav = BeautifulSoup(html, "html.parser").select_one("nav.pagination")
    assert nav is not None
    shown = [el.get_text() for el in nav.find_all(["a", "span"])]
    assert shown == ["← Newer", "1", "…", "13", "14", "15", "16", "17", "…", "50", "Older →"]
    assert nav.select_one("[aria-current=page]").get_text() == "15"
    assert not (out / "listings" / "arxiv-txt" / "page" / "51").exists()


def test_template_error_in_a_worker_fails_the_build(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "broken"
    shutil.copytree(FIXTURES / "small", root)
    write_project(root, {"templates/term.html": "{{ term.no_such_field }}"})
    for workers in (1, 2):
        out = tmp_path / f"site-{workers}"
        with pytest.raises(UndefinedError, match="no_such_field"):
            _build(root, out, workers, monkeypatch)
        assert not out.exists()


@pytest.mark.parametrize(("setting", "jobs", "expected"), [
    pytest.param("1", 100_000, 1, id="setting-1-is-serial"),
    pytest.param("3", 10, 3, id="setting-wins-over-size"),
    pytest.param("", parallel.MIN_PARALLEL_JOBS - 1, 1, id="small-site-is-serial"),
    pytest.param("zero", parallel.MIN_PARALLEL_JOBS - 1, 1, id="nonsense-setting-ignored"),
])
def test_worker_count(setting: str, jobs: int, expected: int,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.ENV_WORKERS, setting)
    assert parallel.worker_count(jobs) == expected


def _numbered_jobs(n: int) -> list[tuple[str, parallel.Job]]:
    """`n` jobs, job i making `f<i>.txt` (and a second file for every seventh job)."""
    def job(i: int) -> list[tuple[str, str]]:
        files = [(f"f{i}.txt", f"page {i}\n")]
        return files + [(f"extra/{i}.txt", "é" * i)] if i % 7 == 0 else files

    return [("render (html)", partial(job, i)) for i in range(n)]


def test_pool_hands_each_jobs_files_to_the_writer_together(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Over many slices and three workers, `write` sees exactly the serial calls; a job's
    files come together and in order (slices are taken as they finish)."""
    jobs = _numbered_jobs(parallel.SLICE * 9 + 17)
    calls: dict[str, list[tuple[str, bytes]]] = {"1": [], "3": []}
    for workers, seen in calls.items():
        monkeypatch.setenv(parallel.ENV_WORKERS, workers)
        times = parallel.render_pages(jobs, lambda rel, data, seen=seen: seen.append((rel, data)))
        assert times.workers == int(workers) and times.cpu["render (html)"] > 0
    assert sorted(calls["3"]) == sorted(calls["1"]) and len(calls["3"]) == len(calls["1"])
    pooled = calls["3"]
    for i, (rel, _) in enumerate(pooled):  # job 7k's second file right after its first
        if rel.startswith("extra/"):
            assert pooled[i - 1][0] == f"f{rel[6:-4]}.txt"
    assert calls["1"][:3] == [("f0.txt", b"page 0\n"), ("extra/0.txt", b""),
                              ("f1.txt", b"page 1\n")]
    assert ("extra/14.txt", "é".encode() * 14) in calls["1"]


def _waits_for(flag: Path) -> list[tuple[str, str]]:
    """A job that ends only once `flag` exists (or after a minute)."""
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return [("f0.txt", "slow" if flag.exists() else "timed out")]


def test_a_slow_slice_holds_up_neither_the_writer_nor_the_other_worker(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first job (in the first slice, like papers.json) waits until the writer has written
    a page of a later slice: taken in job order, that would never happen."""
    monkeypatch.setenv(parallel.ENV_WORKERS, "2")
    flag = tmp_path / "later-slice-written"
    jobs = [("outputs", partial(_waits_for, flag)), *_numbered_jobs(parallel.SLICE * 4)[1:]]
    seen: dict[str, bytes] = {}

    def write(rel: str, data: bytes) -> None:
        seen[rel] = data
        if rel == f"f{parallel.SLICE * 2}.txt":
            flag.touch()

    parallel.render_pages(jobs, write)
    assert seen["f0.txt"] == b"slow" and len(seen) == len(jobs) + len(range(7, len(jobs), 7))


DYING_WORKER = """
import os, sys
from functools import partial
from generator import parallel

def job(i):
    if i == 700:
        os._exit(3)  # as if the kernel's OOM killer took the worker
    return [(f"f{i}.txt", "x")]

os.environ[parallel.ENV_WORKERS] = "2"
jobs = [("render (html)", partial(job, i)) for i in range(3000)]
try:
    parallel.render_pages(jobs, lambda rel, data: None)
except Exception as exc:
    print(type(exc).__name__)
"""


def test_a_worker_that_dies_fails_the_build_instead_of_hanging() -> None:
    done = subprocess.run([sys.executable, "-c", DYING_WORKER], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.stdout.strip() == "BrokenProcessPool", done.stderr


KILLED_PARENT = """
import os, sys
from pathlib import Path
from generator import parallel
from tests.conftest import build_pinned
os.environ[parallel.ENV_WORKERS] = "2"
build_pinned(Path(sys.argv[1]), Path(sys.argv[2]), search_index=False)
"""


def test_workers_die_with_a_killed_build(project: Path, tmp_path: Path) -> None:
    """A build killed while its workers render leaves no worker behind (none goes on working,
    holding memory or waiting forever)."""
    out = tmp_path / "site"
    child = subprocess.Popen([sys.executable, "-c", KILLED_PARENT, str(project), str(out)],
                             cwd=REPO, start_new_session=True)
    rendering = out.with_name(f".{out.name}.staging") / "papers"  # the first pages are written
    deadline = time.monotonic() + 300
    while not rendering.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert child.poll() is None, "the build ended before its pages were seen"
    assert _group_members(child.pid) - {child.pid}, "no render workers"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + 30
    while _group_members(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _group_members(child.pid)
    assert not out.exists()


def _group_members(pgid: int) -> set[int]:
    """Live processes in process group `pgid` (zombies excluded)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.add(int(stat.parent.name))
    return found
