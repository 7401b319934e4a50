"""Candidate phrases of many chunks at once, as n-grams of word numbers, with NumPy.

`text.phrases` finds the candidate phrases of one chunk, in Python, as strings. At corpus scale
the same work is a few array passes: `chunk_phrases` takes every distinct chunk as one flat
array of word numbers and returns each phrase occurrence (its chunk, its phrase number), the
phrases numbered in order of first occurrence, exactly as a chunk-by-chunk `text.phrases` pass
would see them. Phrases are `Grams`: rows of up to `MAX_WORDS` word numbers (-1 pads), turned
into strings only when asked (`phrase_texts`), so the many phrases used once cost no string.
This module knows nothing about papers, counts or scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .text import CAN_END, CAN_STAND_ALONE, CAN_START, IS_CONTENT, MAX_WORDS

__all__ = ["ChunkPhrases", "chunk_phrases", "find_grams", "first_seen", "phrase_texts"]

Grams = np.ndarray
"""int64 array (phrases x `MAX_WORDS`): each row a phrase's word numbers, padded with -1."""


@dataclass(frozen=True)
class ChunkPhrases:
    """Every candidate phrase occurrence of a set of chunks, in chunk order then position."""

    chunk: np.ndarray
    """The chunk of each occurrence."""
    phrase: np.ndarray
    """The phrase number of each occurrence (rows of `grams`)."""
    grams: Grams
    """The distinct phrases, in order of first occurrence."""


def _occurrences(words: np.ndarray, ends: np.ndarray, flags: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(start position, length) of every candidate phrase, ordered by position then length.

    The rules of `text.phrases`: a phrase starts on a word that may start one; one word alone
    must be able to stand alone; a longer one holds a content word and ends on a word that may
    end one. `ends` is the end of each position's chunk (exclusive).
    """
    flag = flags[words]
    content = np.concatenate(([0], np.cumsum((flag & IS_CONTENT) != 0)))
    starts = np.flatnonzero(flag & CAN_START)
    found_starts, found_lengths = [], []
    for length in range(1, MAX_WORDS + 1):
        at = starts[starts + length <= ends[starts]]
        if length == 1:
            ok = (flag[at] & CAN_STAND_ALONE) != 0
        else:
            last = at + length - 1
            ok = (content[last + 1] > content[at]) & ((flag[last] & CAN_END) != 0)
        found_starts.append(at[ok])
        found_lengths.append(np.full(int(ok.sum()), length, np.int64))
    # Each run is sorted by position: a stable sort merges them, shorter first at a position.
    at = np.concatenate(found_starts)
    order = np.argsort(at, kind="stable")
    return at[order], np.concatenate(found_lengths)[order]


def chunk_phrases(words: np.ndarray, lengths: np.ndarray, flags: np.ndarray) -> ChunkPhrases:
    """The candidate phrases of chunks given as `words` (all chunks' word numbers, one after
    the other) and each chunk's `lengths`; `flags[w]` are word w's `text.word_flags`."""
    chunk_of = np.repeat(np.arange(len(lengths)), lengths)
    ends = np.repeat(np.cumsum(lengths), lengths)
    at, length = _occurrences(words, ends, flags)
    grams = np.full((len(at), MAX_WORDS), -1, np.int64)
    for k in range(MAX_WORDS):
        longer = length > k
        grams[longer, k] = words[at[longer] + k]
    phrase, first = first_seen(grams)
    return ChunkPhrases(chunk_of[at], phrase, grams[first])


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An order sorting `keys`, and for each sorted entry its run number (equal keys: one run).

    NumPy's default sort (not stable: nothing here depends on the order within a run).
    """
    order = np.argsort(keys)
    ordered = keys[order]
    return order, np.cumsum(np.concatenate(([True], ordered[1:] != ordered[:-1]))) - 1


def _row_keys(grams: Grams) -> np.ndarray:
    """One int64 per row, equal for equal rows: the words, each pair of leading words (and,
    in huge corpora, each triple) replaced by its run number, so the key fits in 63 bits."""
    first, *rest = np.ascontiguousarray(grams.T) + 1  # pads become 0
    base = int(grams.max(initial=0)) + 2
    key, bound = first, base  # every key is below the bound
    for word in rest:
        if bound * base >= 1 << 63:  # renumber the prefixes first: 0, 1, ...
            order, run = _runs(key)
            key = np.empty(len(grams), np.int64)
            key[order] = run
            bound = int(run[-1]) + 1
        key, bound = key * base + word, bound * base
    return key


def first_seen(grams: Grams) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct rows of `grams` in order of first occurrence.

    Returns each row's number and, for each number, the row where it first occurs.
    """
    if len(grams) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order, run = _runs(_row_keys(grams))
    starts = np.flatnonzero(np.diff(run, prepend=-1))
    firsts = np.minimum.reduceat(order, starts)  # each distinct row's first occurrence
    rank = np.empty(len(firsts), np.int64)
    rank[np.argsort(firsts)] = np.arange(len(firsts))
    numbers = np.empty(len(grams), np.int64)
    numbers[order] = rank[run]
    return numbers, np.sort(firsts)


def find_grams(grams: Grams, wanted: Grams) -> np.ndarray:
    """For each row of `wanted`, the number of the equal row of `grams` (distinct rows), or -1."""
    if len(grams) == 0 or len(wanted) == 0:
        return np.full(len(wanted), -1, np.int64)
    near = np.flatnonzero(np.isin(grams[:, 0], wanted[:, 0]))  # a few rows: look them up
    number = dict(zip(map(tuple, grams[near].tolist()), near.tolist(), strict=True))
    return np.array([number.get(tuple(row), -1) for row in wanted.tolist()], np.int64)


def phrase_texts(grams: Grams, words: Sequence[str]) -> list[str]:
    """The phrase key of each row ("large language model")."""
    table = np.array(words, dtype=object)
    texts = np.empty(len(grams), dtype=object)
    length = (grams >= 0).sum(axis=1)
    for n in range(1, grams.shape[1] + 1):
        rows = np.flatnonzero(length == n)
        columns = [table[grams[rows, k]] for k in range(n)]
        texts[rows] = list(map(" ".join, zip(*columns, strict=True)))
    return texts.tolist()
