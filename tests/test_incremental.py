"""Incremental builds: unchanged files are never rewritten, changed ones always are, and an
incremental build gives exactly the site a clean build gives (cross-paper steps included).

"Rewritten" is observed on the file system: a file the writer leaves alone keeps its inode and
its mtime; a rewritten one gets a new inode (written to staging, then moved into place).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import BuildReport
from generator.cache import BuildCache
from generator.writer import SiteWriter

from .conftest import FIXTURES, REPO, build_pinned, site_tree, snapshot_project

Stamp = tuple[int, int]


def stamps(site: Path) -> dict[str, Stamp]:
    """(inode, mtime) of every file of a site."""
    out = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(site).as_posix()] = (st.st_ino, st.st_mtime_ns)
    return out


def rewritten(before: dict[str, Stamp], after: dict[str, Stamp]) -> set[str]:
    """Files that are new or were replaced between two stamp sets."""
    return {rel for rel, stamp in after.items() if before.get(rel) != stamp}


def differing(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    """Files whose bytes differ (or that exist on one side only)."""
    return {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}


def build(root: Path, out: Path, cache: BuildCache | None = None) -> BuildReport:
    return build_pinned(root, out, search_index=False, cache=cache)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A writable copy of the small fixture project."""
    return snapshot_project(FIXTURES / "small", tmp_path / "project")


def test_second_build_writes_nothing(small: Path) -> None:
    out = small.parent / "site"
    build(small, out)
    before, folder = stamps(out), out.stat().st_ino
    report = build(small, out)
    assert (report.files_written, report.files_deleted) == (0, 0)
    assert report.files_unchanged == len(before) - 1  # all but the marker file
    assert report.changed_paths == ()
    assert stamps(out) == before
    assert out.stat().st_ino == folder  # not even swapped
    assert not any(p.name.startswith(".site.") for p in out.parent.iterdir())


def test_second_default_build_writes_nothing_and_keeps_search_index(tmp_path: Path) -> None:
    """The real site, search index included: the second build does not re-run Pagefind."""
    pytest.importorskip("pagefind")
    root = snapshot_project(REPO, tmp_path / "project")
    out, cache = tmp_path / "site", BuildCache(root)
    first = build_pinned(root, out, cache=cache)
    if first.search is None or not first.search.enabled:
        pytest.skip(f"search is off here: {first.search}")
    before = stamps(out)
    assert any(rel.startswith("pagefind/") for rel in before)
    second = build_pinned(root, out, cache=BuildCache(root))  # a new process: from disk
    assert second.files_written == 0 and stamps(out) == before
    assert second.search == first.search


def test_parse_cache_reuses_unchanged_listings(small: Path) -> None:
    out = small.parent / "site"
    build(small, out, BuildCache(small))
    listings = sorted((small / "content" / "listings").iterdir())
    listings[0].write_text(listings[0].read_text() + "\n", encoding="utf-8")
    cache = BuildCache(small)  # a later `litreview build`: only the disk cache is shared
    build(small, out, cache)
    assert (cache.hits, cache.misses) == (len(listings) - 1, 1)
    assert (small / ".litreview-cache" / ".gitignore").read_text() == "*\n"


def _replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _listing(root: Path, name: str) -> Path:
    return root / "content" / "listings" / name


def edit_abstract(root: Path) -> None:
    _replace_in(_listing(root, "hf-regularization-sample.txt"), "decision-making process",
                "decision-making pipeline")


def edit_title(root: Path) -> None:
    """A new title: a new slug, and every page linking to the paper must follow."""
    text = _listing(root, "hf-regularization-sample.txt").read_text(encoding="utf-8")
    title = text.splitlines()[2].removeprefix("Subscribe")
    _replace_in(_listing(root, "hf-regularization-sample.txt"), title, title + " Revisited")


def add_duplicate(root: Path) -> None:
    """A paper already in the NeurIPS listing appears in a Hugging Face listing too."""
    text = _listing(root, "neurips-epoch-sample.txt").read_text(encoding="utf-8")
    title = re.findall(r"^\S.*$", text, re.M)[3]
    with open(_listing(root, "hf-regularization-sample.txt"), "a", encoding="utf-8") as f:
        f.write(f"{title}\nThe same paper, listed a second time with another abstract.\n")


def remove_listing(root: Path) -> None:
    _listing(root, "neurips-statistical-learning-sample.txt").unlink()


def rename_listing(root: Path) -> None:
    old = _listing(root, "neurips-epoch-sample.txt")
    old.rename(old.with_name("neurips-epoch-renamed.txt"))


def edit_config(root: Path) -> None:
    _replace_in(root / "litreview.yaml", "per_page: 2", "per_page: 3")


def override_template(root: Path) -> None:
    theme = REPO / "templates" / "term.html"
    (root / "templates").mkdir(exist_ok=True)
    text = theme.read_text(encoding="utf-8")
    assert "{% block main %}" in text
    (root / "templates" / "term.html").write_text(
        text.replace("{% block main %}", "{% block main %}<!-- project theme -->"),
        encoding="utf-8")


EDITS: list[Callable[[Path], None]] = [edit_abstract, edit_title, add_duplicate, remove_listing,
                                       rename_listing, edit_config, override_template]


@pytest.mark.parametrize("edit", [pytest.param(e, id=e.__name__) for e in EDITS])
def test_incremental_build_equals_clean_build(small: Path, edit: Callable[[Path], None]) -> None:
    """After an edit, the incremental site is byte-identical to a clean build, and exactly the
    files whose bytes changed were rewritten (dedupe, topics, tags, related recomputed)."""
    out, cache = small.parent / "site", BuildCache(small)
    build(small, out, cache)
    old_bytes, old_stamps = site_tree(out), stamps(out)
    edit(small)
    report = build(small, out, cache)
    clean = small.parent / "clean"
    build(small, clean, BuildCache(None))
    new_bytes = site_tree(out)
    assert new_bytes == site_tree(clean)
    changed = differing(old_bytes, new_bytes)
    assert changed, "the edit must change the site"
    assert rewritten(old_stamps, stamps(out)) == changed - (old_bytes.keys() - new_bytes.keys())
    assert set(report.changed_paths) == changed
    assert report.files_written + report.files_deleted == len(changed)


def test_template_edit_rewrites_only_pages_using_it(small: Path) -> None:
    out = small.parent / "site"
    build(small, out)
    before = stamps(out)
    override_template(small)
    build(small, out)
    changed = rewritten(before, stamps(out))
    assert changed and all(re.fullmatch(r"(topics|tags|venues|listings)/[^/]+/"
                                        r"(page/\d+/)?index\.html", rel) for rel in changed)
    assert any(rel.startswith("venues/") for rel in changed)


def _note_project(tmp_path: Path) -> tuple[Path, Path, str]:
    """The default project and its example note about a paper: (root, note file, slug)."""
    root = snapshot_project(REPO, tmp_path / "project")
    notes = sorted((root / "content" / "notes").glob("*.md"))
    if not notes:
        pytest.skip("the default project has no notes")
    note = next((n for n in notes if "interpretability" in n.name), notes[0])
    slug = re.search(r"^paper:\s*(\S+)", note.read_text(encoding="utf-8"), re.M)
    assert slug is not None
    return root, note, slug.group(1)


def test_one_note_edit_rewrites_that_paper_and_the_pages_it_changes(tmp_path: Path) -> None:
    root, note, slug = _note_project(tmp_path)
    out, cache = tmp_path / "site", BuildCache(root)
    build(root, out, cache)
    every_job = build(root, out, cache).jobs_reused
    old_bytes, old_stamps = site_tree(out), stamps(out)
    with open(note, "a", encoding="utf-8") as f:
        f.write("\nRe-read in June: the appendix has the proof sketch.\n")
    report = build(root, out, cache)
    changed = rewritten(old_stamps, stamps(out))
    page = f"papers/{slug}/index.html"
    assert page in changed
    assert "the appendix has the proof sketch" in (out / page).read_text(encoding="utf-8")
    assert changed == differing(old_bytes, site_tree(out)) == set(report.changed_paths)
    assert len(changed) <= 5, sorted(changed)  # the page, its Markdown twin, papers.json …
    assert not any(rel.startswith(("topics/", "tags/", "venues/", "listings/"))
                   for rel in changed)
    # Not even rendered again: only the jobs that read this paper ran (its pages, the
    # pages of papers relating to it, papers.json).
    assert every_job - report.jobs_reused <= 20


def test_failed_build_leaves_the_site_untouched(small: Path) -> None:
    out = small.parent / "site"
    build(small, out)
    before, before_bytes = stamps(out), site_tree(out)
    (small / "templates").mkdir()
    (small / "templates" / "paper.html").write_text(
        '{% extends "base.html" %}\n{% block main %}\n{{ paper.no_such_field }}\n'
        "{% endblock %}\n", encoding="utf-8")
    with pytest.raises(Exception, match="no_such_field"):
        build(small, out)
    assert stamps(out) == before and site_tree(out) == before_bytes
    assert sorted(p.name for p in small.parent.iterdir()) == ["project", "site"]


KILL_AFTER_WRITES = """
import os, signal, sys
from pathlib import Path
from generator import writer
from tests.conftest import build_pinned
original, count = writer.SiteWriter.write, [0]
def write(self, rel, content):
    stat = original(self, rel, content)
    count[0] += 1
    if count[0] == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
    return stat
writer.SiteWriter.write = write
build_pinned(Path(sys.argv[1]), Path(sys.argv[2]), search_index=False)
"""


def test_killed_build_leaves_the_old_site(small: Path) -> None:
    """A build killed while writing leaves the old site; the next build cleans up after it."""
    import subprocess
    import sys

    out = small.parent / "site"
    build(small, out)
    before = site_tree(out)
    _replace_in(small / "litreview.yaml", "per_page: 2", "per_page: 1")  # every page changes
    done = subprocess.run([sys.executable, "-c", KILL_AFTER_WRITES, str(small), str(out), "20"],
                          cwd=REPO, capture_output=True, check=False, timeout=300)
    assert done.returncode == -9, done.stderr.decode()
    assert site_tree(out) == before
    report = build(small, out)
    build(small, small.parent / "clean")
    assert report.files_written > 0 and site_tree(out) == site_tree(small.parent / "clean")
    assert not any(p.name.startswith(".site.") for p in out.parent.iterdir())


def _publish(out: Path, back: Path | None, files: dict[str, str]) -> SiteWriter:
    writer = SiteWriter(out, back=back)
    for rel, text in files.items():
        writer.write(rel, text)
    writer.commit()
    return writer


def _published(out: Path) -> dict[str, str]:
    return {k: v.decode() for k, v in site_tree(out).items() if k != ".litreview-build"}


def test_small_changes_go_through_the_back_buffer(tmp_path: Path) -> None:
    """Each commit updates the previous site (kept aside) and exchanges it with site/: the
    published site is always exactly one build's files, and only changed files are new."""
    out, back = tmp_path / "site", tmp_path / "cache" / "back"
    back.parent.mkdir()
    versions = [{f"p/{n}/index.html": f"page {n}" for n in range(10)}]
    versions.append({**versions[0], "p/3/index.html": "page 3, edited"})
    versions.append({k: v for k, v in versions[1].items() if k != "p/7/index.html"})
    versions.append({**versions[2], "p/3/index.html": "page 3", "new.html": "new"})
    versions.append(versions[3])
    _publish(out, back, versions[0])
    for before, after in zip(versions, versions[1:], strict=False):
        old = stamps(out)
        writer = _publish(out, back, after)
        assert _published(out) == after
        changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
        assert rewritten(old, stamps(out)) == changed & after.keys()
        assert set(writer.published) == changed
    assert not (out / "p" / "7").exists()  # folders of deleted pages go too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "site"]


def test_a_back_buffer_that_cannot_be_trusted_is_not_used(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import writer as writer_module

    out, back = tmp_path / "site", tmp_path / "back"
    files = {f"{n}.html": str(n) for n in range(5)}
    _publish(out, back, files)
    _publish(out, back, {**files, "1.html": "one"})

    def killed(*args: object) -> bool:
        raise KeyboardInterrupt  # as if killed after updating the back buffer, before the swap

    monkeypatch.setattr(writer_module, "exchange", killed)
    with pytest.raises(KeyboardInterrupt):
        _publish(out, back, {**files, "2.html": "two"})
    assert _published(out) == {**files, "1.html": "one"}  # the old site, whole
    monkeypatch.undo()
    (back / "4.html").write_text("tampered")  # a half-updated back buffer is not trusted
    _publish(out, back, {**files, "3.html": "three"})
    assert _published(out) == {**files, "3.html": "three"}


def test_complete_staging_never_writes_through_to_the_published_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = SiteWriter(out)
    first.write("a.html", "old")
    first.commit()
    writer = SiteWriter(out)
    writer.write("a.html", "old")
    staging = writer.complete()
    assert (staging / "a.html").stat().st_ino == (out / "a.html").stat().st_ino
    writer.write("a.html", "new")
    assert (out / "a.html").read_text() == "old"
    writer.discard()
    assert (out / "a.html").read_text() == "old"


def test_cache_survives_corrupt_entries_and_forgets_unused_ones(tmp_path: Path) -> None:
    root = tmp_path
    (root / "a.txt").write_text("alpha")
    (root / "b.txt").write_text("beta")
    cache = BuildCache(root)
    assert cache.per_file("t", root / "a.txt", lambda: "A") == "A"
    assert cache.per_file("t", root / "b.txt", lambda: "B") == "B"
    cache.finish()
    for entry in (root / ".litreview-cache" / "t").iterdir():
        entry.write_bytes(b"not a pickle")
    fresh = BuildCache(root)
    assert fresh.per_file("t", root / "a.txt", lambda: "A again") == "A again"
    fresh.finish()
    assert len(list((root / ".litreview-cache" / "t").iterdir())) == 1
    shutil.rmtree(root / ".litreview-cache")
    assert BuildCache(root, enabled=False).per_file("t", root / "a.txt", lambda: 1) == 1
    assert not (root / ".litreview-cache").exists()


def _shout(path: Path) -> tuple[str, int]:
    if path.name == "bad.txt":
        raise ValueError(f"cannot read {path.name}")
    return path.read_text().upper(), os.getpid()


@pytest.mark.skipif(sys.platform != "linux", reason="forked workers: Linux only")
def test_files_not_in_the_cache_are_read_by_two_processes_and_kept(tmp_path: Path) -> None:
    paths = [tmp_path / f"{name}.txt" for name in ("a", "b", "c")]
    for path in paths:
        path.write_text(path.stem * 3)
    cache = BuildCache(tmp_path)
    made = cache.per_files("t", paths, _shout, workers=2)
    assert [text for text, _ in made] == ["AAA", "BBB", "CCC"]
    assert os.getpid() not in {pid for _, pid in made}  # worked out in the workers
    cache.finish()
    again = BuildCache(tmp_path).per_files("t", paths, lambda p: pytest.fail("not cached"))
    assert again == made  # kept on disk by the parent, as the workers pickled them
    (tmp_path / "bad.txt").write_text("?")
    with pytest.raises(ValueError, match="cannot read bad.txt"):  # a worker's error, as is
        BuildCache(tmp_path).per_files("t", [*paths, tmp_path / "bad.txt"], _shout, workers=2)


def test_a_build_leaves_no_young_objects_for_the_collector_to_examine(small: Path) -> None:
    """The collector is paused while building; what the build made must not then wait in the
    young generations, where the first allocation after the build would examine all of it
    (seconds at 50,000 papers, in `litreview build`'s last moment)."""
    import gc

    gc.unfreeze()  # what earlier tests' `serve` sessions froze
    assert gc.isenabled()
    build(small, small.parent / "site")
    gc.disable()
    try:
        young = len(gc.get_objects(0)) + len(gc.get_objects(1))
    finally:
        gc.enable()
    assert young < 5_000  # the build made some 100,000 tracked objects
