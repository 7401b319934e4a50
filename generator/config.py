"""The project's settings: one frozen `Config` loaded from `litreview.yaml`.

Every field is optional and documented here; unknown keys and wrong types are errors that name
the file, the line and the nearest valid key. The command line's `--base-url` wins over the
file. This module does not know how the settings are used.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ContentError
from .yamlfile import load_yaml

CONFIG_FILE = "litreview.yaml"
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%-]+)*/?")
"""An origin (scheme, host, port), with an optional path: no query, fragment, quotes or space."""
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9._~%-]+")
"""A segment of `base_url`: letters, digits, `. _ ~ -` and %-escapes (a repository's name)."""


@dataclass(frozen=True)
class RelatedConfig:
    """Settings of the related-papers links."""

    count: int = 5
    """How many related papers each paper page lists (1 to 100)."""
    min_score: float = 0.12
    """Similarity (0 to 1) below which a link is too weak to show."""
    semantic_weight: float = 0.4
    """Share (0 to 1) of latent-semantic (LSA) similarity blended with TF-IDF cosine; 0: TF-IDF."""
    shared_terms: int = 3
    """How many shared distinctive terms a link's reason names (1 to 10)."""


@dataclass(frozen=True)
class TagsConfig:
    """Settings of the keyphrase tags."""

    min_per_paper: int = 3
    """Fewest tags a paper gets when its text has that many candidate phrases (1 to 20)."""
    max_per_paper: int = 8
    """Most tags a paper gets (at least min_per_paper, at most 20)."""
    min_papers: int = 2
    """A tag gets its own page when at least this many papers carry it."""


@dataclass(frozen=True)
class Config:
    """Site settings. Defaults give a working site at `/`."""

    title: str = "Literature review"
    """Site title, shown in the header and the feed."""
    description: str = "A browsable, searchable collection of paper abstracts."
    """One or two sentences shown on the home page and in meta tags."""
    base_url: str = "/"
    """Path the site is served under: `/` or `/my-review/` for a GitHub project site."""
    site_url: str = ""
    """Absolute origin (`https://user.github.io`) for the feed and sitemap; empty: paths only."""
    per_page: int = 50
    """Papers per page on topic, tag, venue and listing pages."""
    language: str = "en"
    """Language of the pages (`<html lang>`)."""
    related: RelatedConfig = field(default_factory=RelatedConfig)
    """Related-papers settings (see RelatedConfig)."""
    tags: TagsConfig = field(default_factory=TagsConfig)
    """Tag settings (see TagsConfig)."""


def _nearest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(valid)}"


def _default(f: Field) -> Any:
    """The default value of a dataclass field (calling its factory if it has one)."""
    return f.default_factory() if f.default_factory is not MISSING else f.default


def _coerce(cls: type, data: Any, path: str, lines: dict[str, int], prefix: str = "") -> Any:
    """Build dataclass `cls` from a mapping, checking keys and types."""
    if data is None:
        return cls()
    if not isinstance(data, dict):
        where = lines.get(prefix.rstrip("."))
        raise ContentError(path, where, f"{prefix.rstrip('.') or 'the file'} must be a mapping")
    valid = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in data.items():
        where = lines.get(f"{prefix}{key}")
        if key not in valid:
            hint = _nearest(str(key), list(valid))
            raise ContentError(path, where, f"unknown key {prefix}{key!s}{hint}")
        default = _default(valid[key])
        if hasattr(default, "__dataclass_fields__"):
            values[key] = _coerce(type(default), value, path, lines, f"{prefix}{key}.")
        else:
            values[key] = _check_type(value, default, path, where, f"{prefix}{key}")
    return cls(**values)


def _check_type(value: Any, default: Any, path: str, line: int | None, name: str) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
        example = f"{name.rsplit('.', 1)[-1]}: {json.dumps(default)}"
        raise ContentError(path, line, f"{name} must be a {expected.__name__}, "
                                       f"not {type(value).__name__} ({value!r}); "
                                       f"write it like `{example}`")
    return value


def normalize_base_url(base: str) -> str:
    """`my-review` or `/my-review` becomes `/my-review/`; empty becomes `/`."""
    base = base.strip().strip("/")
    return f"/{base}/" if base else "/"


def _check_enrich(config: Config, path: str, lines: dict[str, int]) -> None:
    """Ranges of the related and tags settings beyond count and min_score."""
    related, tags = config.related, config.tags
    checks = [
        ("related.semantic_weight", 0 <= related.semantic_weight <= 1, "0 to 1"),
        ("related.shared_terms", 1 <= related.shared_terms <= 10, "1 to 10"),
        ("tags.min_per_paper", 1 <= tags.min_per_paper <= 20, "1 to 20"),
        ("tags.max_per_paper", tags.min_per_paper <= tags.max_per_paper <= 20,
         "min_per_paper to 20"),
        ("tags.min_papers", tags.min_papers >= 1, "at least 1"),
    ]
    for key, ok, allowed in checks:
        if not ok:
            raise ContentError(path, lines.get(key), f"{key} must be {allowed}")


def _validate(config: Config, path: str, lines: dict[str, int]) -> Config:
    if not 1 <= config.related.count <= 100:
        raise ContentError(path, lines.get("related.count"), "related.count must be 1 to 100")
    if config.per_page < 1:
        raise ContentError(path, lines.get("per_page"), "per_page must be at least 1")
    if not 0 <= config.related.min_score <= 1:
        raise ContentError(path, lines.get("related.min_score"),
                           "related.min_score must be 0 to 1")
    _check_enrich(config, path, lines)
    if config.site_url and not _ORIGIN.fullmatch(config.site_url):
        raise ContentError(path, lines.get("site_url"),
                           "site_url must be an origin such as https://you.github.io")
    if "://" in config.base_url:
        raise ContentError(path, lines.get("base_url"), "base_url must be a path such as "
                           "/my-review/ (put https://... in site_url)")
    segments = normalize_base_url(config.base_url).strip("/")  # "" for the root, "/"
    if segments and any(s in (".", "..") or not _PATH_SEGMENT.fullmatch(s)
                        for s in segments.split("/")):
        raise ContentError(path, lines.get("base_url"), f"base_url {config.base_url!r} must be "
                           "a path such as /my-review/: letters, digits, . _ ~ - between "
                           "slashes, no . or .. segments")
    return replace(config, base_url=normalize_base_url(config.base_url),
                   site_url=config.site_url.rstrip("/"))


def load_config(root: Path, base_url: str | None = None) -> Config:
    """Read `litreview.yaml` under `root` (missing file: defaults); `base_url` overrides."""
    file = root / CONFIG_FILE
    config, lines = Config(), {}
    if file.is_file():
        text = file.read_text(encoding="utf-8", errors="replace")
        data, lines = load_yaml(text, CONFIG_FILE)
        config = _coerce(Config, data, CONFIG_FILE, lines)
    if base_url is not None:
        config = replace(config, base_url=base_url)
    return _validate(config, CONFIG_FILE, lines)
