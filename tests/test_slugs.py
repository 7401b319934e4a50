"""The fast paths give exactly what they replace: python-slugify's slugs, `title_key`'s keys.

`slugs.slugify_text` skips python-slugify for plain ASCII text and `model.title_key` skips the
regular expression for ASCII text; both are compared with the general code on every title
(and, for keys, abstract) of the arXiv corpus, on the sample listings and on generated text.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slugify import slugify

from generator.enrich.quality import ARXIV
from generator.model import title_key
from generator.slugs import slugify_text
from generator.sources import listing_paths, read_listing

from .conftest import LISTINGS

CUTS = [(0, False), (80, True), (80, False), (12, True), (1, True)]
"""(max_length, word_boundary) pairs the comparisons run with: none, the site's, edge ones."""
_GENERAL_KEY = re.compile(r"[\W_]+")


def _corpus_texts() -> Iterator[tuple[str, str]]:
    if not ARXIV.is_file():
        pytest.skip(f"the arXiv corpus is not here: {ARXIV}")
    with gzip.open(ARXIV, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            yield " ".join(record["title"].split()), " ".join(record["summary"].split())


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    return list(_corpus_texts())


@pytest.mark.parametrize(("text", "slug"), [
    pytest.param("Scaling to 1,000,000 Tokens", "scaling-to-1000000-tokens", id="digit-commas"),
    pytest.param("Don't Stop: It's 'Quoted'", "don-t-stop-it-s-quoted", id="quotes"),
    pytest.param("  --A -- B__C--  ", "a-b-c", id="dash-runs"),
    pytest.param("R&amp;D &#916; &#x3a9;", "r-d", id="entities-by-python-slugify"),
    pytest.param("Fréchet", "frechet", id="non-ascii-by-python-slugify"),
    pytest.param("", "", id="empty"),
])
def test_slug_examples(text: str, slug: str) -> None:
    assert slugify_text(text) == slug == slugify(text)


def test_slugs_of_every_corpus_title_equal_python_slugify(corpus) -> None:
    titles = [title for title, _ in corpus]
    assert len(titles) > 70_000 and sum(t.isascii() for t in titles) > 60_000
    for max_length, boundary in CUTS:
        fast = [slugify_text(t, max_length, boundary) for t in titles]
        assert fast == [slugify(t, max_length=max_length, word_boundary=boundary)
                        for t in titles], (max_length, boundary)


def test_keys_of_every_corpus_title_and_abstract_equal_the_general_key(corpus) -> None:
    texts = [text for pair in corpus for text in pair if text.isascii()]
    assert len(texts) > 140_000
    assert [title_key(t) for t in texts] == [_GENERAL_KEY.sub("", t.lower()) for t in texts]


def test_slugs_and_keys_of_the_sample_listings() -> None:
    texts = [text for path in listing_paths(LISTINGS) for p in read_listing(path).papers
             for text in (p.title, p.abstract, p.venue or "", *p.source_topics)]
    assert len(texts) > 700
    assert [slugify_text(t, 80, True) for t in texts] == [
        slugify(t, max_length=80, word_boundary=True) for t in texts]
    ascii_texts = [t for t in texts if t.isascii()]
    assert [title_key(t) for t in ascii_texts] == [_GENERAL_KEY.sub("", t.lower())
                                                   for t in ascii_texts]


# ASCII rich in what the slug rules are about: digits, commas, quotes, dashes, `&`, controls.
ASCII_TEXT = st.text(st.sampled_from("aZ09,,''--&;# _\t.x\x00\x7f"), max_size=40) | st.text(
    st.characters(max_codepoint=127), max_size=60)


@settings(max_examples=2000, deadline=None)
@given(text=ASCII_TEXT, max_length=st.integers(0, 30), boundary=st.booleans())
def test_slug_of_any_ascii_text_equals_python_slugify(text: str, max_length: int,
                                                      boundary: bool) -> None:
    assert slugify_text(text, max_length, boundary) == slugify(
        text, max_length=max_length, word_boundary=boundary)


@settings(max_examples=1000, deadline=None)
@given(text=ASCII_TEXT)
def test_key_of_any_ascii_text_equals_the_general_key(text: str) -> None:
    assert title_key(text) == _GENERAL_KEY.sub("", text.lower())
