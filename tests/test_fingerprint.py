"""A rebuild with nothing changed is skipped; any change to inputs, options or output is not."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from generator.build import BuildReport
from generator.cache import BuildCache
from generator.fingerprint import output_folders
from tests.conftest import FIXTURES, build_pinned, site_tree


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "small", root)
    return root


def _build(root: Path, **options: object) -> BuildReport:
    return build_pinned(root, root / "site", cache=BuildCache(root), search_index=False,
                        **options)


def test_unchanged_rebuild_is_skipped_and_reports_the_last_build(project: Path) -> None:
    first = _build(project)
    before = site_tree(project / "site")
    second = _build(project)
    assert not first.skipped and second.skipped
    assert second.files_written == 0 and second.files_unchanged == first.files_written
    assert (second.papers, second.merged, second.listings) == (first.papers, first.merged,
                                                               first.listings)
    assert [str(i) for i in second.issues] == [str(i) for i in first.issues]
    assert list(second.stages) == ["unchanged check"]
    assert site_tree(project / "site") == before


def _edit_listing(root: Path) -> None:
    listing = sorted((root / "content" / "listings").iterdir())[0]
    listing.write_text(listing.read_text(encoding="utf-8") + "\n", encoding="utf-8")


def _edit_template(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "404.html").write_text("<p>gone</p>\n", encoding="utf-8")


def _delete_output_file(root: Path) -> None:
    (root / "site" / "robots.txt").unlink()


def _delete_nested_output_file(root: Path) -> None:
    sorted((root / "site" / "papers").glob("*/index.html"))[0].unlink()


def _edit_config(root: Path) -> None:
    config = root / "litreview.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")


@pytest.mark.parametrize("change", [
    pytest.param(_edit_listing, id="listing-edited"),
    pytest.param(_edit_template, id="project-template-added"),
    pytest.param(_delete_output_file, id="output-file-deleted"),
    pytest.param(_delete_nested_output_file, id="nested-output-file-deleted"),
    pytest.param(_edit_config, id="config-edited"),
])
def test_any_change_rebuilds(project: Path, change: Callable[[Path], None]) -> None:
    _build(project)
    change(project)
    again = _build(project)
    assert not again.skipped
    assert (project / "site" / "robots.txt").exists()
    assert len(list((project / "site" / "papers").glob("*/index.html"))) == again.papers
    assert "unchanged check" in again.stages and len(again.stages) > 1


def test_other_options_rebuild(project: Path) -> None:
    _build(project)
    again = _build(project, base_url="/sub/")
    assert not again.skipped
    assert 'href="/sub/' in (project / "site" / "index.html").read_text(encoding="utf-8")


def test_without_a_disk_cache_nothing_is_skipped(project: Path) -> None:
    build_pinned(project, project / "site", search_index=False)
    again = build_pinned(project, project / "site", search_index=False)
    assert not again.skipped
    assert again.stages_cpu["render (html)"] > 0 and again.files_unchanged > 0


def _folder_tree(top: Path) -> Path:
    """Folders as a site has them (a leaf per page), with an empty one, a deep one, a file
    where a folder might be and a symbolic link to a folder (not a folder of the tree)."""
    for rel in ("papers/a/index.html", "papers/b/index.html", "papers/c.md", "tags/x/index.html",
                "tags/x/page/2/index.html", "assets/site.css", "robots.txt"):
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_text("x", encoding="utf-8")
    (top / "papers" / "empty").mkdir()
    (top / "papers" / "empty" / "inner").mkdir()
    (top / "tags" / "link").symlink_to(top / "papers")
    return top


def _every_folder(top: Path) -> set[str]:
    return {folder for folder, _, _ in os.walk(top)}  # symbolic links are not followed


def test_output_folders_records_every_folder_and_its_stamp(tmp_path: Path) -> None:
    top = _folder_tree(tmp_path / "site")
    folders = output_folders(top)
    assert set(folders) == _every_folder(top) and len(folders) == 11
    assert all((st.st_ino, st.st_mtime_ns, st.st_ctime_ns) == stamp
               for f, stamp in folders.items() for st in [os.stat(f)])


@pytest.mark.parametrize("links", [
    pytest.param(lambda real: 1, id="one-link-per-folder-as-btrfs"),
    pytest.param(lambda real: 2, id="two-links-per-folder"),
    pytest.param(lambda real: real + 1, id="one-link-too-many"),
])
def test_output_folders_lists_every_folder_where_link_counts_say_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: Callable[[int], int]) -> None:
    top = _folder_tree(tmp_path / "site")
    real_stat = os.stat

    def stat(path: str) -> SimpleNamespace:
        st = real_stat(path)
        return SimpleNamespace(st_ino=st.st_ino, st_mtime_ns=st.st_mtime_ns,
                               st_ctime_ns=st.st_ctime_ns, st_nlink=links(st.st_nlink))

    monkeypatch.setattr(os, "stat", stat)
    folders = output_folders(top)
    monkeypatch.undo()
    assert set(folders) == _every_folder(top)
