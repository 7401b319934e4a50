"""Check and stabilise a Pagefind bundle: complete on disk, and the same bytes for the same pages.

`bundle_problem()` says what is wrong with a written bundle, or None: Pagefind's service answers
"written" while its last writes may still be in flight (tokio files are not flushed), so a
caller waits until every file is non-empty, the entry file parses and the meta and filter
indexes decompress before it stops the service.

`stabilise_bundle()` makes the bundle byte-reproducible. Pagefind (1.5) writes each filter's
values in hash-map order, which changes from run to run (Pagefind issue #638: fragments became
stable in 1.3, filter and meta indexes did not). It rewrites every `filter/*.pf_filter` with
its values sorted by name, renames it by the hash of its new content (Pagefind's own scheme:
SHA-1 of the CBOR body, bytes printed in hex without zero padding), and re-keys the language
meta file and `pagefind-entry.json` to match. Sorted values also make the filter lists in the
search UI alphabetical. It checks the format first and changes nothing when the bundle is not
in the layout it knows (another Pagefind version): the index still works, it is just not
reproducible.

This module does not run Pagefind and does not touch fragments or word indexes.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import cbor2

__all__ = ["bundle_problem", "stabilise_bundle"]

SIGNATURE = b"pagefind_dcd"
ENTRY = "pagefind-entry.json"
FILTERS = 3
"""Position of the `[[filter name, file hash], ...]` list in a language meta file."""


class UnknownLayout(Exception):
    """The bundle is not in the layout this module knows; leave it as Pagefind wrote it."""


def bundle_problem(bundle: Path) -> str | None:
    """What makes the written bundle incomplete (first problem found), or None when it is whole."""
    try:
        empty = sorted(f.name for f in bundle.rglob("*") if f.is_file() and f.stat().st_size == 0)
        if empty:
            return f"empty file {empty[0]}"
        json.loads((bundle / ENTRY).read_text(encoding="utf-8"))
        # Files past tokio's 2 MiB write buffer can be cut short, not only empty: gzip notices.
        for index in sorted([*bundle.glob("*.pf_meta"), *bundle.glob("filter/*.pf_filter")]):
            gzip.decompress(index.read_bytes())
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def stabilise_bundle(bundle: Path) -> bool:
    """Rewrite the filter indexes of `bundle` in sorted order; False if its layout is unknown."""
    try:
        entry = json.loads((bundle / ENTRY).read_text(encoding="utf-8"))
        writes: dict[Path, bytes] = {}
        removals: set[Path] = set()
        for language in entry["languages"].values():
            language["hash"] = _stabilise_language(bundle, language["hash"], writes, removals)
    except (OSError, ValueError, KeyError, TypeError, UnknownLayout, cbor2.CBORError):
        return False
    for path in sorted(removals | set(writes)):
        path.unlink(missing_ok=True)  # new files, never writes into an existing (linked) one
    for path, data in sorted(writes.items()):
        path.write_bytes(data)
    text = json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
    (bundle / ENTRY).unlink()
    (bundle / ENTRY).write_text(text, encoding="utf-8")
    return True


def _stabilise_language(bundle: Path, meta_hash: str, writes: dict[Path, bytes],
                        removals: set[Path]) -> str:
    """Plan the sorted filter files and the re-keyed meta of one language; return its hash."""
    meta_path = bundle / f"pagefind.{meta_hash}.pf_meta"
    meta = _read(meta_path)
    if not isinstance(meta, list) or len(meta) <= FILTERS or not isinstance(meta[FILTERS], list):
        raise UnknownLayout(meta_path.name)
    filters = []
    for name, filter_hash in meta[FILTERS]:
        old = bundle / "filter" / f"{filter_hash}.pf_filter"
        body = _encode(_sorted_filter(_read(old)))
        new_hash = _hash_like(filter_hash, body)
        removals.add(old)
        writes[bundle / "filter" / f"{new_hash}.pf_filter"] = _pack(body)
        filters.append([name, new_hash])
    meta[FILTERS] = sorted(filters)
    body = _encode(meta)
    new_meta_hash = _hash_like(meta_hash, body)
    removals.add(meta_path)
    writes[bundle / f"pagefind.{new_meta_hash}.pf_meta"] = _pack(body)
    return new_meta_hash


def _sorted_filter(data: Any) -> list[Any]:
    """`[filter name, [[value, [page numbers]], ...]]` with the values sorted by name."""
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[1], list)
            and all(isinstance(v, list) and len(v) == 2 and isinstance(v[0], str)
                    for v in data[1])):
        raise UnknownLayout("filter file")
    return [data[0], sorted(data[1], key=lambda value: value[0])]


def _read(path: Path) -> Any:
    """Decode one gzipped, signed CBOR file; refuse encodings we could not write back alike."""
    raw = gzip.decompress(path.read_bytes())
    if not raw.startswith(SIGNATURE):
        raise UnknownLayout(f"{path.name}: no {SIGNATURE!r} signature")
    body = raw[len(SIGNATURE):]
    data = cbor2.loads(body)
    if _encode(data) != body:
        raise UnknownLayout(f"{path.name}: CBOR written differently from cbor2")
    return data


def _encode(data: Any) -> bytes:
    return cbor2.dumps(data)


def _pack(body: bytes) -> bytes:
    return gzip.compress(SIGNATURE + body, compresslevel=9, mtime=0)


def _hash_like(old: str, body: bytes) -> str:
    """`en_1a2b3c4` style name of `body`: the old language prefix, same number of digits."""
    prefix, _, digits = old.rpartition("_")
    if not prefix or not digits:
        raise UnknownLayout(f"file hash {old!r}")
    text = "".join(f"{byte:x}" for byte in hashlib.sha1(body).digest())
    return f"{prefix}_{text[:len(digits)]}"
