"""The curated taxonomy: topics with descriptions and keywords, tag aliases, never-tags.

Read from the project's `content/taxonomy.yaml`, or the built-in one (this package's
`taxonomy.yaml`, the same file the sample project ships) when the project has none. Every
mistake is a `ContentError` naming the file and line: an unknown key (with the nearest valid
one), a wrong type, a topic without keywords, a regular expression that does not compile.
This module only reads and checks; `topics` matches papers against it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ContentError
from ..yamlfile import load_yaml

__all__ = ["OTHER", "Taxonomy", "Topic", "builtin_taxonomy_path", "load_taxonomy",
           "parse_taxonomy"]

TAXONOMY_FILE = "content/taxonomy.yaml"
OTHER = "Other"
"""The topic of papers that match no curated topic."""
OTHER_DESCRIPTION = ("Papers that match none of the curated topics. Add keywords to "
                     "content/taxonomy.yaml to place them.")
_TOP_KEYS = ("topics", "aliases", "never_tags")
_TOPIC_KEYS = ("description", "keywords", "patterns")


@dataclass(frozen=True)
class Topic:
    """A curated topic: its name, a one-paragraph description and what places a paper in it."""

    name: str
    description: str
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Taxonomy:
    """Topics in file order, tag aliases (variant -> preferred spelling) and never-tags."""

    topics: tuple[Topic, ...]
    aliases: tuple[tuple[str, str], ...] = ()
    never_tags: tuple[str, ...] = ()

    def description(self, name: str) -> str:
        if name == OTHER:
            return OTHER_DESCRIPTION
        return next((t.description for t in self.topics if t.name == name), "")


def builtin_taxonomy_path() -> Path:
    return Path(__file__).with_name("taxonomy.yaml")


def load_taxonomy(root: Path) -> Taxonomy:
    """The project's taxonomy, or the built-in one when `content/taxonomy.yaml` is absent."""
    path = root / TAXONOMY_FILE
    if path.is_file():
        return parse_taxonomy(path.read_text(encoding="utf-8", errors="replace"), TAXONOMY_FILE)
    builtin = builtin_taxonomy_path()
    return parse_taxonomy(builtin.read_text(encoding="utf-8"), "taxonomy.yaml (built-in)")


def _item_lines(text: str) -> dict[str, int]:
    """Line of every mapping key and sequence item, by path ("topics.X.patterns[2]")."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node | None, prefix: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                path = f"{prefix}.{key.value}" if prefix else str(key.value)
                lines[path] = key.start_mark.line + 1
                walk(value, path)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{prefix}[{i}]"] = item.start_mark.line + 1
                walk(item, f"{prefix}[{i}]")

    walk(yaml.compose(text, Loader=yaml.SafeLoader), "")
    return lines


class _Reader:
    """Checks values against the expected shapes, raising located errors."""

    def __init__(self, path: str, lines: dict[str, int]) -> None:
        self.path, self.lines = path, lines

    def fail(self, where: str, message: str) -> ContentError:
        return ContentError(self.path, self.lines.get(where), message)

    def keys(self, data: Any, where: str, valid: tuple[str, ...]) -> dict[str, Any]:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise self.fail(where, f"{where or 'the file'} must be a mapping")
        for key in data:
            if key not in valid:
                close = difflib.get_close_matches(str(key), valid, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(valid)}"
                raise self.fail(f"{where}.{key}" if where else str(key),
                                f"unknown key {key!r}{hint}")
        return data

    def strings(self, data: Any, where: str) -> tuple[str, ...]:
        if data is None:
            return ()
        if isinstance(data, str):
            data = [data]
        if not isinstance(data, list):
            raise self.fail(where, f"{where} must be a list of strings")
        for i, item in enumerate(data):
            if not isinstance(item, (str, int, float)) or not str(item).strip():
                raise self.fail(f"{where}[{i}]", f"{where} item {i + 1} must be a non-empty "
                                                 f"string, not {item!r}")
        return tuple(str(item).strip() for item in data)


def _topic(reader: _Reader, name: str, data: Any) -> Topic:
    where = f"topics.{name}"
    if name == OTHER:
        raise reader.fail(where, f"{OTHER!r} is reserved for papers that match no topic")
    data = reader.keys(data, where, _TOPIC_KEYS)
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise reader.fail(where, f"topic {name!r} needs a description (one paragraph)")
    keywords = reader.strings(data.get("keywords"), f"{where}.keywords")
    sources = reader.strings(data.get("patterns"), f"{where}.patterns")
    if not keywords and not sources:
        raise reader.fail(where, f"topic {name!r} needs keywords or patterns")
    patterns = []
    for i, source in enumerate(sources):
        try:
            patterns.append(re.compile(source, re.IGNORECASE))
        except re.error as exc:
            raise reader.fail(f"{where}.patterns[{i}]",
                              f"bad regular expression {source!r}: {exc}") from None
    return Topic(str(name), " ".join(description.split()), keywords, tuple(patterns))


def parse_taxonomy(text: str, path: str) -> Taxonomy:
    """Parse and check a taxonomy file's text (`path` names it in errors)."""
    data, _ = load_yaml(text, path)
    reader = _Reader(path, _item_lines(text))
    data = reader.keys(data, "", _TOP_KEYS)
    topics = reader.keys(data.get("topics"), "topics", tuple(map(str, data.get("topics") or ())))
    aliases = reader.keys(data.get("aliases"), "aliases",
                          tuple(map(str, data.get("aliases") or ())))
    pairs = [(variant, str(preferred)) for preferred, variants in aliases.items()
             for variant in reader.strings(variants, f"aliases.{preferred}")]
    return Taxonomy(tuple(_topic(reader, str(n), d) for n, d in topics.items()), tuple(pairs),
                    reader.strings(data.get("never_tags"), "never_tags"))
