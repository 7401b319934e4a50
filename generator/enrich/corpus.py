"""The corpus as matrices: weighted phrase counts and TF-IDF rows, one row per paper.

Rows follow the papers' ids in sorted order, so results do not depend on input order. A paper's
features are the candidate phrases of its chunks (see `text`), title phrases counted
`TITLE_WEIGHT` times, acronyms the paper defines written out. Variants of one term are then
merged column by column (`merge_map`): acronyms the corpus defines ("LLM" -> "large language
model"), editors' aliases, and spellings with or without a space ("fine tuning", "finetuning").
TF-IDF is scikit-learn's `TfidfTransformer`; every matrix is sparse. This module computes
statistics only; choosing tags or related papers is done by their own modules.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer

from ..model import Paper
from .text import Chunk, PaperText, analyse, phrases, tokenize

__all__ = ["TITLE_WEIGHT", "Corpus", "build_corpus", "merge_map", "phrase_key", "phrases_of"]

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


def _count(docs: Iterable[list[str]], rows: int) -> tuple[sparse.csr_matrix, list[str]]:
    """Feature counts of `rows` documents with one growing vocabulary (first-seen order)."""
    vocab: defaultdict[str, int] = defaultdict()
    vocab.default_factory = vocab.__len__  # a new feature gets the next column
    indices: list[int] = []
    indptr = [0]
    for doc in docs:
        indices.extend(map(vocab.__getitem__, doc))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    matrix = sparse.csr_matrix((data, np.asarray(indices, dtype=np.int64), indptr),
                               shape=(rows, len(vocab)))
    matrix.sum_duplicates()
    return matrix, list(vocab)


@dataclass(frozen=True)
class _Part:
    """One slice of the papers analysed: raw counts (abstract rows, then title rows)."""

    counts: sparse.csr_matrix
    vocabulary: list[str]
    acronyms: list[tuple[tuple[str, Chunk], ...]]
    tokens: Counter[str]


def _analyse_part(papers: Sequence[Paper]) -> _Part:
    tokens: Counter[str] = Counter()
    texts: list[PaperText] = []
    for paper in papers:
        title = tokenize("" if paper.title_missing else paper.title)
        abstract = tokenize(paper.abstract)
        tokens.update(abstract)  # not titles: their Title Case says nothing of a word's case
        texts.append(analyse(title, abstract, f"{paper.title}. {paper.abstract}"))
    abstracts = (_features(t.abstract, dict(t.acronyms)) for t in texts)
    titles = (_features(t.title, dict(t.acronyms)) for t in texts)
    counts, vocabulary = _count(chain(abstracts, titles), 2 * len(texts))
    return _Part(counts, vocabulary, [t.acronyms for t in texts], tokens)


def _analyse(papers: Sequence[Paper]
             ) -> tuple[sparse.csr_matrix, sparse.csr_matrix, list[str], list[_Part]]:
    """Abstract counts and title counts of all papers, in order, with their vocabulary.

    Large corpora are analysed in slices by forked processes (see `parallel.worker_count`);
    their vocabularies are then merged, so the result is the same as one process's.
    """
    from ..parallel import worker_count

    workers = min(worker_count(len(papers)), max(1, len(papers) // 1000))
    if workers == 1:
        parts = [_analyse_part(papers)]
    else:
        size = -(-len(papers) // workers)
        slices = [papers[i : i + size] for i in range(0, len(papers), size)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_analyse_part, slices))
    vocab: dict[str, int] = {}
    remaps = [np.fromiter((vocab.setdefault(t, len(vocab)) for t in part.vocabulary),
                          dtype=np.int64, count=len(part.vocabulary)) for part in parts]
    abstracts, titles = [], []
    for part, remap in zip(parts, remaps, strict=True):
        counts = part.counts.tocoo()
        moved = sparse.csr_matrix((counts.data, (counts.row, remap[counts.col])),
                                  shape=(counts.shape[0], len(vocab)))
        half = counts.shape[0] // 2
        abstracts.append(moved[:half])
        titles.append(moved[half:])
    return sparse.vstack(abstracts).tocsr(), sparse.vstack(titles).tocsr(), list(vocab), parts


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
    names = sorted({merges.get(t, t) for t in vocabulary})
    index = {t: i for i, t in enumerate(names)}
    target = np.fromiter((index[merges.get(t, t)] for t in vocabulary), dtype=np.int64,
                         count=len(vocabulary))
    mapping = sparse.csr_matrix((np.ones(len(vocabulary), np.float32),
                                 (np.arange(len(vocabulary)), target)),
                                shape=(len(vocabulary), len(names)))
    return mapping, names


def build_corpus(papers: Iterable[Paper], aliases: Mapping[str, str] | None = None,
                 keep: Iterable[str] = ()) -> Corpus:
    """Analyse every paper and build the merged count and TF-IDF matrices.

    Phrases used by one paper only are dropped, except the phrase keys in `keep` (keywords).
    """
    ordered = sorted(papers, key=lambda p: p.id)
    abstract, title, vocabulary, parts = _analyse(ordered)
    raw = (abstract + TITLE_WEIGHT * title).tocsr()
    tokens: Counter[str] = Counter()
    for part in parts:
        tokens.update(part.tokens)
    acronyms = [defined for part in parts for defined in part.acronyms]
    # Phrases in one paper only can neither link papers nor become tag pages: drop them early.
    raw_df = np.bincount(raw.indices, minlength=raw.shape[1])
    kept = set(keep)
    shared = np.flatnonzero((raw_df >= min(2, len(ordered)))
                            | np.fromiter((t in kept for t in vocabulary), bool, len(vocabulary)))
    raw, raw_df = raw[:, shared].tocsr(), raw_df[shared]
    vocabulary = [vocabulary[i] for i in shared]
    merges = merge_map(vocabulary, raw_df, majority_acronyms(acronyms), aliases or {}, tokens)
    mapping, names = _merge_columns(vocabulary, merges)
    counts = (raw @ mapping).tocsr()
    in_abstract = ((abstract[:, shared] @ mapping) > 0).tocsr()
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return Corpus(tuple(p.id for p in ordered), tuple(names), counts, df, _tfidf(counts),
                  tokens, merges, in_abstract)


def _tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    if counts.shape[1] == 0:
        return counts.copy()
    transformer = TfidfTransformer(sublinear_tf=True)
    return transformer.fit_transform(counts).astype(np.float32).tocsr()
