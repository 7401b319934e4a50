"""Benchmark of `litreview serve`: time from saving a file to the rebuilt page, no-op rebuilds.

Usage: `python bench/serve_bench.py [--papers default,10000,50000] [--repeat 3] [--search]`

For each size it makes a project (`default` = the repository's own content; N = the first N
arXiv records of ../shared/data written as compact Hugging Face listings by `bench/corpus.py`,
plus one editor's note), starts a real `Preview` on a free port, and measures:

- first build: the preview's initial full build (cold caches);
- no-op rebuild (serve): a rebuild with nothing changed, warm in-memory caches;
- no-op rebuild (build): a fresh `build()` with the on-disk cache only, i.e. a second
  `litreview build` minus Python start-up and imports;
- note saved -> page: from writing a note file to the `reload` event for that paper's page
  arriving on the live-reload stream *and* the page being fetched with the new text (so the
  watcher's poll interval is included);
- listing saved -> page: the same for one abstract edited in a listing file.

Prints a table; measures, asserts nothing. Projects live under `bench/out/` (git-ignored).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus import read_records, write_listings  # noqa: E402
from generator.build import build  # noqa: E402
from generator.cache import BuildCache  # noqa: E402
from generator.serve import Preview  # noqa: E402

OUT = REPO / "bench" / "out" / "serve"
TIMEOUT = 1800.0


def make_project(size: str) -> tuple[Path, str]:
    """A fresh project for `size`; returns it and the slug of the paper that has a note."""
    root = OUT / f"project-{size}"
    shutil.rmtree(root, ignore_errors=True)
    (root / "content").mkdir(parents=True)
    if size == "default":
        shutil.copytree(REPO / "content" / "listings", root / "content" / "listings")
        if (REPO / "litreview.yaml").is_file():
            shutil.copy2(REPO / "litreview.yaml", root / "litreview.yaml")
    else:
        write_listings(root / "content" / "listings", read_records(int(size)))
    first = sorted((root / "content" / "listings").iterdir())[0]
    return root, first.name


def first_paper(preview: Preview, listing: str) -> str:
    """Slug of the first paper read from `listing` alone (the one the edits touch)."""
    records = json.loads((preview.out / "papers.json").read_text(encoding="utf-8"))
    hits = [r for r in records if [s["listing"] for s in r["sources"]] == [listing]]
    return min(hits, key=lambda r: min(s["line"] for s in r["sources"]))["slug"]


class Stream:
    """The live-reload event stream, read line by line."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
        self.conn.request("GET", parts.path + "__litreview/events")
        self.resp = self.conn.getresponse()

    def wait_for(self, page: str) -> None:
        name = ""
        for raw in self.resp:
            line = raw.decode("utf-8").strip()
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if name == "build-error":
                    raise SystemExit(f"build failed: {data}")
                if name == "reload" and (data["all"] or page in data["changed"]):
                    return


def fetch(url: str, path: str) -> bytes:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
    conn.request("GET", parts.path + path)
    body = conn.getresponse().read()
    conn.close()
    return body


def save_to_page(preview: Preview, url: str, file: Path, old: str, new: str, slug: str,
                 marker: str) -> float:
    """Seconds from saving `file` (old -> new text) to fetching the page showing `marker`."""
    stream = Stream(url)
    text = file.read_text(encoding="utf-8")
    assert old in text, (file, old)
    start = time.perf_counter()
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    stream.wait_for(f"papers/{slug}/index.html")
    body = fetch(url, f"papers/{slug}/")
    elapsed = time.perf_counter() - start
    stream.conn.close()
    if marker.encode() not in body:
        raise SystemExit(f"the page of {slug} does not show the edit")
    return elapsed


def measure(size: str, repeat: int, search: bool) -> dict[str, float | int | str]:
    root, listing = make_project(size)
    preview = Preview(root, port=0, search_index=search, log=lambda message: None)
    start = time.perf_counter()
    url = preview.start()
    first = time.perf_counter() - start
    try:
        assert preview.report is not None, "the first build failed"
        papers = preview.report.papers
        slug = first_paper(preview, listing)
        note = root / "content" / "notes" / "bench-note.md"
        note.parent.mkdir(exist_ok=True)
        note.write_text(f"---\npaper: {slug}\n---\n\nReading 0.\n", encoding="utf-8")
        preview.rebuild(["(note added)"])
        noop_serve = _median(repeat, lambda: _timed(lambda: preview.rebuild(["(bench)"])))
        noop_build = _median(repeat, lambda: _timed(
            lambda: build(root, search_index=search, cache=BuildCache(root))))
        note_times = [save_to_page(preview, url, note, f"Reading {i}.", f"Reading {i + 1}.",
                                   slug, f"Reading {i + 1}.") for i in range(repeat)]
        listing_times = [_listing_edit(preview, url, root, listing, slug, i)
                         for i in range(repeat)]
    finally:
        preview.stop()
    return {"site": size, "papers": papers, "first build": first,
            "no-op rebuild (serve)": noop_serve, "no-op rebuild (build)": noop_build,
            "note saved -> page": statistics.median(note_times),
            "listing saved -> page": statistics.median(listing_times)}


def _abstract_of(path: Path, slug: str) -> str:
    """The abstract line of the paper `slug` in listing `path` (the line after its title)."""
    from slugify import slugify

    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines[:-1]):
        title = line.removeprefix("Subscribe").strip()
        if title and slug.startswith(slugify(title, max_length=80, word_boundary=True)):
            return next(ln for ln in lines[i + 1:] if ln.strip())
    raise SystemExit(f"{slug} not found in {path}")


def _listing_edit(preview: Preview, url: str, root: Path, listing: str, slug: str,
                  i: int) -> float:
    """Append a marker sentence to the first abstract of `listing` (a new one each time)."""
    path = root / "content" / "listings" / listing
    abstract = _abstract_of(path, slug)
    marker = f"Benchmark edit {i}."
    return save_to_page(preview, url, path, abstract, f"{abstract} {marker}", slug, marker)


def _timed(action) -> float:  # noqa: ANN001 (a callable)
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _median(repeat: int, sample) -> float:  # noqa: ANN001 (a callable)
    return statistics.median(sample() for _ in range(repeat))


COLUMNS = ["site", "papers", "first build", "no-op rebuild (serve)", "no-op rebuild (build)",
           "note saved -> page", "listing saved -> page"]


def print_table(rows: list[dict[str, float | int | str]]) -> None:
    def cell(value: float | int | str) -> str:
        return f"{value:.2f} s" if isinstance(value, float) else str(value)

    widths = [max(len(c), *(len(cell(r[c])) for r in rows)) for c in COLUMNS]
    print(" | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(cell(row[c]).rjust(w) for c, w in zip(COLUMNS, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", default="default,10000,50000",
                        help="comma-separated sizes: 'default' or a number of arXiv papers")
    parser.add_argument("--repeat", type=int, default=3, help="samples per figure (median)")
    parser.add_argument("--search", action="store_true", help="build the Pagefind index too")
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1780272000")
    rows = []
    for size in args.papers.split(","):
        rows.append(measure(size.strip(), args.repeat, args.search))
        print(f"# {size}: done", file=sys.stderr, flush=True)
    print(f"machine: {os.cpu_count()} cores; search index: {'on' if args.search else 'off'}")
    print_table(rows)


if __name__ == "__main__":
    main()
