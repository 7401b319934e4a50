"""Linear time on hostile input: read (decode + detect + parse) and repair, doubling the size.

Usage: `python bench/hostile_bench.py [--max-mb 20] [--max-entries 100000]`.

Each workload is run at 1/8, 1/4, 1/2 and the full size; the table prints seconds and seconds
per unit. A linear reader keeps the per-unit column flat as the size doubles; a quadratic one
doubles it. Workloads: one huge line of prose, one huge abstract inside a real listing, many
entries in the compact Hugging Face layout, and abstracts made of thousands of URLs and of
`)` runs (the old URL trimming was quadratic there). This module measures; it changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.repair import repair_listing  # noqa: E402
from generator.sources import decode, parse_text  # noqa: E402

EPOCH = (ROOT / "content" / "listings" / "neurips-epoch.txt").read_text(encoding="utf-8")
TODAY = dt.date(2026, 6, 1)


def one_line(mb: float) -> bytes:
    return b"lorem ipsum dolor " * int(mb * 1e6 / 18)


def big_abstract(mb: float) -> bytes:
    lines = EPOCH.split("\n")
    lines[18] = "We study a thing. " * int(mb * 1e6 / 18)
    return "\n".join(lines).encode()


def entries(n: int) -> bytes:
    out = ["Get trending papers in your email inbox!"]
    for i in range(n):
        out.append(("Subscribe" if i == 0 else "") + f"Paper number {i}: small things")
        out.append(f"We study small thing number {i} in depth, see https://x.org/{i}.")
    return "\n".join(out).encode()


def url_abstracts(n: int) -> bytes:
    """`n` entries whose abstracts hit the URL code hard (many URLs, long `)` runs)."""
    urls = " ".join(f"http://a.b/{i}" for i in range(3000))
    parens = "see https://example.com/a" + ")" * 60_000
    body = [f"Title {i}\n\nNeural Information Processing Systems\n\n{urls if i % 2 else parens}."
            for i in range(n)]
    return ("Goto\n\nCollaborating Authors\n\nTopic\n\n" + "\n\n".join(body)).encode()


def measure(data: bytes) -> tuple[float, float, int]:
    """Seconds to read and to repair `data`, and the papers found."""
    start = time.perf_counter()
    text, _ = decode(data, "bench.txt")
    listing = parse_text(text or "", "bench.txt")
    read = time.perf_counter() - start
    start = time.perf_counter()
    repair_listing(listing.papers, TODAY)
    return read, time.perf_counter() - start, len(listing.papers)


def rows(label: str, unit: str, make: Callable[[float], bytes], full: float) -> list[str]:
    out = []
    for fraction in (1 / 8, 1 / 4, 1 / 2, 1):
        size = full * fraction
        data = make(size if unit == "MB" else int(size))
        read, repair, papers = measure(data)
        shown = f"{size:g} MB" if unit == "MB" else f"{int(size):,} entries"
        out.append(f"| {label} | {shown} | {len(data) / 1e6:.1f} | {papers:,} | "
                   f"{read:.2f} | {read / size * (1 if unit == 'MB' else 1000):.4f} | "
                   f"{repair:.2f} | {repair / size * (1 if unit == 'MB' else 1000):.4f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-mb", type=float, default=20)
    parser.add_argument("--max-entries", type=int, default=100_000)
    args = parser.parse_args()
    print("| workload | size | MB | papers | read s | read s/unit | repair s | repair s/unit |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows("one huge line", "MB", one_line, args.max_mb)))
    print("\n".join(rows("huge abstract", "MB", big_abstract, args.max_mb)))
    print("\n".join(rows("entries (per 1k)", "entries", entries, args.max_entries)))
    print("\n".join(rows("URL-heavy abstracts (per 1k)", "entries", url_abstracts, 128)))


if __name__ == "__main__":
    main()
