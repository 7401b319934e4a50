"""`litreview check`: what it finds, its exit codes and summary, the built site's links, and
that it writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.check import check_site, run_check
from generator.cli import main

from .conftest import build_pinned, site_tree
from .test_notes import LOTTERY, UNTITLED, listings_project


def check(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "-C", str(root), *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample listings with a note and a review, built into <project>/site."""
    root = listings_project(tmp_path_factory.mktemp("check") / "project", {
        "content/notes/n.md": f"---\npaper: {LOTTERY}\nstatus: read\n---\nA note[^1].\n\n"
                              "[^1]: With a footnote.\n",
        "content/reviews/r.md": f"---\ntitle: R\n---\nSee [[{LOTTERY}]].\n"})
    build_pinned(root, root / "site", search_index=False)
    return root


def test_a_clean_project_passes_with_a_summary(built: Path) -> None:
    code, output = check(built)
    assert code == 0, output
    assert "Wiki-links and note references to no paper" in output
    assert "Broken internal links in the built site" in output
    assert f"warning: neurips-statistical-learning.txt:8: {UNTITLED} has no real title" in output
    assert "no errors" in output and "1 note, 1 review" in output


def test_check_writes_nothing(built: Path) -> None:
    before = site_tree(built)
    check(built)
    assert site_tree(built) == before


@pytest.mark.parametrize(("files", "expected"), [
    pytest.param({"content/notes/x.md": "---\npaper: stabilizing-the-lotery-ticket\n---\n"},
                 f"content/notes/x.md:2: no paper 'stabilizing-the-lotery-ticket' in the "
                 f"listings; closest: {LOTTERY}", id="orphan-note"),
    pytest.param({"content/reviews/r.md": "---\n---\n\nSee [[nothing-like-this]].\n"},
                 "content/reviews/r.md:4: wiki-link [[nothing-like-this]]", id="broken-link"),
    pytest.param({"content/notes/a.md": f"---\npaper: {LOTTERY}\n---\n",
                  "content/notes/b.md": f"---\npaper: {LOTTERY}\n---\n"},
                 "content/notes/b.md:2: a second note on the same paper as content/notes/a.md",
                 id="duplicate-note"),
    pytest.param({"content/notes/a.md": f"---\npaper: {LOTTERY}\nstatus: finished\n---\n"},
                 "content/notes/a.md:3: status must be one of", id="bad-front-matter"),
    pytest.param({"content/notes/a.md": f"---\npaper: {LOTTERY}\nrelated: [no-such]\n---\n"},
                 "content/notes/a.md:3: related: no paper 'no-such'", id="bad-related"),
])
def test_errors_exit_1_and_are_located(tmp_path: Path, files: dict[str, str],
                                       expected: str) -> None:
    root = listings_project(tmp_path / "p", files)
    code, output = check(root)
    assert code == 1, output
    assert expected in " ".join(output.split()), output
    assert not (root / "site").exists(), "check never builds"


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {
        "content/notes/a.md": "---\npaper: ai-native-memory-2-0-second-me\nhide: true\n---\n",
        "content/reviews/r.md": "---\n---\n[[ai-native-memory-2-0-second-me]]\n",
        "content/reviews/notes.txt": "scratch"})
    code, output = check(root)
    assert code == 0, output
    assert "content/reviews/r.md:3: wiki-link [[ai-native-memory-2-0-second-me]]: links to a " \
           "paper hidden by a note" in " ".join(output.split())
    assert "content/reviews/notes.txt: not a Markdown file" in output
    assert "no built site here" in output


def test_broken_site_links_and_fragments_are_found(built: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    build_pinned(built, site, search_index=False)
    pages, links, issues = check_site(site, "/")
    assert issues == [] and pages > 365 and links > 5000
    (site / "papers" / LOTTERY / "index.html").unlink()
    page = site / "papers" / "k-sparse-autoencoders" / "index.html"
    page.write_text(page.read_text("utf-8").replace("</main>", '<a href="#nowhere">x</a>'
                                                    '<a href="../../nope.css">y</a></main>'),
                    encoding="utf-8")
    _, _, issues = check_site(site, "/")
    messages = sorted(i.message for i in issues)
    [gone] = [m for m in messages if m.startswith(f"link to papers/{LOTTERY}/index.html: ")]
    assert "no such file" in gone and "more links like it" in gone, "one report per target"
    assert "link to nope.css: no such file in the site" in messages
    assert ("link to papers/k-sparse-autoencoders/index.html#nowhere: no element with id "
            "'nowhere' on that page") in messages
    code, output = check(built, "-o", str(site))
    assert code == 1 and "Broken internal links in the built site" in output


def test_links_are_checked_under_a_sub_path(built: Path, tmp_path: Path) -> None:
    site = tmp_path / "sub"
    build_pinned(built, site, base_url="/my-review/", search_index=False)
    assert check_site(site, "/my-review/")[2] == []
    wrong = check_site(site, "/")[2]
    assert wrong and all("link to my-review/" in i.message for i in wrong), \
        "checked against the wrong base URL, every absolute link is broken"
    result = run_check(built, output=site, base_url="/my-review/")
    assert result.errors == 0 and result.pages_checked > 365
