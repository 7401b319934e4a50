"""The page memo: what a page reads is recorded, and a page is skipped only when all of it is
unchanged. Whole-site correctness (incremental == clean) is in `test_incremental`."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from generator import memoreads
from generator.cache import BuildCache
from generator.digest import Digester, JobNamer
from generator.library import Library
from generator.memoindex import ReadIndex
from generator.model import Paper, SourceRef
from generator.pagememo import TrackedLibrary, fingerprint
from generator.parallel import Task

from .conftest import FIXTURES, build_pinned, snapshot_project


def _paper(n: int, venue: str = "NeurIPS") -> Paper:
    return Paper(title=f"Paper {n}", abstract="An abstract.", sources=(SourceRef("l.txt", n),),
                 id=f"id{n}", slug=f"paper-{n}", venue=venue)


def _reads(action) -> set:  # noqa: ANN001 (a callable)
    memoreads._recorder = set()
    try:
        action()
        return memoreads._recorder
    finally:
        memoreads._recorder = None


def test_reads_are_recorded_one_by_one() -> None:
    library = TrackedLibrary(Library.build([_paper(1), _paper(2)]))
    assert _reads(lambda: len(library.papers)) == {("len", "papers")}
    assert ("attr", "papers") in _reads(lambda: list(library.papers))
    assert _reads(lambda: library.by_id["id1"]) == {("item", "by_id", "id1")}
    assert _reads(lambda: "id9" in library.by_id) == {("item", "by_id", "id9")}
    assert _reads(lambda: library.term("venues", "NeurIPS")) == {
        ("call", "term", ("venues", "NeurIPS"), ())}
    assert _reads(lambda: library.by_id["id1"]) != _reads(lambda: library.by_id["id2"])


def test_a_job_is_named_by_its_function_and_arguments_the_same_in_every_build() -> None:
    one, two = _paper(1), _paper(2)
    memoreads.register(Library.build([one, two]))

    def names(*jobs: Task) -> list[bytes]:  # a new namer and digester: as in another build
        return [JobNamer(Digester(), renderer=None)(job) for job in jobs]

    try:
        a, b, c, d, e = names(Task(repr, one), Task(str, one), Task(repr, two),
                              Task(repr, one, 1), Task(repr, one, True))
        assert len({a, b, c, d, e}) == 5
        again, changed = _paper(1), replace(one, abstract="Changed.")
        memoreads.register(Library.build([again, two]))  # the next build's papers
        assert names(Task(repr, again)) == [a]  # an equal paper, another object
        memoreads.register(Library.build([changed, two]))
        assert names(Task(repr, changed)) != [a]
    finally:
        memoreads.registry.clear()


def test_a_retargeted_library_reads_the_new_one_and_still_records() -> None:
    tracked = TrackedLibrary(Library.build([_paper(1)]))
    assert "id1" in tracked.by_id and len(tracked.papers) == 1  # wrappers kept from now on
    memoreads.retarget(tracked, Library.build([_paper(2), _paper(3)]))
    assert "id2" in tracked.by_id and "id1" not in tracked.by_id and len(tracked.papers) == 2
    assert _reads(lambda: tracked.by_id["id2"]) == {("item", "by_id", "id2")}
    assert _reads(lambda: len(tracked.papers)) == {("len", "papers")}


def test_nothing_is_recorded_outside_a_job() -> None:
    library = TrackedLibrary(Library.build([_paper(1)]))
    assert len(library.papers) == 1 and memoreads._recorder is None


def test_fingerprints_tell_values_apart_and_never_match_the_undigestable() -> None:
    assert fingerprint((_paper(1), "x")) == fingerprint((_paper(1), "x"))
    assert fingerprint(_paper(1)) != fingerprint(_paper(2))
    assert fingerprint(_paper(1)) != fingerprint(_paper(1, venue="ICML"))
    assert fingerprint(lambda: 1) == fingerprint(lambda: 1)  # functions by name: code is
    lock = threading.Lock()                                    # covered by the code version
    assert fingerprint(lock) != fingerprint(lock)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return snapshot_project(FIXTURES / "small", tmp_path / "project")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_no_op_build_runs_no_page_job(small: Path, workers: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Also when the first build's jobs were named and digested in render workers: the next
    process, naming and digesting them itself, finds the same keys and digests."""
    monkeypatch.setenv("LITREVIEW_WORKERS", workers)
    out, cache = small.parent / "site", BuildCache(small)
    first = build_pinned(small, out, search_index=False, cache=cache)
    assert first.jobs_reused == 0
    with open(small / "litreview.yaml", "a", encoding="utf-8") as f:
        f.write("# a comment: the inputs changed, the settings did not\n")
    second = build_pinned(small, out, search_index=False, cache=BuildCache(small))  # from disk
    assert second.jobs_reused > first.papers and second.files_written == 0


def test_a_template_edit_reruns_only_the_jobs_that_loaded_it(small: Path) -> None:
    out, cache = small.parent / "site", BuildCache(small)
    build_pinned(small, out, search_index=False, cache=cache)
    everything = build_pinned(small, out, search_index=False, cache=cache).jobs_reused
    (small / "templates").mkdir()
    (small / "templates" / "_pagination.html").write_text("<!-- no pagination -->\n")
    report = build_pinned(small, out, search_index=False, cache=cache)
    changed = set(report.changed_paths)
    assert changed and all("/" in rel and not rel.startswith("papers/") for rel in changed)
    term_pages = sum(1 for rel in changed if rel.endswith("index.html"))
    assert everything - report.jobs_reused <= term_pages + 4  # + the kinds' own index jobs


def test_a_site_changed_behind_the_memos_back_is_rendered_again(small: Path) -> None:
    out, cache = small.parent / "site", BuildCache(small)
    build_pinned(small, out, search_index=False, cache=cache)
    page = next((out / "papers").glob("*/index.html"))
    good = page.read_bytes()
    edited = page.with_name("edited.tmp")
    edited.write_bytes(b"edited by hand")
    edited.replace(page)  # as an editor saves: a new file (an in-place write goes unnoticed)
    build_pinned(small, out, search_index=False, cache=cache)
    assert page.read_bytes() == good


def test_the_read_index_tells_changed_reads_and_when_it_cannot() -> None:
    """Reads of a `reads_only` method are steady while its attributes are equal; other reads
    are compared by digest; a method whose attributes changed makes the index give up."""
    old = Library.build([_paper(1), _paper(2, venue="ICML")])
    memoreads.register(old)
    term, paper = ("call", "term", ("venues", "ICML"), ()), ("item", "by_id", "id1")
    digester = Digester()

    def digest_of(library: Library):  # noqa: ANN202 (a callable)
        return lambda access: digester.digest(
            library.by_id.get(access[2]) if access[0] == "item" else object())

    index = ReadIndex().updated(old, {term: b"t", paper: digest_of(old)(paper)}, {b"kept"},
                                {b"deferred"}, digester.digest)
    assert index.reads.keys() == {paper} and index.methods == {"term"}
    assert index.stale == {b"deferred"}
    assert index.changed(old, digest_of(old), digester.digest) == set()
    edited = Library.build([replace(_paper(1), abstract="Edited."), _paper(2, venue="ICML")])
    memoreads.register(edited)
    assert index.changed(edited, digest_of(edited), digester.digest) == {id(paper)}
    moved = Library.build([_paper(1), _paper(2, venue="COLT")])  # `term`'s `by_term` differs
    memoreads.register(moved)
    assert index.changed(moved, digest_of(moved), digester.digest) is None
    # A stale job stays stale while kept unrun; once it ran (not kept), it is current.
    again = index.updated(old, {}, {b"deferred"}, (), digester.digest)
    assert again.stale == {b"deferred"}
    assert index.updated(old, {}, {b"kept"}, (), digester.digest).stale == frozenset()
