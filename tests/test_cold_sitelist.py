"""A new process trusts the site's file list the last commit kept while the site's folders are
untouched (`sitelist`), and lists the site again after any change made to it by hand."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import cache as cache_module
from generator import fingerprint, sitelist, writer
from generator.build import BuildReport
from generator.cache import BuildCache
from generator.outdir import link_all, site_files
from generator.writer import SiteWriter

from .conftest import FIXTURES, build_pinned, site_tree, snapshot_project


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders the writer lists file by file (`site_files`) from now on."""
    seen: list[str] = []

    def counted(directory: Path) -> Iterator[str]:
        seen.append(str(directory))
        return site_files(directory)

    monkeypatch.setattr(writer, "site_files", counted)
    return seen


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = snapshot_project(FIXTURES / "small", tmp_path / "project")
    (root / "content" / "notes").mkdir(parents=True)
    return root


def _build(root: Path) -> BuildReport:
    """A build as a new `litreview build` process makes it: a fresh cache object."""
    return build_pinned(root, root / "site", cache=BuildCache(root), search_index=False)


def _edit_note(root: Path, text: str) -> None:
    slug = sorted((root / "site" / "papers").glob("*.md"))[0].stem
    (root / "content" / "notes" / "one.md").write_text(
        f"---\npaper: {slug}\n---\n{text}\n", encoding="utf-8")


def _first_page(root: Path) -> Path:
    return sorted((root / "site" / "papers").glob("*/index.html"))[0]


def test_a_new_process_does_not_list_an_untouched_site(small: Path, walks: list[str]) -> None:
    _build(small)
    walks.clear()
    _edit_note(small, "Some words.")
    report = _build(small)
    assert report.files_written > 0 and not report.skipped
    assert str(small / "site") not in walks
    assert "Some words." in _first_page(small).read_text(encoding="utf-8")


def _delete_page(root: Path) -> None:
    _first_page(root).unlink()


def _add_stray_file(root: Path) -> None:
    (_first_page(root).parent / "stray.html").write_text("stray", encoding="utf-8")


def _add_stray_folder(root: Path) -> None:
    (root / "site" / "tags" / "stray").mkdir()
    (root / "site" / "tags" / "stray" / "index.html").write_text("stray", encoding="utf-8")


def _replace_site_with_a_copy_missing_a_page(root: Path) -> None:
    copy = root / "copy"
    shutil.copytree(root / "site", copy, symlinks=True)  # copies folder mtimes, not inodes
    victim = sorted((copy / "papers").glob("*/index.html"))[0]
    mtime = victim.parent.stat().st_mtime_ns
    victim.unlink()
    os.utime(victim.parent, ns=(mtime, mtime))  # its folder's mtime as before: ctime moves
    shutil.rmtree(root / "site")
    copy.rename(root / "site")


@pytest.mark.parametrize("change", [
    pytest.param(_delete_page, id="page-deleted"),
    pytest.param(_add_stray_file, id="file-added"),
    pytest.param(_add_stray_folder, id="folder-added"),
    pytest.param(_replace_site_with_a_copy_missing_a_page, id="site-replaced-by-a-copy"),
])
def test_a_site_changed_by_hand_is_listed_again_and_repaired(
        small: Path, walks: list[str], change: Callable[[Path], None]) -> None:
    _build(small)
    _edit_note(small, "First words.")
    _build(small)
    clean = site_tree(small / "site")
    change(small)
    walks.clear()
    _edit_note(small, "First words.")  # the same note again: only the site differs
    report = _build(small)
    assert str(small / "site") in walks and not report.skipped
    assert site_tree(small / "site") == clean


def test_the_stamp_takes_the_folders_from_the_kept_list(
        small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _build(small)
    _edit_note(small, "Some words.")
    walked: list[Path] = []
    real = fingerprint.output_folders
    monkeypatch.setattr(fingerprint, "output_folders", lambda out: walked.append(out) or real(out))
    # The stamp is saved in this process, not by a child behind the build: `walked` sees it.
    monkeypatch.setattr(cache_module, "fork_is_safe", lambda: False)
    assert not _build(small).skipped
    assert walked == []
    assert _build(small).skipped  # what it stored is right: the next build is a no-op
    _delete_page(small)
    assert not _build(small).skipped


def test_a_build_waits_for_the_record_its_predecessor_keeps_behind_it(
        small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site's list and the stamp are kept by a child the build does not wait for (slowed
    down here); the next build waits for them, so it is a no-op, and its site is untouched."""
    real = fingerprint.BuildStamp.save

    def slow(stamp: fingerprint.BuildStamp, report: BuildReport, **options: bool) -> None:
        time.sleep(1.5)
        real(stamp, report, **options)

    monkeypatch.setattr(fingerprint.BuildStamp, "save", slow)
    first = _build(small)
    assert not first.skipped and not list((small / ".litreview-cache").glob("last-build-*.pickle"))
    clean = site_tree(small / "site")
    assert _build(small).skipped
    assert site_tree(small / "site") == clean
    _edit_note(small, "Some words.")  # a patch: its list and stamp are kept behind it too
    _build(small)
    clean = site_tree(small / "site")
    assert _build(small).skipped and site_tree(small / "site") == clean


@pytest.mark.parametrize("note", [False, True], ids=["full-build", "note-patch"])
def test_a_page_deleted_as_the_build_returns_is_seen_by_the_next_build(
        small: Path, monkeypatch: pytest.MonkeyPatch, note: bool) -> None:
    """The folders are stamped before the build returns, not by the child keeping the list
    behind it: a change made meanwhile is not taken for the published site."""
    real = BuildCache.write_behind
    monkeypatch.setattr(BuildCache, "write_behind", lambda cache, lock, write: real(
        cache, lock, lambda: (time.sleep(1), write())))  # the child starts late
    _build(small)
    if note:
        _edit_note(small, "Some words.")
        assert _build(small).files_written == 3  # the patch
    clean = site_tree(small / "site")
    _delete_page(small)
    assert not _build(small).skipped
    assert site_tree(small / "site") == clean


def _writer(out: Path, back: Path, files: frozenset[str] | None = None) -> SiteWriter:
    return SiteWriter(out, back=back, files=files)


def _files_seen(out: Path, back: Path) -> frozenset[str]:
    """The current site's files as a new writer finds them (then it lets go of the site)."""
    site = _writer(out, back)
    try:
        return site.old_files()
    finally:
        site.discard()


def _publish(out: Path, back: Path, pages: dict[str, str],
             files: frozenset[str] | None = None) -> SiteWriter:
    site = _writer(out, back, files)
    for rel, text in pages.items():
        site.write(rel, text)
    site.commit()
    return site


PAGES = {"index.html": "home", "papers/a/index.html": "a", "papers/b/index.html": "b",
         "tags/x/page/2/index.html": "x2"}


def test_the_kept_list_is_the_published_site(tmp_path: Path, walks: list[str]) -> None:
    out, back = tmp_path / "site", tmp_path / "cache" / "back"
    back.parent.mkdir()
    _publish(out, back, PAGES)
    _publish(out, back, {**PAGES, "papers/c/index.html": "c"} | {"index.html": "new home"})
    walks.clear()
    assert _files_seen(out, back) == frozenset(site_files(out))
    assert walks == []


def test_a_writer_given_the_files_drops_the_kept_list_when_it_publishes(
        tmp_path: Path, walks: list[str]) -> None:
    out, back = tmp_path / "site", tmp_path / "cache" / "back"
    back.parent.mkdir()
    first = _publish(out, back, PAGES)
    _publish(out, back, {**PAGES, "index.html": "changed"}, files=first.files_now)
    assert not sitelist.record_path(back).exists()
    walks.clear()
    assert _files_seen(out, back) == frozenset(PAGES)
    assert walks == [str(out)]


def test_a_list_is_taken_only_where_link_counts_explain_every_folder(tmp_path: Path) -> None:
    out = tmp_path / "site"
    for rel in PAGES:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x", encoding="utf-8")
    listed = sitelist.take(out, frozenset(PAGES))
    assert listed is not None and listed.still_true(out)
    assert set(listed.folders) == {"", "papers", "papers/a", "papers/b", "tags", "tags/x",
                                   "tags/x/page", "tags/x/page/2"}
    (out / "papers" / "a" / "index.html").write_text("edited in place", encoding="utf-8")
    assert listed.still_true(out)  # names, not bytes: the page memo checks each file's stat
    (out / "papers" / "empty").mkdir()  # a folder no file explains
    assert not listed.still_true(out) and sitelist.take(out, frozenset(PAGES)) is None


def test_a_torn_or_foreign_record_is_no_list(tmp_path: Path) -> None:
    path = tmp_path / "list.pickle"
    path.write_bytes(b"\x80\x05not a pickle")
    assert sitelist.load(path) is None
    sitelist.save(path, sitelist.SiteList(frozenset({"a.html", "b/c.html"}), {"": (1, 2, 3)}))
    loaded = sitelist.load(path)
    assert loaded is not None and loaded.files == {"a.html", "b/c.html"}
    assert loaded.folders == {"": (1, 2, 3)}


def test_commits_through_the_back_buffer_stamp_only_the_folders_they_touch(
        tmp_path: Path, walks: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    out, back = tmp_path / "site", tmp_path / "cache" / "back"
    back.parent.mkdir()
    taken: list[int] = []
    real_take = sitelist.take
    monkeypatch.setattr(sitelist, "take", lambda o, files: taken.append(1) or real_take(o, files))
    pages = dict(PAGES)
    for number in range(6):  # each commit by a new writer, as in a new process
        pages[f"papers/p{number}/index.html"] = f"paper {number}"
        pages.pop(f"papers/p{number - 2}/index.html", None)  # a folder emptied and removed
        pages["index.html"] = f"home {number}"
        _publish(out, back, pages)
        walks.clear()
        assert _files_seen(out, back) == frozenset(pages) == frozenset(site_files(out))
        assert walks == []
    assert len(taken) == 2  # the first site, and the first with a back buffer: then none


def test_a_back_buffer_changed_by_hand_costs_a_listing_not_a_wrong_list(
        tmp_path: Path, walks: list[str]) -> None:
    out, back = tmp_path / "site", tmp_path / "cache" / "back"
    back.parent.mkdir()
    for number in range(3):
        _publish(out, back, {**PAGES, "index.html": f"home {number}"})
    (back / "tags" / "x" / "stray.html").write_text("stray", encoding="utf-8")
    _publish(out, back, {**PAGES, "index.html": "home 3"})  # the back buffer is the site now
    walks.clear()
    assert _files_seen(out, back) == frozenset(site_files(out))
    assert walks == [str(out)]


def test_link_all_makes_each_folder_once_and_links_every_file(tmp_path: Path) -> None:
    src, dst = tmp_path / "site", tmp_path / "staging"
    rels = ["index.html", "papers/a/index.html", "papers/a.md", "tags/x/page/2/index.html"]
    for rel in rels:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(rel, encoding="utf-8")
    (dst / "papers" / "b").mkdir(parents=True)  # folders the build already wrote are fine
    made: list[str] = []
    real_mkdir = os.mkdir

    def counted(path: str, *args: object) -> None:
        made.append(str(path))
        real_mkdir(path, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "mkdir", counted)
        link_all(src, dst, sorted(rels))
    for rel in rels:
        assert (dst / rel).read_text(encoding="utf-8") == rel
        assert (dst / rel).stat().st_ino == (src / rel).stat().st_ino, "a hard link"
    assert sorted(made) == sorted(f"{dst}/{f}" for f in
                                  ["papers", "papers/a", "tags", "tags/x", "tags/x/page",
                                   "tags/x/page/2"])
