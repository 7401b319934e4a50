"""Build cache: the result of reading one input file, kept by content hash and code version.

`BuildCache.per_file()` returns what a compute function made from a file the last time the
file had exactly these bytes (`per_files`: for many files, those not cached worked out on every
core), under exactly this code (every `.py` file of the package) and
these extra inputs (e.g. the build date, which resolves yearless dates). Entries live in memory
(a `litreview serve` session reuses them between rebuilds) and as pickles under
`.litreview-cache/` in the project (git-ignored), so a second `litreview build` does not parse
unchanged listings again. A missing, stale or unreadable entry is recomputed, never an error.

Named values (`remember`: the page memo, dedupe, enrichment) are pickled by a forked child
while the build goes on (`_store_soon`); `finish()` waits for them.

`kept()` keeps values by a digest of their inputs for code that has no cache at hand (the
map's layout, drawn inside a page template, perhaps in a render worker): in the folder of the
cache of the build writing its pages (`BuildCache.keeping`).

This module does not know what is cached or the stage order; `build` decides. It caches
per-file results and small named values; `reuse` decides when whole-collection stages (dedupe,
enrichment, the library) may be reused, keeping them in `session` or as named values here.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypeVar

from .parallel import fork_is_safe, forked, forks, map_forked

__all__ = ["CACHE_DIR", "BuildCache", "back_name", "code_version", "kept", "write_pickle"]

CACHE_DIR = ".litreview-cache"
T = TypeVar("T")
KEPT_VERSIONS = 2
"""Values `kept()` keeps per name: the current one and the one before (an edit undone)."""
_kept_in: list[Path | None] = [None]
"""The folder of the cache of the build writing its pages (`BuildCache.keeping`; None: none)."""


@lru_cache(maxsize=1)
def code_version() -> str:
    """Digest of the package's Python source and the interpreter: any code change shows."""
    h = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


_WRITERS: list[int] = []
"""Children of `BuildCache.write_behind` not reaped yet."""


def _reap_writers() -> None:
    """Reap the children of `write_behind` that have finished (never waits)."""
    for pid in list(_WRITERS):
        try:
            done = os.waitpid(pid, os.WNOHANG)[0] != 0
        except ChildProcessError:
            done = True
        if done:
            _WRITERS.remove(pid)


def wait_for_writer(lock: Path) -> None:
    """Wait until no child of `BuildCache.write_behind` holds file `lock`."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return  # never written: nothing to wait for
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
    finally:
        os.close(fd)


def write_pickle(path: Path, value: Any, pickled: bytes | None = None) -> None:
    """Pickle `value` into `path` atomically (a temporary file beside it, then renamed): a
    reader finds the old file or the new one, never half of one. `pickled`: the pickle,
    already made (`value` is then ignored). Raises `OSError`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            if pickled is None:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            else:
                fh.write(pickled)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _pickled(compute: Callable[[Path], Any], path: Path) -> bytes:
    return pickle.dumps(compute(path), protocol=pickle.HIGHEST_PROTOCOL)


def output_name(kind: str, out: Path) -> str:
    """The name, in the cache folder, of what `kind` keeps for output folder `out`."""
    return f"{kind}-{hashlib.sha256(str(out).encode()).hexdigest()[:16]}"


def back_name(out: Path) -> str:
    """The name, in the cache folder, of the back buffer of output folder `out`."""
    return output_name("back", out)


def file_key(kind: str, path: Path, extra: str = "") -> str:
    """Cache key of `path`'s current bytes for compute `kind` under this code and `extra`."""
    h = hashlib.sha256()
    for part in (kind, code_version(), extra, path.name):
        h.update(part.encode("utf-8") + b"\0")
    h.update(path.read_bytes())
    return h.hexdigest()


class BuildCache:
    """Per-file results in memory and on disk; `enabled=False` computes everything afresh."""

    def __init__(self, root: Path | None, *, enabled: bool = True,
                 in_session: bool = False) -> None:
        self.directory = root / CACHE_DIR if root is not None and enabled else None
        self.enabled = enabled
        self.in_session = in_session
        """True when more builds follow in this process (`litreview serve`): stages then keep
        in-memory state that makes the next build cheaper."""
        self.hits = 0
        self.misses = 0
        self._memory: dict[str, Any] = {}
        self._unsaved: dict[str, Callable[[], None]] = {}
        self.builds = 0
        """Builds of this process that used this cache (`build` counts them in a session)."""
        self.session: dict[str, Any] = {}
        """Results of whole-collection stages kept in memory between the builds of one process
        (a `litreview serve` session), never written to disk (see `reuse`)."""
        self._used: set[str] = set()
        self._kinds: set[str] = set()
        self._origins: dict[int, tuple[Any, str]] = {}
        """Per-file results handed out (and the items of tuple results) by id: their keys."""
        self._storing: dict[str, int] = {}
        """Child processes storing a named value (`_store_soon`), by key: their pids."""

    @contextlib.contextmanager
    def keeping(self) -> Iterator[None]:
        """While the block runs (a build writing its pages), `kept()` keeps its values in
        this cache's folder."""
        before, _kept_in[0] = _kept_in[0], self.directory
        try:
            yield
        finally:
            _kept_in[0] = before

    def per_file(self, kind: str, path: Path, compute: Callable[[], T], extra: str = "") -> T:
        """The result of `compute()` for `path`, reused while the file's bytes are the same."""
        return self.per_files(kind, [path], lambda _: compute(), extra)[0]

    def per_files(self, kind: str, paths: Sequence[Path], compute: Callable[[Path], T],
                  extra: str = "", workers: int = 1) -> list[T]:
        """`per_file` for each of `paths`, in order; the files not in the cache are worked
        out by `workers` processes (`parallel.map_forked`), their results pickled once."""
        keys = [f"{kind}/{file_key(kind, p, extra)}" if self.enabled else "" for p in paths]
        values: dict[str, Any] = {}
        for key in keys:
            if key in self._memory:
                values[key] = self._memory[key]
            elif key:
                loaded = self._load(key)
                if loaded is not None:
                    values[key] = loaded
        missing = [i for i, key in enumerate(keys) if key not in values]
        todo = [paths[i] for i in missing]
        if forks(workers, len(todo)):  # the workers' results come pickled: stored as they are
            blobs: list[bytes | None] = map_forked(partial(_pickled, compute), todo, workers)
            made = [pickle.loads(blob) for blob in blobs]  # type: ignore[arg-type]
        else:
            blobs, made = [None] * len(todo), [compute(path) for path in todo]
        if not self.enabled:
            return made
        for i, value, blob in zip(missing, made, blobs, strict=True):
            values[keys[i]] = value
            self._store(keys[i], value, blob)
        self.misses += len(missing)
        self.hits += len(paths) - len(missing)
        self._used.update(keys)
        self._kinds.add(kind)
        self._memory.update(values)
        return [self._noted(key, values[key]) for key in keys]

    def _noted(self, key: str, value: T) -> T:
        for part in (value, *value) if isinstance(value, tuple) else (value,):
            self._origins[id(part)] = (part, key)  # holding `part` keeps its id unique
        return value

    def origin(self, value: Any) -> str | None:
        """The key of the per-file result that `value` is (or is an item of, for a tuple
        result) in this process, else None. The key digests the file's bytes, the code and the
        extra inputs, so a stage made of per-file results can be keyed by theirs instead of
        digesting them (`reuse`); results are never changed in place (builds share them)."""
        hit = self._origins.get(id(value))
        return hit[1] if hit is not None and hit[0] is value else None

    def back_folder(self, out: Path) -> Path | None:
        """Where the writer keeps the previous site of output `out` (its back buffer), or None
        without an on-disk cache."""
        if self.directory is None:
            return None
        self._ensure_directory()
        return self.directory / back_name(out)

    def _ensure_directory(self) -> None:
        if self.directory is not None and not self.directory.is_dir():
            self.directory.mkdir(parents=True)
            # Ignored by git even in projects whose .gitignore does not name it.
            (self.directory / ".gitignore").write_text("*\n")

    def remember(self, name: str, value: Any, *, now: bool = False) -> None:
        """Keep a value (e.g. the last search-index summary) for the next build. In a session
        it is written to disk by `flush()`, not after every build, unless `now`."""
        if self.enabled:
            key = f"state/{name}"
            self._used.add(key)
            self._kinds.add("state")
            self._memory[key] = value
            if now:
                self._unsaved.pop(key, None)
                self._wait(key)
                self._store(key, value)
            else:
                self.later(key, partial(self._store_soon, key, value))

    def later(self, name: str, save: Callable[[], None]) -> None:
        """Run `save` now, or in a session at the next `flush()` (a later `save` under the same
        `name` replaces an earlier one). Saved state must be safe to find stale: a serve killed
        before flushing leaves the previous state, which the next build re-checks."""
        if self.in_session:
            self._unsaved[name] = save
        else:
            save()

    def flush(self) -> None:
        """Write what the session kept for later (`later`) to disk."""
        unsaved, self._unsaved = self._unsaved, {}
        for save in unsaved.values():
            save()

    def recall(self, name: str) -> Any:
        """The value last `remember`ed under `name`, or None."""
        if not self.enabled:
            return None
        key = f"state/{name}"
        self._used.add(key)
        self._kinds.add("state")
        if key not in self._memory:
            self._memory[key] = self._load(key)
        return self._memory[key]

    def _load(self, key: str) -> Any:
        if self.directory is None:
            return None
        try:
            with open(self.directory / f"{key}.pickle", "rb") as f:
                return pickle.load(f)
        # A torn, foreign or outdated pickle is a cache miss, whatever it raises.
        except Exception:
            return None

    def _store(self, key: str, value: Any, pickled: bytes | None = None) -> None:
        if self.directory is None:
            return
        target = self.directory / f"{key}.pickle"
        try:
            self._ensure_directory()
            target.parent.mkdir(parents=True, exist_ok=True)
            write_pickle(target, value, pickled)
        except OSError:  # a read-only or full disk only costs speed
            return

    def _store_soon(self, key: str, value: Any) -> None:
        """`_store`, in a forked child process: pickling a large value (~1 s for the page memo
        or the enrichment of 50,000 papers) then takes the core that the build leaves idle
        between its parallel stages, and the child pickles the value as it is now, whatever
        the build does to it next. `settle()` waits for the children. Only where that is
        plainly safe: outside a session, on Linux, with no other thread; else stored now."""
        self.write_soon(key, partial(self._store, key, value))

    def write_soon(self, key: str, write: Callable[[], None]) -> None:
        """Run `write` (which stores something under `key`) in a forked child when that is
        safe (see `_store_soon`), else now; `settle()` waits for it."""
        self._wait(key)  # an older value of `key` must not land after this one
        if not self._may_fork():
            write()
            return
        self._storing[key] = forked(write)

    def write_behind(self, lock: Path, write: Callable[[], None]) -> None:
        """Run `write` in a forked child that the build does not wait for, where forking is
        safe outside a session (else now). The child holds an exclusive lock on file `lock`
        until it is done: `wait_for_writer(lock)` waits for it (and an older one first)."""
        if not self._may_fork():
            write()
            return
        _reap_writers()
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return  # a read-only disk: nothing is kept
        fcntl.flock(fd, fcntl.LOCK_EX)  # an older writer finishes first
        _WRITERS.append(forked(write))  # its exit releases the lock
        os.close(fd)  # the child's copy of it holds the lock now

    def _may_fork(self) -> bool:
        """True when a child may store in the background: outside a session, with an on-disk
        cache, where forking is plainly safe."""
        return not self.in_session and self.directory is not None and fork_is_safe()

    def settle(self) -> None:
        """Wait until the values being stored in the background (`_store_soon`) are on disk."""
        for key in list(self._storing):
            self._wait(key)

    def _wait(self, key: str) -> None:
        pid = self._storing.pop(key, None)
        if pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def finish(self) -> None:
        """End of a build: forget entries this build did not use, in memory and on disk; the
        values it kept are on disk when this returns."""
        self.settle()
        self._memory = {k: v for k, v in self._memory.items() if k in self._used}
        self._origins = {i: o for i, o in self._origins.items() if o[1] in self._used}
        if self.directory is not None:
            # Kept state (page memos of other output folders) is small in number: never pruned.
            for kind in sorted(self._kinds - {"state"}):
                if (self.directory / kind).is_dir():
                    self._prune(self.directory / kind)
        self._used, self._kinds = set(), set()

    def _prune(self, kind_dir: Path) -> None:
        for entry in kind_dir.iterdir():
            key = f"{kind_dir.name}/{entry.name.removesuffix('.pickle')}"
            if key not in self._used:
                entry.unlink(missing_ok=True)


def kept(name: str, key: str, compute: Callable[[], T]) -> T:
    """`compute()`, or the value it gave in an earlier process for the same `key`.

    `key` must digest everything `compute` reads, litreview's code included (`code_version`),
    so that a value is right wherever it is found: the folder is that of the running build's
    cache (`BuildCache.keeping`), which code deep in rendering cannot be handed. Without one
    (no build running, or one with no on-disk cache) nothing is kept. The newest
    `KEPT_VERSIONS` values of `name` stay; a missing or unreadable one is computed again, never
    an error.
    """
    folder = _kept_in[0] / "kept" if _kept_in[0] is not None else None
    if folder is None:
        return compute()
    path = folder / f"{name}-{key}.pickle"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # missing, torn or foreign: computed again
        pass
    value = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_pickle(path, value)
        _prune_kept(folder, name)
    except OSError:  # a read-only or full disk only costs speed
        pass
    return value


def _prune_kept(folder: Path, name: str) -> None:
    """Drop all but the newest `KEPT_VERSIONS` values of `name` (newest by mtime, then path)."""
    values = sorted(folder.glob(f"{name}-*.pickle"), key=lambda p: (p.stat().st_mtime_ns, p))
    for old in values[:-KEPT_VERSIONS]:
        old.unlink(missing_ok=True)
