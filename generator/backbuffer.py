"""The back buffer: the previous site, kept in the cache to publish the next change through.

A build that changed a few files of a large site publishes them through the back buffer (see
`writer`): `update` makes it this build's site (the files that differ, hard links of the
unchanged ones), then the writer exchanges it with `site/` in one atomic step. The back buffer
holds a record of the paths in which it differs from the site it was swapped out of
(`give_delta`, `take_delta`): one left half-updated is never trusted again.

A first build has no previous site, so it used to leave no back buffer, and the next build had
to hard-link every file of the site into a new tree to publish one changed note (2.3 s at
50,000 papers, against 0.8 s with a back buffer). Now, once a first build has staged its whole
site, `start` forks a child that hard-links every staged file into a folder beside the back
buffer and lists that tree (`sitelist.take`), while the build goes on publishing. The child
links through a descriptor of the staging folder, so the build may rename that folder into
place meanwhile. `BackCopy.finish` waits for it and makes the copy the back buffer, with a
record that it differs from the published site in nothing (`give_delta`). A copy that
failed, or a build that did not publish, leaves no back buffer: the next build then links the
site as before. Only where forking is plainly safe (`parallel.fork_is_safe`) and the cache is on
the site's file system. This module decides nothing about which files a site has.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import sitelist
from .outdir import MARKER, link, make_folder, remove_empty_parents
from .parallel import exited_well, fork_is_safe, forked

__all__ = ["DELTA", "BackCopy", "give_delta", "start", "take_delta", "update"]


DELTA = ".litreview-delta"
"""In a back buffer: which files differ from the published site, and which site that is."""


def give_delta(back: Path, out: Path, paths: tuple[str, ...]) -> None:
    """Record in the back buffer that it differs from `out` (as it is now) in `paths` only."""
    record = {"site": os.stat(out).st_ino, "paths": list(paths)}
    tmp = back / f"{DELTA}.tmp"
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, back / DELTA)


def take_delta(back: Path, out: Path) -> list[str] | None:
    """The paths in which the back buffer differs from `out`; None when it cannot be trusted.

    The record is removed first: a back buffer left half-updated is never trusted again.
    """
    file = back / DELTA
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
        file.unlink()
        if record["site"] != os.stat(out).st_ino or not (back / MARKER).is_file():
            return None
        return [str(p) for p in record["paths"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def update(back: Path, paths: Iterable[str], sources: Mapping[str, Path]) -> None:
    """Bring back buffer `back` up to date at `paths`, all the files it may lack: each path in
    `sources` becomes a hard link of its source file, the others are deleted."""
    for rel in sorted(paths):
        target = back.joinpath(*rel.split("/"))
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        source = sources.get(rel)
        if source is None:
            target.unlink(missing_ok=True)
            remove_empty_parents(back, target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        spare = target.with_name(target.name + ".litreview-link")
        spare.unlink(missing_ok=True)
        link(source, spare)  # a link, not a move: staging stays whole for a fallback
        os.replace(spare, target)


@dataclass(frozen=True)
class BackCopy:
    """A back buffer being made by a child process (see the module docstring)."""

    pid: int
    folder: Path
    """Where the child makes the copy (beside the back buffer)."""
    listed: Path
    """Where the child keeps the copy's list (`sitelist.save`)."""

    def finish(self, back: Path, out: Path, published: bool) -> Path | None:
        """Wait for the child; when it succeeded and `out` is the site it copied (`published`),
        make the copy the back buffer of `out` and return where its list is, else drop it."""
        if exited_well(self.pid) and published:
            try:
                if back.exists():
                    shutil.rmtree(back)
                os.replace(self.folder, back)
                give_delta(back, out, ())
                return self.listed
            except OSError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)
        self.listed.unlink(missing_ok=True)
        return None


def start(staging: Path, back: Path, files: Collection[str], listed: Path) -> BackCopy | None:
    """Start copying the staged site `staging`, which holds exactly `files` (and the marker),
    beside back buffer `back`; its list goes to `listed`. None when it cannot be done here."""
    folder = back.with_name(back.name + ".copy")
    try:
        if not fork_is_safe() or os.stat(back.parent).st_dev != os.stat(staging).st_dev:
            return None
        shutil.rmtree(folder, ignore_errors=True)  # left by a killed build
        fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        return BackCopy(forked(partial(_copy, fd, files, folder, listed)), folder, listed)
    finally:
        os.close(fd)  # the child has its own copy of it


def _copy(fd: int, files: Collection[str], folder: Path, listed: Path) -> None:
    """In the child: link every file into `folder`, then keep the list of that tree."""
    files = frozenset(files)  # iterated twice: never a one-pass iterator
    target = str(folder)
    os.mkdir(target)
    made = {target}
    for rel in (*files, MARKER):
        make_folder(f"{target}/{rel}".rpartition("/")[0], made)
        os.link(rel, f"{target}/{rel}", src_dir_fd=fd)
    sitelist.save(listed, sitelist.take(folder, files))
