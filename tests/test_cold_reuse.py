"""A new process (`litreview build` after an edit) reuses de-duplication and enrichment from
disk while their inputs are unchanged, recomputes them when not, and the site stays exactly a
clean build's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

import generator.enrich
from generator import reuse
from generator.build import BuildReport
from generator.cache import BuildCache
from generator.model import Paper
from generator.sources import listing_paths, read_listing

from .conftest import REPO, build_pinned, describe_tree_diff, site_tree, snapshot_project
from .test_warm import listing_abstract, note_title  # the same edits as the warm tests

NOTE = "is-this-the-subspace-you-are-looking-for-an-interpretability-illusion-for.md"
STAGES = ("dedupe", "slugs", "enrich", "spellings", "library")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = snapshot_project(REPO, tmp_path / "project")
    if not all((root / "content" / "notes" / name).is_file()
               for name in (NOTE, "untitled-7d27e4f4.md")):
        pytest.skip("the default project's example notes are gone")
    return root


def _build(root: Path, out: Path, cache: BuildCache | None = None) -> BuildReport:
    """A build as a new `litreview build` process makes it: a fresh on-disk cache object."""
    return build_pinned(root, out, search_index=False,
                        cache=cache if cache is not None else BuildCache(root))


def _assert_clean(root: Path, out: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    _build(root, clean, BuildCache(None))
    expected, actual = site_tree(clean), site_tree(out)
    assert actual == expected, describe_tree_diff(expected, actual)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often matching, slugs, enrichment, tag spellings and the library's term indexes
    are computed from now on."""
    counts = dict.fromkeys(STAGES, 0)

    def counted(name: str, real: Callable[..., object]) -> Callable[..., object]:
        def run(*args: object, **kwargs: object) -> object:
            counts[name] += 1
            return real(*args, **kwargs)
        return run

    monkeypatch.setattr(reuse, "dedupe_entries", counted("dedupe", reuse.dedupe_entries))
    monkeypatch.setattr(reuse, "assign_slugs", counted("slugs", reuse.assign_slugs))
    monkeypatch.setattr(generator.enrich, "enrich", counted("enrich", generator.enrich.enrich))
    monkeypatch.setattr(reuse, "tag_spellings", counted("spellings", reuse.tag_spellings))
    monkeypatch.setattr(reuse.Library, "build", counted("library", reuse.Library.build))
    return counts


def _note(root: Path) -> Path:
    return root / "content" / "notes" / NOTE


def note_prose(root: Path) -> None:
    with open(_note(root), "a", encoding="utf-8") as f:
        f.write("\nRe-read in June: the appendix has the proof sketch.\n")


def note_related(root: Path) -> None:
    text = _note(root).read_text(encoding="utf-8")
    _note(root).write_text(text.replace(
        "  - circuit-component-reuse-across-tasks-in-transformer-language-models\n", "", 1),
        encoding="utf-8")


def remove_tagging_note(root: Path) -> None:
    _note(root).unlink()  # its tags are enrichment inputs


def remove_prose_note(root: Path) -> None:
    (root / "content" / "notes" / "untitled-7d27e4f4.md").unlink()  # status and prose only


def listing_trailing_newline(root: Path) -> None:
    listing = sorted((root / "content" / "listings").iterdir())[0]
    listing.write_text(listing.read_text(encoding="utf-8") + "\n", encoding="utf-8")


@pytest.mark.parametrize(("edit", "runs"), [
    pytest.param(note_prose, (0, 0, 0, 0, 0), id="note-prose"),
    pytest.param(note_related, (0, 0, 0, 0, 0), id="note-related-pick-dropped"),
    pytest.param(remove_prose_note, (0, 0, 0, 0, 0), id="prose-note-removed"),
    pytest.param(remove_tagging_note, (0, 0, 1, 1, 1), id="tagging-note-removed"),
    pytest.param(note_title, (0, 0, 1, 1, 1), id="note-title"),
    pytest.param(listing_trailing_newline, (1, 1, 0, 0, 0), id="listing-same-papers"),
    pytest.param(listing_abstract, (1, 1, 1, 1, 1), id="listing-abstract"),
])
def test_a_new_process_recomputes_exactly_what_changed(
        project: Path, tmp_path: Path, calls: dict[str, int], edit: Callable[[Path], None],
        runs: tuple[int, ...]) -> None:
    out = tmp_path / "site"
    _build(project, out)
    calls.update(dict.fromkeys(STAGES, 0))
    edit(project)
    report = _build(project, out)
    assert calls == dict(zip(STAGES, runs, strict=True)) and not report.skipped
    _assert_clean(project, out, tmp_path)


def _groups(root: Path) -> list[list[Paper]]:
    return [list(read_listing(path).papers)
            for path in listing_paths(root / "content" / "listings")]


def test_groups_not_from_the_cache_are_keyed_by_their_papers(
        project: Path, calls: dict[str, int]) -> None:
    groups = _groups(project)
    first = reuse.identified(groups, BuildCache(project))
    again = reuse.identified(_groups(project), BuildCache(project))  # equal, not the same
    assert again == first and calls["dedupe"] == 1
    changed = _groups(project)
    changed[0][0] = replace(changed[0][0], title="A title no listing has")
    unique, _ = reuse.identified(changed, BuildCache(project))
    assert calls["dedupe"] == 2
    assert "A title no listing has" in {p.title for p in unique}


def test_a_per_file_result_names_its_origin(project: Path) -> None:
    cache = BuildCache(project)
    path = listing_paths(project / "content" / "listings")[0]
    value = cache.per_file("listing", path, lambda: (read_listing(path), read_listing(path)))
    assert cache.origin(value) == cache.origin(value[1]) is not None
    assert cache.origin(list(value)) is None and cache.origin(value[1].papers[:]) is None
    assert BuildCache(project).origin(value) is None  # another cache (process) knows nothing


def test_remembered_values_land_on_disk_as_they_were_and_newest_last(tmp_path: Path) -> None:
    """`remember` pickles in a child process (on Linux, outside a session): the value as it
    was when remembered, the newer of two values of one name last, all on disk after
    `finish()`."""
    import sys

    cache = BuildCache(tmp_path)
    value = {"papers": [1]}
    cache.remember("a", value)
    if sys.platform == "linux":
        assert cache._storing  # a child is storing it
    value["papers"].append(2)  # after `remember`: not part of what was kept
    for n in range(5):
        cache.remember("b", n)
    cache.finish()
    fresh = BuildCache(tmp_path)
    assert fresh.recall("a") == {"papers": [1]} and fresh.recall("b") == 4
    assert not cache._storing
