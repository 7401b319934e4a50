"""Repair cases as tables: mojibake, whitespace, file-name titles, dates, organisations, links."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.model import Paper, SourceRef
from generator.render import linkify
from generator.repair import (
    clean_organization,
    clean_text,
    extract_links,
    is_file_name_title,
    repair_listing,
    resolve_date,
    saved_year,
)

from .conftest import LISTINGS

TODAY = dt.date(2026, 6, 1)


@pytest.mark.parametrize(("raw", "fixed"), [
    pytest.param("recovering the 1/ฯ„2 law", "recovering the 1/τ2 law", id="tau"),
    pytest.param("extreme Gaussian noise (ฯƒ = 255, SNR", "extreme Gaussian noise (σ = 255, SNR",
                 id="sigma"),
    pytest.param("matrices with ฮ˜(N Nd) computational", "matrices with Θ(N Nd) computational",
                 id="theta"),
    pytest.param("caf\u00c3\u00a9 au lait", "café au lait", id="latin1-mojibake-via-ftfy"),
    pytest.param("ภาษาไทยเป็นภาษาที่สวยงาม", "ภาษาไทยเป็นภาษาที่สวยงาม", id="thai-sentence-untouched"),
    pytest.param("กรุงเทพฯ และ ฯลฯ", "กรุงเทพฯ และ ฯลฯ", id="thai-with-paiyannoi-untouched"),
    pytest.param("Thai word สวัสดี in English", "Thai word สวัสดี in English",
                 id="thai-word-in-english-untouched"),
    pytest.param("ราคา 100 บาทฯก", "ราคา 100 บาทฯก", id="thai-neighbour-protects-run"),
    pytest.param("ค่า ฯƒ = 255", "ค่า σ = 255", id="cp1252-punctuation-run-in-thai-text-fixed"),
    pytest.param("Naïve Bayes — “quoted” 1–2", "Naïve Bayes — “quoted” 1–2",
                 id="correct-unicode-untouched"),
    pytest.param("  two\u00a0words\u2009and\tthin  spaces\n next line ",
                 "two words and thin spaces next line", id="whitespace-nbsp-thin-tab-newline"),
    pytest.param("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen",
                 id="invisible-break-hints-dropped"),
    pytest.param("control\x07char", "controlchar", id="control-character-dropped"),
    pytest.param("e\u0301", "é", id="nfc"),
])
def test_clean_text(raw: str, fixed: str) -> None:
    assert clean_text(raw) == fixed
    assert clean_text(fixed) == fixed, "repair is idempotent"


@settings(max_examples=1000, deadline=None)
@given(st.text(st.sampled_from(" \t\n.a-Z1&\u00a0é"), max_size=24))
def test_clean_text_spaces_plain_text_as_the_general_rule(raw: str) -> None:
    """Plain ASCII takes a shortcut (no repair, `split()`); its spaces come out the same."""
    general = re.sub(r"[ \t\u00a0]+", " ", raw.replace("\n", " ")).strip()
    assert clean_text(raw) == unicodedata.normalize("NFC", general)


@pytest.mark.parametrize(("listing", "fragment", "expected"), [
    pytest.param("neurips-epoch.txt", "ฯ„2 law", "1/τ2 law", id="epoch-tau"),
    pytest.param("neurips-epoch.txt", "ฯƒ = 255", "(σ = 255", id="epoch-sigma"),
    pytest.param("neurips-statistical-learning.txt", "ฮ˜(N Nd)", "Θ(N Nd)", id="stat-theta"),
])
def test_sample_mojibake_is_repaired_in_the_listing(listing: str, fragment: str,
                                                    expected: str) -> None:
    from generator.sources import read_listing

    papers = read_listing(LISTINGS / listing).papers
    assert any(fragment in p.abstract for p in papers)
    repaired, _ = repair_listing(papers, TODAY)
    assert any(expected in p.abstract for p in repaired)
    assert not any(ch in p.abstract for p in repaired for ch in "ฯฮ„ƒ˜")


@pytest.mark.parametrize(("title", "is_file"), [
    pytest.param("06872e1e6d11baf2ae27285c50132f4f-Paper-Conference.pdf", True, id="neurips-pdf"),
    pytest.param("paper_final v2.pdf", False, id="space-is-not-a-file-name"),
    pytest.param("2301.00001v2.pdf", True, id="arxiv-pdf"),
    pytest.param("main.tex", True, id="tex"),
    pytest.param("Node.js at Scale", False, id="dotted-word-in-title"),
    pytest.param("On the .pdf format", False, id="mentions-pdf"),
    pytest.param("Attention Is All You Need", False, id="real-title"),
])
def test_file_name_titles(title: str, is_file: bool) -> None:
    assert is_file_name_title(title) is is_file


def test_file_name_title_is_kept_marked_missing_and_reported() -> None:
    paper = Paper(title="06872e1e6d11baf2ae27285c50132f4f-Paper-Conference.pdf",
                  abstract="Large language models forget.", sources=(SourceRef("x.txt", 8),))
    (fixed,), (issue,) = repair_listing([paper], TODAY)
    assert fixed.title_missing and fixed.title == paper.title
    assert (issue.path, issue.line) == ("x.txt", 8) and "file name" in issue.message


@pytest.mark.parametrize(("raw", "year", "today", "iso"), [
    pytest.param("Oct 17, 2025", 2026, TODAY, "2025-10-17", id="explicit"),
    pytest.param("Mar 17", 2026, TODAY, "2026-03-17", id="yearless"),
    pytest.param("Dec 25", 2026, TODAY, "2025-12-25", id="yearless-in-future-goes-back"),
    pytest.param("Sept 3", 2025, TODAY, "2025-09-03", id="long-month-name"),
    pytest.param("March 3, 2021", 2026, TODAY, "2021-03-03", id="full-month-name"),
    pytest.param("Feb 29, 2024", 2026, TODAY, "2024-02-29", id="leap-day"),
    pytest.param("Feb 30", 2026, TODAY, None, id="impossible-day"),
    pytest.param("2024-01-02", 2026, TODAY, "2024-01-02", id="already-iso"),
    pytest.param("Foo 3", 2026, TODAY, None, id="not-a-month"),
    pytest.param("yesterday", 2026, TODAY, None, id="not-a-date"),
])
def test_resolve_date(raw: str, year: int, today: dt.date, iso: str | None) -> None:
    assert resolve_date(raw, year, today) == iso


@pytest.mark.parametrize(("dates", "today", "year"), [
    pytest.param(["Mar 17", "Oct 17, 2025", "Nov 4, 2024"], TODAY, 2026, id="after-latest"),
    pytest.param(["Mar 17", "Oct 17, 2025"], dt.date(2025, 11, 1), 2025, id="never-after-today"),
    pytest.param(["Mar 17", None], TODAY, 2026, id="no-year-written-is-today"),
    pytest.param([], dt.date(2030, 1, 1), 2030, id="empty"),
])
def test_saved_year(dates: list[str | None], today: dt.date, year: int) -> None:
    assert saved_year(dates, today) == year


def test_unreadable_date_is_a_located_warning() -> None:
    paper = Paper(title="T", abstract="A.", sources=(SourceRef("x.txt", 3),), date="Smarch 40")
    (fixed,), (issue,) = repair_listing([paper], TODAY)
    assert fixed.date is None and (issue.path, issue.line) == ("x.txt", 3)


@pytest.mark.parametrize(("raw", "name"), [
    pytest.param("amazon Amazon", "Amazon", id="handle-and-name"),
    pytest.param("google-deepmind Google DeepMind", "Google DeepMind", id="hyphenated-handle"),
    pytest.param("Meta AI", "Meta AI", id="plain-name"),
    pytest.param("  nvidia\u00a0NVIDIA ", "NVIDIA", id="nbsp-and-case"),
    pytest.param(None, None, id="none"),
])
def test_clean_organization(raw: str | None, name: str | None) -> None:
    assert clean_organization(raw) == name


@pytest.mark.parametrize(("text", "links"), [
    pytest.param("Code is available at https://github.com/liangchen527/RIDG.",
                 ("https://github.com/liangchen527/RIDG",), id="trailing-full-stop"),
    pytest.param("see (https://x.org/a/b), and https://y.org/c;", ("https://x.org/a/b",
                 "https://y.org/c"), id="parenthesis-comma-semicolon"),
    pytest.param("https://en.wikipedia.org/wiki/Foo_(bar).", ("https://en.wikipedia.org/wiki/Foo_(bar)",),
                 id="balanced-parenthesis-kept"),
    pytest.param("available at~https://github.com/Med-Process/Strip_MLP{https://github.com/"
                 "Med-Process/Strip_MLP}.", ("https://github.com/Med-Process/Strip_MLP",),
                 id="broken-latex-href-strip-mlp"),
    pytest.param("at https://www.github.com/princeton-vl/selfstudy{github.com/princeton-vl/"
                 "selfstudy}.", ("https://www.github.com/princeton-vl/selfstudy",),
                 id="broken-latex-href-selfstudy"),
    pytest.param("Page: https://a.io/x Code: https://github.com/b/c and https://a.io/x again",
                 ("https://a.io/x", "https://github.com/b/c"), id="several-deduplicated"),
    pytest.param("javascript:alert(1) ftp://x.org/f mailto:a@b.c http:// done", (),
                 id="only-http-urls"),
    pytest.param("no links here.", (), id="none"),
])
def test_extract_links(text: str, links: tuple[str, ...]) -> None:
    assert extract_links(text) == links


def test_url_in_abstract_becomes_links_field_and_clickable_escaped_html() -> None:
    abstract = ('Code is available at https://github.com/liangchen527/RIDG. '
                '<script>alert("x")</script> & more')
    paper = Paper(title="T", abstract=abstract, sources=(SourceRef("x.txt", 1),))
    (fixed,), _ = repair_listing([paper], TODAY)
    assert fixed.links == ("https://github.com/liangchen527/RIDG",)
    html = str(linkify(fixed.abstract))
    assert ('at <a href="https://github.com/liangchen527/RIDG" rel="nofollow noopener">'
            'https://github.com/liangchen527/RIDG</a>. ') in html
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; more" in html


def test_linkify_never_makes_a_link_that_breaks_out_of_its_attribute() -> None:
    html = str(linkify('x https://evil.example/"onmouseover="alert(1) y'))
    assert 'href="https://evil.example/"' in html and 'onmouseover="' not in html
