"""Atomic, incremental site output: unchanged files are never rewritten, failures never show.

Each `write()` compares the new bytes with the file already in `site/`: equal files are kept
(not even touched: same inode, same mtime), different or new ones go to a staging directory.
`commit()` then publishes the difference in one of three ways, each one atomic step for
anyone looking at `site/`:

- nothing changed and nothing went away: nothing happens at all (an unchanged rebuild writes
  nothing);
- with a back buffer (a folder kept between builds, on the same file system: the previous
  site, which the last commit swapped out): the back buffer is brought up to date (the files
  changed by the last build and by this one, hard links for the unchanged ones) and swapped
  with `site/` in one atomic exchange. Its cost follows the size of the change, not of the site;
- otherwise, or when a writer was asked for a `complete()` staging directory (the search
  indexer reads the whole site): kept files are hard-linked into staging, which replaces
  `site/` in one swap (and becomes the next back buffer). A first build has no old site to
  keep: a child hard-links its site into the back buffer while it publishes (`backbuffer`).

After publishing, the writer keeps the list of the site's files beside the back buffer
(`sitelist`): the next process trusts it while the site's folders are untouched, instead of
listing 140,000 files of a 50,000-paper site again.

A build that fails or is killed before the swap leaves `site/` as it was; a back buffer
interrupted half-way is not trusted again (the next build swaps a complete staging folder).
Paths are checked so nothing is written outside the staging directory, and an existing output
directory is only replaced if litreview made it (marker file). This module does not decide
what the files contain.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import shutil
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from . import backbuffer, sitelist
from .outdir import (
    MARKER,
    MARKER_TEXT,
    DirLock,
    FileStat,
    Piece,
    check_output_dir,
    create_file,
    create_spliced,
    exchange,
    link,
    link_all,
    lock_output,
    make_folder,
    recover,
    remove_ours,
    safe_parts,
    same_bytes,
    same_file,
    site_files,
)

__all__ = ["MARKER", "SiteWriter", "check_output_dir", "site_files"]


class SiteWriter:
    """Collects the changed files of one build in a staging directory, then publishes them."""

    def __init__(self, out: Path, back: Path | None = None,
                 files: frozenset[str] | None = None) -> None:
        """`files`: the current site's files when the caller knows them (a `serve` session:
        what its last commit left, see `files_now`); None: the list the last commit kept
        beside the back buffer while the site's folders vouch for it (`sitelist`), else
        listed from disk."""
        self.out = out
        self.staging = out.with_name(f".{out.name}.staging")
        self.back = back
        """The previous site, kept by the last commit (None: no back buffer)."""
        self.count = 0
        """Files written (new or changed)."""
        self.bytes = 0
        """Bytes written."""
        self.removed: tuple[str, ...] = ()
        """Files of the previous site that the build no longer produces (set by `commit`)."""
        self._changed: set[str] = set()
        self._old: frozenset[str] | None = files
        self._lists = sitelist.KeptLists(back) if back is not None else None
        """The lists of the site and the back buffer kept between processes (`sitelist`)."""
        self._given = files is not None
        self._flipped: set[str] | None = None
        """After a commit through the back buffer: the paths it updated there."""
        self._swapped = False
        """True after a commit that swapped a whole new tree in."""
        self._back_is_old_site = False
        """After a swap: True when the old site was kept as the back buffer."""
        self._copy: backbuffer.BackCopy | None = None
        """A first build's back buffer, being made (`copy_back`)."""
        self._kept: set[str] = set()
        self._complete = False
        self._out, self._staging = str(out), str(self.staging)
        self._folders: set[str] = {self._staging}
        """Staging folders known to exist (in this process)."""
        self._lock: DirLock | None = lock_output(out)
        recover(out)
        self._no_site = not out.is_dir()
        """No site yet (a first build): no file to compare with."""
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
        """The files of the current site: the kept list while it is still true, else listed
        (once per build)."""
        if self._old is None:
            kept = self._lists.files(self.out) if self._lists is not None else None
            self._old = kept if kept is not None else frozenset(site_files(self.out))
        return self._old

    def published_soon(self) -> Callable[[], bool]:
        """Whether the site holds exactly the files the last commit published (the list that
        commit kept is still true, see `sitelist`), found by a forked child meanwhile: the
        function returned waits for the answer. Call it before anything else asks for the
        site's files."""
        if self._given or self._lists is None or self._old is not None:
            return lambda: False
        files = self._lists.files_soon(self.out)

        def answer() -> bool:
            self._old = self._old or files()
            return self._old is not None and self._lists is not None \
                and self._lists.site is not None
        return answer

    @property
    def files_now(self) -> frozenset[str]:
        """After `commit()`: the files of the published site."""
        return (self.old_files() - set(self.removed)) | self._changed | self._kept

    def differs(self, pattern: str) -> bool:
        """True when a file matching glob `pattern` was written or will be deleted so far."""
        stale = self.old_files() - self._kept - self._changed
        return any(fnmatch.fnmatchcase(rel, pattern) for rel in (*self._changed, *stale))

    def write(self, rel: str, content: str | bytes) -> FileStat:
        """Write one file of the site (UTF-8 for text); equal bytes leave the old file alone.
        Returns the stat the file will have once published (links and swaps keep it).

        A path written twice in one build is an error (two pages would share one address).
        """
        data = content.encode("utf-8") if isinstance(content, str) else content
        rel, parts = self._path(rel)
        kept = None if self._complete or self._no_site else same_bytes(
            os.path.join(self._out, rel), data)
        if kept is not None:
            self._kept.add(rel)
            return kept
        return self._wrote(rel, create_file(self._target(parts), data))

    def write_spliced(self, rel: str, source: Path, pieces: Sequence[Piece]) -> FileStat:
        """Write file `rel` made of `pieces`: bytes, and ranges of file `source` that the
        kernel copies (`outdir.create_spliced`). For a file known to differ from the
        published one: a note patch's papers.json, 165 MB at 50,000 papers, a line changed."""
        rel, parts = self._path(rel)
        return self._wrote(rel, create_spliced(self._target(parts), str(source), pieces))

    def _path(self, rel: str) -> tuple[str, list[str]]:
        """`rel` made safe and plain, and its parts; an error when this build wrote it."""
        parts = safe_parts(rel.removesuffix("/"))
        rel = "/".join(parts)
        if rel in self._changed:
            raise ValueError(f"two files of this build have one path: {rel}")
        return rel, parts

    def _target(self, parts: list[str]) -> str:
        """The path in staging of a new file (its folders made)."""
        folder = os.path.join(self._staging, *parts[:-1])
        make_folder(folder, self._folders)
        target = os.path.join(folder, parts[-1])
        if self._complete:  # the target may be a hard link to a published file
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)
        return target

    def _wrote(self, rel: str, stat: FileStat) -> FileStat:
        self._kept.discard(rel)
        self._changed.add(rel)
        self.count += 1
        self.bytes += stat[0]
        return stat

    def keep(self, rel: str) -> bool:
        """Keep `rel` as it is in the current site; False (nothing kept) when it is not there.

        Only regular files found in the current site can be kept, which also makes `rel` safe.
        """
        if rel not in self.old_files():
            return False
        if rel not in self._changed and not self._complete:  # the common case: no path work
            self._kept.add(rel)
            return True
        target = self.staging / rel
        self._mark_kept(rel, target)
        if self._complete:
            link(self.out / rel, target)
        return True

    def keep_all(self, rels: list[str]) -> None:
        """Keep every file of `rels`, which must all be in the current site and not written
        by this build (`keep`, for many files at once)."""
        if self._complete or not self._changed.isdisjoint(rels):
            for rel in rels:
                self.keep(rel)
            return
        self._kept.update(rels)

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
            link_all(self.out, self.staging, sorted(self._kept), self._folders)
            self._complete = True
        return self.staging

    def copy_back(self) -> None:
        """In a first build (no site yet), once every file is staged: start making the back
        buffer that the next build publishes through (`backbuffer.start`), while this one
        publishes."""
        if self._no_site and self.back is not None and self._lists is not None \
                and not self._given and self._copy is None:
            files = set(site_files(self.staging)) if self._complete else self._changed
            self._copy = backbuffer.start(self.staging, self.back, files,
                                        self._lists.back_path.with_suffix(".copy"))

    def commit(self) -> None:
        """Publish the build, then keep the list of the published site (`publish`, `close`)."""
        self.publish()
        self.close()

    def publish(self) -> None:
        """Publish the build: nothing when nothing changed, else flip or swap `site/`. The
        lock stays held: `close()` must follow (unless this raises: then it is released)."""
        try:
            self._commit()
        except BaseException:
            self._release()  # also when interrupted: the next build must not wait forever
            raise

    def close(self, then: Callable[[], object] | None = None,
              behind: Callable[[Callable[[], None]], None] | None = None) -> None:
        """After `publish`: keep the list of the published site for the next process, then run
        `then` (bookkeeping that reads that list: the build stamp), still under the lock, so
        no other build's commit comes between; then release it. `behind(work)` runs that work
        in a forked child, which inherits the lock (`BuildCache.write_behind`): this process
        is done as soon as its site is published."""
        try:
            copied = self._copied(self._swapped and not self._back_is_old_site)
            work = partial(_in_turn, self._list_now(copied), then)
            if behind is None:
                work()
            else:
                behind(work)
        finally:
            self._release()

    def _copied(self, published: bool) -> Path | None:
        """Wait for the back buffer being made (`copy_back`), and keep it when this build
        published the site it copies; where the list of the copy is, or None."""
        copy, self._copy = self._copy, None
        if copy is None or self.back is None:
            return None
        return copy.finish(self.back, self.out, published)

    def _list_now(self, copied: Path | None = None) -> Callable[[], None] | None:
        """Stamp the folders that the list of the published site needs, now (a change made
        to the site after this must show); the function returned keeps the lists
        (`sitelist.KeptLists`), None when there is nothing to keep.

        A caller that passed the files in (`serve`) keeps them in memory and would pay new
        stamps on each rebuild: then the kept lists are only dropped, when the site changed."""
        lists = self._lists
        if lists is None:
            return None
        if self._given:
            return lists.forget if self._flipped is not None or self._swapped else None
        if self._flipped is not None:
            return lists.flipped(self.out, self.files_now, self._flipped)
        if self._swapped:
            return lists.swapped(self.out, self.files_now, self._back_is_old_site, copied)
        return lists.unchanged(self.out, self.files_now)

    def _commit(self) -> None:
        if self._complete:
            self._commit_complete()
            return
        stale = sorted(self.old_files() - self._kept - self._changed)
        self.removed = tuple(stale)
        if not self._changed and not stale and (self.out / MARKER).exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        elif not self._flip(stale):
            self.complete()
            self._swap()

    def _commit_complete(self) -> None:
        """Swap the complete staging dir in, or drop it when it equals the current site."""
        new = set(site_files(self.staging))
        old = self.old_files()
        self.removed = tuple(sorted(old - new))
        self._changed = {rel for rel in new - self._kept
                         if not same_file(self.staging / rel, self.out / rel)}
        self.count = len(self._changed)
        self.bytes = sum((self.staging / rel).stat().st_size for rel in self._changed)
        if not self._changed and new == old and (self.out / MARKER).exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        else:
            self._swap()

    def _flip(self, stale: list[str]) -> bool:
        """Publish through the back buffer: update it, then exchange it with `site/`.

        False (nothing done) when there is no trustworthy back buffer.
        """
        delta = backbuffer.take_delta(self.back, self.out) if self.back is not None else None
        if delta is None or self.back is None:
            return False
        paths = set(delta) | self._changed | set(stale)
        try:
            produced = self._kept | self._changed
            backbuffer.update(self.back, paths, {  # changed files from staging, others the site's
                rel: (self.staging if rel in self._changed else self.out) / rel
                for rel in paths if rel in produced})
            if not exchange(self.back, self.out):
                return False  # no atomic exchange here: `_swap` drops the back buffer
        except OSError:  # a file where a folder must go...: the staging folder is still whole
            return False
        self._flipped = paths
        backbuffer.give_delta(self.back, self.out, self.published)
        remove_ours(self.staging)
        return True

    def _swap(self) -> None:
        """Swap the staging directory into place; the old site is removed only afterwards."""
        marker = self.staging / MARKER
        if (self.out / MARKER).is_file():  # keep the published marker's inode, atomically
            spare = self.staging / f"{MARKER}.link"
            spare.unlink(missing_ok=True)
            link(self.out / MARKER, spare)
            os.replace(spare, marker)
        if not marker.exists():
            marker.write_text(MARKER_TEXT, encoding="utf-8")
        old = self.out.with_name(f".{self.out.name}.old")
        remove_ours(old)
        self._swapped = True
        if self.back is not None and self.back.exists():
            shutil.rmtree(self.back)  # out of date, or in an unknown state
        if self.out.exists() and exchange(self.staging, self.out):
            self._keep_back()  # the staging folder now holds the old site
        else:  # no atomic exchange here: two renames, undone by `recover` if killed between
            if self.out.exists():
                os.replace(self.out, old)
            os.replace(self.staging, self.out)
            remove_ours(old)

    def _keep_back(self) -> None:
        """After a swap: keep the old site as the next back buffer, or delete it."""
        try:
            if self.back is None or os.stat(self.back.parent).st_dev != os.stat(
                    self.staging).st_dev:
                raise OSError("no back buffer on this file system")
            os.replace(self.staging, self.back)
        except OSError:
            remove_ours(self.staging)
            return
        backbuffer.give_delta(self.back, self.out, self.published)
        self._back_is_old_site = True

    def discard(self) -> None:
        """Drop the staging directory (after a failed build, or when nothing changed)."""
        try:
            self._copied(False)
            shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _in_turn(*calls: Callable[[], object] | None) -> None:
    for call in calls:
        if call is not None:
            call()
