"""The corpus as matrices: weighted phrase counts and TF-IDF rows, one row per paper.

Rows follow the papers' ids in sorted order, so results do not depend on input order. A paper's
features are the candidate phrases of its chunks (see `text`), title phrases counted
`TITLE_WEIGHT` times, acronyms the paper defines written out. Variants of one term are then
merged column by column (`merge_map`): acronyms the corpus defines ("LLM" -> "large language
model"), editors' aliases, and spellings with or without a space ("fine tuning", "finetuning").
TF-IDF is scikit-learn's `TfidfTransformer`; every matrix is sparse. Slices of the papers can
be analysed anywhere (`analysis_jobs`, see `pool`) and joined (`corpus_of`). This module
computes statistics only; choosing tags or related papers is done by their own modules.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

from ..model import Paper
from .display import WordForms, merged_forms, word_forms
from .ngrams import Grams, chunk_phrases, find_grams, first_seen, phrase_texts
from .pool import slice_jobs, start_jobs, workers_for
from .text import MAX_WORDS, Chunk, analyse, phrases, tokenize, word_flags

if TYPE_CHECKING:
    from scipy import sparse

__all__ = ["TITLE_WEIGHT", "Corpus", "SliceAnalysis", "analysis_jobs", "build_corpus", "corpus_of",
           "merge_map", "phrase_key", "phrases_of"]

TITLE_WEIGHT = 3
"""How many times a phrase in the title counts compared with one in the abstract."""


@dataclass(frozen=True)
class Corpus:
    """Sparse matrices of a collection (rows: papers sorted by id; columns: `vocabulary`)."""

    ids: tuple[str, ...]
    vocabulary: tuple[str, ...]
    counts: sparse.csr_matrix
    """Weighted phrase counts after merging variants."""
    df: np.ndarray
    """Number of papers containing each column's phrase."""
    tfidf: sparse.csr_matrix
    """Sublinear TF-IDF, rows L2-normalised (cosine similarity is a dot product)."""
    tokens: Counter[str]
    """Every abstract token as written, with its count (for display forms)."""
    merges: Mapping[str, str]
    """Variant phrase key -> the key it was merged into (see `merge_map`)."""
    in_abstract: sparse.csr_matrix
    """True where a phrase occurs in the paper's abstract (not only in its title)."""
    forms: WordForms
    """How the abstracts write each word (for display forms)."""

    def key(self, phrase: str) -> str:
        """The column name a phrase as written counts under ("LLMs" -> "large language model")."""
        key = phrase_key(phrase)
        return self.merges.get(key, key)

    def column(self) -> dict[str, int]:
        return {term: i for i, term in enumerate(self.vocabulary)}


def phrase_key(text: str) -> str:
    """The normalised key of a phrase as written ("Sparse Autoencoders" -> "sparse autoencoder")."""
    from .text import chunks_of

    return " ".join(" ".join(chunk) for chunk in chunks_of(text))


def _expand(chunk: Chunk, own: Mapping[str, Chunk]) -> Chunk:
    """The chunk with the acronyms its paper defines written out."""
    if own.keys().isdisjoint(chunk):
        return chunk
    return tuple(word for key in chunk for word in own.get(key, (key,)))


def _features(chunks: Sequence[Chunk], own: Mapping[str, Chunk]) -> list[str]:
    """Phrase occurrences of a sequence of chunks, with the paper's own acronyms written out."""
    if own:
        chunks = [_expand(c, own) for c in chunks]
    return list(chain.from_iterable(map(phrases, chunks)))


def phrases_of(text: str) -> set[str]:
    """The phrase keys of a text as the corpus counts them (own acronyms written out)."""
    analysed = analyse([], tokenize(text), text)
    return set(_features(analysed.abstract, dict(analysed.acronyms)))


class _Counter:
    """Phrase counts of title and abstract rows, with one vocabulary in first-seen order.

    Rows are counted as chunks first (the same chunks recur across a corpus), then the phrases
    of every distinct chunk at once (`ngrams`), and the two are multiplied: (rows x chunks) @
    (chunks x phrases). Columns are numbered as a phrase-by-phrase pass over the rows would
    number them.
    """

    def __init__(self) -> None:
        self.chunks: defaultdict[Chunk, int] = defaultdict()
        self.chunks.default_factory = self.chunks.__len__  # a new chunk gets the next number
        self.rows: tuple[list[int], list[int]] = ([], [])
        self.indptr: tuple[list[int], list[int]] = ([0], [0])

    def add(self, kind: int, chunks: Sequence[Chunk], own: Mapping[str, Chunk]) -> None:
        """Count the chunks of one row (`kind` 0: abstract, 1: title)."""
        if own:
            unchanged = own.keys().isdisjoint  # most chunks hold none of the acronyms
            chunks = [c if unchanged(c) else _expand(c, own) for c in chunks]
        row = self.rows[kind]
        row.extend(map(self.chunks.__getitem__, chunks))
        self.indptr[kind].append(len(row))

    def matrices(self) -> tuple[sparse.csr_matrix, sparse.csr_matrix, list[str], Grams]:
        """Phrase counts of the abstract rows and of the title rows, the words, the phrases."""
        from scipy import sparse

        words: defaultdict[str, int] = defaultdict()
        words.default_factory = words.__len__  # a new word gets the next number
        flat = np.fromiter(map(words.__getitem__, chain.from_iterable(self.chunks)), np.int64)
        lengths = np.fromiter(map(len, self.chunks), np.int64, len(self.chunks))
        flags = np.fromiter(map(word_flags, words), np.int8, len(words))
        found = chunk_phrases(flat, lengths, flags)  # chunks in first-seen order
        shape = (len(self.chunks), len(found.grams))
        starts = np.concatenate(([0], np.cumsum(np.bincount(found.chunk, minlength=shape[0]))))
        chunk_phrase = sparse.csr_matrix((np.ones(len(found.phrase), np.float32), found.phrase,
                                          starts), shape=shape)
        counts = []
        for row, indptr in zip(self.rows, self.indptr, strict=True):
            row_chunks = sparse.csr_matrix((np.ones(len(row), np.float32), row, indptr),
                                           shape=(len(indptr) - 1, shape[0]))
            counts.append((row_chunks @ chunk_phrase).tocsr())
        return counts[0], counts[1], list(words), found.grams


@dataclass(frozen=True)
class SliceAnalysis:
    """One slice of the papers analysed: raw counts, their words and phrases, acronyms, tokens."""

    abstracts: sparse.csr_matrix
    titles: sparse.csr_matrix
    words: list[str]
    grams: Grams
    """The columns' phrases, as numbers of `words` (see `ngrams`)."""
    acronyms: list[tuple[tuple[str, Chunk], ...]]
    tokens: Counter[str]
    forms: WordForms


def _analyse_part(papers: Sequence[Paper]) -> SliceAnalysis:
    tokens: Counter[str] = Counter()
    counter = _Counter()
    acronyms = []
    for paper in papers:
        title = tokenize("" if paper.title_missing else paper.title)
        abstract = tokenize(paper.abstract)
        text = analyse(title, abstract, f"{paper.title}. {paper.abstract}")
        tokens.update(abstract)  # not titles: their Title Case says nothing of a word's case
        own = dict(text.acronyms)
        counter.add(0, text.abstract, own)
        counter.add(1, text.title, own)
        acronyms.append(text.acronyms)
    return SliceAnalysis(*counter.matrices(), acronyms, tokens, word_forms(tokens))


@dataclass(frozen=True)
class _Columns:
    """The phrases of the raw columns, as numbers of `words`, in order of first use."""

    words: list[str]
    grams: Grams

    def texts(self, columns: np.ndarray) -> list[str]:
        """The phrase keys of these columns."""
        return phrase_texts(self.grams[columns], self.words)

    def find(self, keys: Iterable[str]) -> list[int]:
        """The columns of those phrase keys that are columns, in ascending order."""
        number = {word: i for i, word in enumerate(self.words)}
        rows = [[number.get(word, -2) for word in key.split()] for key in sorted(set(keys))]
        rows = [row + [-1] * (MAX_WORDS - len(row)) for row in rows
                if 0 < len(row) <= MAX_WORDS and -2 not in row]
        found = find_grams(self.grams, np.array(rows, np.int64).reshape(-1, MAX_WORDS))
        return sorted(int(c) for c in found if c >= 0)


def _joined(matrices: list[sparse.csr_matrix], columns: list[np.ndarray], width: int
            ) -> sparse.csr_matrix:
    """Row slices with their own columns stacked, in the shared columns (`columns[i]`: the
    shared column of each of slice i's columns)."""
    from scipy import sparse

    moved = [sparse.csr_matrix((m.data, remap[m.indices], m.indptr), shape=(m.shape[0], width))
             for m, remap in zip(matrices, columns, strict=True)]
    stacked = sparse.vstack(moved, format="csr")
    stacked.sort_indices()  # as one process would have them
    return stacked


def analysis_jobs(ordered: Sequence[Paper], workers: int) -> list[Callable[[], SliceAnalysis]]:
    """Jobs analysing consecutive slices of `ordered` (papers sorted by id), one per worker.

    Run them anywhere (see `pool`), then join their results with `corpus_of`.
    """
    return slice_jobs(lambda start, stop: _analyse_part(ordered[start:stop]), len(ordered),
                      workers, per_worker=1)


def _joined_parts(parts: Sequence[SliceAnalysis]
                  ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, _Columns]:
    """Abstract counts and title counts of all papers, in order, with their columns' phrases.

    The slices' phrases are merged in slice order, so columns are in the order of first use in
    one pass over the papers (each paper's abstract, then its title) however they were sliced.
    """
    numbers: dict[str, int] = {}
    grams = []
    for part in parts:  # -1 (a pad) stays -1: the last number
        renumber = [numbers.setdefault(word, len(numbers)) for word in part.words]
        grams.append(np.array([*renumber, -1], np.int64)[part.grams])
    column, first = first_seen(np.concatenate(grams))
    bounds = np.cumsum([0] + [len(g) for g in grams]).tolist()
    columns = [column[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    return (_joined([p.abstracts for p in parts], columns, len(first)),
            _joined([p.titles for p in parts], columns, len(first)),
            _Columns(list(numbers), np.concatenate(grams)[first]))


def merge_map(vocabulary: Sequence[str], df: np.ndarray,
              acronyms: Mapping[str, tuple[Chunk, int]], aliases: Mapping[str, str],
              tokens: Counter[str]) -> dict[str, str]:
    """Map variant phrase keys to the key they merge into.

    Editors' aliases win; then acronyms the corpus defines (`acronyms`: expansion, papers
    defining it), when the acronym is mostly written in capitals (so "art" stays a word) and
    defined by at least 2 papers and a tenth of those using it (one paper's "SAM" does not
    rename everyone's); then a phrase written without its space ("finetuning") joins the spaced
    one, or the other way round, whichever is more common.
    """
    known = {term: i for i, term in enumerate(vocabulary)}
    out = {k: v for k, v in aliases.items() if k != v}
    targets = set(out.values())
    for short, (long, votes) in sorted(acronyms.items()):
        target = out.get(" ".join(long), " ".join(long))
        if (short in out or short in targets or target == short or short not in known
                or votes < max(2, 0.1 * df[known[short]])
                or not _written_in_capitals(short, tokens)):
            continue
        out[short] = target
    for term in vocabulary:
        if " " in term and "of" not in term.split() and term not in out:
            joined = term.replace(" ", "")
            if joined in known and joined not in out:
                small, big = sorted((term, joined), key=lambda t: (df[known[t]], t))
                out[small] = big
    return {k: _follow(out, v) for k, v in out.items() if _follow(out, v) != k}


def _follow(merges: Mapping[str, str], key: str) -> str:
    seen = {key}
    while key in merges and merges[key] not in seen:
        key = merges[key]
        seen.add(key)
    return key


def _written_in_capitals(key: str, tokens: Counter[str]) -> bool:
    forms = [key, key + "s", key.upper(), key.upper() + "s"]
    upper = sum(tokens[f] for f in forms[2:])
    return upper > sum(tokens[f] for f in forms[:2])


def majority_acronyms(defined: Iterable[Iterable[tuple[str, Chunk]]]
                      ) -> dict[str, tuple[Chunk, int]]:
    """Each acronym's most defined expansion (ties: smallest) and how many papers define it.

    `defined` holds, per paper, the (acronym, long form) pairs it defines.
    """
    votes: dict[str, Counter[Chunk]] = defaultdict(Counter)
    for pairs in defined:
        for short, long in dict(pairs).items():
            votes[short][long] += 1
    return {short: min(c.items(), key=lambda kv: (-kv[1], kv[0]))
            for short, c in votes.items()}


def _merge_columns(vocabulary: list[str], merges: Mapping[str, str]
                   ) -> tuple[sparse.csr_matrix, list[str]]:
    """The 0/1 matrix summing merged columns into their targets, and the new columns (sorted)."""
    from scipy import sparse

    names = sorted({merges.get(t, t) for t in vocabulary})
    index = {t: i for i, t in enumerate(names)}
    target = np.fromiter(map(index.__getitem__, map(merges.get, vocabulary, vocabulary)),
                         dtype=np.int64, count=len(vocabulary))
    mapping = sparse.csr_matrix((np.ones(len(vocabulary), np.float32),
                                 (np.arange(len(vocabulary)), target)),
                                shape=(len(vocabulary), len(names)))
    return mapping, names


def build_corpus(papers: Iterable[Paper], aliases: Mapping[str, str] | None = None,
                 keep: Iterable[str] = ()) -> Corpus:
    """Analyse every paper and build the merged count and TF-IDF matrices.

    Phrases used by one paper only are dropped, except the phrase keys in `keep` (keywords).
    Large corpora are analysed in slices by forked processes (see `pool`).
    """
    ordered = sorted(papers, key=lambda p: p.id)
    workers = workers_for(len(ordered))
    parts = start_jobs(analysis_jobs(ordered, workers), workers).results()
    return corpus_of(ordered, parts, aliases, keep)


def corpus_of(ordered: Sequence[Paper], parts: Sequence[SliceAnalysis],
              aliases: Mapping[str, str] | None = None, keep: Iterable[str] = ()) -> Corpus:
    """The corpus of `ordered` (sorted by id) from the results of its `analysis_jobs`."""
    parts = parts or [_analyse_part([])]
    abstract, title, columns = _joined_parts(parts)
    raw = (abstract + TITLE_WEIGHT * title).tocsr()
    tokens: Counter[str] = Counter()
    for part in parts:
        tokens.update(part.tokens)
    acronyms = [defined for part in parts for defined in part.acronyms]
    # Phrases in one paper only can neither link papers nor become tag pages: drop them early.
    raw_df = np.bincount(raw.indices, minlength=raw.shape[1])
    wanted = raw_df >= min(2, len(ordered))
    wanted[columns.find(keep)] = True
    shared = np.flatnonzero(wanted)
    raw, raw_df = raw[:, shared].tocsr(), raw_df[shared]
    vocabulary = columns.texts(shared)
    merges = merge_map(vocabulary, raw_df, majority_acronyms(acronyms), aliases or {}, tokens)
    mapping, names = _merge_columns(vocabulary, merges)
    counts = (raw @ mapping).tocsr()
    in_abstract = ((abstract[:, shared] @ mapping) > 0).tocsr()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return Corpus(tuple(p.id for p in ordered), tuple(names), counts, df, _tfidf(counts),
                  tokens, merges, in_abstract, merged_forms(p.forms for p in parts))


def _tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    from sklearn.feature_extraction.text import TfidfTransformer

    if counts.shape[1] == 0:
        return counts.copy()
    transformer = TfidfTransformer(sublinear_tf=True)
    return transformer.fit_transform(counts).astype(np.float32).tocsr()
