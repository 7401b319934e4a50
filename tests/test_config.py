"""litreview.yaml: documented defaults, overrides, and errors that name file, line and key."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

from generator.config import CONFIG_FILE, Config, load_config, normalize_base_url
from generator.errors import ContentError

from .conftest import REPO


def _load(tmp_path: Path, text: str | None, base_url: str | None = None) -> Config:
    if text is not None:
        (tmp_path / CONFIG_FILE).write_text(text, encoding="utf-8")
    return load_config(tmp_path, base_url)


def test_missing_file_gives_documented_defaults(tmp_path: Path) -> None:
    config = _load(tmp_path, None)
    assert config == Config()
    assert (config.title, config.base_url, config.per_page) == ("Literature review", "/", 50)
    assert (config.related.count, config.related.min_score) == (5, 0.12)


def test_every_setting_is_read(tmp_path: Path) -> None:
    config = _load(tmp_path, "title: My review\ndescription: Papers.\nbase_url: my-review\n"
                             "site_url: https://me.github.io/\nper_page: 10\nlanguage: de\n"
                             "related:\n  count: 3\n  min_score: 1\n")
    assert (config.title, config.description, config.language) == ("My review", "Papers.", "de")
    assert (config.base_url, config.site_url, config.per_page) == (
        "/my-review/", "https://me.github.io", 10)
    assert (config.related.count, config.related.min_score) == (3, 1.0)


@pytest.mark.parametrize("site_url", ["https://me.github.io", "http://localhost:8000/",
                                      "https://lab.example.org/reviews/2026"])
def test_site_urls_people_use_are_accepted(tmp_path: Path, site_url: str) -> None:
    assert _load(tmp_path, f"site_url: {site_url}\nbase_url: /my.review_2~x/\n").site_url \
        == site_url.rstrip("/")


def test_command_line_base_url_wins(tmp_path: Path) -> None:
    assert _load(tmp_path, "base_url: /from-file/\n", "/cli/").base_url == "/cli/"
    assert _load(tmp_path, "base_url: /from-file/\n").base_url == "/from-file/"


@pytest.mark.parametrize(("raw", "normal"), [
    pytest.param("", "/", id="empty"),
    pytest.param("/", "/", id="root"),
    pytest.param("my-review", "/my-review/", id="bare"),
    pytest.param("/my-review", "/my-review/", id="no-trailing-slash"),
    pytest.param(" /a/b/ ", "/a/b/", id="nested-with-spaces"),
])
def test_normalize_base_url(raw: str, normal: str) -> None:
    assert normalize_base_url(raw) == normal


@pytest.mark.parametrize(("text", "line", "message"), [
    pytest.param("title: T\ntitel: typo\n", 2, "unknown key titel; did you mean 'title'?",
                 id="typo-top-level"),
    pytest.param("title: T\nrelated:\n  cont: 3\n", 3,
                 "unknown key related.cont; did you mean 'count'?", id="typo-nested"),
    pytest.param("zzz: 1\n", 1, "unknown key zzz; valid keys:", id="no-near-key"),
    pytest.param("per_page: many\n", 1, "per_page must be a int", id="wrong-type"),
    pytest.param("per_page: true\n", 1, "per_page must be a int", id="bool-is-not-int"),
    pytest.param("per_page: 0\n", 1, "per_page must be at least 1", id="per-page-zero"),
    pytest.param("related:\n  count: 500\n", 2, "related.count must be 1 to 100", id="range"),
    pytest.param("related: 5\n", 1, "related must be a mapping", id="section-not-mapping"),
    pytest.param("title: [unclosed\n", 2, "invalid YAML", id="syntax-error"),
    pytest.param("related:\n  min_score: 1.5\n", 2, "related.min_score must be 0 to 1",
                 id="score-range"),
    pytest.param("title: T\nsite_url: me.github.io\n", 2, "site_url must be an origin",
                 id="site-url-without-scheme"),
    pytest.param("base_url: https://me.github.io/r/\n", 1, "base_url must be a path",
                 id="base-url-is-a-full-url"),
    pytest.param("title: T\nbase_url: /../../\n", 2, "no . or .. segments", id="base-url-dots"),
    pytest.param("base_url: '/a b/<x>/'\n", 1, "letters, digits", id="base-url-markup"),
    pytest.param("base_url: 'javascript:alert(1)//'\n", 1, "letters, digits",
                 id="base-url-scheme-like"),
    pytest.param("site_url: 'https://x.org/p?q=<'\n", 1, "site_url must be an origin",
                 id="site-url-query"),
    pytest.param("site_url: 'https://x.org\" onload=\"x'\n", 1, "site_url must be an origin",
                 id="site-url-quote"),
])
def test_bad_settings_name_file_line_and_key(tmp_path: Path, text: str, line: int,
                                             message: str) -> None:
    with pytest.raises(ContentError) as caught:
        _load(tmp_path, text)
    assert (caught.value.path, caught.value.line) == (CONFIG_FILE, line)
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{CONFIG_FILE}:{line}: ")


def test_whole_file_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="must be a mapping"):
        _load(tmp_path, "- a\n- b\n")


def test_empty_file_is_defaults(tmp_path: Path) -> None:
    assert _load(tmp_path, "# nothing set\n") == Config()


def _setting_keys(config: object, prefix: str = "") -> list[str]:
    """Dotted keys of every setting; a nested section (`related`) lists its own keys."""
    keys = []
    for f in fields(config):  # type: ignore[arg-type]
        value = getattr(config, f.name)
        nested = is_dataclass(value)
        keys += _setting_keys(value, f"{prefix}{f.name}.") if nested else [prefix + f.name]
    return keys


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    keys = _setting_keys(Config())
    assert "related.count" in keys and "title" in keys
    assert [k for k in keys if f"`{k}`" not in readme] == [], "add them to README's table"
