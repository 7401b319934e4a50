"""The files of a published site, remembered between processes while its folders are untouched.

Listing a 50,000-paper site (140,000 files in 90,000 folders) takes seconds; a `stat` of each
folder takes a fraction of that. So right after publishing, the writer records a `SiteList`:
the site's files and the stamp (inode, mtime, ctime) of every folder holding them. A folder's
mtime and ctime move whenever an entry in it is created, deleted or renamed (and the ctime
cannot be set back by hand), and a folder made or removed changes its parent; so while every
recorded folder has its stamp, and no folder has a subfolder the list does not explain (its
link count says how many it has), the site holds exactly the recorded files. Any other state,
a missing or unreadable record, or a file system whose link counts say nothing (btrfs) means:
list the site again. A file edited in place keeps its folder's stamp; a list of names does not
care (the page memo checks each file it keeps by its own stat).

Stamping 90,000 folders again after every commit would cost most of what the list saves, so
`KeptLists` keeps two lists: the published site's and the back buffer's (the site before it,
as it was when published; see `writer`). A commit that swaps the updated back buffer in takes
the back buffer's list and re-stamps only the site folder and the folders along the paths it
updated; the old site's list becomes the back buffer's. Everything kept is checked against
the disk before it is trusted, so a list gone wrong costs a listing, never a wrong site.

This module decides nothing about which files a site has; `writer` records and trusts lists.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .parallel import exited_well, fork_is_safe, forked

__all__ = ["FolderStamp", "KeptLists", "SiteList", "folder_stamp", "folders_of", "holds_soon",
           "load", "record_path", "save", "stamped_now", "stamps_hold", "take", "updated"]

FolderStamp = tuple[int, int, int]
"""Inode, mtime and ctime (ns) of a folder."""


@dataclass(frozen=True)
class SiteList:
    """The files of a site (site-relative POSIX paths) and the stamps of their folders."""

    files: frozenset[str]
    folders: dict[str, FolderStamp]
    """Site-relative folder ("" is the site itself) -> its stamp when the list was taken."""

    def still_true(self, out: Path) -> bool:
        """True when every folder still has its stamp (the site itself first: it changes
        whenever a build publishes, so a stale list usually fails at once)."""
        top = str(out)
        return stamps_hold((f"{top}/{rel}" if rel else top, stamp)
                           for rel, stamp in self.folders.items())


def folder_stamp(st: os.stat_result) -> FolderStamp:
    """The stamp of a folder from its `stat`."""
    return (st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def stamps_hold(stamps: Iterable[tuple[str, FolderStamp]]) -> bool:
    """True when every folder (a path) still exists with its stamp; stops at the first that
    does not."""
    try:
        return all(folder_stamp(os.stat(path)) == stamp for path, stamp in stamps)
    except OSError:
        return False


def holds_soon(path: Path, out: Path) -> Callable[[], bool]:
    """Whether the list kept at `path` is still true of site `out`, answered by a forked
    child process (which loads the list too) while this one goes on (some 90,000 `stat`
    calls for 50,000 papers, a third of a second); the function returned waits for it.
    Checked when asked where forking is not plainly safe (another thread)."""
    if not fork_is_safe():
        return partial(_holds, path, out)
    return partial(exited_well, forked(partial(_holds, path, out)))


def _holds(path: Path, out: Path) -> bool:
    """Whether the list kept at `path` is still true of `out` (its files not even decoded)."""
    try:
        with open(path, "rb") as fh:
            folders = pickle.load(fh)[1]
    except Exception:  # a torn or foreign pickle is no list, whatever it raises
        return False
    return isinstance(folders, dict) and SiteList(frozenset(), folders).still_true(out)


def _moved(source: Path, target: Path) -> bool:
    """Move file `source` to `target`; False when it cannot (e.g. there is no such file)."""
    try:
        os.replace(source, target)
    except OSError:
        return False
    return True


def folders_of(files: Iterable[str]) -> set[str]:
    """Every folder holding one of `files`, and their parents up to the site ("")."""
    folders = {""}
    for rel in files:
        cut = rel.rfind("/")
        while cut > 0:
            folder = rel[:cut]
            if folder in folders:
                break
            folders.add(folder)
            cut = folder.rfind("/")
    return folders


def _parent(folder: str) -> str:
    return folder[:max(folder.rfind("/"), 0)]


def take(out: Path, files: frozenset[str]) -> SiteList | None:
    """The list of site `out`, which holds exactly `files` (the caller knows: it just
    published them); None when its folders cannot vouch for that (see `_stamped`)."""
    folders = folders_of(files)
    stamps: dict[str, FolderStamp] = {"": (0, 0, 0)}  # the site itself first: see `still_true`
    fresh = stamped_now(out, folders)
    return None if fresh is None else _stamped(
        files, stamps, fresh, Counter(_parent(f) for f in folders if f), may_vanish=False)


Fresh = dict[str, tuple[FolderStamp, int] | None]
"""Folders (site-relative) as they are now: their stamp and link count, or None (gone)."""


def stamped_now(out: Path, folders: Iterable[str]) -> Fresh | None:
    """The stamp and link count of each folder of site `out` now; None when one cannot be
    read (a missing one is None in the result)."""
    top, found = str(out), {}
    for rel in folders:
        try:
            st = os.stat(f"{top}/{rel}" if rel else top)
        except FileNotFoundError:
            found[rel] = None
            continue
        except OSError:
            return None
        found[rel] = (folder_stamp(st), st.st_nlink)
    return found


def updated(listed: SiteList, files: frozenset[str], fresh: Fresh) -> SiteList | None:
    """The list of a site that was the tree `listed` describes and has since changed only in
    its own folder and at some paths (files created, replaced or deleted, with their
    folders), and now holds exactly `files`: `fresh` has the folders along those paths
    (`stamped_now`, taken once the site was published). None when they cannot vouch for
    that (see `_stamped`)."""
    stamps = dict(listed.folders)
    for folder in fresh:  # a folder gone now is dropped below
        stamps[folder] = (0, 0, 0)
    # Inline, not `_parent`: this scans every folder of the site (90,000 at 50,000 papers).
    subfolders = Counter(p for f in stamps if (p := f[:max(f.rfind("/"), 0)]) in fresh and f)
    return _stamped(files, stamps, fresh, subfolders, may_vanish=True)


def _stamped(files: frozenset[str], stamps: dict[str, FolderStamp], fresh: Fresh,
             subfolders: Counter[str], *, may_vanish: bool) -> SiteList | None:
    """`stamps` with every folder of `fresh` stamped as it is there, as the list of `files`;
    a folder gone is dropped (`may_vanish`) or makes it None. None too when a folder's link
    count (2 + its subfolders on POSIX file systems) shows a subfolder no file explains, or
    says nothing (btrfs counts 1)."""
    links = {}
    for rel, now in fresh.items():
        if now is None:
            if not (may_vanish and rel):
                return None
            del stamps[rel]
            subfolders[_parent(rel)] -= 1
            continue
        stamps[rel], links[rel] = now
    if any(count != 2 + subfolders[rel] for rel, count in links.items()):
        return None
    return SiteList(files, stamps)


def record_path(back: Path) -> Path:
    """Where the list of the site whose back buffer is `back` is kept (beside it)."""
    return back.with_name(back.name + "-files.pickle")


def load(path: Path) -> SiteList | None:
    """The list saved at `path`, or None (missing, torn or from another version)."""
    try:
        with open(path, "rb") as fh:
            identity = _identity(os.fstat(fh.fileno()))
            if identity in _KNOWN:
                return _KNOWN[identity]
            files, folders = pickle.load(fh)
        listed = SiteList(frozenset(files.decode("utf-8").split("\n")) - {""}, folders)
    except Exception:  # a torn or foreign pickle is no list, whatever it raises
        return None
    return _known(identity, listed) if isinstance(listed.folders, dict) else None


def save(path: Path, listed: SiteList | None) -> None:
    """Keep `listed` at `path` atomically (None: forget the list); a failure is no error."""
    try:
        if listed is None:
            path.unlink(missing_ok=True)
            return
        # The names as one string: 140,000 str objects pickle and load several times slower.
        data = pickle.dumps(("\n".join(listed.files).encode("utf-8"), listed.folders),
                            protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            _known(_identity(os.fstat(fd)), listed)
        os.replace(tmp, path)
    except OSError:
        return


_KNOWN: dict[tuple[int, ...], SiteList] = {}
"""Lists this process saved or loaded, by their file's identity: a list read again (the build
stamp reads what the writer saved) or its file renamed (the site's list becoming the back
buffer's) is not decoded again. Files are only ever replaced whole, never rewritten."""


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _known(identity: tuple[int, ...], listed: SiteList) -> SiteList:
    _KNOWN[identity] = listed
    while len(_KNOWN) > 4:  # the site's and the back buffer's, old and new
        del _KNOWN[next(iter(_KNOWN))]
    return listed


class KeptLists:
    """The kept lists of one output folder: its published site's and its back buffer's."""

    def __init__(self, back: Path) -> None:
        self.site_path = record_path(back)
        self.back_path = back.with_name(back.name + "-back-files.pickle")
        self.site: SiteList | None = None
        """The published site's list, when `files()` found it still true."""

    def files(self, out: Path) -> frozenset[str] | None:
        """The files of published site `out`, while its kept list is still true."""
        listed = load(self.site_path)
        self.site = listed if listed is not None and listed.still_true(out) else None
        return self.site.files if self.site is not None else None

    def files_soon(self, out: Path) -> Callable[[], frozenset[str] | None]:
        """`files(out)`, its folders checked by a forked child (see `holds_soon`) while the
        caller goes on; the function returned waits for the answer."""
        holds = holds_soon(self.site_path, out)  # first: the child loads the list too
        listed = load(self.site_path)

        def answer() -> frozenset[str] | None:
            self.site = listed if listed is not None and holds() else None
            return self.site.files if self.site is not None else None
        return answer

    # A commit's list is kept in two steps: its folders are stamped at once, before the build
    # returns (a change made to the site after that must show); the function returned loads
    # and saves the lists, work a child may do while this process ends (`SiteWriter.close`).

    def flipped(self, out: Path, files: frozenset[str], paths: Iterable[str]
                ) -> Callable[[], None]:
        """The back buffer, updated at `paths` to hold `files`, was swapped in for the site."""
        if not self.back_path.exists():  # nothing to update: the whole list, now
            return partial(self._flipped, files, None, take(out, files))
        return partial(self._flipped, files, stamped_now(out, folders_of(paths)), None)

    def _flipped(self, files: frozenset[str], fresh: Fresh | None,
                 whole: SiteList | None) -> None:
        """`fresh`: the folders along the flip's paths, to update the back buffer's list
        with; else `whole`, the site's list."""
        back = load(self.back_path) if fresh is not None else None
        self._site_to_back()
        save(self.site_path, updated(back, files, fresh)
             if back is not None and fresh is not None else whole)

    def swapped(self, out: Path, files: frozenset[str], back_is_old_site: bool,
                copied: Path | None = None) -> Callable[[], None]:
        """A new tree holding `files` was swapped in for the site; the old site is the back
        buffer now, or a copy of the new one is (its list kept at `copied`), or there is none."""
        return partial(self._swapped, take(out, files), back_is_old_site, copied)

    def _swapped(self, listed: SiteList | None, back_is_old_site: bool,
                 copied: Path | None) -> None:
        if back_is_old_site:
            self._site_to_back()
        elif copied is None or not _moved(copied, self.back_path):
            save(self.back_path, None)
        save(self.site_path, listed)

    def unchanged(self, out: Path, files: frozenset[str]) -> Callable[[], None] | None:
        """Nothing was published: a site that was listed from disk gets its list now (None:
        there is nothing to keep)."""
        return partial(save, self.site_path, take(out, files)) if self.site is None else None

    def forget(self) -> None:
        """Drop both lists (the site changed and no list was made)."""
        save(self.site_path, None)
        save(self.back_path, None)

    def _site_to_back(self) -> None:
        """The old site's list (found true at the start of this build) becomes the back
        buffer's, which is that site now."""
        if self.site is None or not _moved(self.site_path, self.back_path):
            save(self.back_path, None)
