"""Load YAML with line numbers for keys, turning syntax errors into located `ContentError`s.

Only safe loading; no custom tags. Used by the config, the taxonomy and the notes' front matter.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ContentError

__all__ = ["load_yaml", "key_lines"]


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse `text`; return the data and the line of every mapping key by dotted path."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        raise ContentError(path, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ContentError(path, None, f"invalid YAML: {exc}") from None
    return data, key_lines(node, first_line)


def key_lines(node: yaml.Node | None, first_line: int = 1, prefix: str = "") -> dict[str, int]:
    """Map dotted key paths of a composed YAML node to 1-based line numbers."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}{key_node.value}"
            lines[path] = key_node.start_mark.line + first_line
            lines.update(key_lines(value_node, first_line, path + "."))
    return lines
