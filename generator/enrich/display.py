"""How a normalised phrase key is shown: `large language model` -> "large language models".

Built from how the corpus writes each word: a word keeps capitals only where writers use them
inside the word ("fMRI", "LLM", "ViT") or nearly always capitalise it ("Gaussian"); the last word
is plural when writers mostly use it in the plural; two words are hyphenated when writers mostly
hyphenate them ("click-through"). Editors' preferred spellings (taxonomy aliases) win. This
module only formats; it never decides which phrases are tags.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .text import split_token, word_key

__all__ = ["Display", "WordForms", "merged_forms", "word_forms"]


@dataclass(frozen=True)
class WordForms:
    """How words are written: each word key's surface forms with counts, hyphenated pairs."""

    forms: dict[str, dict[str, int]]
    hyphens: Counter[tuple[str, str]]


def word_forms(tokens: Mapping[str, int]) -> WordForms:
    """The word forms of tokens as written, with their counts (punctuation left out)."""
    forms: defaultdict[str, dict[str, int]] = defaultdict(dict)
    hyphens: Counter[tuple[str, str]] = Counter()
    for token, count in tokens.items():
        if not token[0].isalnum():
            continue
        if "-" not in token:  # the common case: one word
            counts = forms[word_key(token)]
            counts[token] = counts.get(token, 0) + count
            continue
        words = split_token(token)
        for key, surface in words:
            counts = forms[key]
            counts[surface] = counts.get(surface, 0) + count
        for (a, _), (b, _) in zip(words, words[1:], strict=False):
            hyphens[(a, b)] += count
    return WordForms(dict(forms), hyphens)


def merged_forms(parts: Iterable[WordForms]) -> WordForms:
    """The word forms of several texts together (counts added)."""
    forms: dict[str, dict[str, int]] = {}
    hyphens: Counter[tuple[str, str]] = Counter()
    for part in parts:
        for key, counts in part.forms.items():
            found = forms.get(key)
            if found is None:
                forms[key] = dict(counts)
            else:
                for surface, count in counts.items():
                    found[surface] = found.get(surface, 0) + count
        hyphens.update(part.hyphens)
    return WordForms(forms, hyphens)


class Display:
    """Callable turning phrase keys into display text, learned from word forms."""

    def __init__(self, forms: WordForms, preferred: Mapping[str, str] | None = None,
                 phrase_df: Mapping[str, int] | None = None) -> None:
        self._forms = forms.forms
        self._hyphens = forms.hyphens
        self._preferred = dict(preferred or {})
        self._shown: dict[str, str] = {}
        self._words: dict[tuple[str, bool], str] = {}
        self._phrase_df = phrase_df or {}

    def word(self, key: str, last: bool) -> str:
        """How to write one word: in the plural when last and mostly plural; with its capitals."""
        shown = self._words.get((key, last))
        if shown is None:
            shown = self._words[(key, last)] = self._word(key, last)
        return shown

    def _word(self, key: str, last: bool) -> str:
        forms = self._forms.get(key)
        if not forms:
            return key
        by_lower: Counter[str] = Counter()
        for form, count in forms.items():
            by_lower[form.lower()] += count
        singular = [f for f in by_lower if f.replace("-", "") == key.replace("-", "")]
        plural = [f for f in by_lower if f not in singular]
        pick = max(singular or plural, key=lambda f: (by_lower[f], f))
        if last and plural:
            most_plural = max(plural, key=lambda f: (by_lower[f], f))
            if by_lower[most_plural] > sum(by_lower[f] for f in singular):
                pick = most_plural
        return _cased(pick, {f: c for f, c in forms.items() if f.lower() == pick})

    def __call__(self, key: str) -> str:
        shown = self._shown.get(key)
        if shown is None:
            shown = self._shown[key] = self._preferred.get(key) or self._compose(key)
        return shown

    def _compose(self, key: str) -> str:
        words = key.split()
        out = self.word(words[0], len(words) == 1)
        for i in range(1, len(words)):
            pair = (words[i - 1], words[i])
            hyphen = self._hyphens.get(pair, 0)
            joiner = "-" if hyphen and hyphen * 2 >= self._phrase_df.get(" ".join(pair), 0) else " "
            out += joiner + self.word(words[i], i == len(words) - 1)
        return out


def _cased(lower: str, forms: Mapping[str, int]) -> str:
    """The lower-case form, or the writers' capitals when used inside the word or nearly always."""
    best = max(forms, key=lambda f: (forms[f], f))
    total = sum(forms.values())
    if any(c.isupper() for c in best[1:]):
        return best
    capitalised = sum(c for f, c in forms.items() if f[:1].isupper())
    if capitalised >= 0.9 * total and total >= 5:
        return lower[:1].upper() + lower[1:]
    return lower
