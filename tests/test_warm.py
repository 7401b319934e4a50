"""Warm rebuilds (one process, as in `litreview serve`): stage results and page decisions are
reused from memory, and every site they give is byte-identical to a clean build's.

The edits run in sequence on one in-session cache, so each build starts from the in-memory
state the previous one left (including after a build that failed).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

import generator.enrich
from generator.build import BuildReport
from generator.cache import BuildCache
from generator.errors import LitreviewError
from generator.memoindex import ReadIndex
from generator.pagememo import PageMemo

from .conftest import REPO, build_pinned, describe_tree_diff, site_tree, snapshot_project

NOTE = "is-this-the-subspace-you-are-looking-for-an-interpretability-illusion-for.md"


def build(root: Path, out: Path, cache: BuildCache) -> BuildReport:
    return build_pinned(root, out, search_index=False, cache=cache)


def _note(root: Path) -> Path:
    return root / "content" / "notes" / NOTE


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def note_prose(root: Path) -> None:
    with open(_note(root), "a", encoding="utf-8") as f:
        f.write("\nRe-read in June: the appendix has the proof sketch.\n")


def note_status(root: Path) -> None:
    _replace(_note(root), "status: key", "status: reading")


def note_tags(root: Path) -> None:
    _replace(_note(root), "tags: [activation patching,", "tags: [causal abstraction,")


def note_title(root: Path) -> None:
    _replace(_note(root), "\nstatus:", "\ntitle: The Subspace Illusion\nstatus:")


def listing_abstract(root: Path) -> None:
    listing = sorted((root / "content" / "listings").iterdir())[0]
    text = listing.read_text(encoding="utf-8")
    word = re.search(r"\b(model|models|method)\b", text)
    assert word is not None
    listing.write_text(text[:word.start()] + "approach" + text[word.end():], encoding="utf-8")


def broken_note(root: Path) -> None:
    _replace(_note(root), "rating: 5", "rating: [5")


def fixed_note(root: Path) -> None:
    _replace(_note(root), "rating: [5", "rating: 4")


def remove_note(root: Path) -> None:
    _note(root).unlink()


EDITS: list[Callable[[Path], None]] = [note_prose, note_status, note_tags, listing_abstract,
                                       broken_note, fixed_note, note_title, remove_note]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = snapshot_project(REPO, tmp_path / "project")
    if not _note(root).is_file():
        pytest.skip("the default project's example note is gone")
    return root


def test_warm_rebuilds_equal_clean_builds(project: Path, tmp_path: Path) -> None:
    out, cache = tmp_path / "site", BuildCache(project, in_session=True)
    build(project, out, cache)
    for number, edit in enumerate(EDITS):
        before = site_tree(out)
        edit(project)
        if edit is broken_note:
            with pytest.raises(LitreviewError):
                build(project, out, cache)
            assert site_tree(out) == before, "a failed build must not touch the site"
            continue
        report = build(project, out, cache)
        clean = tmp_path / f"clean-{number}"
        build(project, clean, BuildCache(None))
        expected, actual = site_tree(clean), site_tree(out)
        assert actual == expected, f"after {edit.__name__}: " + describe_tree_diff(
            expected, actual)
        changed = {rel for rel in before.keys() | actual.keys()
                   if before.get(rel) != actual.get(rel)}
        assert changed, f"{edit.__name__} must change the site"
        assert set(report.changed_paths) == changed, edit.__name__


def test_a_note_edit_reuses_enrichment_and_plans_pages_without_digests(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, cache = tmp_path / "site", BuildCache(project, in_session=True)
    build(project, out, BuildCache(project))  # an earlier `litreview build`
    # serve's start: the stamp would skip, so a forced pass fills the in-memory state
    warm_up = build_pinned(project, out, search_index=False, cache=cache, force=True)
    assert warm_up.files_written == 0 and not warm_up.skipped
    note_prose(project)

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("ran again")

    monkeypatch.setattr(generator.enrich, "enrich", fail)  # enrichment must be reused
    monkeypatch.setattr(PageMemo, "_unchanged", fail)  # no page proven unchanged by digests
    named: list[object] = []
    name_one = PageMemo._job_key
    monkeypatch.setattr(PageMemo, "_job_key", lambda memo, job: named.append(job) or
                        name_one(memo, job))
    report = build(project, out, cache)
    page = out / "papers" / NOTE.removesuffix(".md") / "index.html"
    assert "the appendix has the proof sketch" in page.read_text(encoding="utf-8")
    assert 0 < len(report.changed_paths) <= 5, report.changed_paths
    assert report.jobs_reused > 700  # of some 820 jobs (a paper: one job, both its pages)
    # Jobs equal to the last build's at their place keep its keys: only the edited paper's
    # job (its two pages) and the few jobs made of fresh objects (the site-wide files) are
    # named.
    assert 1 <= len(named) <= 12, named


def test_a_new_process_reuses_enrichment_from_disk(project: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    build(project, out, BuildCache(project))
    note_status(project)
    monkeypatch.setattr(generator.enrich, "enrich", lambda *a, **k: pytest.fail("enriched"))
    build(project, out, BuildCache(project))
    clean = tmp_path / "clean"
    monkeypatch.undo()
    build(project, clean, BuildCache(None))
    assert site_tree(out) == site_tree(clean)


def test_a_session_saves_its_state_when_flushed(project: Path, tmp_path: Path) -> None:
    """In a session the build stamp and the page memo reach the disk on `flush()` (when serve
    stops): until then a new process rebuilds, afterwards it finds nothing to do."""
    out, session = tmp_path / "site", BuildCache(project, in_session=True)
    build(project, out, session)
    note_prose(project)
    build(project, out, session)
    assert not build(project, out, BuildCache(project)).skipped  # nothing saved yet
    build(project, out, session)
    session.flush()
    again = build(project, out, BuildCache(project))
    assert again.skipped and again.files_written == 0


def test_a_paper_edit_re_renders_only_the_index_pages_that_show_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Term indexes render a job a page: a paper's edit re-renders the one page of each of its
    terms that lists it, not every page of those terms (per_page is 2 in the fixture)."""
    from generator.library import KINDS
    from generator.render import Renderer

    from .conftest import FIXTURES

    root = snapshot_project(FIXTURES / "small", tmp_path / "project")
    out, cache = tmp_path / "site", BuildCache(root, in_session=True)
    build(root, out, cache)
    library = cache.session["library"][1]
    paper = max(library.papers, key=lambda p: sum(
        len(t.paper_ids) for kind in KINDS for t in library.terms[kind.name]
        if p.id in t.paper_ids))
    terms = [t for kind in KINDS for t in library.terms[kind.name] if paper.id in t.paper_ids]
    assert sum(-(-t.count // 2) for t in terms) > len(terms), "needs terms of several pages"
    rendered: list[str] = []
    original = Renderer._render

    def record(self: Renderer, template: str, path: str, **context: object) -> object:
        rendered.append(path)
        return original(self, template, path, **context)

    monkeypatch.setattr(Renderer, "_render", record)
    note = root / "content" / "notes" / "edit.md"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(f"---\npaper: {paper.slug}\nstatus: key\n---\n\nOne more reading.\n",
                    encoding="utf-8")
    build(root, out, cache)
    term_paths = [p for p in rendered if p.split("/")[0] in {k.name for k in KINDS}
                  and p.count("/") > 1]
    assert f"papers/{paper.slug}/" in rendered
    assert len(term_paths) == len(terms), term_paths  # one page of each of its terms


def _quick_edit(project: Path, out: Path, cache: BuildCache) -> bytes:
    """A note edited, then two quick builds; returns papers.json as it was before the edit."""
    build(project, out, cache)
    note_prose(project)
    papers_json = out / "papers.json"
    before = papers_json.read_bytes()
    quick = build_pinned(project, out, search_index=False, cache=cache, quick=True)
    page = out / "papers" / NOTE.removesuffix(".md") / "index.html"
    assert "the appendix has the proof sketch" in page.read_text(encoding="utf-8")
    assert quick.deferred > 0 and papers_json.read_bytes() == before
    again = build_pinned(project, out, search_index=False, cache=cache, quick=True)
    assert again.deferred == quick.deferred and papers_json.read_bytes() == before
    return before


@pytest.mark.parametrize("catch_up", ["same session", "new process"])
def test_a_quick_build_defers_site_wide_files_until_a_full_one(
        project: Path, tmp_path: Path, catch_up: str) -> None:
    """serve's quick builds keep papers.json, the feed and the sitemap as they were; the next
    build without `quick` brings them up to date: serve's idle pass, or a new process after
    serve stopped (the deferred jobs' records stay out of date on disk)."""
    out, cache = tmp_path / "site", BuildCache(project, in_session=True)
    before = _quick_edit(project, out, cache)
    if catch_up == "new process":
        cache.flush()
        cache = BuildCache(project)
    caught_up = build(project, out, cache)
    assert caught_up.deferred == 0 and "papers.json" in caught_up.changed_paths
    assert (out / "papers.json").read_bytes() != before
    clean = tmp_path / "clean"
    build(project, clean, BuildCache(None))
    assert site_tree(out) == site_tree(clean)


@pytest.mark.parametrize("before", ["litreview build", "serve with deferred pages"])
def test_a_new_process_plans_a_note_edit_from_the_read_index(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: str) -> None:
    """A new process finds the few reads a note edit changed from the index the last build
    left (`memoindex`), not by digesting every read, and the site is the clean build's, also
    when a serve session left pages out of date (the index's `stale` jobs)."""
    out = tmp_path / "site"
    if before == "litreview build":
        build(project, out, BuildCache(project))
        note_prose(project)
    else:
        session = BuildCache(project, in_session=True)
        _quick_edit(project, out, session)
        session.flush()
    found: list[set[int] | None] = []
    changed = ReadIndex.changed
    monkeypatch.setattr(ReadIndex, "changed",
                        lambda index, *args: found.append(changed(index, *args)) or found[-1])
    report = build(project, out, BuildCache(project))
    assert len(found) == 1 and found[0] is not None, "the index could not tell"
    assert len(found[0]) <= 5  # the paper by id, the list of papers
    assert "papers.json" in report.changed_paths
    clean = tmp_path / "clean"
    build(project, clean, BuildCache(None))
    assert site_tree(out) == site_tree(clean)
