"""Rendering in a process pool gives exactly the site a serial build gives; big index pages.

The project is the sample listings plus the first 500 papers of the arXiv corpus (in the
compact Hugging Face layout), 10 papers to an index page: big enough that jobs spread over many
slices and both workers, and that one listing's index runs to 50 pages.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from jinja2 import UndefinedError

from generator import parallel
from generator.build import BuildReport
from tests.conftest import (
    FIXTURES,
    LISTINGS,
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
