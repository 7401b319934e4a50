"""Search-index benchmark: Pagefind index time and size for the default site and N-paper sites.

Usage: `python bench/search_bench.py [--papers 10000,50000] [--workdir DIR] [--keep]`.

For the repository's own project and for each N (the first N arXiv records written as compact
Hugging Face listings by `corpus.write_listings`), it builds the site once without the index,
then times `generator.search.build_search_index` alone on that site and prints one table:
records, bundle files, bundle MB, index seconds, and what Pagefind reads (paper page MB). This
module measures; it changes nothing in the generator. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from corpus import read_records, write_listings  # noqa: E402

from generator.build import build  # noqa: E402
from generator.search import BUNDLE_DIR, build_search_index, plan_search  # noqa: E402


def project_for(n: int, workdir: Path) -> Path:
    """A project holding the first `n` corpus papers as compact listings."""
    root = workdir / f"arxiv-{n}"
    if root.exists():
        shutil.rmtree(root)
    write_listings(root / "content" / "listings", read_records(n))
    return root


def measure(label: str, root: Path, workdir: Path) -> dict[str, str]:
    out = workdir / f"site-{label}"
    start = time.perf_counter()
    report = build(root, output=out, search_index=False)
    built = time.perf_counter() - start
    shutil.rmtree(out / BUNDLE_DIR, ignore_errors=True)
    pages = sum(f.stat().st_size for f in (out / "papers").glob("*/index.html"))
    start = time.perf_counter()
    result = build_search_index(out, plan_search())
    seconds = time.perf_counter() - start
    if not result.enabled:
        raise SystemExit(f"search is off: {result.off_reason}")
    return {"site": label, "papers": str(report.papers), "records": str(result.records),
            "paper pages MB": f"{pages / 1e6:.1f}", "index s": f"{seconds:.2f}",
            "bundle files": str(result.files), "bundle MB": f"{result.bytes / 1e6:.1f}",
            "build s (no index)": f"{built:.1f}", "Pagefind": f"{result.version} {result.backend}"}


def format_table(rows: list[dict[str, str]]) -> str:
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in cols}
    line = " | ".join(c.ljust(widths[c]) for c in cols)
    rule = "-|-".join("-" * widths[c] for c in cols)
    body = [" | ".join(r[c].rjust(widths[c]) if r[c][:1].isdigit() else r[c].ljust(widths[c])
                       for c in cols) for r in rows]
    return "\n".join([line, rule, *body])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--papers", default="10000,50000", help="comma-separated sizes")
    ap.add_argument("--workdir", type=Path, help="where projects and sites go (default: tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the workdir")
    args = ap.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="search-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        rows.append(measure("default", REPO, workdir))
        print(format_table(rows), flush=True)
        for n in (int(x) for x in args.papers.split(",") if x.strip()):
            rows.append(measure(f"arxiv {n}", project_for(n, workdir), workdir))
            print(format_table(rows[-1:]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
