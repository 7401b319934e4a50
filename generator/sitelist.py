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
           "load", "record_path", "save", "stamps_hold", "take", "updated"]

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


def holds_soon(listed: SiteList, out: Path) -> Callable[[], bool]:
    """`listed.still_true(out)`, answered by a forked child process while this one goes on
    (some 90,000 `stat` calls for 50,000 papers, a third of a second); the function returned
    waits for it. Checked at once where forking is not plainly safe (another thread)."""
    if not fork_is_safe():
        return partial(bool, listed.still_true(out))
    return partial(exited_well, forked(partial(listed.still_true, out)))


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
    return _stamped(out, files, stamps, folders, Counter(_parent(f) for f in folders if f),
                    may_vanish=False)


def updated(listed: SiteList, out: Path, files: frozenset[str],
            paths: Iterable[str]) -> SiteList | None:
    """The list of site `out`, which was the tree `listed` describes and has since changed
    only in its own folder and at `paths` (files created, replaced or deleted, with their
    folders), and now holds exactly `files`: only the folders along `paths` are stamped
    again. None when they cannot vouch for that (see `_stamped`)."""
    touched = folders_of(paths)
    stamps = dict(listed.folders)
    for folder in touched:  # a folder gone now is found missing below, then dropped
        stamps[folder] = (0, 0, 0)
    # Inline, not `_parent`: this scans every folder of the site (90,000 at 50,000 papers).
    subfolders = Counter(p for f in stamps if (p := f[:max(f.rfind("/"), 0)]) in touched and f)
    return _stamped(out, files, stamps, touched, subfolders, may_vanish=True)


def _stamped(out: Path, files: frozenset[str], stamps: dict[str, FolderStamp],
             folders: Iterable[str], subfolders: Counter[str], *,
             may_vanish: bool) -> SiteList | None:
    """`stamps` with every folder of `folders` stamped now, as the list of `files`; a folder
    gone is dropped (`may_vanish`) or makes it None. None too when a folder's link count (2 +
    its subfolders on POSIX file systems) shows a subfolder no file explains, or says nothing
    (btrfs counts 1)."""
    top, links = str(out), {}
    for rel in folders:
        try:
            st = os.stat(f"{top}/{rel}" if rel else top)
        except FileNotFoundError:
            if not (may_vanish and rel):
                return None
            del stamps[rel]
            subfolders[_parent(rel)] -= 1
            continue
        except OSError:
            return None
        stamps[rel], links[rel] = folder_stamp(st), st.st_nlink
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
        listed = load(self.site_path)
        holds = holds_soon(listed, out) if listed is not None else None

        def answer() -> frozenset[str] | None:
            self.site = listed if holds is not None and holds() else None
            return self.site.files if self.site is not None else None
        return answer

    def flipped(self, out: Path, files: frozenset[str], paths: Iterable[str]) -> None:
        """The back buffer, updated at `paths` to hold `files`, was swapped in for the site."""
        back = load(self.back_path)
        self._site_to_back()
        now = updated(back, out, files, paths) if back is not None else None
        save(self.site_path, now if now is not None else take(out, files))

    def swapped(self, out: Path, files: frozenset[str], back_is_old_site: bool) -> None:
        """A new tree holding `files` was swapped in for the site; the old site is the back
        buffer now, or there is none."""
        if back_is_old_site:
            self._site_to_back()
        else:
            save(self.back_path, None)
        save(self.site_path, take(out, files))

    def unchanged(self, out: Path, files: frozenset[str]) -> None:
        """Nothing was published: a site that was listed from disk gets its list now."""
        if self.site is None:
            save(self.site_path, take(out, files))

    def forget(self) -> None:
        """Drop both lists (the site changed and no list was made)."""
        save(self.site_path, None)
        save(self.back_path, None)

    def _site_to_back(self) -> None:
        """The old site's list (found true at the start of this build) becomes the back
        buffer's, which is that site now."""
        if self.site is not None:
            try:
                os.replace(self.site_path, self.back_path)
                return
            except OSError:
                pass
        save(self.back_path, None)
