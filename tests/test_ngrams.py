"""Vectorised candidate phrases: the same phrases, in the same order, as `text.phrases`."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import chain

import numpy as np
import pytest

from generator.enrich.corpus import build_corpus, phrases_of
from generator.enrich.ngrams import chunk_phrases, find_grams, first_seen, phrase_texts
from generator.enrich.text import analyse, chunks_of, phrases, tokenize, word_flags

from .test_related import sample_papers


def _distinct_chunks(texts: list[str]) -> list[tuple[str, ...]]:
    seen: dict[tuple[str, ...], None] = {}
    for text in texts:
        seen.update(dict.fromkeys(chunks_of(text)))
    return list(seen)


def _check(chunks: list[tuple[str, ...]]) -> None:
    """`chunk_phrases` agrees with a chunk-by-chunk pass of `phrases`, numbering included."""
    numbers: defaultdict[str, int] = defaultdict()
    numbers.default_factory = numbers.__len__
    flat = np.fromiter(map(numbers.__getitem__, chain.from_iterable(chunks)), np.int64)
    words = list(numbers)
    lengths = np.array([len(c) for c in chunks], np.int64)
    flags = np.array([word_flags(w) for w in words], np.int8)
    found = chunk_phrases(flat, lengths, flags)
    expected = [(i, p) for i, chunk in enumerate(chunks) for p in phrases(chunk)]
    texts = phrase_texts(found.grams, words)
    assert [(int(c), texts[p]) for c, p in zip(found.chunk, found.phrase, strict=True)] == expected
    assert texts == list(dict.fromkeys(p for _, p in expected))  # numbered by first use


def test_chunk_phrases_match_text_phrases_on_the_sample_listings() -> None:
    papers = sample_papers()
    _check(_distinct_chunks([f"{p.title}. {p.abstract}" for p in papers]))


@pytest.mark.parametrize("chunk", [
    pytest.param(("sparse",), id="one word"),
    pytest.param(("of",), id="a function word alone"),
    pytest.param(("large", "language", "model", "agent", "benchmark"), id="five words"),
    pytest.param(("mixture", "of", "expert"), id="connector inside"),
    pytest.param(("feature", "learned"), id="past participle at the end"),
    pytest.param(("model", "model", "model"), id="a phrase twice in a chunk"),
])
def test_chunk_phrases_match_text_phrases_on_edge_cases(chunk: tuple[str, ...]) -> None:
    _check([chunk, ("graph", "neural", "network"), chunk])


@pytest.mark.slow
def test_chunk_phrases_match_text_phrases_on_arxiv() -> None:
    from generator.enrich.quality import ARXIV, load_arxiv

    if not ARXIV.is_file():
        pytest.skip("needs ../shared/data")
    papers, _ = load_arxiv(3000)
    texts = [analyse(tokenize(p.title), tokenize(p.abstract), "") for p in papers]
    chunks: dict[tuple[str, ...], None] = {}
    for text in texts:
        chunks.update(dict.fromkeys((*text.abstract, *text.title)))
    _check(list(chunks))


def test_first_seen_numbers_rows_in_order_of_first_occurrence() -> None:
    grams = np.array([[5, 1, -1, -1], [2, -1, -1, -1], [5, 1, -1, -1], [5, 1, 7, -1],
                      [2, -1, -1, -1], [0, 0, 0, 0]], np.int64)
    numbers, first = first_seen(grams)
    assert numbers.tolist() == [0, 1, 0, 2, 1, 3]
    assert first.tolist() == [0, 1, 3, 5]
    assert find_grams(grams[first], np.array([[5, 1, 7, -1], [5, 1, 8, -1], [0, 0, 0, 0]]
                                             )).tolist() == [2, -1, 3]


def test_a_keyword_used_once_stays_a_column_and_other_phrases_used_once_do_not() -> None:
    papers = sample_papers()
    uses = Counter(chain.from_iterable(phrases_of(f"{p.title}. {p.abstract}") for p in papers))
    once = sorted(p for p, n in uses.items()
                  if n == 1 and p.count(" ") == 2 and p.replace(" ", "").isalpha())[:3]
    plain = build_corpus(papers)
    kept = build_corpus(papers, keep={*once, "tripwire sentinel nonsense"})
    assert once and not set(once) & set(plain.vocabulary)
    assert {kept.key(p) for p in once} <= set(kept.vocabulary)
    assert len(kept.vocabulary) <= len(plain.vocabulary) + len(once)


def test_first_seen_is_exact_with_huge_word_numbers() -> None:
    rng = np.random.default_rng(0)
    grams = rng.integers(-1, 4, (5000, 4)) * (1 << 19)  # keys would overflow 63 bits unpacked
    grams[:, 0] = np.abs(grams[:, 0])
    numbers, first = first_seen(grams)
    seen: dict[tuple[int, ...], int] = {}
    expected = [seen.setdefault(tuple(row), len(seen)) for row in grams.tolist()]
    assert numbers.tolist() == expected
    assert [tuple(grams[i]) for i in first] == list(seen)
