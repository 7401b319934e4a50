"""Text analysis shared by tags and related papers: tokens, normalised keys, phrase candidates.

A paper's title and abstract become *chunks*: runs of content words between punctuation,
function words and academic boilerplate ("we propose", "results show", "state of the art").
Every word gets a normalised key (lower case, singular: `LLMs` -> `llm`); hyphenated words split
into their parts (`click-through` -> `click through`), so spelling variants share one key.
Candidate phrases are the 1- to 4-word n-grams inside a chunk, never starting or ending on a
generic word. This module is pure text processing: no corpus statistics, no scoring, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["CAN_END", "CAN_STAND_ALONE", "CAN_START", "IS_CONTENT", "MAX_WORDS", "Chunk",
           "PaperText", "analyse", "chunks_of", "is_adjective", "phrases", "singular",
           "split_token", "tokenize", "word_flags", "word_key"]

# Function words: they end a chunk (sklearn's list without its content words such as "system").
FUNCTION_WORDS = frozenset("""
a about above across after afterwards again against all almost alone along already also although
always am among amongst an and another any anyhow anyone anyway anywhere are around as at
be became because become becomes becoming been before beforehand behind being below beside besides
between beyond both but by can cannot could do does did doing done down due during each eg either
else elsewhere enough etc even ever every everyone everything everywhere except few for former
formerly from further had has have having he hence her here hereby herein hers herself him himself
his how however i ie if in into is it its itself just latter latterly least less many may me
meanwhile might more moreover most mostly much must my myself namely neither never nevertheless
next no nobody none noone nor not nothing now nowhere of off often on once one only onto or other
others otherwise our ours ourselves out over own per perhaps rather same several she should since
so some somehow someone something sometime sometimes somewhere still such than that the their
theirs them themselves then thence there thereafter thereby therefore therein thereupon these they
this those though through throughout thus to together too toward towards under until up upon us
very via was we well were what whatever when whenever where whereas whereby wherein whether which
while who whoever whole whom whose why will with within without would yet you your yours
et al eg ie http https www com org github html pdf io url textbf textit emph mathbf
mathcal mathrm cite two three four five six seven eight
nine ten hundred thousand million billion
""".split())

# Academic boilerplate verbs, adjectives and adverbs: never part of a tag, they end a chunk.
BOILERPLATE_WORDS = frozenset("""
achieve achieves achieved achieving address addresses addressed addressing allow allows allowed
apply applies applied applying approach approaches aim aims based called challenge challenges
challenging compare compared comparing comparison conduct conducted consider considered
considering consistently contribution contributions crucial current currently demonstrate
demonstrates demonstrated demonstrating design designed develop develops developed developing
different effectively efficiently enable enables enabled enabling
especially establish evaluate evaluated evaluating evaluation evaluations exhibit exhibits
existing experiment experiments experimental explore explores explored exploring extensive
extensively finally find finds first furthermore given good help helps high highly however
identify identified important improve improves improved improving include includes including
introduce introduces introduced introducing investigate investigates investigated investigating
key known large-scale lead leads leading leverage leverages leveraging limited make makes making
method methods methodology new notably novel obtain obtained offer offers outperform outperforms
outperformed outperforming paper papers perform performs performed performing performance
possible potential potentially present presents presented presenting previous prior promising
propose proposes proposed proposing provide provides provided providing recent recently reduce
reduces reduced reducing remain remains require requires required requiring respectively result
results reveal reveals revealed second show shows showed shown significant significantly
simple specifically state-of-the-art strong study studies studied substantial substantially
success successful suggest suggests superior task tasks technique techniques third towards
typically use used uses using various well-known widely work works yield yields
accurate affect affects balance balancing bound bounding can't cause causes compute computing
do does don't explain explains get gets help identify identifying mitigate mitigates mitigating
overcome overcomes reconstruct see seen take takes want wants
adapt adapting advance advancing align aligning boost boosting bridge bridging comprehensive
contemporary empower empowering enhance enhanced enhances enhancing exploit exploiting generate
generating harness harnessing incorporate incorporates incorporating maintain maintains
rethink rethinking revisit revisiting spot spotting synergize synergizing towards unleash
unleashing unlock unlocking unveil unveiling support supporting supports benefit benefits
""".split())

# Generic nouns and adjectives: allowed inside a phrase, never a tag on their own nor its edge.
GENERIC_WORDS = frozenset("""
ability accuracy analysis approach art aspect available benchmark benchmarks better case cases fine
code long short free early subject effective efficient full network bench move
learning single random diverse valid half explicit greater smaller larger better worse
input output pair practice limitation capability scenario instance target sample error law
ratio online various novel previous
class common complex concept dataset datasets data effect effectiveness efficiency example
examples existing fact factor feature features field form framework general generalization goal
great high impact information insight insights issue issues large level like low lot main
manner model models multiple need number order overall performance practical problem problems
process quality range real recent research result role scale set setting settings small
solution source specific state step strategy structure system systems terms test time tool type
types understanding value variety version view way work world
""".split())

PREFIXES = frozenset("anti auto bi co cross inter intra meta multi non post pre re self semi sub "
                     "super ultra un uni".split())
"""First parts of hyphenated words ("multi-objective"): never a phrase's last word."""

SUFFIXES = frozenset("agnostic aware based centric dependent driven free guided level like "
                     "oriented specific wise".split())
"""Last parts of hyphenated words ("distance-aware"): never a phrase's first word."""

CONNECTORS = frozenset({"of"})
"""Function words allowed inside a phrase ("mixture of experts", "chain of thought")."""

_KEEP_S = ("ss", "us", "is", "ics", "ous", "as", "ys")
_KEEP_WORDS = frozenset("series species news lens physics always perhaps".split())
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*|[^\w\s]")
_NUMBER = re.compile(r"^[\d.,]+[a-z]?$")
_ADVERB_EXCEPTIONS = frozenset("family anomaly anomaly assembly early supply reply apply "
                               "italy july butterfly monopoly".split())


@lru_cache(maxsize=1 << 18)
def singular(word: str) -> str:
    """Lower-case singular of a word by simple rules (`LLMs` -> `llm`, `queries` -> `query`)."""
    w = word.lower()
    if len(w) < 4 or w in _KEEP_WORDS or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("sses"):
        return w[:-2]
    if w.endswith("s") and not w.endswith(_KEEP_S):
        return w[:-1]
    return w


@lru_cache(maxsize=1 << 18)
def word_key(word: str) -> str:
    """The normalised key of one word (apostrophes dropped, singular, lower case)."""
    word = word.replace("’", "'").split("'")[0]
    return singular(word)


def _breaks(key: str) -> bool:
    """True for a word that ends a chunk: function word, boilerplate, number or adverb."""
    return (key in FUNCTION_WORDS or key in BOILERPLATE_WORDS or bool(_NUMBER.match(key))
            or (key.endswith("ly") and len(key) > 4 and key not in _ADVERB_EXCEPTIONS))


Chunk = tuple[str, ...]
"""A run of content words, as their keys."""


@dataclass(frozen=True)
class PaperText:
    """The analysed text of one paper: title chunks, abstract chunks, acronyms it defines."""

    title: tuple[Chunk, ...]
    abstract: tuple[Chunk, ...]
    acronyms: tuple[tuple[str, Chunk], ...] = ()


_BREAK: tuple[str, ...] = ()
_CONNECT = ("of",)
_classes: dict[str, tuple[str, ...]] = {}


def split_token(token: str) -> list[tuple[str, str]]:
    """(key, surface) of each word of a token; hyphenated tokens give one or more words.

    `self-supervised` and `multi-modal` stay one word (keyed `selfsupervised`, so they match
    the solid spelling); so do `in-context` and `trade-off` (a function word at an end); other
    compounds split (`click-through` -> `click`, `through`); a trailing boilerplate part is
    dropped (`transformer-based` -> `transformer`).
    """
    parts = [p for p in token.split("-") if p]
    if len(parts) > 1 and (parts[0].lower() in FUNCTION_WORDS
                           or word_key(parts[-1]) in FUNCTION_WORDS):
        return [("-".join(p.lower() for p in parts[:-1]) + "-" + word_key(parts[-1]), token)]
    while (len(parts) > 1 and word_key(parts[-1]) in BOILERPLATE_WORDS
           and parts[-2].lower() not in PREFIXES):  # "multi-task" stays whole
        parts.pop()
    words: list[tuple[str, str]] = []
    for part in parts:
        if words and words[-1][1].lower() in PREFIXES:
            prefix, surface = words.pop()
            words.append((prefix + word_key(part), f"{surface}-{part}"))
        else:
            words.append((word_key(part), part))
    return words


def _classify(token: str) -> tuple[str, ...]:
    """The keys of a token; `_CONNECT` for a connector; `_BREAK` when it ends a chunk."""
    lower = token.lower().replace("’", "'")
    if not token[0].isalnum() or lower in BOILERPLATE_WORDS or _contraction(lower):
        return _BREAK
    keys = tuple(key for key, _ in split_token(token))
    if len(keys) == 1 and keys[0] in CONNECTORS:
        return _CONNECT
    if len(keys) == 1 and _breaks(keys[0]):
        return _BREAK
    return keys


def _contraction(word: str) -> bool:
    """True for "don't", "it's" (not for a possessive such as "model's")."""
    return "'" in word and not word.endswith("'s") or word in ("it's", "that's", "let's")


def tokenize(text: str) -> list[str]:
    """Words (hyphenated words whole) and punctuation marks of `text`, as written."""
    return _TOKEN.findall(text)


def chunks_of(text: str | list[str]) -> tuple[Chunk, ...]:
    """Split text (or its tokens) into chunks of content words (see module docstring)."""
    tokens = tokenize(text) if isinstance(text, str) else text
    classes = _classes
    out: list[Chunk] = []
    keys: list[str] = []
    for token in tokens:
        found = classes.get(token)
        if found is None:
            found = classes[token] = _classify(token)
        if found is _BREAK or (found is _CONNECT and not keys):
            if keys:  # close the chunk (inline: this runs for most chunks of a corpus)
                while keys and keys[-1] == "of":
                    keys.pop()
                if keys:
                    out.append(tuple(keys))
                keys = []
        elif keys and keys[-1] in PREFIXES and found is not _CONNECT:
            keys[-1] += found[0]  # "self supervised" is keyed like "self-supervised"
            keys += found[1:]
        else:
            keys += found
    if keys:
        _close(out, keys)
    return tuple(out)


def _close(out: list[Chunk], keys: list[str]) -> None:
    """Append the chunk being built, without trailing connectors."""
    while keys and keys[-1] == "of":
        keys.pop()
    if keys:
        out.append(tuple(keys))


def analyse(title: list[str], abstract: list[str], text: str) -> PaperText:
    """Chunks of a paper's title and abstract tokens, with the acronyms `text` defines."""
    from .acronyms import defined_acronyms

    return PaperText(chunks_of(title), chunks_of(abstract), tuple(defined_acronyms(text)))


MAX_WORDS = 4
"""Longest candidate phrase, in words ("click through rate prediction")."""

_ADJECTIVE_ENDINGS = ("al", "ive", "ous", "able", "ible", "ful", "less", "ary", "ian", "ic", "ent",
                      "ant")
_NOUNS_LIKE_ADJECTIVES = frozenset("""
signal interval retrieval material animal proposal removal manual tutorial journal potential
terminal approval rival objective alternative derivative incentive perspective primitive
directive representative narrative logic music topic graphic agent gradient patient student
component element segment treatment experiment deployment environment alignment embedding
assessment statement judgment sentiment argument attachment engagement document content event
constraint variant participant assistant tenant dictionary boundary summary vocabulary
glossary library anniversary adversary arithmetic clinic critic epidemic ethic heuristic metric
mechanic physic robotic semantic statistic tactic basic mosaic
""".split())


def is_adjective(key: str) -> bool:
    """True for a word that looks like an adjective ("hierarchical"): never a tag alone."""
    return key.endswith(_ADJECTIVE_ENDINGS) and key not in _NOUNS_LIKE_ADJECTIVES


CAN_START, CAN_STAND_ALONE, IS_CONTENT, CAN_END = 1, 2, 4, 8
"""`word_flags` bits: a word may start a phrase, be one alone, is a content word, may end one."""
_flags: dict[str, int] = {}


def word_flags(key: str) -> int:
    """Where a word (key) may stand in a candidate phrase: `CAN_START` and friends, or'ed."""
    return _flags.get(key) or _flag(key)


def _flag(key: str) -> int:
    """Bits saying where a word may stand in a phrase (start, alone, end; content word)."""
    flag = 16  # never zero, so a cached flag is always truthy
    if (key not in FUNCTION_WORDS and key not in SUFFIXES and key not in BOILERPLATE_WORDS
            and len(key) > 1):
        flag |= CAN_START
        if key not in GENERIC_WORDS:
            flag |= IS_CONTENT
    past_participle = key.endswith("ed") and len(key) > 4 and not key.endswith("eed")
    if flag & CAN_START and not past_participle and key not in PREFIXES:
        flag |= CAN_END
        if flag & IS_CONTENT and len(key) > 2:
            flag |= CAN_STAND_ALONE
    _flags[key] = flag
    return flag


@lru_cache(maxsize=1 << 20)
def phrases(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Candidate phrase keys inside one chunk: n-grams with content words at both ends.

    A single word must be a content word of three or more characters; a longer phrase holds
    at least one content word, may end on a generic one ("language models"), but never starts
    or ends with a function word or ends on a past participle ("features learned"). Cached:
    the same chunks recur across a corpus.
    """
    get, n = _flags.get, len(keys)
    if n == 1:  # the common case, kept short
        return keys if (get(keys[0]) or _flag(keys[0])) & CAN_STAND_ALONE else ()
    flags = [get(k) or _flag(k) for k in keys]
    out = []
    for i in range(n):
        flag = flags[i]
        if not flag & CAN_START:
            continue
        phrase = keys[i]
        if flag & CAN_STAND_ALONE:
            out.append(phrase)
        content = flag & IS_CONTENT
        for j in range(i + 1, min(n, i + MAX_WORDS)):
            phrase += " " + keys[j]
            content |= flags[j] & IS_CONTENT
            if content and flags[j] & CAN_END:
                out.append(phrase)
    return tuple(out)
