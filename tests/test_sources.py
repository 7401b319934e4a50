"""Readers on the real sample listings: counts, layouts, metadata; how bad files are reported."""

from __future__ import annotations

import builtins
import datetime as dt
from pathlib import Path

import pytest

from generator.repair import repair_listing
from generator.sources import READERS, decode, detect, listing_paths, parse_text, read_listing

from .conftest import LISTINGS

REPRESENTATIONS = "hf-papers-representations-and-neuroimaging.txt"
STATISTICAL = "neurips-statistical-learning.txt"
VENUE = "Neural Information Processing Systems"


def _read(name: str):
    listing = read_listing(LISTINGS / name)
    assert listing.issues == (), [str(i) for i in listing.issues]
    return listing


def _by_title(name: str, start: str):
    return next(p for p in _read(name).papers if p.title.startswith(start))


@pytest.mark.parametrize(("name", "layout", "count", "first_line", "first_title"), [
    pytest.param(STATISTICAL, "conference-topic", 10, 8,
                 "06872e1e6d11baf2ae27285c50132f4f-Paper-Conference.pdf",
                 id="neurips-statistical-learning"),
    pytest.param("hf-papers-interaction-and-interpretability.txt", "huggingface-spaced", 66, 13,
                 "ViT-CoMer: Vision Transformer with Convolutional Multi-scale Feature Interaction",
                 id="hf-interaction-and-interpretability"),
    pytest.param(REPRESENTATIONS, "huggingface-spaced", 49, 13,
                 "CorDA: Context-Oriented Decomposition Adaptation of Large Language Models",
                 id="hf-representations-and-neuroimaging"),
    pytest.param("neurips-epoch.txt", "conference-topic", 10, 8,
                 "Diversity Is All You Need for Contrastive Learning: Spectral Bounds",
                 id="neurips-epoch"),
    pytest.param("hf-papers-regularization-and-sparsity.txt", "huggingface-compact", 240, 3,
                 "Domain Generalization via Rationale Invariance",
                 id="hf-regularization-and-sparsity"),
])
def test_reader_reads_every_entry_of_a_sample_listing(
        name: str, layout: str, count: int, first_line: int, first_title: str) -> None:
    listing = _read(name)
    assert (listing.layout, len(listing.papers)) == (layout, count)
    first = listing.papers[0]
    assert first.title.startswith(first_title)
    assert first.sources[0].listing == name and first.sources[0].line == first_line
    assert all(p.title and len(p.abstract) > 100 for p in listing.papers)
    chrome = ("Subscribe", "Get trending", "Daily Papers", "Goto", "Collaborating", "·", "•")
    assert not [p.title for p in listing.papers if p.title.startswith(chrome)]
    lines = [p.sources[0].line for p in listing.papers]
    assert lines == sorted(set(lines)), "entries are read in file order, one per title line"


@pytest.mark.parametrize(("name", "first", "step"), [
    pytest.param(STATISTICAL, 8, 7, id="conference: title, venue, abstract, 2 blank lines"),
    pytest.param("neurips-epoch.txt", 8, 7, id="conference-epoch"),
    pytest.param("hf-papers-interaction-and-interpretability.txt", 13, 4,
                 id="spaced: title, abstract"),
    pytest.param(REPRESENTATIONS, 13, 8, id="spaced: title, abstract, 3-line metadata"),
    pytest.param("hf-papers-regularization-and-sparsity.txt", 3, 2, id="compact: title, abstract"),
])
def test_every_title_is_found_on_its_line(name: str, first: int, step: int) -> None:
    """The sample files are regular, so each entry's title line is known: none is skipped,
    merged into its neighbour, or split in two."""
    lines = [p.sources[0].line for p in _read(name).papers]
    assert lines == [first + step * i for i in range(len(lines))]


@pytest.mark.parametrize("name", [pytest.param(p.name, id=p.stem) for p in listing_paths(LISTINGS)])
def test_layout_is_sniffed_from_the_text_not_the_file_name(name: str) -> None:
    text = (LISTINGS / name).read_text(encoding="utf-8")
    accepting = [r.name for r in READERS if r.sniff(text)]
    assert len(accepting) == 1, accepting
    renamed = parse_text(text, "renamed.txt")
    assert renamed.layout == _read(name).layout
    assert len(renamed.papers) == len(_read(name).papers)


def test_huggingface_metadata_authors_organisation_upvotes() -> None:
    papers = _read(REPRESENTATIONS).papers
    with_authors = [p for p in papers if p.authors_count is not None]
    assert len(with_authors) == 48
    assert sum(p.authors_count for p in with_authors) == 215
    assert _by_title(REPRESENTATIONS, "CorDA").authors_count == 7
    assert _by_title(REPRESENTATIONS, "Manifold Steering").authors_count == 16
    chronos = _by_title(REPRESENTATIONS, "Chronos-2")
    assert (chronos.organization, chronos.authors_count) == ("amazon Amazon", None)
    repaired, _ = repair_listing([chronos], dt.date(2026, 6, 1))
    assert (repaired[0].organization, repaired[0].date) == ("Amazon", "2025-10-17")
    assert [(p.title[:12], p.upvotes) for p in papers if p.upvotes is not None] == [
        ("Sparsing Law", 1), ("Chronos-2: F", 3)]
    assert all(p.date for p in papers), "every entry of this listing has a date line"


@pytest.mark.parametrize("name", [
    pytest.param("hf-papers-interaction-and-interpretability.txt", id="spaced-without-metadata"),
    pytest.param("hf-papers-regularization-and-sparsity.txt", id="compact"),
])
def test_huggingface_entries_without_metadata_block_have_none(name: str) -> None:
    for paper in _read(name).papers:
        assert (paper.date, paper.authors_count, paper.organization, paper.upvotes,
                paper.venue) == (None, None, None, None, None)


@pytest.mark.parametrize(("title", "raw", "today", "iso"), [
    pytest.param("CorDA", "Jun 7, 2024", dt.date(2026, 6, 1), "2024-06-07", id="explicit-year"),
    pytest.param("Chronos-2", "Oct 17, 2025", dt.date(2026, 6, 1), "2025-10-17",
                 id="explicit-year-with-upvotes"),
    pytest.param("SA-CycleGAN", "Mar 17", dt.date(2026, 6, 1), "2026-03-17",
                 id="yearless-is-year-after-latest-written"),
    pytest.param("SA-CycleGAN", "Mar 17", dt.date(2026, 2, 1), "2025-03-17",
                 id="yearless-never-in-the-future"),
    pytest.param("Environment-Adaptive", "Jan 5", dt.date(2026, 2, 1), "2026-01-05",
                 id="yearless-before-today"),
    pytest.param("SA-CycleGAN", "Mar 17", dt.date(2025, 12, 31), "2025-03-17",
                 id="yearless-capped-at-todays-year"),
])
def test_dates_are_iso_and_yearless_ones_take_the_saved_year(
        title: str, raw: str, today: dt.date, iso: str) -> None:
    papers = _read(REPRESENTATIONS).papers
    assert _by_title(REPRESENTATIONS, title).date == raw
    repaired, issues = repair_listing(papers, today)
    assert issues == []
    assert next(p for p in repaired if p.title.startswith(title)).date == iso


@pytest.mark.parametrize(("name", "topic"), [
    pytest.param(STATISTICAL, "Statistical Learning", id="statistical-learning"),
    pytest.param("neurips-epoch.txt", "epoch", id="epoch"),
])
def test_conference_topic_line_and_venue(name: str, topic: str) -> None:
    papers = _read(name).papers
    assert {p.source_topics for p in papers} == {(topic,)}
    assert {p.venue for p in papers} == {VENUE}
    assert all(p.date is None and p.authors_count is None for p in papers)


@pytest.mark.parametrize(("text", "layout", "titles"), [
    pytest.param("Goto\n\nCollaborating Authors\n\n Topic\n\nA Title\n\nVenue X\n\n"
                 + "An abstract sentence that is long enough to be prose. " * 2 + "\n",
                 "conference-topic", ["A Title"], id="conference-minimal"),
    pytest.param("Get trending papers in your email inbox!\nSubscribeFirst Title\n"
                 + "Abstract text, long enough to count as an abstract for sure. " * 2
                 + "\nSecond Title\n" + "Another abstract that reads like prose here. " * 2,
                 "huggingface-compact", ["First Title", "Second Title"], id="compact-glued"),
    pytest.param("new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers"
                 "\n\nAug 6\n\nOnly Title\n\n" + "Some abstract prose for the only paper. " * 3
                 + "\n\n• 3 authors\n·\nAug 1\n",
                 "huggingface-spaced", ["Only Title"], id="spaced-minimal"),
])
def test_minimal_listings_of_each_layout(text: str, layout: str, titles: list[str]) -> None:
    listing = parse_text(text, "inline.txt")
    assert listing.layout == layout
    assert [p.title for p in listing.papers] == titles
    crlf = parse_text(text.replace("\n", "\r\n"), "inline.txt")
    assert crlf.papers == listing.papers, "CRLF line endings read the same"


def test_readers_are_pure_and_never_open_files(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (LISTINGS / STATISTICAL).read_text(encoding="utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a reader opened a file")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(Path, "read_text", refuse)
    monkeypatch.setattr(Path, "read_bytes", refuse)
    reader = detect(text)
    assert reader is not None and len(list(reader.parse(text, "x.txt"))) == 10


@pytest.mark.parametrize(("data", "text_ok", "message"), [
    pytest.param(b"", False, "empty", id="empty"),
    pytest.param(b"  \n\n", False, "empty", id="blank"),
    pytest.param(b"%PDF-1.7\n...", False, "PDF", id="pdf"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", False, "binary", id="binary"),
    pytest.param("Goto\nCaf\u00e9\n".encode("utf-16"), True, None, id="utf16-bom"),
    pytest.param(b"\xef\xbb\xbfGoto\n", True, None, id="utf8-bom"),
    pytest.param(b"line one\nline two \xff\xfe oops\n", True, "invalid UTF-8", id="bad-utf8"),
])
def test_decode_reports_undecodable_files(data: bytes, text_ok: bool, message: str | None) -> None:
    text, issues = decode(data, "listing.txt")
    assert (text is not None) == text_ok
    if text is not None:
        assert not text.startswith("\ufeff")
    if message is None:
        assert issues == []
    else:
        assert len(issues) == 1 and message in issues[0].message
        assert issues[0].path == "listing.txt"
    if message == "invalid UTF-8":
        assert issues[0].line == 2 and "\ufffd" in text


def test_unknown_layout_is_reported_with_the_file_name_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Some notes I took.\nNothing like a listing.\n", encoding="utf-8")
    listing = read_listing(path)
    assert (listing.layout, listing.papers) == (None, ())
    (issue,) = listing.issues
    assert issue.path == "notes.txt" and "no known layout" in issue.message and issue.error


def test_listing_paths_are_sorted_and_skip_hidden_and_foreign_files(tmp_path: Path) -> None:
    for name in ("b.txt", "a.md", ".hidden.txt", "image.png", "c.TXT"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "folder.txt").mkdir()
    assert [p.name for p in listing_paths(tmp_path)] == ["a.md", "b.txt", "c.TXT"]
    assert listing_paths(tmp_path / "missing") == []
