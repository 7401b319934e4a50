"""Build litreview's own Markdown pages (`site/papers/*.md`) with Hugo, for a side-by-side time.

The Hugo project is minimal but complete in the ways that cost time: one page per paper linking
its terms, the `tags`, `topics` and `listings` taxonomies with a page per term, term lists
paginated 50 to a page like litreview's, a home page listing the newest papers, and the sitemap.
RSS is off (litreview writes one feed). The layout is the fastest we found for Hugo 0.111 (see
the comments in `LAYOUTS`). The pages are hard-linked, not copied, so preparing is cheap.

Usage: `python bench/hugo.py SITE_DIR [--litreview-seconds S]` prints Hugo's time, memory and
the litreview/Hugo ratio when S is given. Needs Debian's `hugo` (`apt-get install hugo`). This
module does not build litreview sites (see `bench/run.py`).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from proc import Measured, measure, tree_size  # noqa: E402

__all__ = ["hugo_available", "make_hugo_project", "time_hugo"]

CONFIG = """\
baseURL = "/"
title = "litreview bench"
disableKinds = ["RSS"]
enableRobotsTXT = false
paginate = 50

[taxonomies]
tag = "tags"
topic = "topics"
listing = "listings"
"""

LAYOUTS = {
    "_default/baseof.html": """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ .Title }} | {{ .Site.Title }}</title></head><body>
<nav><a href="{{ "/" | relURL }}">Home</a> <a href="{{ "/tags/" | relURL }}">Tags</a>
<a href="{{ "/topics/" | relURL }}">Topics</a></nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    # Term links come from front matter: `.GetTerms` scans the taxonomy on every call in Hugo
    # 0.111 (2.4x slower at 2,000 papers); the pagination is a short nav, as in litreview,
    # not Hugo's internal template (which costs another third).
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
{{ with .Params.date }}<p>{{ . }}</p>{{ end }}
{{ range slice "tags" "topics" "listings" }}<ul>{{ $kind := . }}{{ range index $.Params . }}
<li><a href="{{ printf "/%s/%s/" $kind (. | urlize) | relURL }}">{{ . }}</a></li>{{ end }}</ul>
{{ end }}{{ .Content }}
</article>{{ end }}
""",
    "_default/list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ol>
{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ with .Params.date }}<time>{{ . }}</time>{{ end }}</li>{{ end }}</ol>
{{ with .Paginator }}<nav>{{ if .HasPrev }}<a href="{{ .Prev.URL }}">Newer</a>{{ end }}
page {{ .PageNumber }} of {{ .TotalPages }}
{{ if .HasNext }}<a href="{{ .Next.URL }}">Older</a>{{ end }}</nav>{{ end }}{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>
({{ .Count }})</li>{{ end }}</ul>{{ end }}
""",
    "index.html": """{{ define "main" }}<h1>{{ .Site.Title }}</h1><ol>
{{ range first 20 (where .Site.RegularPages "Section" "papers") }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ol>{{ end }}
""",
}


def hugo_available() -> bool:
    return shutil.which("hugo") is not None


def make_hugo_project(papers_dir: Path, dest: Path) -> int:
    """Write a Hugo project in `dest` whose content is `papers_dir/*.md`; return the page count."""
    (dest / "content" / "papers").mkdir(parents=True)
    (dest / "hugo.toml").write_text(CONFIG)
    for rel, text in LAYOUTS.items():
        path = dest / "layouts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    count = 0
    for md in sorted(papers_dir.glob("*.md")):
        os.link(md, dest / "content" / "papers" / md.name)
        count += 1
    return count


def time_hugo(papers_dir: Path, work: Path) -> tuple[Measured, int, int, int]:
    """Build `papers_dir` with Hugo in `work`; (measure, pages in, files out, bytes out)."""
    project = work / "hugo-project"
    pages = make_hugo_project(papers_dir, project)
    out = work / "hugo-public"
    result = measure(["hugo", "--quiet", "--source", str(project), "--destination", str(out)],
                     log=work / "hugo.log")
    if result.returncode != 0:
        raise SystemExit(f"hugo failed; see {work / 'hugo.log'}")
    files, size = tree_size(out)
    return result, pages, files, size


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    site = Path(argv[0])
    ours = float(argv[argv.index("--litreview-seconds") + 1]) if "--litreview-seconds" in argv \
        else None
    if not hugo_available():
        raise SystemExit("hugo is not installed (apt-get install hugo)")
    with tempfile.TemporaryDirectory(prefix="litreview-hugo-") as tmp:
        m, pages, files, size = time_hugo(site / "papers", Path(tmp))
    print(f"hugo: {pages} pages -> {files} files, {size / 1e6:.1f} MB in {m.wall_s:.2f}s wall, "
          f"{m.cpu_s:.2f}s CPU, peak RSS {m.max_rss_mib:.0f} MiB")
    if ours is not None:
        print(f"litreview/Hugo: {ours / m.wall_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
