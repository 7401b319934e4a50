"""The small edit between the no-op rebuild and the edited rebuild of the benchmark.

When the generator reads editors' notes (`generator/notes.py` exists), the project gets one note
before its first build and the edit changes that note's text. Until then the edit changes one
abstract in one listing file, and the table says so. This module only edits benchmark inputs.
"""

from __future__ import annotations

from pathlib import Path

from slugify import slugify

__all__ = ["edit_note_again", "edit_one_input", "prepare_note"]

NOTES_MODULE = Path(__file__).resolve().parent.parent / "generator" / "notes.py"
NOTE_EDITED = "one note edited"
LISTING_EDITED = "one listing edited (no notes yet)"
_BEFORE, _AFTER = "First reading: promising.", "Second reading: convincing."


def _first_title(listings: Path) -> str:
    first = sorted(listings.glob("*.txt"))[0]
    line = first.read_text(encoding="utf-8").splitlines()[1]
    return line.removeprefix("Subscribe")


def prepare_note(project: Path) -> str | None:
    """Write a note on the first paper if the generator reads notes; return the edit label."""
    if not NOTES_MODULE.exists():
        return None
    title = _first_title(project / "content" / "listings")
    slug = slugify(title, max_length=80, word_boundary=True)
    notes = project / "content" / "notes"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / f"{slug}.md").write_text(f"---\npaper: {slug}\n---\n\n{_BEFORE}\n",
                                      encoding="utf-8")
    return NOTE_EDITED


def edit_one_input(project: Path, note_label: str | None) -> str:
    """Make the one edit; return the label the table shows for the edited rebuild."""
    if note_label:
        note = sorted((project / "content" / "notes").glob("*.md"))[0]
        note.write_text(note.read_text(encoding="utf-8").replace(_BEFORE, _AFTER),
                        encoding="utf-8")
        return note_label
    listings = sorted((project / "content" / "listings").glob("*.txt"))
    target = listings[len(listings) // 2]
    lines = target.read_text(encoding="utf-8").split("\n")
    lines[2] += " (Edited for the benchmark.)"  # the first abstract
    target.write_text("\n".join(lines), encoding="utf-8")
    return LISTING_EDITED


def edit_note_again(project: Path) -> None:
    """A second prose edit of the note (`edit_one_input` made the first): the rebuild after
    it is the steady state, with the build before it one of the same kind."""
    note = sorted((project / "content" / "notes").glob("*.md"))[0]
    with open(note, "a", encoding="utf-8") as fh:
        fh.write("\nThird reading: the appendix holds.\n")
