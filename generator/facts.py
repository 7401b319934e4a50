"""Facts shown at the top of a paper page, derived from what the listings say.

- `paper_links()`: the paper's URLs, each named for what it is (arXiv abstract and PDF, code
  on GitHub and friends, a Hugging Face page, any other page), arXiv first.
- `bibtex()`: a BibTeX entry built only from what is known (title, year and month, venue,
  arXiv id, the paper's page, the organisation); no field is invented, so there is no
  `author` when the listing gave only a count.
- `topic_neighbours()`: the newer and older paper next to this one in each of its topics.

It does no I/O and renders no markup; `render` registers these for the templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .model import Paper

__all__ = ["Link", "Neighbours", "arxiv_id", "bibtex", "human_date", "paper_links",
           "topic_neighbours"]

ARXIV = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
                   r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?(?:\.pdf)?/?$", re.I)
CODE_HOSTS = {"github.com": "GitHub", "gitlab.com": "GitLab", "bitbucket.org": "Bitbucket",
              "codeberg.org": "Codeberg", "sourceforge.net": "SourceForge"}
CONFERENCE_WORDS = ("conference", "proceedings", "symposium", "workshop",
                    "neural information processing systems", "neurips", "icml", "iclr",
                    "cvpr", "iccv", "eccv", "acl", "emnlp", "naacl", "aaai", "ijcai")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


@dataclass(frozen=True)
class Link:
    """A URL of a paper, with its kind (`arxiv`, `pdf`, `code`, `page`) and a short label."""

    kind: str
    label: str
    url: str


def human_date(iso: str | None) -> str:
    """`2026-05-05` as `5 May 2026` (other text unchanged; None as empty)."""
    if not iso:
        return ""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})$", iso)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return iso
    year, month, day = (int(g) for g in match.groups())
    return f"{day} {MONTH_NAMES[month - 1]} {year}"


def arxiv_id(paper: Paper) -> str | None:
    """The arXiv identifier (without version) of the first arXiv link of `paper`, if any."""
    for url in paper.links:
        match = ARXIV.match(url)
        if match:
            return match.group("id")
    return None


def _classify(url: str) -> Link:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    match = ARXIV.match(url)
    if match:
        return Link("arxiv", f"arXiv:{match.group('id')}", url)
    if host in CODE_HOSTS:
        path = urlsplit(url).path.strip("/")
        return Link("code", f"Code on {CODE_HOSTS[host]}" + (f" ({path})" if path else ""), url)
    if host == "huggingface.co":
        return Link("page", "Hugging Face", url)
    return Link("page", host or url, url)


def paper_links(paper: Paper) -> list[Link]:
    """The paper's links, named: arXiv (with its PDF) first, then code, then other pages."""
    links = [_classify(url) for url in paper.links]
    found = arxiv_id(paper)
    if found and not any(link.url.endswith(".pdf") for link in links if link.kind == "arxiv"):
        links.append(Link("pdf", "PDF", f"https://arxiv.org/pdf/{found}"))
    order = {"arxiv": 0, "pdf": 1, "code": 2, "page": 3}
    return sorted(links, key=lambda link: order[link.kind])  # stable: listing order within


def _latex(text: str) -> str:
    """Escape the characters BibTeX or LaTeX would read as commands; keep Unicode."""
    out = []
    for ch in " ".join(text.split()):
        if ch in "&%$#_":
            out.append("\\" + ch)
        elif ch in "{}":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append("\\textbackslash{}")
        elif ch == "~":
            out.append("\\textasciitilde{}")
        elif ch == "^":
            out.append("\\textasciicircum{}")
        else:
            out.append(ch)
    return "".join(out)


def citation_key(paper: Paper) -> str:
    """`<first word of the title><year><4 hex of the id>`, e.g. `manifold2026a1b2`."""
    words = re.findall(r"[a-z0-9]+", paper.title.casefold()) if not paper.title_missing else []
    significant = [w for w in words if w not in {"a", "an", "the", "on", "of", "and"}]
    stem = (significant or words or ["paper"])[0][:20]
    return f"{stem}{paper.year or ''}{paper.id[:4]}"


def _is_conference(venue: str) -> bool:
    lowered = venue.casefold()
    return any(re.search(rf"\b{re.escape(word)}\b", lowered) for word in CONFERENCE_WORDS)


def bibtex(paper: Paper, title: str, page_url: str | None = None) -> str:
    """A BibTeX entry for `paper` from what is known; `title` is the displayed title."""
    fields: list[tuple[str, str]] = [("title", "{" + _latex(title) + "}")]
    if paper.organization:
        fields.append(("organization", _latex(paper.organization)))
    venue = paper.venue
    kind = "inproceedings" if venue and _is_conference(venue) else "misc"
    if venue:
        fields.append(("booktitle" if kind == "inproceedings" else "howpublished", _latex(venue)))
    if paper.year:
        fields.append(("year", str(paper.year)))
        if paper.date and len(paper.date) >= 7:
            fields.append(("month", MONTHS[int(paper.date[5:7]) - 1]))
    found = arxiv_id(paper)
    if found:
        fields += [("eprint", found), ("archiveprefix", "arXiv")]
    # The paper's own page: arXiv, else this site's page. Links found in an abstract are
    # mostly code and data, not the paper, so they are never its url.
    url = f"https://arxiv.org/abs/{found}" if found else page_url
    if url:
        # The url field is read verbatim; only braces would break the entry.
        fields.append(("url", url.replace("{", "%7B").replace("}", "%7D")))
    if paper.authors_count and not paper.organization:
        fields.append(("note", f"{paper.authors_count} authors"))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {_braced(name, value)}" for name, value in fields)
    return f"@{kind}{{{citation_key(paper)},\n{body}\n}}\n"


def _braced(name: str, value: str) -> str:
    """Field value: bare month macros and numbers, everything else in braces."""
    if name == "month" or value.isdigit():
        return value
    return "{" + value + "}"


@dataclass(frozen=True)
class Neighbours:
    """The papers next to one paper in one topic (newest first order)."""

    topic: Any
    """The topic's `Term`."""
    newer: Paper | None
    older: Paper | None


_POSITIONS: dict[int, tuple[Any, dict[str, int]]] = {}
"""Position of each paper id in a term, per term object (by identity: terms are immutable)."""


def _position(term: Any, paper_id: str) -> int:
    cached = _POSITIONS.get(id(term))
    if cached is None or cached[0] is not term:
        if len(_POSITIONS) > 512:  # `serve` rebuilds: forget the terms of old libraries
            _POSITIONS.clear()
        cached = (term, {pid: i for i, pid in enumerate(term.paper_ids)})
        _POSITIONS[id(term)] = cached
    return cached[1].get(paper_id, -1)


def topic_neighbours(library: Any, paper: Paper) -> list[Neighbours]:
    """For each topic of `paper`, the next newer and next older paper in that topic."""
    out = []
    for name in paper.topics:
        term = library.term("topics", name)
        at = _position(term, paper.id) if term is not None else -1
        if at < 0 or term.count < 2:
            continue
        ids = term.paper_ids
        newer = library.by_id[ids[at - 1]] if at > 0 else None
        older = library.by_id[ids[at + 1]] if at + 1 < len(ids) else None
        out.append(Neighbours(term, newer, older))
    return out
