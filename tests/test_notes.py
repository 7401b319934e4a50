"""Editors' notes: parsing with located errors, each field's effect on the sample listings, the
overrides reaching every output, sanitising, and `litreview new-note`."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner

from generator.build import build
from generator.cli import main
from generator.errors import ContentError
from generator.model import Paper, Related, SourceRef
from generator.notes import Note, match_paper, parse_note, read_notes
from generator.overlay import Applied, pin_notes
from generator.pages import markdown_to_fields

from .conftest import LISTINGS, build_pinned, site_tree, write_project

UNTITLED = "untitled-7d27e4f4"
FIXED_TITLE = "Forgetting of Upstream Examples in Fine-Tuned Language Models"
FIXED_SLUG = "forgetting-of-upstream-examples-in-fine-tuned-language-models"
LOTTERY = "stabilizing-the-lottery-ticket-hypothesis"
K_SPARSE = "k-sparse-autoencoders"
RETRIEVAL = "retrieval-head-mechanistically-explains-long-context-factuality"
CUTTING = "cutting-off-the-head-ends-the-conflict-a-mechanism-for-interpreting-and-in"
ATTENTION = "attention-please-revisiting-attentive-probing-for-masked-image-modeling"
SECOND_ME = "ai-native-memory-2-0-second-me"
DARK_MATTER = "decomposing-the-dark-matter-of-sparse-autoencoders"
AXIOMATIC = "axiomatic-attribution-for-deep-networks"

NOTES = {
    "content/notes/fix-title.md": f"---\npaper: {UNTITLED}\ntitle: {FIXED_TITLE}\n---\n",
    "content/notes/lottery.md": """---
paper: Stabilizing the Lottery Ticket Hypothesis
tags: [lottery tickets, pruning, rewinding]
remove_tags: [Rewinding]
topics: [Editor Topic]
status: reading
rating: 3
---

# Summary

Rewinding to an early iteration $k \\ll T$ fixes late resetting, see [[k-sparse-autoencoders|the
k-sparse paper]] and `[[not-a-link]]`.

| method | works |
|---|---|
| reset to init | no |

```python
x = "[[also-not-a-link]]"
```

A claim[^1].

[^1]: The footnote.

<script>alert("note-xss")</script>
<img src="x" onerror="alert('note-xss')">
[click](javascript:alert(document.cookie))
<a href="javascript:alert('note-xss')" onclick="alert(1)">bad</a>
<iframe src="https://example.org/"></iframe>
""",
    "content/notes/pins.md": f"""---
paper: a771e6571807
tags: [Lottery Tickets]
related: [{DARK_MATTER}, Axiomatic Attribution for Deep Networks]
not_related: [{LOTTERY}]
---
""",
    "content/notes/same.md": f"---\npaper: {RETRIEVAL}\nsame_as: [{CUTTING}]\n---\n",
    "content/notes/split.md": f"""---
paper: {ATTENTION}
not_same_as: ["hf-papers-interaction-and-interpretability.txt:65"]
---
""",
    "content/notes/hide.md": f"---\npaper: {SECOND_ME}\nhide: true\n---\n",
}


def listings_project(root: Path, files: dict[str, str]) -> Path:
    """A project with the five sample listings and the given extra files."""
    shutil.copytree(LISTINGS, root / "content" / "listings")
    return write_project(root, files)


@pytest.fixture(scope="module")
def annotated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    """The sample listings with NOTES, built once: (project, site, report)."""
    root = listings_project(tmp_path_factory.mktemp("notes") / "project", NOTES)
    site = root.parent / "site"
    return root, site, build_pinned(root, site, search_index=False)


def records(site: Path) -> dict[str, dict]:
    return {r["slug"]: r for r in json.loads((site / "papers.json").read_text("utf-8"))}


def page(site: Path, slug: str) -> BeautifulSoup:
    return BeautifulSoup((site / "papers" / slug / "index.html").read_text("utf-8"),
                         "html.parser")


# ---------------------------------------------------------------- parsing


def test_a_full_note_parses_every_field() -> None:
    note = parse_note("---\npaper: some-slug\ntitle: T\ntags: [a, b, a]\nremove_tags: c\n"
                      "topics: []\nstatus: key\nrating: 5\nrelated: [x]\nnot_related: [y]\n"
                      "same_as: [z]\nnot_same_as: [l.txt:3]\nhide: false\n---\nBody\n",
                      "content/notes/n.md")
    assert (note.paper, note.title, note.tags, note.remove_tags) == ("some-slug", "T",
                                                                     ("a", "b"), ("c",))
    assert note.topics == (), "an empty topics list clears the topics (None means unset)"
    assert (note.status, note.rating, note.related, note.not_related) == ("key", 5, ("x",),
                                                                          ("y",))
    assert (note.same_as, note.not_same_as, note.hide) == (("z",), ("l.txt:3",), False)
    assert (note.body, note.body_line) == ("Body\n", 15)
    assert parse_note("---\npaper: p\n---\n", "n.md").topics is None


@pytest.mark.parametrize(("text", "line", "words"), [
    pytest.param("paper: p\n", 1, "no front matter", id="no-front-matter"),
    pytest.param("---\npaper: p\n", 1, "not closed", id="unclosed"),
    pytest.param("---\npaper: p\ntags: [a, b\n---\n", 3, "invalid YAML", id="bad-yaml"),
    pytest.param("---\n- a list\n---\n", 2, "key: value", id="not-a-mapping"),
    pytest.param("---\npaper: p\ntgas: [a]\n---\n", 3, "did you mean 'tags'", id="typo-key"),
    pytest.param("---\ntitle: t\n---\n", 1, "add `paper:", id="no-paper"),
    pytest.param("---\npaper: p\nstatus: done\n---\n", 3, "to-read, reading, read, key",
                 id="bad-status"),
    pytest.param("---\npaper: p\nrating: 6\n---\n", 3, "1 to 5", id="rating-too-high"),
    pytest.param("---\npaper: p\nrating: true\n---\n", 3, "1 to 5", id="rating-bool"),
    pytest.param("---\npaper: p\nrating: 4.5\n---\n", 3, "1 to 5", id="rating-float"),
    pytest.param("---\npaper: p\nhide: yes please\n---\n", 3, "true or false", id="bad-hide"),
    pytest.param("---\npaper: p\ntags: [{a: 1}]\n---\n", 3, "list of names", id="tag-mapping"),
    pytest.param("---\npaper: ''\n---\n", 2, "paper is empty", id="empty-paper"),
])
def test_bad_front_matter_is_located(text: str, line: int, words: str) -> None:
    with pytest.raises(ContentError) as info:
        parse_note(text, "content/notes/bad.md")
    assert (info.value.path, info.value.line) == ("content/notes/bad.md", line)
    assert words in info.value.message


def test_one_bad_note_never_hides_the_others(tmp_path: Path) -> None:
    root = write_project(tmp_path, {
        "content/notes/a-good.md": "---\npaper: p\n---\n",
        "content/notes/b-bad.md": "---\npaper: p\nrating: 9\n---\n",
        "content/notes/c-latin1.md": b"---\npaper: p\n---\ncaf\xe9\n",
        "content/notes/sub/d-nested.md": "---\npaper: q\n---\n",
        "content/notes/readme.txt": "not a note",
        "content/notes/.e-editor-backup.md": "---\n",
    })
    notes, issues = read_notes(root)
    assert [n.path for n in notes] == ["content/notes/a-good.md", "content/notes/sub/d-nested.md"]
    assert [(str(i), i.error, i.kind) for i in issues] == [
        ("content/notes/b-bad.md:3: rating must be a whole number from 1 to 5, not 9", True,
         "front matter"),
        ("content/notes/c-latin1.md:4: not UTF-8 text; save the file as UTF-8", True,
         "front matter"),
        ("content/notes/readme.txt: not a Markdown file (.md); ignored", False, "ignored"),
    ]


# ---------------------------------------------------------------- each field, every output


def test_title_fixes_a_missing_title_everywhere(annotated) -> None:
    _, site, report = annotated
    record = records(site)[FIXED_SLUG]
    assert (record["title"], record["title_missing"]) == (FIXED_TITLE, False)
    assert UNTITLED not in records(site) and not (site / "papers" / UNTITLED).exists()
    assert page(site, FIXED_SLUG).h1.get_text() == FIXED_TITLE
    meta, _ = markdown_to_fields((site / "papers" / f"{FIXED_SLUG}.md").read_text("utf-8"))
    assert (meta["title"], meta["title_missing"]) == (FIXED_TITLE, False)
    listing = (site / "listings" / "neurips-statistical-learning-txt" / "index.html")
    assert FIXED_TITLE in listing.read_text("utf-8"), "index pages show the fixed title"
    assert f"papers/{FIXED_SLUG}/" in (site / "sitemap.xml").read_text("utf-8")
    assert report.missing_titles == []


def test_tags_topics_status_rating_reach_every_output(annotated) -> None:
    _, site, _ = annotated
    record = records(site)[LOTTERY]
    assert record["tags"][:2] == ["lottery tickets", "pruning"]
    assert "rewinding" not in [t.casefold() for t in record["tags"]], "removed, any case"
    assert (record["topics"], record["status"], record["rating"]) == (["Editor Topic"],
                                                                      "reading", 3)
    meta, body = markdown_to_fields((site / "papers" / f"{LOTTERY}.md").read_text("utf-8"))
    assert (meta["tags"], meta["topics"]) == (record["tags"], ["Editor Topic"])
    assert (meta["status"], meta["rating"]) == ("reading", 3)
    assert "## Notes" in body and "Rewinding to an early iteration" in body
    assert "[[" not in body.replace("`[[not-a-link]]`", "").replace('"[[also-not-a-link]]"', "")
    soup = page(site, LOTTERY)
    assert soup.select_one(".notes .status").get_text() == "reading"
    assert soup.select_one(".notes .rating")["aria-label"] == "Rated 3 out of 5"
    tag_page = site / "tags" / "lottery-tickets" / "index.html"  # two notes give it a page
    topic_page = site / "topics" / "editor-topic" / "index.html"
    for index in (tag_page, topic_page):
        assert f"papers/{LOTTERY}/" in index.read_text("utf-8")


def test_note_body_renders_markdown_inside_the_searchable_article(annotated) -> None:
    _, site, _ = annotated
    notes = page(site, LOTTERY).select_one("article[data-pagefind-body] section.notes")
    assert notes.h3.get_text() == "Summary", "a note's top heading sits under 'Notes' (h2)"
    assert notes.table.find("td").get_text() == "reset to init"
    assert notes.find("code", class_="language-python") is not None
    assert notes.select_one("div.footnote li[id]") is not None
    math = notes.select_one("span.math")
    assert (math.get_text(), math["title"]) == ("k ≪ T", "k \\ll T")
    link = notes.find("a", href=f"/papers/{K_SPARSE}/")
    assert " ".join(link.get_text().split()) == "the k-sparse paper", "a link may wrap lines"
    assert link["title"] == "k-Sparse Autoencoders"
    assert "[[not-a-link]]" in notes.get_text(), "wiki-links in code stay as written"


def test_raw_html_in_a_note_is_sanitised(annotated) -> None:
    _, site, _ = annotated
    html = (site / "papers" / LOTTERY / "index.html").read_text("utf-8")
    assert "note-xss" not in html
    soup = BeautifulSoup(html, "html.parser")
    notes = soup.select_one("section.notes")
    assert notes.find(["script", "iframe", "style"]) is None
    for tag in soup.find_all(True):
        assert not any(name.startswith("on") for name in tag.attrs), tag
        for name in ("href", "src"):
            assert not str(tag.get(name, "")).strip().lower().startswith("javascript:"), tag


def test_related_pins_come_first_and_vetoes_go(annotated) -> None:
    _, site, _ = annotated
    related = records(site)[K_SPARSE]["related"]
    assert [r["slug"] for r in related[:2]] == [DARK_MATTER, AXIOMATIC]
    assert all(r["reasons"][0] == "editor's pick" for r in related[:2])
    assert LOTTERY not in [r["slug"] for r in related]
    shown = [a["href"] for a in page(site, K_SPARSE).select("section.related a.paper-link")]
    assert shown[:2] == [f"/papers/{DARK_MATTER}/", f"/papers/{AXIOMATIC}/"]


def test_pins_survive_enrichment_and_vetoes_filter_it() -> None:
    paper = Paper("T", "A", (SourceRef("l.txt", 1),), id="p", slug="t", tags=("computed", "x"),
                  topics=("Computed",),
                  related=(Related("a", 0.9, ("shared tag: x",)), Related("b", 0.8),
                           Related("c", 0.7), Related("d", 0.6)))
    note = Note("content/notes/t.md", "t", {"remove_tags": 4}, tags=("mine",),
                remove_tags=("COMPUTED", "absent"), topics=("Mine",))
    [out], issues = pin_notes([paper], [Applied(note, "p", related=("c", "z"),
                                                not_related=("b",))], count=3)
    assert (out.tags, out.topics) == (("mine", "x"), ("Mine",)), "the editor's tags first"
    assert [(r.id, r.reasons) for r in out.related] == [
        ("c", ("editor's pick",)), ("z", ("editor's pick",)), ("a", ("shared tag: x",))]
    assert out.related[0].score == 0.7, "a pick keeps its computed score"
    assert [str(i) for i in issues] == [
        "content/notes/t.md:4: remove_tags: 'absent' is not a tag of this paper"]


def test_same_as_merges_two_papers_and_keeps_the_old_name(annotated) -> None:
    _, site, _ = annotated
    all_records = records(site)
    assert CUTTING not in all_records
    merged = all_records[RETRIEVAL]
    assert len(merged["sources"]) == 2
    assert {s["listing"] for s in merged["sources"]} == {
        "hf-papers-interaction-and-interpretability.txt"}


def test_not_same_as_splits_a_wrong_merge(annotated) -> None:
    _, site, report = annotated
    all_records = records(site)
    kept = all_records[ATTENTION]
    assert kept["sources"] == [{"listing": "hf-papers-regularization-and-sparsity.txt",
                                "line": 31}]
    split = [r for r in all_records.values() if r["slug"].startswith(ATTENTION + "-")]
    assert [s["sources"] for s in split] == [[{
        "listing": "hf-papers-interaction-and-interpretability.txt", "line": 65}]]
    assert report.papers == 365 - 1 - 1 + 1, "one merged away, one hidden, one split off"


def test_hide_removes_a_paper_from_every_output(annotated) -> None:
    _, site, _ = annotated
    assert SECOND_ME not in records(site)
    assert not (site / "papers" / SECOND_ME).exists()
    assert not (site / "papers" / f"{SECOND_ME}.md").exists()
    for file in ("sitemap.xml", "feed.xml", "listings/hf-papers-interaction-and-"
                 "interpretability-txt/index.html"):
        assert SECOND_ME not in (site / file).read_text("utf-8"), file


def test_a_note_whose_paper_disappeared_is_reported_and_kept(tmp_path: Path) -> None:
    note = "---\npaper: stabilizing-the-lottery-ticket-hypotesis\nrating: 2\n---\nKeep me.\n"
    root = listings_project(tmp_path / "p", {"content/notes/gone.md": note})
    before = hashlib.sha256((root / "content/notes/gone.md").read_bytes()).hexdigest()
    report = build_pinned(root, tmp_path / "site", search_index=False)
    [issue] = [i for i in report.issues if i.kind == "orphan note"]
    assert (issue.path, issue.line, issue.error) == ("content/notes/gone.md", 2, False)
    assert f"closest: {LOTTERY}" in issue.message
    after = hashlib.sha256((root / "content/notes/gone.md").read_bytes()).hexdigest()
    assert before == after


def test_two_notes_on_one_paper_fail_the_build(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {
        "content/notes/a.md": f"---\npaper: {LOTTERY}\n---\n",
        "content/notes/b.md": "---\npaper: Stabilizing the Lottery Ticket Hypothesis\n---\n"})
    with pytest.raises(ContentError) as info:
        build_pinned(root, tmp_path / "site", search_index=False)
    assert (info.value.path, info.value.line) == ("content/notes/b.md", 2)
    assert "content/notes/a.md" in info.value.message


def test_bad_split_and_merge_references_are_errors(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {"content/notes/a.md": (
        f"---\npaper: {ATTENTION}\nnot_same_as: [nowhere.txt:1]\nsame_as: [no-such-paper]\n"
        "related: [also-missing]\n---\n")})
    report = build(root, check_only=True)
    found = sorted((i.line, i.kind, i.message.split(":")[0]) for i in report.issues
                   if i.path == "content/notes/a.md")
    assert found == [(3, "bad field", "not_same_as"), (4, "broken link", "same_as"),
                     (5, "broken link", "related")]


def test_the_build_never_writes_into_content(annotated) -> None:
    root, _, _ = annotated
    before = site_tree(root / "content")
    build_pinned(root, root.parent / "site2", search_index=False)
    assert site_tree(root / "content") == before


# ---------------------------------------------------------------- new-note


def test_match_paper_by_slug_words_and_typos(default_site) -> None:
    _, report = default_site
    papers = report.linked.papers
    assert match_paper(LOTTERY, papers)[0].slug == LOTTERY
    assert match_paper("lottery ticket", papers)[0].slug == LOTTERY
    assert match_paper("stabilising the lotery tiket", papers)[0].slug == LOTTERY
    found, candidates = match_paper("information bottleneck", papers)
    assert found is None and len(candidates) >= 3
    assert all("bottleneck" in c.title.casefold() for c in candidates[:3])


def test_new_note_writes_a_skeleton_and_never_overwrites(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {})
    runner = CliRunner()
    result = runner.invoke(main, ["new-note", "-C", str(root), "lottery", "ticket"])
    assert result.exit_code == 0, result.output
    note = root / "content" / "notes" / f"{LOTTERY}.md"
    text = note.read_text("utf-8")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta == {"paper": LOTTERY, "status": "to-read"}
    parsed = parse_note(text, "n.md")
    assert parsed.paper == LOTTERY and parsed.body.strip().startswith("<!--")
    report = build_pinned(root, tmp_path / "site", search_index=False)
    assert not [i for i in report.issues if i.path.startswith("content/")], "a clean note"
    note.write_text(text + "\nMy own words.\n", encoding="utf-8")
    again = runner.invoke(main, ["new-note", "-C", str(root), LOTTERY])
    assert again.exit_code == 2 and "already has a note" in again.output
    assert note.read_text("utf-8").endswith("My own words.\n")


def test_new_note_refuses_a_paper_noted_under_another_name(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {
        "content/notes/mine.md": "---\npaper: Stabilizing the Lottery Ticket Hypothesis\n---\n"})
    result = CliRunner().invoke(main, ["new-note", "-C", str(root), LOTTERY])
    assert result.exit_code == 2 and "content/notes/mine.md" in result.output
    assert not (root / "content" / "notes" / f"{LOTTERY}.md").exists()


def test_new_note_lists_candidates_when_ambiguous(tmp_path: Path) -> None:
    root = listings_project(tmp_path / "p", {})
    result = CliRunner().invoke(main, ["new-note", "-C", str(root), "information", "bottleneck"])
    assert result.exit_code == 2
    assert "several papers match" in result.output
    assert "how-does-information-bottleneck-help-deep-learning" in result.output
    assert not (root / "content" / "notes").exists()


def test_notes_reach_the_search_index(default_site) -> None:
    """The shipped example note: its text and status are in the paper's Pagefind record."""
    from .test_search import fragments

    site, _ = default_site
    slug = "is-this-the-subspace-you-are-looking-for-an-interpretability-illusion-for"
    [record] = [f for f in fragments(site) if f["url"].endswith(f"/papers/{slug}/")]
    assert "dormant parallel pathway" in record["content"]
    assert record["filters"]["status"] == ["key"]
