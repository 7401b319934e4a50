"""Safety of the output directory, and the file operations the writer is made of.

`check_output_dir` refuses an output folder that is, holds or sits inside the project's own
files; `safe_parts` refuses a site path that could leave the site; `remove_ours` deletes only
folders litreview made (marker file); `exchange` swaps the new site in with one atomic step
where the system allows it. Below them, the few file operations a build makes by the ten
thousand, on plain string paths (no `pathlib` objects): compare a file with bytes, make a
folder once, create a new file (or splice one from another's ranges), hard-link, list a site;
and the lock that makes a second build of one site wait, and the repair of a swap killed
half-way. The writer
(`writer.py`) uses these; this module decides nothing about which files a site has.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import UsageError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent builds of one site are on you
    fcntl = None  # type: ignore[assignment]

__all__ = ["MARKER", "MARKER_TEXT", "DirLock", "Piece", "check_output_dir", "create_file",
           "create_spliced", "exchange", "link", "link_all", "lock_output", "make_folder",
           "recover", "remove_empty_parents", "remove_ours", "safe_parts", "same_bytes",
           "same_file", "site_files"]

FileStat = tuple[int, int, int]
"""Size, mtime (ns) and inode of a file: what tells a file apart from a rewritten one."""
MARKER = ".litreview-build"
MARKER_TEXT = "built by litreview; safe to delete with site/\n"


def check_output_dir(out: Path, root: Path) -> None:
    """Refuse an output directory that is, holds or sits inside the project's own files.

    Refused: `/`, the home folder, the project root, `content/`, `templates/` and any folder
    that contains one of them; anything inside `content/` or `templates/`; a file; and a
    non-empty folder litreview did not make (no marker file), since building replaces it.
    """
    out, root = out.resolve(), root.resolve()
    protected = [Path(out.anchor), *_home(), root, root / "content", root / "templates"]
    for p in protected:
        if out == p or p.is_relative_to(out):
            raise UsageError(f"refusing to build into {out}: it is or contains {p}; "
                             "pick an output folder of its own, e.g. <project>/site")
    for inside in (root / "content", root / "templates"):
        if out.is_relative_to(inside):
            raise UsageError(f"refusing to build into {out}: it is inside {inside.name}/")
    if out.exists() and not out.is_dir():
        raise UsageError(f"refusing to build into {out}: it is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(f"refusing to replace {out}: it was not made by litreview "
                         f"(no {MARKER}); remove it or pick another --output")


def _home() -> list[Path]:
    try:
        return [Path.home().resolve()]
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return []


def safe_parts(rel: str) -> tuple[str, ...]:
    """The folders and name of site-relative path `rel`; ValueError for anything that could
    leave the site or mean another file: absolute, `..`, `.`, empty parts, backslashes, NUL,
    control characters, the marker, or a name too long for the file system."""
    parts = tuple(rel.split("/"))
    if (not rel or rel.startswith("/") or _UNSAFE_CHARACTER.search(rel)
            or any(p in ("", ".", "..") for p in parts) or parts == (MARKER,)
            or any(len(p) > 63 and len(p.encode("utf-8", "replace")) > 255 for p in parts)):
        raise ValueError(f"unsafe output path {rel!r}")  # (a UTF-8 character: 4 bytes at most)
    return parts


_UNSAFE_CHARACTER = re.compile(r"[\x00-\x1f\\]")
"""Control characters (NUL included) and backslashes: never in a site path."""


def remove_ours(path: Path) -> None:
    """Delete folder `path` (a staging or old site) if litreview made it: it holds the marker
    or is empty. Anything else is refused, never deleted."""
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_dir() or (
            not (path / MARKER).is_file() and any(path.iterdir())):
        raise UsageError(f"refusing to delete {path}: litreview did not make it "
                         f"(no {MARKER}); move it away and build again")
    for child in sorted(path.iterdir()):  # the marker goes last: a killed delete can resume
        if child.name == MARKER:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    (path / MARKER).unlink(missing_ok=True)
    path.rmdir()


def exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic step (Linux `renameat2(RENAME_EXCHANGE)`), so that
    no moment exists without a complete `b`. False where the system cannot (then nothing
    happened)."""
    rename = _renameat2()
    if rename is None:
        return False
    sys.audit("litreview.exchange", str(a), str(b))  # visible to audit hooks (tests)
    if rename(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0:  # AT_FDCWD, EXCHANGE
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False  # old kernel, or a file system without exchange
    raise OSError(err, os.strerror(err), str(b))


@functools.lru_cache(maxsize=1)
def _renameat2() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    return getattr(libc, "renameat2", None)


def site_files(directory: Path) -> Iterator[str]:
    """Site-relative POSIX paths of the regular files under `directory` (marker excluded)."""
    stack = [("", str(directory))]
    while stack:
        prefix, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel + "/", entry.path))
            elif rel != MARKER and entry.is_file(follow_symlinks=False):
                yield rel


def same_bytes(path: str | Path, data: bytes) -> FileStat | None:
    """The stat of `path` when it is a regular file holding exactly `data`, else None."""
    try:
        st = os.stat(path)
        if st.st_size != len(data):
            return None
        with open(path, "rb") as fh:
            return (st.st_size, st.st_mtime_ns, st.st_ino) if fh.read() == data else None
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None


def same_file(a: Path, b: Path) -> bool:
    """True when `a` and `b` are one inode or hold the same bytes."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if (sa.st_ino, sa.st_dev) == (sb.st_ino, sb.st_dev):
        return True
    return sa.st_size == sb.st_size and a.read_bytes() == b.read_bytes()


def make_folder(folder: str, made: set[str]) -> None:
    """Make `folder` and those of its parents not in `made` (the folders known to exist), top
    down: each is made with one system call, once, not once per file."""
    if folder in made:
        return
    parent = os.path.dirname(folder)
    if parent != folder:
        make_folder(parent, made)
    try:
        os.mkdir(folder)
    except FileExistsError:  # there already, or another process made it meanwhile
        pass
    made.add(folder)


def create_file(path: str, data: bytes) -> FileStat:
    """Write `data` to a new file `path` (FileExistsError if there is one: never through an
    existing file or link); permissions as `open()` gives them. Returns its stat."""
    return _created(path, functools.partial(_write_all, data=data))


Piece = bytes | tuple[int, int]
"""Part of a file `create_spliced` makes: bytes, or (offset, length) of its source file."""


def create_spliced(path: str, source: str, pieces: Iterable[Piece]) -> FileStat:
    """`create_file` of the bytes `pieces` make, in order: ranges of file `source` are copied
    by the kernel (`os.copy_file_range`; read and written where it cannot), never through
    this process. OSError when `source` is shorter than a range."""
    return _created(path, functools.partial(_splice, source, pieces))


def _created(path: str, fill: Callable[[int], None]) -> FileStat:
    """The stat of new file `path` once `fill(fd)` has written it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        fill(fd)
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _splice(source: str, pieces: Iterable[Piece], fd: int) -> None:
    with open(source, "rb") as src:
        for piece in pieces:
            if isinstance(piece, tuple):
                _copy_range(src.fileno(), fd, *piece)
            else:
                _write_all(fd, piece)


def _copy_range(src: int, dst: int, offset: int, length: int) -> None:
    while length > 0:
        try:
            done = os.copy_file_range(src, dst, length, offset)
        except OSError:  # not between these two files, or not on this system
            done = 0
        if done <= 0:
            data = os.pread(src, length, offset)
            if not data:
                raise OSError(f"the source ends before byte {offset + length}")
            _write_all(dst, data)
            done = len(data)
        offset, length = offset + done, length - done


def _write_all(fd: int, data: bytes) -> None:
    view, done = memoryview(data), 0
    while done < len(data):
        done += os.write(fd, view[done:])


def link(src: Path, dst: Path) -> None:
    """Hard-link `src` to `dst` (copy where the file system has no hard links)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def link_all(src: Path, dst: Path, rels: Iterable[str], made: set[str] | None = None) -> None:
    """`link` every file `rels` (site-relative) of folder `src` into folder `dst`, making each
    folder once (`make_folder`; `made`: folders of `dst` known to exist): at 50,000 papers a
    site has some 90,000 folders for 140,000 files."""
    source, target = str(src), str(dst)
    made = made if made is not None else {target}
    for rel in rels:
        make_folder(f"{target}/{rel}".rpartition("/")[0], made)
        try:
            os.link(f"{source}/{rel}", f"{target}/{rel}")
        except OSError:
            shutil.copy2(f"{source}/{rel}", f"{target}/{rel}")


def remove_empty_parents(out: Path, path: Path) -> None:
    """Remove the folders holding `path` that are empty now, up to (not including) `out`."""
    for parent in path.parents:
        if parent == out or not parent.is_relative_to(out):
            return
        try:
            parent.rmdir()
        except OSError:
            return


class DirLock:
    """An exclusive advisory lock on the output's parent folder (no lock file left behind)."""

    def __init__(self, folder: Path) -> None:
        self.fd = os.open(folder, os.O_RDONLY)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def close(self) -> None:
        os.close(self.fd)  # closing releases the lock


def lock_output(out: Path) -> DirLock | None:
    """Lock while building, so a second build of the same site waits for the first."""
    if fcntl is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return DirLock(out.parent)


def recover(out: Path) -> None:
    """Undo a swap that was killed between its two renames, so `out` is one whole site again."""
    old = out.with_name(f".{out.name}.old")
    if not out.exists() and old.exists():
        os.replace(old, out)
