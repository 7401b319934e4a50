"""Skip a build that would change nothing: same inputs, code, options and an untouched output.

`BuildStamp.take()` digests everything a build reads: every file under `content/`,
`litreview.yaml`, the project's `templates/` and the built-in theme, the generator's code and
key library versions, the build date and the build options. After a successful build
`BuildStamp.save()` stores that digest, the stamp (inode, mtime, ctime) of every folder of the
output tree (from the list the writer kept at its commit, `sitelist`, else walked) and the
build's report under `.litreview-cache/`; `BuildStamp.unchanged_report()` gives that report
back only while both still match, so a no-op rebuild of 50,000 papers parses nothing. A
missing, stale or unreadable stamp just means: build. This module knows nothing about stages;
`build` decides when to ask.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from . import sitelist
from .cache import CACHE_DIR, back_name, code_version, wait_for_writer, write_pickle
from .sitelist import FolderStamp, folder_stamp, stamps_hold

__all__ = ["BuildStamp"]

LIBRARIES = ("jinja2", "markupsafe", "pyyaml", "python-markdown", "nh3", "ftfy",
             "scikit-learn", "numpy", "scipy", "pagefind")
"""Libraries whose version can change the output."""

Known = dict[str, tuple[tuple[int, ...], bytes]]
"""Input file path -> (its size, mtime, inode and ctime; its digest): see `_file_digest`."""


def _library_versions() -> str:
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    return ",".join(versions)


def _files(folder: Path) -> list[Path]:
    """Every regular file under `folder`, sorted (bytecode caches skipped)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def _file_digest(path: Path, known: Known | None) -> bytes:
    """SHA-256 of a file; with `known`, reused while its size, mtime and inode are the same
    (a `serve` session re-reads only the files that were saved)."""
    if known is None:
        return hashlib.sha256(path.read_bytes()).digest()
    st = path.stat()
    signature = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    hit = known.get(str(path))
    if hit is None or hit[0] != signature:
        hit = known[str(path)] = (signature, hashlib.sha256(path.read_bytes()).digest())
    return hit[1]


def input_files(root: Path, theme: Path, known: Known | None = None) -> dict[str, bytes]:
    """Every input file of a build of `root` with built-in `theme` -> its digest, in a fixed
    order, named `content/...`, `templates/...` (the project's) or `theme/...` (built in)."""
    files: dict[str, bytes] = {}
    for label, base in (("content", root / "content"), ("templates", root / "templates"),
                        ("theme", theme)):
        for path in _files(base):
            files[f"{label}/{path.relative_to(base).as_posix()}"] = _file_digest(path, known)
    return files


def settings_digest(root: Path, options: str) -> str:
    """Digest of what a build depends on besides its input files: the code, the versions of
    the libraries, the build options and `litreview.yaml`."""
    h = hashlib.sha256(f"{code_version()}\0{_library_versions()}\0{options}\0".encode())
    config = root / "litreview.yaml"
    h.update(config.read_bytes() if config.is_file() else b"no config")
    return h.hexdigest()


def inputs_digest(settings: str, files: dict[str, bytes]) -> str:
    """Digest of every input of a build: its `settings_digest` and its `input_files`."""
    h = hashlib.sha256(settings.encode())
    for name, digest in files.items():
        h.update(f"{name}\0".encode())
        h.update(digest)
    return h.hexdigest()


def output_folders(out: Path) -> dict[str, FolderStamp]:
    """Every folder of the output tree (itself included) with its inode, mtime and ctime.

    A folder's mtime and ctime move whenever a file or folder in it is created, deleted or
    renamed, which is how the writer publishes every change, and the ctime cannot be set back
    (a copy that keeps mtimes still shows); so these stamps notice any change the writer or a
    person makes to the tree, except a file edited in place (`site/` is output: edit
    `content/`).
    """
    folders = _walk(str(out), by_link_count=True)
    return folders if folders is not None else _walk(str(out), by_link_count=False) or {}


def _walk(top: str, *, by_link_count: bool) -> dict[str, FolderStamp] | None:
    """Every folder under `top` with its stamp; with `by_link_count`, leaves are not listed.

    On POSIX file systems (ext4, XFS, tmpfs) a folder's link count is 2 plus its number of
    subfolders, so a folder with 2 links is a leaf and one `stat` of it is all it costs: most
    of a site's folders are leaves (a folder per page), and listing them was most of the walk.
    Every folder that is listed (the top one always) checks that rule; where it fails (btrfs
    counts 1 link, some network file systems other numbers) the walk gives up and returns None.
    """
    folders: dict[str, FolderStamp] = {}
    stack = [top]
    while stack:  # plain strings and scandir: a folder per paper page makes 50,000 of them
        folder = stack.pop()
        st = os.stat(folder)
        folders[folder] = folder_stamp(st)
        if by_link_count and st.st_nlink == 2 and folder != top:
            continue
        with os.scandir(folder) as it:
            subfolders = [e.path for e in it if e.is_dir(follow_symlinks=False)]
        if by_link_count and st.st_nlink != 2 + len(subfolders):
            return None
        stack.extend(subfolders)
    return folders


def folders_unchanged(folders: dict[str, FolderStamp]) -> bool:
    """True when every recorded folder still exists with the recorded stamp (no listing)."""
    return stamps_hold(folders.items())


@dataclass(frozen=True)
class BuildStamp:
    """The digest of one build's inputs, and where its record lives."""

    inputs: str
    record: Path
    out: Path
    settings: str = ""
    """`settings_digest`: everything but the input files."""
    files: dict[str, bytes] = field(default_factory=dict, compare=False)
    """`input_files`: each input file's digest."""
    known: Known | None = field(default=None, compare=False)
    """The file digests `take` reused by stat, and made (kept by `save` for the next one)."""

    @classmethod
    def take(cls, root: Path, out: Path, theme: Path, options: str,
             known: Known | None = None) -> BuildStamp:
        """The stamp of the inputs as they are now (`known`: file digests to reuse by stat;
        when empty, a new process's, those the last `save` kept)."""
        name = hashlib.sha256(str(out).encode()).hexdigest()[:12]
        record = root / CACHE_DIR / f"last-build-{name}.pickle"
        wait_for_writer(_lock_path(record))  # the last build's record, being written
        if known is not None and not known:
            known.update(_kept_digests(_digests_path(record)))
        settings, files = settings_digest(root, options), input_files(root, theme, known)
        return cls(inputs_digest(settings, files), record, out, settings, files, known)

    @property
    def lock(self) -> Path:
        """The lock that a child writing the record behind its build holds
        (`BuildCache.write_behind`); `take` waits for it."""
        return _lock_path(self.record)

    def unchanged_report(self) -> Any | None:
        """The last build's report if inputs and output are exactly as it left them."""
        last = self.last_record()
        if last is None or last[0] != self.inputs or not folders_unchanged(last[1]):
            return None
        return last[2]

    @functools.cached_property
    def _last(self) -> tuple[str, dict[str, FolderStamp], Any] | None:
        try:
            with open(self.record, "rb") as fh:
                inputs, folders, report = pickle.load(fh)
        except (OSError, pickle.PickleError, EOFError, ValueError, TypeError, AttributeError):
            return None
        return (inputs, folders, report) if str(self.out) in folders else None

    def last_record(self) -> tuple[str, dict[str, FolderStamp], Any] | None:
        """The record of the last build into this output: its inputs digest, the stamps of
        the output's folders as it left them (the output itself among them) and its report.
        Read once (the record is replaced, never changed, and this stamp is one build's)."""
        return self._last

    def save(self, report: Any, *, walk: bool = True) -> None:
        """Record a successful build (atomically); a failure to record is not an error.
        Without `walk`, the output's folders come from the site's kept list only, else there
        is no record (a child saving it behind its build: its walk would take in changes made
        since the build returned)."""
        self.__dict__.pop("_last", None)  # read again after a change
        folders = self._output_folders(walk)
        if folders is None:
            return
        try:
            self.record.parent.mkdir(parents=True, exist_ok=True)
            write_pickle(self.record, (self.inputs, folders, report))
            if self.known is not None:
                write_pickle(_digests_path(self.record), self.known)
        except OSError:
            return

    def _output_folders(self, walk: bool) -> dict[str, FolderStamp] | None:
        """`output_folders(out)`, taken from the list of the site the writer kept at its
        commit (`sitelist`: the stamps of exactly these folders) while the site itself is
        still the folder that commit published; else walked (`walk`) or None."""
        listed = sitelist.load(sitelist.record_path(self.record.parent / back_name(self.out)))
        top = str(self.out)
        try:
            current = folder_stamp(os.stat(top))
        except OSError:
            current = None
        if listed is not None and current is not None and listed.folders.get("") == current:
            return {f"{top}/{rel}" if rel else top: stamp
                    for rel, stamp in listed.folders.items()}
        return output_folders(self.out) if walk else None

    def forget(self) -> None:
        """Drop the record (a build is about to change the output)."""
        self.__dict__.pop("_last", None)  # read again after a change
        self.record.unlink(missing_ok=True)


def _lock_path(record: Path) -> Path:
    return record.with_name(record.name.replace("last-build-", "writing-", 1)).with_suffix(
        ".lock")


def _digests_path(record: Path) -> Path:
    return record.with_name(record.name.replace("last-build-", "input-digests-", 1))


def _kept_digests(path: Path) -> Known:
    """The file digests the last stamp kept (a file whose stat is the same has the same
    bytes: its ctime cannot be set back), or none."""
    try:
        with open(path, "rb") as fh:
            kept = pickle.load(fh)
    except Exception:  # missing, torn or foreign: every file is digested
        return {}
    return kept if isinstance(kept, dict) else {}
