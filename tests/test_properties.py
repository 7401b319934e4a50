"""Property-based tests (hypothesis): readers never crash, pages round-trip their front matter.

Every reader, the decoder and the layout detector get arbitrary text (and text built from
listing-like lines, which reaches deeper into the readers); each must yield papers or located
issues, never raise. The Markdown page of any repaired paper must read back to the same fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.library import Library
from generator.model import Issue, Paper, Related, SourceRef
from generator.pages import front_matter, markdown_to_fields, paper_to_markdown
from generator.repair import clean_text, repair_listing
from generator.sources import READERS, decode, parse_text

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Lines a listing is made of: page chrome, titles, prose, metadata, separators, junk.
LISTING_LINES = st.sampled_from([
    "new", "Subscribe", "Daily Papers", "Get trending papers in your email inbox!",
    "byAK and the research community", "Goto", "Collaborating Authors", "Statistical Learning",
    "Neural Information Processing Systems", "·", "• 3 authors", "3 authors", "amazon Amazon",
    "Aug 6", "Nov 4, 2024 1", "Mar 17", "Feb 30, 2024", "SubscribeA Glued Title", "",
    "A Short Title", "06872e1e6d11baf2ae27285c50132f4f-Paper-Conference.pdf",
    "We propose a method. It works well on many benchmarks and datasets, see https://x.org/a.",
    "An abstract that runs on without a final full stop and is long enough to be prose",
    "<script>alert(1)</script>", "title: with: colons", "---", "• 99999999999999999999 authors",
])
LISTING_TEXT = st.lists(st.one_of(LISTING_LINES, st.text(max_size=80)), max_size=60).map(
    "\n".join)
ANY_TEXT = st.one_of(st.text(), LISTING_TEXT)


def _check_items(items: list[Paper | Issue], text: str, origin: str) -> None:
    """What every reader promises: papers with a title and a real line, issues located."""
    last_line = text.count("\n") + 1
    for item in items:
        if isinstance(item, Issue):
            assert item.path == origin and item.message
            assert item.line is None or 1 <= item.line <= last_line
        else:
            assert isinstance(item, Paper) and item.title.strip()
            (source,) = item.sources
            assert source.listing == origin and 1 <= source.line <= last_line


@pytest.mark.parametrize("reader", [pytest.param(r, id=r.name) for r in READERS])
@SETTINGS
@given(text=ANY_TEXT)
def test_a_reader_never_crashes_on_arbitrary_text(reader, text: str) -> None:
    reader.sniff(text)
    _check_items(list(reader.parse(text, "fuzz.txt")), text, "fuzz.txt")


@SETTINGS
@given(text=ANY_TEXT)
def test_parse_text_yields_a_listing_or_a_located_error(text: str) -> None:
    listing = parse_text(text, "fuzz.txt")
    if listing.layout is None:
        assert listing.papers == () and any(i.error for i in listing.issues)
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n")
    _check_items([*listing.papers, *listing.issues], cleaned, "fuzz.txt")


@SETTINGS
@given(data=st.one_of(st.binary(), LISTING_TEXT.map(lambda t: t.encode("utf-8")),
                      st.text().map(lambda t: t.encode("utf-16"))))
def test_decode_never_crashes_and_explains_a_refusal(data: bytes) -> None:
    text, issues = decode(data, "fuzz.txt")
    if text is None:
        assert len(issues) == 1 and issues[0].error and issues[0].path == "fuzz.txt"
    else:
        assert isinstance(text, str) and all(not i.error for i in issues)
        text.encode("utf-8")  # no lone surrogates escape the decoder


@SETTINGS
@given(text=LISTING_TEXT)
def test_repair_never_crashes_on_what_a_reader_yields(text: str) -> None:
    listing = parse_text(text, "fuzz.txt")
    repaired, issues = repair_listing(listing.papers, dt.date(2026, 6, 1))
    assert len(repaired) == len(listing.papers)
    assert all(i.path == "fuzz.txt" for i in issues)


# Fields as the repair stage leaves them: `clean_text` of anything, dates ISO or None.
CLEAN = st.text().map(clean_text)
NAMES = st.text(min_size=1, max_size=40)
PAPERS = st.builds(
    Paper,
    title=CLEAN.filter(bool),
    abstract=CLEAN,
    sources=st.lists(st.builds(SourceRef, NAMES, st.integers(1, 10**6)), min_size=1,
                     max_size=3).map(tuple),
    id=st.just("0123456789ab"),
    slug=st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True),
    title_missing=st.booleans(),
    date=st.one_of(st.none(), st.dates().map(dt.date.isoformat)),
    venue=st.one_of(st.none(), CLEAN.filter(bool)),
    authors_count=st.one_of(st.none(), st.integers(0, 10**9)),
    organization=st.one_of(st.none(), CLEAN.filter(bool)),
    upvotes=st.one_of(st.none(), st.integers(0, 10**9)),
    links=st.lists(st.from_regex(r"https?://[a-z0-9./?=&%-]+", fullmatch=True),
                   max_size=3).map(tuple),
    source_topics=st.lists(CLEAN, max_size=2).map(tuple),
    topics=st.lists(CLEAN, max_size=2).map(tuple),
    tags=st.lists(CLEAN, max_size=3).map(tuple),
)


@SETTINGS
@given(paper=PAPERS, reasons=st.lists(CLEAN, max_size=2))
def test_markdown_page_front_matter_round_trips(paper: Paper, reasons: list[str]) -> None:
    other = replace(paper, id="ba9876543210", slug="other-paper", related=())
    paper = replace(paper, related=(Related(other.id, 0.5, tuple(reasons)),))
    library = Library.build([paper, other])
    text = paper_to_markdown(paper, library)
    fields, body = markdown_to_fields(text)
    assert fields == front_matter(paper, library)
    assert body == paper.abstract
    head = text.split("\n---\n", 1)[0]
    assert set(yaml.safe_load(head[4:])) == set(fields), "nothing injected into the header"
    dumped = yaml.dump(fields, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                       width=100, default_flow_style=False)
    assert text.startswith(f"---\n{dumped}---\n"), "the very text yaml.dump writes"
