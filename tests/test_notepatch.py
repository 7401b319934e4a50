"""Notes' prose edited between two builds: only the files showing it are made again
(`notepatch`), and the site is byte-identical to a clean build's. Every other edit, and any
theme that shows notes on other pages, takes the full build, which gives that site too.

Each build here uses a new `BuildCache`, as a new `litreview build` process does.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.build import BuildReport
from generator.cache import BuildCache
from generator.model import Paper, note_read, notes_read_by, watching_notes
from generator.outdir import Piece, create_spliced

from .conftest import FIXTURES, build_pinned, site_tree, snapshot_project

NOTE = "content/notes/reading.md"


def build(root: Path, out: Path, **options: object) -> BuildReport:
    return build_pinned(root, out, search_index=False, cache=BuildCache(root), **options)


def patched(report: BuildReport) -> bool:
    """True when the build only patched the files of edited notes (no pipeline stage ran)."""
    return "note patch" in report.stages and "enrich" not in report.stages \
        and not report.skipped


def assert_clean(root: Path, out: Path) -> None:
    """The site in `out` is the one a clean build of `root` makes."""
    clean = root.parent / "clean"
    build_pinned(root, clean, search_index=False, cache=BuildCache(None))
    assert site_tree(out) == site_tree(clean)


@pytest.fixture
def noted(tmp_path: Path) -> tuple[Path, Path, str]:
    """The small fixture project with a note (prose only) about one of its papers, built:
    (root, site, the paper's slug)."""
    root = snapshot_project(FIXTURES / "small", tmp_path / "project")
    out = tmp_path / "site"
    build(root, out)
    slug = json.loads((out / "papers.json").read_text(encoding="utf-8"))[3]["slug"]
    (root / NOTE).parent.mkdir(parents=True)
    (root / NOTE).write_text(f"---\npaper: {slug}\nstatus: reading\n---\n\nFirst reading.\n",
                             encoding="utf-8")
    assert not patched(build(root, out))  # a new note: the full build
    return root, out, slug


def _append(root: Path, text: str) -> None:
    with open(root / NOTE, "a", encoding="utf-8") as f:
        f.write(text)


def test_prose_edits_are_patched_into_the_clean_site(noted: tuple[Path, Path, str]) -> None:
    root, out, slug = noted
    before = site_tree(out)
    _append(root, "\nSecond reading: the *proof* holds <script>alert(1)</script>.\n")
    report = build(root, out)
    assert patched(report)
    changed = {rel for rel, data in site_tree(out).items() if before.get(rel) != data}
    assert changed == set(report.changed_paths) == {
        "papers.json", f"papers/{slug}.md", f"papers/{slug}/index.html"}
    page = (out / f"papers/{slug}/index.html").read_text(encoding="utf-8")
    assert "<em>proof</em>" in page and "<script>alert" not in page
    assert_clean(root, out)
    _append(root, "\nThird reading.\n")  # a patch after a patch
    assert patched(build(root, out))
    assert_clean(root, out)
    assert build(root, out).skipped  # and then nothing to do
    (root / NOTE).write_text((root / NOTE).read_text(encoding="utf-8").split("First")[0],
                             encoding="utf-8")  # no prose left: the paper shows no note
    assert patched(build(root, out))
    assert_clean(root, out)


def test_patched_and_skipped_builds_report_the_notes(noted: tuple[Path, Path, str]) -> None:
    """`litreview build` says how many notes it applied after a patch or a no-op too."""
    from generator.cli import console, print_editorial

    root, out, _ = noted
    full = build(root, out, force=True)
    _append(root, "\nSecond reading.\n")
    again, unchanged = build(root, out), build(root, out)
    assert patched(again) and unchanged.skipped
    assert full.editorial is not None and full.editorial.notes == 1
    assert again.editorial == unchanged.editorial == full.editorial
    with console.capture() as shown:
        print_editorial(again)
    assert "Notes: 1 applied" in shown.get()


def front_matter(root: Path) -> None:
    text = (root / NOTE).read_text(encoding="utf-8")
    (root / NOTE).write_text(text.replace("status: reading", "status: read"), encoding="utf-8")


def wiki_link(root: Path) -> None:
    papers = json.loads((root.parent / "site" / "papers.json").read_text(encoding="utf-8"))
    _append(root, f"\nSee [[{papers[0]['slug']}]].\n")


def another_note(root: Path) -> None:
    papers = json.loads((root.parent / "site" / "papers.json").read_text(encoding="utf-8"))
    (root / "content/notes/other.md").write_text(f"---\npaper: {papers[0]['slug']}\n---\n\nHi.\n",
                                                 encoding="utf-8")


def prose_and_listing(root: Path) -> None:
    _append(root, "\nMore.\n")
    listing = sorted((root / "content/listings").iterdir())[0]
    listing.write_text(listing.read_text(encoding="utf-8").replace("the", "a", 1),
                       encoding="utf-8")


def notes_on_cards(root: Path) -> None:
    """A theme whose paper cards (on every index page) show the note: not patchable."""
    card = root / "templates" / "_paper_card.html"
    card.parent.mkdir()
    card.write_text("<li>{{ paper.title }} {{ paper.note }}</li>\n", encoding="utf-8")
    build(root, root.parent / "site")
    _append(root, "\nShown on cards.\n")


@pytest.mark.parametrize("edit", [front_matter, wiki_link, another_note, prose_and_listing,
                                  notes_on_cards])
def test_other_edits_take_the_full_build(noted: tuple[Path, Path, str],
                                         edit: Callable[[Path], None]) -> None:
    root, out, _ = noted
    edit(root)
    assert not patched(build(root, out))
    assert_clean(root, out)


def test_notes_on_cards_are_read_by_every_page_showing_the_card(
        noted: tuple[Path, Path, str]) -> None:
    """The card cache replays the note reads of a card (else pages reusing a card would not
    know that they show a note)."""
    root, out, slug = noted
    notes_on_cards(root)
    state_files = list((root / ".litreview-cache").glob("patch-*/state.pickle"))
    state = pickle.loads(state_files[0].read_bytes())
    readers = next(iter(state.readers.values()))
    assert any(rel.startswith(("topics/", "tags/")) for rel in readers), sorted(readers)
    assert f"papers/{slug}/index.html" in readers


def test_note_reads_are_watched_and_papers_pickle_as_plain_dataclasses() -> None:
    paper = Paper("T", "A", (), id="p1", note="n", note_html="<p>n</p>")
    seen: list[str] = []
    with watching_notes(lambda p: seen.append(p.id)):
        assert (paper.title, paper.note, paper.note_html) == ("T", "n", "<p>n</p>")
        made, read = notes_read_by(lambda: paper.note.upper())
        note_read(paper)
    assert paper.note == "n" and seen == ["p1", "p1", "p1", "p1"]
    assert (made, [p.id for p in read]) == ("N", ["p1"])
    assert vars(paper)["note"] == "n" and pickle.loads(pickle.dumps(paper)) == paper
    with pytest.raises(AttributeError):
        paper.note = "x"  # type: ignore[misc]


def test_a_patched_note_is_found_by_search(noted: tuple[Path, Path, str]) -> None:
    """With the search index on, the patch indexes the site again: the new prose is found."""
    root, out, _ = noted
    build_pinned(root, out, cache=BuildCache(root))  # the site with its index
    _append(root, "\nZanzibarquux is the word to look for.\n")
    report = build_pinned(root, out, cache=BuildCache(root))
    assert patched(report) and report.search is not None and report.search.enabled
    fragments = [gzip.decompress(f.read_bytes()) for f in (out / "pagefind/fragment").iterdir()]
    assert sum(b"Zanzibarquux" in fragment for fragment in fragments) == 1


@settings(max_examples=60, deadline=None)
@given(source=st.binary(min_size=1, max_size=300),
       cuts=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.binary(max_size=20)),
                     min_size=1, max_size=6),
       kernel=st.booleans())
def test_a_spliced_file_is_its_pieces_in_order(tmp_path_factory: pytest.TempPathFactory,
                                               source: bytes,
                                               cuts: list[tuple[float, float, bytes]],
                                               kernel: bool) -> None:
    """`create_spliced` gives the bytes of its pieces, ranges copied by the kernel or, where
    `copy_file_range` fails, read and written."""
    folder = tmp_path_factory.mktemp("splice")
    (folder / "source").write_bytes(source)
    pieces: list[Piece] = []
    expected = b""
    for one, other, text in cuts:  # a range between two points of the source, then bytes
        start, end = sorted((int(one * len(source)), int(other * len(source))))
        pieces += [(start, end - start), text]
        expected += source[start:end] + text
    with pytest.MonkeyPatch.context() as patch:
        if not kernel:
            patch.setattr(os, "copy_file_range", _no_copy_file_range)
        stat = create_spliced(str(folder / "new"), str(folder / "source"), pieces)
    assert (folder / "new").read_bytes() == expected and stat[0] == len(expected)


def _no_copy_file_range(*args: object) -> int:
    raise OSError(18, "Invalid cross-device link")


def test_a_spliced_file_longer_than_its_source_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "source").write_bytes(b"short")
    with pytest.raises(OSError):
        create_spliced(str(tmp_path / "new"), str(tmp_path / "source"), [(2, 10)])
