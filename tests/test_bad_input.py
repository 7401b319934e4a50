"""Broken listing files: each gives the right papers plus a located warning, or a clear error
for that file alone, and the rest of the build goes on; `--strict` makes any warning fatal.

The cases start from the real sample listings (`neurips-epoch.txt`: 10 entries, titles on lines
8, 15, 22, ..., abstracts on lines 12, 19, 26, ...; the spaced Hugging Face listing: 49 entries)
and damage them the way files saved by hand get damaged. Big inputs (a 20 MB line, 100,000
entries) are generated here into memory or tmp_path, not committed.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import cli
from generator.cli import main
from generator.errors import ContentError, UsageError
from generator.model import Issue
from generator.sources import MAX_LINE, decode, parse_text, read_listing

from .conftest import LISTINGS, PINNED_EPOCH, build_pinned, site_tree, write_project

EPOCH = (LISTINGS / "neurips-epoch.txt").read_text(encoding="utf-8")
SPACED = (LISTINGS / "hf-papers-representations-and-neuroimaging.txt").read_text(encoding="utf-8")
EPOCH_TITLES = [p.title for p in parse_text(EPOCH, "x").papers]
PDF = (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
       b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
       b"%%EOF\n")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _with_line(text: str, number: int, new: str | None) -> str:
    """`text` with line `number` replaced by `new` (removed when None)."""
    lines = _lines(text)
    lines[number - 1 : number] = [] if new is None else [new]
    return "\n".join(lines)


def _cut_at(text: str, line: int, keep: int) -> str:
    """`text` cut after `keep` characters of line `line` (a file saved half-way)."""
    lines = _lines(text)
    return "\n".join(lines[: line - 1] + [lines[line - 1][:keep]])


def _bad_utf8() -> bytes:
    data = EPOCH.encode("utf-8")
    at = data.index(b"We derive")  # line 12
    return data[:at] + b"\xff\xfe" + data[at:]


def _big_abstract() -> bytes:
    return _with_line(EPOCH, 19, "We study a thing. " * 1_200_000).encode()


# (bytes, titles read, (line, words) of the one issue, or None for no issue, error?)
Case = tuple[Callable[[], bytes], list[str], tuple[int | None, str] | None, bool]
CASES: dict[str, Case] = {
    "empty": (lambda: b"", [], (None, "empty"), True),
    "whitespace-only": (lambda: b" \r\n\t\n", [], (None, "empty"), True),
    "binary": (lambda: bytes(range(256)) * 64, [], (None, "binary"), True),
    "png-renamed": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(200), [], (None, "PNG"), True),
    "pdf-renamed": (lambda: PDF, [], (None, "PDF"), True),
    "invalid-utf8": (_bad_utf8, EPOCH_TITLES,
                     (12, f"byte offset {EPOCH.encode().index(b'We derive')};"), False),
    "utf16-bom": (lambda: EPOCH.encode("utf-16"), EPOCH_TITLES, None, False),
    "utf16-be-bom": (lambda: codecs.BOM_UTF16_BE + EPOCH.encode("utf-16-be"), EPOCH_TITLES,
                     None, False),
    "utf16-no-bom": (lambda: EPOCH.encode("utf-16-le"), EPOCH_TITLES, (None, "UTF-16-LE"),
                     False),
    "utf8-bom-crlf": (lambda: codecs.BOM_UTF8 + EPOCH.replace("\n", "\r\n").encode(),
                      EPOCH_TITLES, None, False),
    "old-mac-cr": (lambda: EPOCH.replace("\n", "\r").encode(), EPOCH_TITLES, None, False),
    "windows-1252": (lambda: EPOCH.replace("We ", "Wé ").encode("cp1252", errors="replace"),
                     EPOCH_TITLES, (5, "Windows-1252"), False),
    "nul-and-controls": (lambda: _with_line(EPOCH, 22, "Auto-Compressing\x00 Net\x07works")
                         .encode(), EPOCH_TITLES, (22, "2 control"), False),
    "20mb-single-line": (lambda: b"lorem ipsum " * 1_750_000, [], (None, "no known layout"),
                         True),
    "20mb-abstract": (_big_abstract, EPOCH_TITLES, (19, f"cut to the first {MAX_LINE:,}"),
                      False),
    "cut-mid-abstract": (lambda: _cut_at(EPOCH, 40, 200).encode(), EPOCH_TITLES[:5],
                         (40, "ends in the middle of an abstract"), False),
    "cut-mid-title": (lambda: _cut_at(EPOCH, 43, 20).encode(),
                      [*EPOCH_TITLES[:5], EPOCH_TITLES[5][:20]], (43, "has no abstract"), False),
    "title-without-abstract": (lambda: _with_line(EPOCH, 26, None).encode(), EPOCH_TITLES,
                               (22, "has no abstract"), False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_broken_file_gives_its_papers_and_a_located_issue(name: str, tmp_path: Path) -> None:
    make, titles, expected, error = CASES[name]
    path = tmp_path / f"{name}.txt"
    path.write_bytes(make())
    listing = read_listing(path)
    assert [p.title for p in listing.papers] == titles
    located = [(i.line, i.error) for i in listing.issues if expected and expected[1] in i.message]
    if expected is None:
        assert listing.issues == ()
    else:
        assert (expected[0], error) in located, [str(i) for i in listing.issues]
        assert all(i.path == path.name for i in listing.issues)
    if titles == EPOCH_TITLES and name != "title-without-abstract":
        original = parse_text(EPOCH, path.name).papers
        assert [p.sources for p in listing.papers] == [p.sources for p in original]


def test_the_huge_abstract_is_cut_but_every_other_field_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(_big_abstract())
    papers = read_listing(path).papers
    assert len(papers[1].abstract) == MAX_LINE and papers[1].title == EPOCH_TITLES[1]
    assert papers[2].abstract == parse_text(EPOCH, "x").papers[2].abstract


def test_huggingface_listing_cut_inside_a_metadata_block() -> None:
    lines = _lines(SPACED)
    dot = max(i for i, line in enumerate(lines) if line.strip() == "·")
    listing = parse_text("\n".join(lines[: dot + 1]), "cut.txt")
    assert len(listing.papers) == 49
    (issue,) = listing.issues
    assert issue.line == dot + 1 and "no date after '·'" in issue.message


def test_hundred_thousand_entries_in_one_file() -> None:
    lines = ["Get trending papers in your email inbox!"]
    for i in range(100_000):
        lines.append(("Subscribe" if i == 0 else "") + f"Paper number {i}: small things")
        lines.append(f"We study small thing number {i} in depth and report what we found.")
    listing = parse_text("\n".join(lines), "big.txt")
    assert (listing.layout, len(listing.papers), listing.issues) == (
        "huggingface-compact", 100_000, ())
    last = listing.papers[-1]
    assert last.title == "Paper number 99999: small things" and last.sources[0].line == 200_000


def test_huge_numbers_in_metadata_are_not_counts() -> None:
    text = ("Get trending papers in your email inbox!\nSubscribeA Title\n"
            + "An abstract of sufficient length to be read as prose. " * 2
            + "\n• " + "9" * 5000 + " authors\n·\nMar 3, 2025 " + "1" * 5000 + "\n")
    (paper,) = parse_text(text, "x.txt").papers
    assert paper.authors_count is None and paper.upvotes is None


def test_decode_locates_invalid_utf8_by_byte_offset_and_line() -> None:
    text, issues = decode("café\nstill ok\n".encode() + b"\xc3(\n\xff", "f.txt")
    assert text == "café\nstill ok\n\ufffd(\n\ufffd"
    assert issues == [Issue("f.txt", 3, "invalid UTF-8 at byte offset 15 and 1 more place(s); "
                                        "undecodable bytes replaced with U+FFFD")]


def _run(root: Path, *args: str):
    return CliRunner().invoke(main, ["build", "-C", str(root), "--no-search", *args],
                              env={"SOURCE_DATE_EPOCH": PINNED_EPOCH})


@pytest.fixture
def broken_project(tmp_path: Path) -> Path:
    files = {f"content/listings/{name}.txt": make()
             for name, (make, *_) in CASES.items() if not name.startswith("20mb")}
    files["content/listings/good.txt"] = EPOCH.replace("Diversity", "Variety")
    return write_project(tmp_path / "project", files)


def test_the_build_goes_on_past_every_broken_file(broken_project: Path) -> None:
    result = _run(broken_project)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    for name, (_, _, expected, error) in CASES.items():
        if expected and not name.startswith("20mb"):
            label = "error" if error else "warning"
            where = f"{name}.txt:{expected[0]}" if expected[0] else f"{name}.txt"
            assert f"{label}: {where}: " in result.output, name
    papers = (broken_project / "site" / "papers.json").read_text(encoding="utf-8")
    assert "Variety Is All You Need" in papers and "Auto-Compressing Networks" in papers


def test_strict_makes_any_warning_fatal_and_writes_nothing(broken_project: Path) -> None:
    result = _run(broken_project, "--strict")
    assert result.exit_code == 1
    assert "invalid-utf8.txt:12: invalid UTF-8" in result.output
    assert "warning(s) are fatal" in result.output and "Traceback" not in result.output
    assert not (broken_project / "site").exists()
    clean = write_project(broken_project.parent / "clean", {"content/listings/a.txt": EPOCH})
    assert _run(clean, "--strict").exit_code == 0


# The command line: a message and an exit code, never a traceback ----------------------------

def _alias_bomb(levels: int) -> str:
    """A YAML flow list of a few hundred characters whose aliases expand to 2**levels values."""
    nested = ", ".join(f"&s{i} [*s{i - 1}, *s{i - 1}]" for i in range(1, levels))
    return f"[&s0 [1, 1], {nested}, *s{levels - 1}]"


@pytest.mark.parametrize(("text", "line", "words"), [
    pytest.param("title: a\ntitle: b\n", 2, "duplicate key 'title' (first given on line 1)",
                 id="duplicate-key"),
    pytest.param("related:\n\tcount: 3\n", 2, "indent with spaces, not tabs", id="tab"),
    pytest.param('title: !!python/object/apply:os.system ["touch pwned"]\n', 1,
                 "tags such as !!python/... are not allowed", id="python-tag"),
    pytest.param("title: [unclosed\n", 2, "check the indentation and quoting", id="syntax"),
    pytest.param('per_page: "50"\n', 1, "write it like `per_page: 50`", id="wrong-type"),
    pytest.param("titel: x\n", 1, "did you mean 'title'?", id="unknown-key"),
    pytest.param("a: &a {x: 1, y: 1}\nb: &b {p: *a, q: *a}\nc: {p: *b, q: *b}\n", 1,
                 "unknown key a", id="aliases"),
    pytest.param(f"title: {_alias_bomb(40)}\n", 1, "more than 20,000 values once its aliases",
                 id="alias-bomb"),
    pytest.param("title: " + "[" * 50_000 + "]" * 50_000 + "\n", 1,
                 "lists and mappings nested more than 64 deep", id="deep-nesting"),
])
def test_bad_config_names_file_line_and_the_fix(tmp_path: Path, text: str, line: int,
                                                words: str) -> None:
    root = write_project(tmp_path / "p", {"litreview.yaml": text, "content/listings/a.txt": EPOCH})
    result = _run(root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"litreview.yaml:{line}: " in result.output and words in result.output
    assert not (root / "site").exists() and not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("field", ["tags", "title", "related", "status"])
@pytest.mark.parametrize(("value", "words"), [
    pytest.param(_alias_bomb(40), "more than 20,000 values once its aliases", id="alias-bomb"),
    pytest.param("{a: " * 5_000 + "1" + "}" * 5_000, "nested more than 64 deep", id="deep"),
])
def test_hostile_yaml_in_a_note_is_a_located_error(tmp_path: Path, field: str, value: str,
                                                   words: str) -> None:
    """A note of a few hundred bytes that would expand to 2**40 values or crash libyaml's
    composer is refused at once, naming the note and the line."""
    root = write_project(tmp_path / "p", {
        "content/listings/a.txt": EPOCH,
        "content/notes/n.md": f"---\npaper: x\n{field}: {value}\n---\nProse.\n"})
    result = _run(root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "content/notes/n.md:" in result.output and words in result.output


def test_file_names_cannot_send_escape_codes_to_the_terminal(tmp_path: Path) -> None:
    """A file named with terminal escape sequences (clear the screen, set the title) is
    printed with its control characters shown as U+FFFD."""
    evil = "evil\x1b[2J\x1b]0;pwned\x07"
    root = write_project(tmp_path / "p", {"content/listings/a.txt": EPOCH,
                                          f"content/listings/{evil}.txt": PDF,
                                          f"content/notes/{evil}.md": "---\ntitel: x\n---\n"})
    result = _run(root)
    assert result.exit_code == 1 and "\x1b" not in result.output and "\x07" not in result.output
    assert "content/notes/evil\ufffd[2J\ufffd]0;pwned\ufffd.md:2: unknown key" in result.output


def test_links_out_of_the_project_are_not_read(tmp_path: Path) -> None:
    """A listing or note that is a symbolic link to a file elsewhere (a committed link to a
    secret) is an error for that file and is never read; a link within the project is
    followed; a template or theme asset linking out stops the build, as the site would
    publish it."""
    outside = write_project(tmp_path / "elsewhere", {"secret.txt": EPOCH, "secret.md": "x"})
    root = write_project(tmp_path / "p", {"content/listings/a.txt": SPACED,
                                          "data/epoch.txt": EPOCH})
    (root / "content/listings/secret.txt").symlink_to(outside / "secret.txt")
    (root / "content/listings/epoch.txt").symlink_to(root / "data/epoch.txt")
    (root / "content/notes").mkdir()
    (root / "content/notes/secret.md").symlink_to(outside / "secret.md")
    result = _run(root)
    assert result.exit_code == 0, result.output
    assert "secret.txt: a symbolic link to a file outside the project; skipped" in result.output
    assert "content/notes/secret.md: a symbolic link to a file outside" in result.output
    listed = {p.name for p in (root / "site/listings").iterdir()}
    assert "epoch-txt" in listed and not any("secret" in name for name in listed)
    (root / "templates/static").mkdir(parents=True)
    for template in ("templates/static/key.txt", "templates/base.html"):
        (root / template).symlink_to(outside / "secret.md")
        result = _run(root)
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"{template}: a symbolic link to a file outside the project" in result.output
        (root / template).unlink()
    assert not (root / "site/assets/key.txt").exists()


def test_what_is_not_a_listing_is_reported_not_silently_dropped(tmp_path: Path) -> None:
    """A saved HTML page, a PDF or a folder of listings in content/listings/ is never read:
    each is a warning naming it (fatal with --strict); hidden files and backups are ignored."""
    root = write_project(tmp_path / "p", {"content/listings/a.txt": EPOCH,
                                          "content/listings/daily.html": "<html>x</html>",
                                          "content/listings/paper.pdf": PDF,
                                          "content/listings/2025/b.txt": SPACED,
                                          "content/listings/.DS_Store": b"\0\1",
                                          "content/listings/a.txt~": EPOCH})
    (root / "content/listings/gone.txt").symlink_to(root / "nowhere.txt")
    result = _run(root)
    assert result.exit_code == 0, result.output
    for where in ("daily.html", "paper.pdf"):
        assert f"warning: content/listings/{where}: not a listing file (.txt, .text or .md); " \
            "ignored" in result.output, where
    assert "warning: content/listings/gone.txt: a symbolic link to nothing" in result.output
    assert "warning: content/listings/2025/: a folder: listings in folders are not read" \
        in result.output
    assert ".DS_Store" not in result.output and "a.txt~" not in result.output
    assert {p.name for p in (root / "site/listings").iterdir() if p.is_dir()} == {"a-txt"}
    assert _run(root, "--strict").exit_code == 1


@pytest.mark.parametrize(("raised", "code", "words"), [
    pytest.param(RuntimeError("boom"), 1, "internal error: RuntimeError: boom", id="bug"),
    pytest.param(PermissionError(13, "Permission denied", "/srv/site"), 1,
                 "cannot access /srv/site: Permission denied", id="os-error"),
    pytest.param(KeyboardInterrupt(), 130, "interrupted", id="ctrl-c"),
    pytest.param(ContentError("[bold]a[/].txt", 3, "[red]x[/]"), 1, "[bold]a[/].txt:3: [red]x[/]",
                 id="markup-in-message"),
    pytest.param(UsageError("refusing to build into /"), 2, "refusing to build into /",
                 id="usage"),
])
def test_every_failure_is_a_message_and_an_exit_code(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path, raised: BaseException,
                                                     code: int, words: str) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(cli, "build", fail)
    result = _run(tmp_path)
    assert result.exit_code == code and words in result.output, result.output
    assert "Traceback" not in result.output


def test_same_site_after_rename_reorder_and_new_mtimes(tmp_path: Path) -> None:
    """Reading order follows content, not names or mtimes: only the renamed name changes."""
    old, new = "hf-papers-representations-and-neuroimaging.txt", "a-neuroimaging.txt"
    names = sorted(p.name for p in LISTINGS.iterdir())
    a = write_project(tmp_path / "a", {f"content/listings/{n}": (LISTINGS / n).read_bytes()
                                       for n in names})
    b = write_project(tmp_path / "b", {})
    for i, n in enumerate(reversed(names)):  # other creation order, other mtimes
        path = b / "content" / "listings" / (new if n == old else n)
        write_project(b, {path.relative_to(b).as_posix(): (LISTINGS / n).read_bytes()})
        os.utime(path, (1_000_000 * (i + 1), 1_000_000 * (i + 1)))
    for root in (a, b):
        build_pinned(root, root / "site", search_index=False)
    rename = {old.encode(): new.encode(),
              old.replace(".", "-").encode(): new.replace(".", "-").encode()}
    expected = {}
    for rel, data in site_tree(a / "site").items():
        for before, after in rename.items():
            rel, data = rel.replace(before.decode(), after.decode()), data.replace(before, after)
        expected[rel] = data
    actual = site_tree(b / "site")
    assert sorted(actual) == sorted(expected)
    # Only the lists of listings sorted by name may order the renamed one differently.
    by_name = {"index.html", "listings/index.html", "sitemap.xml"}
    assert [r for r in actual if r not in by_name and actual[r] != expected[r]] == []
    items = re.compile(rb"\n|(?=<li)")  # list items, one per line or all on one line
    assert all(sorted(items.split(actual[r])) == sorted(items.split(expected[r]))
               for r in by_name)
