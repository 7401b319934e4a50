"""Atomic, incremental site output: unchanged files are never rewritten, failures never show.

Each `write()` compares the new bytes with the file already in `site/`: equal files are kept
(not even touched: same inode, same mtime), different or new ones go to a staging directory.
`commit()` then publishes the difference in one of two ways:

- nothing changed and nothing went away: nothing happens at all (an unchanged rebuild writes
  nothing);
- a small change (fewer changed and deleted files than kept ones): the changed files replace
  their old versions one by one with `os.replace` (each file atomic) under a journal written
  first, so a build killed half-way is rolled forward by the next `SiteWriter` on that output;
- a large change, or a writer asked for a `complete()` staging directory (the search indexer
  reads the whole site): kept files are hard-linked into staging, which replaces `site/` in
  one swap.

A build that fails before `commit()` leaves `site/` untouched. Paths are checked so nothing is
written outside the staging directory, and an existing output directory is only replaced if
litreview made it (marker file). This module does not decide what the files contain.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from .outdir import MARKER, MARKER_TEXT, check_output_dir, exchange, remove_ours, safe_parts

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent builds of one site are on you
    fcntl = None  # type: ignore[assignment]


__all__ = ["MARKER", "SiteWriter", "check_output_dir"]


def site_files(directory: Path) -> Iterator[str]:
    """Site-relative POSIX paths of the regular files under `directory` (marker excluded)."""
    stack = [("", directory)]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel + "/", Path(entry.path)))
            elif rel != MARKER and entry.is_file(follow_symlinks=False):
                yield rel


def _same_bytes(path: Path, data: bytes) -> bool:
    """True when `path` is a regular file holding exactly `data`."""
    try:
        if os.stat(path).st_size != len(data):
            return False
        return path.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def _same_file(a: Path, b: Path) -> bool:
    """True when `a` and `b` are one inode or hold the same bytes."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev):
        return True
    return sa.st_size == sb.st_size and a.read_bytes() == b.read_bytes()


class SiteWriter:
    """Collects the changed files of one build in a staging directory, then publishes them."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.staging = out.with_name(f".{out.name}.staging")
        self.journal = out.with_name(f".{out.name}.journal")
        self.count = 0
        """Files written (new or changed)."""
        self.bytes = 0
        """Bytes written."""
        self.removed: tuple[str, ...] = ()
        """Files of the previous site that the build no longer produces (set by `commit`)."""
        self._changed: set[str] = set()
        self._old: frozenset[str] | None = None
        self._kept: set[str] = set()
        self._complete = False
        self._lock = _lock(out)
        recover(out)
        remove_ours(self.staging)  # left by a killed build
        self.staging.mkdir(parents=True)
        (self.staging / MARKER).write_text(MARKER_TEXT, encoding="utf-8")

    @property
    def unchanged(self) -> int:
        """Files the build produced with the bytes they already had (left untouched)."""
        return len(self._kept)

    @property
    def changed(self) -> frozenset[str]:
        """Site-relative paths of the files written so far (new or changed)."""
        return frozenset(self._changed)

    @property
    def deleted(self) -> int:
        return len(self.removed)

    @property
    def published(self) -> tuple[str, ...]:
        """After `commit()`: every path that changed in `site/` (written or deleted), sorted."""
        return tuple(sorted(self._changed | set(self.removed)))

    def old_files(self) -> frozenset[str]:
        """The files of the current site (listed once per build)."""
        if self._old is None:
            self._old = frozenset(site_files(self.out))
        return self._old

    def differs(self, pattern: str) -> bool:
        """True when a file matching glob `pattern` was written or will be deleted so far."""
        stale = self.old_files() - self._kept - self._changed
        return any(fnmatch.fnmatchcase(rel, pattern) for rel in (*self._changed, *stale))

    def path_for(self, rel: str) -> Path:
        """The staging path of site-relative `rel`; refuses anything escaping the site."""
        return self.staging.joinpath(*safe_parts(rel.removesuffix("/")))

    def write(self, rel: str, content: str | bytes) -> None:
        """Write one file of the site (UTF-8 for text); equal bytes leave the old file alone."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        target = self.path_for(rel)
        rel = target.relative_to(self.staging).as_posix()
        if not self._complete and _same_bytes(self.out / rel, data):
            self._mark_kept(rel, target)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # In a complete() staging dir the target may be a hard link to a published file.
        target.unlink(missing_ok=True)
        target.write_bytes(data)
        self._kept.discard(rel)
        self._changed.add(rel)
        self.count += 1
        self.bytes += len(data)

    def keep(self, rel: str) -> bool:
        """Keep `rel` as it is in the current site; False (nothing kept) when it is not there.

        Only regular files found in the current site can be kept, which also makes `rel` safe.
        """
        if rel not in self.old_files():
            return False
        target = self.staging / rel
        self._mark_kept(rel, target)
        if self._complete:
            _link(self.out / rel, target)
        return True

    def keep_tree(self, rel_dir: str) -> int:
        """Keep every file under folder `rel_dir` of the current site; return how many."""
        prefix = rel_dir.strip("/") + "/"
        return sum(self.keep(rel) for rel in sorted(self.old_files()) if rel.startswith(prefix))

    def _mark_kept(self, rel: str, target: Path) -> None:
        if rel in self._changed:
            target.unlink(missing_ok=True)
            self._changed.discard(rel)
        self._kept.add(rel)

    def complete(self) -> Path:
        """Make staging a whole site (kept files hard-linked in) and return its path.

        For tools that read the finished site before it is published (the search indexer);
        they may add new files to it, never write into existing ones (those are hard links to
        the published site). `commit()` then swaps it in, unless it equals the old site.
        """
        if not self._complete:
            for rel in sorted(self._kept):
                _link(self.out / rel, self.staging / rel)
            self._complete = True
        return self.staging

    def commit(self) -> None:
        """Publish the build: nothing when nothing changed, else patch or swap `site/`."""
        if self._complete:
            self._commit_complete()
            return
        stale = sorted(self.old_files() - self._kept - self._changed)
        self.removed = tuple(stale)
        if not self._changed and not stale and (self.out / MARKER).exists():
            self.discard()
        elif len(self._kept) > len(self._changed) + len(stale) and self._patchable():
            self._patch(sorted(self._changed), stale)
        else:
            self.complete()
            self._swap()

    def _commit_complete(self) -> None:
        """Swap the complete staging dir in, or drop it when it equals the current site."""
        new = set(site_files(self.staging))
        old = self.old_files()
        self.removed = tuple(sorted(old - new))
        self._changed = {rel for rel in new - self._kept
                         if not _same_file(self.staging / rel, self.out / rel)}
        self.count = len(self._changed)
        self.bytes = sum((self.staging / rel).stat().st_size for rel in self._changed)
        if not self._changed and new == old and (self.out / MARKER).exists():
            self.discard()
        else:
            self._swap()

    def _patchable(self) -> bool:
        """True when every changed file can replace its old path (no file/folder clashes)."""
        if not (self.out / MARKER).exists():
            return False
        for rel in self._changed:
            target = self.out / rel
            if target.is_dir() or any(p.exists() and not p.is_dir()
                                      for p in target.parents if p.is_relative_to(self.out)):
                return False
        return True

    def _patch(self, changed: list[str], stale: list[str]) -> None:
        """Replace changed files and delete stale ones in place, journal first."""
        plan = {"put": changed, "delete": stale}
        tmp = self.journal.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(plan, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.journal)
        _apply_journal(self.out, self.staging, self.journal)
        self._release()

    def _swap(self) -> None:
        """Swap the staging directory into place; the old site is removed only afterwards."""
        marker = self.staging / MARKER
        if (self.out / MARKER).is_file():  # keep the published marker's inode, atomically
            spare = self.staging / f"{MARKER}.link"
            spare.unlink(missing_ok=True)
            _link(self.out / MARKER, spare)
            os.replace(spare, marker)
        if not marker.exists():
            marker.write_text(MARKER_TEXT, encoding="utf-8")
        old = self.out.with_name(f".{self.out.name}.old")
        remove_ours(old)
        if self.out.exists() and exchange(self.staging, self.out):
            remove_ours(self.staging)  # now holds the old site
        else:  # no atomic exchange here: two renames, undone by `recover` if killed between
            if self.out.exists():
                os.replace(self.out, old)
            os.replace(self.staging, self.out)
            remove_ours(old)
        self._release()

    def discard(self) -> None:
        """Drop the staging directory (after a failed build, or when nothing changed).

        A patch interrupted half-way (Ctrl-C during `commit`) is finished first: its journal
        says what the whole new site is, and half of it is already in place.
        """
        try:
            if self.journal.exists():
                _apply_journal(self.out, self.staging, self.journal)
            shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


class _DirLock:
    """An exclusive advisory lock on the output's parent folder (no lock file left behind)."""

    def __init__(self, folder: Path) -> None:
        self.fd = os.open(folder, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def close(self) -> None:
        os.close(self.fd)  # closing releases the lock


def _lock(out: Path) -> _DirLock | None:
    """Lock while building, so a second build of the same site waits for the first."""
    if fcntl is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return _DirLock(out.parent)


def _link(src: Path, dst: Path) -> None:
    """Hard-link `src` to `dst` (copy where the file system has no hard links)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def recover(out: Path) -> None:
    """Finish or undo a commit that was killed half-way, so `out` is one whole site again."""
    journal = out.with_name(f".{out.name}.journal")
    staging = out.with_name(f".{out.name}.staging")
    old = out.with_name(f".{out.name}.old")
    if journal.exists():
        _apply_journal(out, staging, journal)
    journal.with_suffix(".tmp").unlink(missing_ok=True)
    if not out.exists() and old.exists():  # killed between the two renames of a swap
        os.replace(old, out)


def _apply_journal(out: Path, staging: Path, journal: Path) -> None:
    """Carry out a patch journal; safe to repeat (what is already done is skipped)."""
    plan = json.loads(journal.read_text(encoding="utf-8"))
    for rel in plan["put"]:
        source = staging / rel
        if source.exists():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, out / rel)
    for rel in plan["delete"]:
        (out / rel).unlink(missing_ok=True)
        _remove_empty_parents(out, out / rel)
    journal.unlink()
    shutil.rmtree(staging, ignore_errors=True)


def _remove_empty_parents(out: Path, path: Path) -> None:
    for parent in path.parents:
        if parent == out or not parent.is_relative_to(out):
            return
        try:
            parent.rmdir()
        except OSError:
            return
