"""Paper -> Markdown page with YAML front matter (`site/papers/<slug>.md`), and back.

The Markdown page is the portable intermediate: any static-site generator (Hugo, Jekyll) or
script can read it. Front matter is written by libyaml's emitter (PyYAML's safe dumper, fed its
events directly: the same text, without building a node per value), so no title can break out
of it (colons, newlines and `---` are quoted). `markdown_to_fields` reads a page back.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode

from .library import Library
from .model import Paper
from .reviews import backlink_records

__all__ = ["front_matter", "markdown_to_fields", "paper_to_markdown"]


def front_matter(paper: Paper, library: Library) -> dict[str, Any]:
    """The fields of a paper's front matter, in a fixed order."""
    return {
        "id": paper.id,
        "slug": paper.slug,
        "title": paper.title,
        "title_missing": paper.title_missing,
        "date": paper.date,
        "venue": paper.venue,
        "authors_count": paper.authors_count,
        "organization": paper.organization,
        "upvotes": paper.upvotes,
        "topics": list(paper.topics),
        "tags": list(paper.tags),
        "listings": list(paper.listings),
        "source_topics": list(paper.source_topics),
        "links": list(paper.links),
        "sources": [{"listing": s.listing, "line": s.line} for s in paper.sources],
        "related": [
            {"slug": library.by_id[r.id].slug, "score": round(r.score, 3),
             "reasons": list(r.reasons)}
            for r in paper.related if r.id in library.by_id
        ],
        "status": paper.status,
        "rating": paper.rating,
        "discussed_in": backlink_records(paper, library.by_id),
    }


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's safe dumper: 5x faster than PyYAML's own, which it matches except how it folds
lines holding non-BMP characters (both load back to the same values)."""
_SAFE = yaml.SafeDumper(None)
"""PyYAML's safe representer and resolver: how a value is written as a scalar, and whether
that scalar can go unquoted (for `_scalar`; never used to write)."""
_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MAP_START, _MAP_END = MappingStartEvent(None, _MAP, True, flow_style=False), MappingEndEvent()
_SEQ_START, _SEQ_END = SequenceStartEvent(None, _SEQ, True, flow_style=False), SequenceEndEvent()


def paper_to_markdown(paper: Paper, library: Library) -> str:
    """Render a paper as `---\\n<yaml>---\\n\\n<abstract>\\n`."""
    events: list[Event] = [StreamStartEvent(), DocumentStartEvent(explicit=False)]
    _events(front_matter(paper, library), events)
    events += [DocumentEndEvent(explicit=False), StreamEndEvent()]
    meta = yaml.emit(events, Dumper=_DUMPER, allow_unicode=True, width=100)
    notes = f"\n\n## Notes\n\n{paper.note}" if paper.note else ""
    return f"---\n{meta}---\n\n{paper.abstract}{notes}\n"


def _events(value: dict[str, Any] | list[Any] | tuple[Any, ...], out: list[Event]) -> None:
    """The YAML events `yaml.dump(value, default_flow_style=False, sort_keys=False)` emits for
    a value made of dicts, lists and scalars (no value appears twice: no aliases)."""
    if type(value) is dict:
        out.append(_MAP_START)
        for key, item in value.items():
            out.append(_scalar(key))
            if type(item) in _CONTAINERS:
                _events(item, out)
            else:
                out.append(_text(item))
        out.append(_MAP_END)
    else:
        out.append(_SEQ_START)
        for item in value:
            if type(item) in _CONTAINERS:
                _events(item, out)
            else:
                out.append(_text(item))
        out.append(_SEQ_END)


_CONTAINERS = frozenset({dict, list, tuple})
_STR_TAG = "tag:yaml.org,2002:str"


@functools.lru_cache(maxsize=1 << 16, typed=True)  # typed: True and 1 are two scalars
def _scalar(value: str | int | float | bool | None) -> ScalarEvent:
    """The event of one scalar, as PyYAML's serializer makes it from the representer's node:
    plain when the plain text reads back as the same type, else quoted by the emitter."""
    if type(value) is str:
        return _str_scalar(value)
    node = _SAFE.represent_data(value)
    plain = _SAFE.resolve(ScalarNode, node.value, (True, False)) == node.tag
    quoted = _SAFE.resolve(ScalarNode, node.value, (False, True)) == node.tag
    return ScalarEvent(None, node.tag, (plain, quoted), node.value, style=node.style)


def _str_scalar(value: str) -> ScalarEvent:
    """`_scalar` of text, without building a node: the safe representer writes text as a
    `str` node with the default style, and a `str` node may always be quoted."""
    plain = _SAFE.resolve(ScalarNode, value, (True, False)) == _STR_TAG
    return ScalarEvent(None, _STR_TAG, (plain, True), value, style=None)


_RESOLVED = frozenset(_SAFE.yaml_implicit_resolvers)
"""First characters of the plain scalars the resolver reads as another type ("true", "1.5",
"~", "null"...): text starting with any other character always reads back as text (unless a
resolver applies to every first character, None: then `_FAST` is off)."""
_FAST = None not in _RESOLVED
_AS_TEXT = (True, True)


def _text(value: str | int | float | bool | None) -> ScalarEvent:
    """`_scalar`, with the common case first: text that cannot resolve to another type (one
    event per value, not cached: most titles, reasons and slugs occur once)."""
    if type(value) is str and value and value[0] not in _RESOLVED and _FAST:
        return ScalarEvent(None, _STR_TAG, _AS_TEXT, value, None, None, None)
    return _scalar(value)


def markdown_to_fields(text: str) -> tuple[dict[str, Any], str]:
    """Split a Markdown page into (front matter dict, body). Inverse of `paper_to_markdown`."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end < 0:
        return {}, text
    meta = yaml.safe_load(text[4 : end + 1]) or {}
    return meta, text[end + 5 :].lstrip("\n").removesuffix("\n")
