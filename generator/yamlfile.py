"""Load YAML with line numbers for keys, turning syntax errors into located `ContentError`s.

Only safe loading; no custom tags. Used by the config, the taxonomy and the notes' front matter.
Hostile shapes are refused with a located error before anything walks them: nesting deeper
than `MAX_DEPTH` (libyaml's composer recurses, and would crash the process) and aliases that
expand to more than `MAX_VALUES` values (a "billion laughs" document of a few lines).
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ContentError

__all__ = ["MAX_DEPTH", "MAX_VALUES", "load_yaml", "key_lines"]

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted (front matter and settings use 3 or 4)."""
MAX_VALUES = 20_000
"""Most values a document may hold once its aliases are expanded."""


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse `text`; return the data and the line of every mapping key by dotted path."""
    _refuse_deep_nesting(text, path, first_line)
    try:
        node, data = _parse(text, _FAST_LOADER)
    except yaml.YAMLError:
        node, data = _parse_or_explain(text, path, first_line)
    if _expanded_size(node, {}) > MAX_VALUES:
        raise ContentError(path, first_line, f"more than {MAX_VALUES:,} values once its aliases "
                                             "(*name) are expanded; write the values out")
    _refuse_duplicate_keys(node, path, first_line, set())
    return data, key_lines(node, first_line)


def _refuse_deep_nesting(text: str, path: str, first_line: int) -> None:
    """Refuse lists and mappings nested deeper than `MAX_DEPTH`, reading the parser's events
    (libyaml's parser keeps its own stack; its composer would recurse). A syntax error ends the
    check: parsing reports it."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ContentError(path, event.start_mark.line + first_line,
                                       f"lists and mappings nested more than {MAX_DEPTH} deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return


def _expanded_size(node: yaml.Node | None, sizes: dict[int, int]) -> int:
    """How many values `node` holds with its aliases expanded (each node counted once: `sizes`)."""
    if node is None:
        return 0
    known = sizes.get(id(node))
    if known is None:
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        known = sizes[id(node)] = 1 + sum(_expanded_size(child, sizes) for child in children)
    return known


def _parse_or_explain(text: str, path: str, first_line: int) -> tuple[yaml.Node | None, Any]:
    """Parse with PyYAML itself, whose error messages the hints know; errors are located."""
    try:
        return _parse(text, yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        problem = exc.problem or str(exc)
        raise ContentError(path, line, f"invalid YAML: {problem}; {_hint(problem)}") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"invalid YAML: {exc}") from None


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML was built with it (about ten times faster), else PyYAML's."""


def _parse(text: str, loader_class: type) -> tuple[yaml.Node | None, Any]:
    """Compose `text` once and construct its data from the same node tree."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def _hint(problem: str) -> str:
    """How to fix the usual YAML mistakes."""
    if "\\t" in problem:  # PyYAML names a tab as '\\t'
        return "indent with spaces, not tabs"
    if "constructor" in problem:
        return "tags such as !!python/... are not allowed; write a plain value"
    return ("check the indentation and quoting of this line (quote a value that contains "
            "': ' or starts with [ { & * ! | > ' \" % @ or `)")


def _refuse_duplicate_keys(node: yaml.Node | None, path: str, first_line: int,
                           seen: set[int]) -> None:
    """A key given twice in one mapping is an error (YAML would silently keep the last)."""
    if node is None or id(node) in seen:  # aliases point at nodes already checked
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + first_line
            if key in first:
                raise ContentError(path, line, f"duplicate key {key!r} (first given on line "
                                               f"{first[key]}); keep only one")
            first[key] = line
            _refuse_duplicate_keys(value_node, path, first_line, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, path, first_line, seen)


def key_lines(node: yaml.Node | None, first_line: int = 1, prefix: str = "",
              seen: set[int] | None = None) -> dict[str, int]:
    """Map dotted key paths of a composed YAML node to 1-based line numbers.

    A node met again through an alias is not walked again: its keys keep the lines of the
    first path to it (nested aliases would otherwise make the walk exponential: a "billion
    laughs" document of a few lines)."""
    seen = set() if seen is None else seen
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode) and id(node) not in seen:
        seen.add(id(node))
        for key_node, value_node in node.value:
            path = f"{prefix}{key_node.value}"
            lines[path] = key_node.start_mark.line + first_line
            lines.update(key_lines(value_node, first_line, path + ".", seen))
    return lines
