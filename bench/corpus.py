"""Benchmark inputs: the first N arXiv records written as compact Hugging Face listing files.

Each file starts like a saved Hugging Face papers page (`Get trending papers in your email
inbox!`, then `Subscribe` glued to the first title) and holds title line / abstract line pairs.
arXiv's hard line wraps inside titles and abstracts are joined into one line, so the real readers
parse these files exactly as they parse a saved page. This module only writes inputs; it does
not build anything.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CORPUS", "PER_FILE", "read_records", "write_listings"]

CORPUS = Path("/work/shared/data/arxiv-cs-75k.jsonl.gz")
PER_FILE = 2000
HEADER = "Get trending papers in your email inbox!"
_SPACE = re.compile(r"\s+")


def one_line(text: str) -> str:
    """Join hard-wrapped text into one line with single spaces."""
    return _SPACE.sub(" ", text).strip()


def read_records(n: int, corpus: Path = CORPUS) -> list[tuple[str, str]]:
    """The first `n` (title, abstract) pairs of the corpus, each on one line."""
    out: list[tuple[str, str]] = []
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            if len(out) >= n:
                break
            rec = json.loads(line)
            title, abstract = one_line(rec.get("title") or ""), one_line(rec.get("summary") or "")
            if title and abstract:
                out.append((title, abstract))
    if len(out) < n:
        raise SystemExit(f"{corpus} holds only {len(out)} usable records, {n} asked")
    return out


def listing_text(pairs: list[tuple[str, str]]) -> str:
    """One compact Hugging Face listing: header, `Subscribe` glued to the first title, pairs."""
    lines = [HEADER]
    for i, (title, abstract) in enumerate(pairs):
        lines.append(("Subscribe" + title) if i == 0 else title)
        lines.append(abstract)
    return "\n".join(lines) + "\n"


def chunks(pairs: list[tuple[str, str]], size: int) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    for start in range(0, len(pairs), size):
        yield start, pairs[start : start + size]


def write_listings(listings: Path, pairs: list[tuple[str, str]], per_file: int = PER_FILE
                   ) -> list[Path]:
    """Write `pairs` into `listings/` as files of `per_file` papers; return their paths."""
    listings.mkdir(parents=True, exist_ok=True)
    paths = []
    for start, chunk in chunks(pairs, per_file):
        path = listings / f"arxiv-{start + 1:05d}-{start + len(chunk):05d}.txt"
        path.write_text(listing_text(chunk), encoding="utf-8")
        paths.append(path)
    return paths
