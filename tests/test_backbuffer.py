"""A first build leaves a back buffer, its site hard-linked by a child while it publishes
(`backbuffer.start`), so the next build publishes a small change through it instead of linking every
file of the site into a new tree first."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator import backbuffer, sitelist
from generator.build import BuildReport
from generator.cache import BuildCache
from generator.outdir import site_files
from generator.parallel import fork_is_safe
from generator.writer import SiteWriter

from .conftest import FIXTURES, build_pinned, describe_tree_diff, site_tree, snapshot_project


@pytest.fixture
def small(tmp_path: Path) -> Path:
    assert fork_is_safe(), "a thread left running by another test: the copy would not start"
    root = snapshot_project(FIXTURES / "small", tmp_path / "project")
    (root / "content" / "notes").mkdir(parents=True)
    return root


def _build(root: Path, out: str = "site") -> BuildReport:
    """A build as a new `litreview build` process makes it: a fresh cache object."""
    return build_pinned(root, root / out, cache=BuildCache(root), search_index=False)


def _back(root: Path) -> Path:
    back = BuildCache(root).back_folder(root / "site")
    assert back is not None
    return back


def _edit_note(root: Path, text: str) -> None:
    slug = sorted((root / "site" / "papers").glob("*.md"))[0].stem
    (root / "content" / "notes" / "one.md").write_text(
        f"---\npaper: {slug}\n---\n{text}\n", encoding="utf-8")


def _fresh_site(root: Path) -> dict[str, bytes]:
    """The site a first build of the project as it is now makes (in a folder of its own)."""
    _build(root, "fresh")
    return site_tree(root / "fresh")


def test_a_first_build_leaves_a_back_buffer_that_is_its_site(small: Path) -> None:
    _build(small)
    site, back = small / "site", _back(small)
    files = sorted(site_files(site))
    assert sorted(set(site_files(back)) - {backbuffer.DELTA}) == files
    assert all(os.stat(back / rel).st_ino == os.stat(site / rel).st_ino for rel in files)
    delta = json.loads((back / backbuffer.DELTA).read_text(encoding="utf-8"))
    assert delta == {"site": os.stat(site).st_ino, "paths": []}
    listed = sitelist.load(sitelist.KeptLists(back).back_path)
    assert listed is not None and listed.files == frozenset(files)
    assert not back.with_name(back.name + ".copy").exists()


def test_the_next_build_publishes_a_note_through_that_back_buffer(small: Path) -> None:
    _build(small)
    copy = os.stat(_back(small)).st_ino
    _edit_note(small, "Words added after the first build.")
    report = _build(small)
    assert 0 < report.files_written < 20
    assert os.stat(small / "site").st_ino == copy  # the copy, brought up to date, swapped in
    diff = describe_tree_diff(_fresh_site(small), site_tree(small / "site"))
    assert not diff, diff


def test_a_failed_copy_leaves_no_back_buffer_and_the_next_build_still_publishes(
        small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(*args: object) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(backbuffer, "_copy", failing)  # runs in the forked child
    _build(small)
    back = _back(small)
    assert not back.exists() and not back.with_name(back.name + ".copy").exists()
    assert not sitelist.KeptLists(back).back_path.exists()
    assert not list(back.parent.glob("*.copy"))
    _edit_note(small, "Words added after the first build.")
    assert _build(small).files_written > 0
    diff = describe_tree_diff(_fresh_site(small), site_tree(small / "site"))
    assert not diff, diff


def test_a_complete_staging_folder_is_copied_with_the_files_an_indexer_added(
        tmp_path: Path) -> None:
    assert fork_is_safe()
    out, back = tmp_path / "site", tmp_path / "cache" / "back"
    back.parent.mkdir()
    writer = SiteWriter(out, back=back)
    writer.write("index.html", "<p>home</p>")
    writer.write("papers/a/index.html", "<p>a</p>")
    staged = writer.complete()  # as for the search indexer, which adds files of its own
    (staged / "pagefind").mkdir()
    (staged / "pagefind" / "index.json").write_text("{}", encoding="utf-8")
    writer.copy_back()
    writer.commit()
    files = {"index.html", "papers/a/index.html", "pagefind/index.json"}
    assert set(site_files(out)) == files
    assert set(site_files(back)) - {backbuffer.DELTA} == files
    listed = sitelist.load(sitelist.KeptLists(back).back_path)
    assert listed is not None and listed.files == frozenset(files)
