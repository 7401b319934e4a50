"""Page memo: pages whose inputs did not change since the last build are not rendered again.

While a page job renders, every read it makes of the shared inputs is recorded: the library
(`papers`, `by_id[...]`, `term(...)`, ... through `TrackedLibrary`) and the templates it loads
(through the Jinja environment). After the build each job is remembered under a digest of its
own arguments (the paper, the term, ...), with the digest of every value it read and the stat
of every file it wrote. The next build skips a job when, for the same arguments, every recorded
read gives the same digest again, the global inputs (code, settings, renderer state, template
globals) are the same, and its files are still exactly the ones it wrote (size, mtime, inode).
A new process finds the reads that changed with the read index the last build left
(`memoindex`), without digesting the reads that cannot have changed; between the builds of one
process (`serve`), by comparing objects (`warmmemo`).
Anything that cannot be digested makes its job run, never skip: the memo costs time, never
correctness. Recording also works in the forked render workers: a job's reads travel back to
the parent as one extra, reserved "file" that never reaches the writer.

Reads are recorded by `memoreads` and digested by `digest`; this module decides. It does not
decide which pages exist (`render`), how they are run (`parallel`) or stored (`writer`);
`build` wires it in. It does not look inside templates or Python code: a
code change (see `cache.code_version`) re-renders everything.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .cache import BuildCache, code_version, output_name
from .digest import Digester, JobNamer, fingerprint
from .memoindex import ReadIndex
from .memoreads import (
    DEPS_PREFIX,
    REF,
    Access,
    Job,
    TrackedLibrary,
    recorded,
    register,
    registry,
    resolve,
    retarget,
    track_templates,
    untracked,
)
from .warmmemo import WarmState, job_identity

__all__ = ["PageMemo", "TrackedLibrary", "fingerprint", "untracked"]

Stat = tuple[str, int, int, int]

WHOLE_COLLECTION = frozenset({("attr", "papers"), ("attr", "by_id"), ("attr", "by_slug")})
"""Reads of every paper at once (see `PageMemo.plan`)."""


@dataclass(frozen=True)
class Record:
    """What one job read (with digests) and wrote (with stats) the last time it ran."""

    reads: tuple[Access, ...]
    digest: bytes
    """Digest of the values of all `reads`, in order."""
    files: tuple[Stat, ...]
    notes: tuple[str, ...] = ()
    """Ids of the papers whose note fields the job read (`memoreads.recorded`)."""


def _theme_files(env: Any) -> list[tuple[str, bytes]]:
    """Digests of the theme's non-template files (`static/`): a page may refer to them."""
    found = []
    for loader in getattr(env.loader, "loaders", [env.loader]):
        for folder in getattr(loader, "searchpath", ()):
            static = Path(folder) / "static"
            for path in sorted(static.rglob("*")) if static.is_dir() else ():
                if path.is_file():
                    found.append((str(path), hashlib.blake2b(path.read_bytes()).digest()))
    return found


def _stat(out: str, rel: str) -> Stat | None:
    """(rel, size, mtime, inode) of file `rel` of the site in folder `out`, or None."""
    try:
        st = os.stat(f"{out}/{rel}")  # plain strings: called for every file of the site
    except OSError:
        return None
    return (rel, st.st_size, st.st_mtime_ns, st.st_ino)


class PageMemo:
    """The memo of one output directory: which page jobs may be skipped in this build."""

    def __init__(self, cache: BuildCache, out: Path) -> None:
        self.cache, self.out, self._out = cache, out, str(out)
        self.name = output_name("pages", out)
        state = cache.recall(self.name)
        valid = isinstance(state, tuple) and len(state) == 3 and isinstance(state[1], dict) \
            and isinstance(state[2], ReadIndex)
        self.old_global, self.records, self.index = state if valid else (b"", {}, ReadIndex())
        self.global_key = os.urandom(16)
        self.renderer: Any = None
        self.library: Any = None
        self.tracked: Any = None
        self.skipped = 0
        warm = cache.session.get(self.name) if cache.in_session else None
        self.warm: WarmState | None = warm if warm is not None and warm.records is self.records \
            else None
        self.digester = self.warm.digester if self.warm is not None else Digester()
        self._values: dict[Access, Any] = {}
        self._job_keys: dict[Any, tuple[Any, bytes]] = {}
        self._namer = JobNamer(self.digester, None)
        """Names this build's jobs (`instrument` gives it the renderer)."""
        self._markers: dict[int, Any] = {}
        """The renderer and the recording library by id, as job identities name them (filled by
        `instrument`; `job_identity` adds the methods of the renderer it meets)."""
        self._digests: dict[int, bytes] = {}
        """The digest of each read's value this build, by the read's id (`_held` keeps the
        reads, so ids stay unique)."""
        self._held: list[Access] = []
        self._canonical: dict[Access, Access] = {}
        self._kept: set[bytes] = set()
        self.deferred: set[bytes] = set()
        """Keys of out-of-date jobs whose files were kept (see `plan`)."""
        self._ran: dict[bytes, Record] = {}
        self._plan: tuple[Sequence[tuple[str, Job]], list[bytes]] = ((), [])
        """This build's jobs and their keys, in order (the next warm build compares)."""
        self._changed: list[int] | None = None
        """Where this build's jobs differ from the last build's (None: not compared)."""
        self._kept_paths: set[str] | None = None
        """The files of the kept jobs, when `_plan_warm` made them as a set."""
        self._pending: list[Stat] = []
        self.saved: dict[bytes, Record] = {}
        """The records `save` kept (this build's site)."""

    def instrument(self, renderer: Any) -> tuple[Any, TrackedLibrary]:
        """Make `renderer` record what its pages read; fix this build's global key. Returns the
        renderer to use (between the builds of one process: the last build's, rebound to this
        build's inputs, so unchanged jobs compare equal to the last build's) and the recording
        library, for the other jobs (Markdown pages, outputs) to use too."""
        self.library = library = renderer.library
        register(library)
        warm = self.warm
        if warm is not None and type(warm.renderer) is type(renderer):
            renderer = warm.renderer.rebind(renderer.env, library, renderer.config,
                                            renderer.reviews)
            self.tracked = retarget(warm.tracked, library)
        else:
            self.tracked = TrackedLibrary(library)
        renderer.library = self.tracked
        self._markers = {id(renderer): "<renderer>", id(self.tracked): "<library>"}
        track_templates(renderer.env)
        self.renderer = renderer
        self._namer = JobNamer(self.digester, renderer)
        env = renderer.env
        settings = {k: v for k, v in vars(renderer).items()
                    if k not in ("library", "env") and not k.startswith("_")}
        self.global_key = self.digester.digest((code_version(), settings, dict(env.globals),
                                       sorted(env.filters), sorted(env.tests),
                                       _theme_files(env)))
        return renderer, self.tracked

    def plan(self, jobs: Sequence[tuple[str, Job]], writer: Any, defer: bool = False
             ) -> tuple[list[tuple[str, Job]], Callable[[str, Any], None]]:
        """The jobs that must run (wrapped to record their reads) and the write function for
        their files; every other job's files are kept as they are in the site. With `defer`,
        between two builds of one process, jobs out of date only through reading a whole
        collection (`WHOLE_COLLECTION`: papers.json, the feed, the sitemap, the map, the home
        page's newest papers) keep their files (`deferred`) until a build without `defer`."""
        same_global = self.old_global == self.global_key
        self._canonical.update(self.index.canonical())  # new records share the index's reads
        # Warm (same process as the last build): the pages that read a changed value, found
        # by comparing objects; the others are unchanged without looking at them.
        found = self.warm.dirty(self._resolve, self.library, WHOLE_COLLECTION) \
            if same_global and self.warm is not None else None
        if found is not None:
            dirty, waiting = found
            keys, changed = self._warm_keys(jobs)
            self._plan, self._changed = (jobs, keys), changed
            todo = self._plan_warm(jobs, keys, changed, writer, dirty,
                                   waiting if defer else set())
            return todo, partial(self._write, writer)
        if not same_global or not self.records:
            # Nothing to keep (a first build, or code or settings changed): every job runs,
            # and each is named (digested) when its files come back, while workers render.
            self._plan = (jobs, [b""] * len(jobs))
            return [(kind, recorded(f"@{i}", job)) for i, (kind, job) in enumerate(jobs)], \
                partial(self._write, writer)
        # Cold (a new process): the reads that changed, from the index, or digests of all
        # (a session's first build: its warm state needs the value of every read).
        changed = None if self.cache.in_session else self.index.changed(
            self.library, self._digest_of, self.digester.digest)
        todo, keys = [], []
        for kind, job in jobs:
            key = self._job_key(job)
            keys.append(key)
            record = self.records.get(key)
            if record is not None and self._unchanged(key, record, changed) and all(
                    writer.keep(stat[0]) for stat in record.files):
                self._kept.add(key)
                self.skipped += 1
                continue
            todo.append((kind, recorded(key.hex(), job)))
        self._plan = (jobs, keys)
        return todo, partial(self._write, writer)

    def _warm_keys(self, jobs: Sequence[tuple[str, Job]]) -> tuple[list[bytes], list[int] | None]:
        """The memo key of every job between two builds of one process, and where the jobs
        differ from the last build's (None: everywhere). When the site has as many jobs as
        last time, each job equal to the last build's job at its place (compared in C, see
        `Task`) has that job's key; the others are named one by one."""
        assert self.warm is not None
        old_jobs, old_keys = self.warm.jobs, self.warm.keys
        if len(old_jobs) != len(jobs):
            return [self._job_key(job) for _, job in jobs], None
        keys = list(old_keys)
        self._job_keys = self.warm.job_keys  # grows by the jobs named here, see `_keep_warm`
        changed = [i for i, (new, old) in enumerate(zip(jobs, old_jobs, strict=True))
                   if new != old]
        for i in changed:
            gone = job_identity(old_jobs[i][1], self._markers)
            if gone is not None:
                self._job_keys.pop(gone, None)  # the replaced job: its identity is not reused
            keys[i] = self._job_key(jobs[i][1])
        return keys, changed

    def _plan_warm(self, jobs: Sequence[tuple[str, Job]], keys: list[bytes],
                   changed: list[int] | None, writer: Any, dirty: set[bytes],
                   defer: set[bytes]) -> list[tuple[str, Job]]:
        """`plan` between two builds of one process: a job is kept when its key is known, no
        value it read changed, and its files are in the site. Called with every page of the
        site on every rebuild: set operations in C, a loop over the jobs that run."""
        assert self.warm is not None
        site = writer.old_files()
        run = self.warm.runs(keys, changed, dirty - defer)
        kept = set(keys)
        kept.difference_update([keys[i] for i in run])
        if len(kept) + len(run) != len(keys):
            return self._plan_each(jobs, keys, writer, dirty, defer)  # two jobs share a key
        keep = self.warm.kept_files(keys, kept, changed, run)
        if not site.issuperset(keep):
            return self._plan_each(jobs, keys, writer, dirty, defer)  # files left the site
        self.deferred = kept & dirty
        kept -= dirty
        self._kept, self._kept_paths = kept, keep
        self.skipped += len(kept)
        writer.keep_all(keep)
        return [(jobs[i][0], recorded(keys[i].hex(), jobs[i][1])) for i in run]

    def _plan_each(self, jobs: Sequence[tuple[str, Job]], keys: list[bytes], writer: Any,
                   dirty: set[bytes], defer: set[bytes]) -> list[tuple[str, Job]]:
        """`_plan_warm` job by job: when two jobs share a key or a file left the site."""
        assert self.warm is not None
        files, site, kept = self.warm.files, writer.old_files(), self._kept
        todo: list[tuple[str, Job]] = []
        keep: list[str] = []
        for (kind, job), key in zip(jobs, keys, strict=True):
            rels = files.get(key) if key not in dirty or key in defer else None
            if rels is not None and site.issuperset(rels):
                keep += rels
                (self.deferred if key in dirty else kept).add(key)
            else:
                todo.append((kind, recorded(key.hex(), job)))
        self.skipped += len(kept)
        writer.keep_all(keep)
        return todo

    def _job_key(self, job: Job) -> bytes:
        """The memo key of `job`: the digest of its shape, or, between two builds of one
        process, the key of the last build's job with the same identity."""
        # Identities serve the next build of this process only (a session's, see `_keep_warm`).
        ident = job_identity(job, self._markers) if self.cache.in_session else None
        hit = self.warm.job_keys.get(ident) if ident is not None and self.warm else None
        key = hit[1] if hit is not None else self._namer(job)
        if ident is not None:
            self._job_keys[ident] = (job, key)  # the job keeps the ids in `ident` unique
        return key

    def _write(self, writer: Any, rel: str, data: Any) -> None:
        if not rel.startswith(DEPS_PREFIX):
            self._pending.append((rel, *writer.write(rel, data)))  # the stat it will publish
            return
        reads, notes = pickle.loads(data)  # made by this build's workers (`memoreads.recorded`)
        known = self._canonical.get  # most reads were met before: looked up in C
        shared = [known(a) for a in reads]
        if None in shared:
            shared = [self._canonical_read(a) for a in reads]
        reads = tuple(shared)
        name = rel[len(DEPS_PREFIX):]
        if name.startswith("@"):  # a job of a build that keeps nothing: named now (see `plan`)
            jobs, keys = self._plan
            key = keys[int(name[1:])] = self._job_key(jobs[int(name[1:])][1])
        else:
            key = bytes.fromhex(name)
        # Digested now, while the workers render, rather than all at the end.
        self._ran[key] = Record(reads, self._combined(reads), tuple(self._pending), notes)
        self._pending = []

    def _canonical_read(self, access: Access) -> Access:
        """One shared object per distinct read, call arguments resolved to this build's."""
        canonical = self._canonical.get(access)
        if canonical is None:
            canonical = access
            if access[0] == "call":
                refs = access[2]
                if any(isinstance(r, tuple) and r[:1] == (REF,) and r[1] not in registry
                       for r in refs):
                    canonical = ("untracked", access[1])
                else:
                    args = tuple(registry[r[1]] if isinstance(r, tuple) and r[:1] == (REF,)
                                 else r for r in refs)
                    canonical = ("call", access[1], args, access[3])
            self._canonical[access] = canonical
        return canonical

    def _unchanged(self, key: bytes, record: Record, changed: set[int] | None) -> bool:
        """True when no value `record` read changed (`changed`: ids of the index's reads that
        did; None: compare the digest of all its reads) and its files are as it left them."""
        if changed is None:
            if self._combined(record.reads) != record.digest:
                return False
        elif key in self.index.stale or not changed.isdisjoint(map(id, record.reads)):
            return False
        return all(_stat(self._out, stat[0]) == stat for stat in record.files)

    def _combined(self, reads: tuple[Access, ...]) -> bytes:
        """The digest of the values of `reads`, in order (each value digested once a build)."""
        known = self._digests.get  # 1.9 million reads at 50,000 papers, most digested already
        parts = [known(id(access)) for access in reads]
        if None in parts:
            parts = [self._digest_of(access) for access in reads]
        return hashlib.blake2b(b"".join(parts), digest_size=16).digest()

    def _digest_of(self, access: Access) -> bytes:
        """The digest of the value `access` reads, made once a build."""
        digest = self._digests.get(id(access))
        if digest is None:
            value = self._values[access] = self._resolve(access)
            digest = self._digests[id(access)] = self.digester.digest(value)
            self._held.append(access)
        return digest

    def _resolve(self, access: Access) -> Any:
        """What `access` reads from this build's library or templates."""
        return resolve(access, self.library, self.renderer.env)

    def save(self) -> None:
        """After the commit: remember the jobs that ran (reads, files) and the skipped ones."""
        self.saved = self.records
        if not self._ran and self.old_global == self.global_key and len(self._kept) == len(
                self.records):
            if self.cache.in_session and self.warm is None:
                self._keep_warm(self.records)  # nothing ran, but the next build plans warm
            return
        # A deferred job keeps its old record: its digest shows it out of date to the next build.
        # A copy (in C), less the jobs neither kept nor deferred.
        records = dict(self.records) if self._kept or self.deferred else {}
        for key in records.keys() - self._kept - self.deferred:
            del records[key]
        digested = {access: self._digests[id(access)] for access in self._held}
        self.index = (self.index if records else ReadIndex()).updated(
            self.library, digested, self._kept, self.deferred, self.digester.digest)
        records.update(self._ran)
        self.saved = records
        self.cache.remember(self.name, (self.global_key, records, self.index))
        if self.cache.in_session:
            self._keep_warm(records)

    def note_readers(self, ids: Iterable[str]) -> dict[str, frozenset[str]]:
        """After `save`: for each paper of `ids`, the files of the jobs that read its note
        (`Record.notes`), as the site now is."""
        wanted = set(ids)
        found: dict[str, set[str]] = {pid: set() for pid in wanted}
        for record in self.saved.values():
            for pid in wanted.intersection(record.notes) if record.notes else ():
                found[pid].update(stat[0] for stat in record.files)
        return {pid: frozenset(files) for pid, files in found.items()}

    def _keep_warm(self, records: dict[bytes, Record]) -> None:
        """Keep what the next build of this process needs to plan without digests."""
        warm = self.warm
        if warm is None or self.old_global != self.global_key:
            warm = WarmState(records, self.digester)
            warm.values = self._values
            warm.index(records)
        else:
            dropped = list(self.records.keys() - records.keys())
            warm.adopt(self._values, records, [k for k in self._ran if k in records], dropped,
                       self.records)
        warm.stale = (warm.stale - self._ran.keys()) | self.deferred
        warm.job_keys, warm.library = self._job_keys, self.library
        warm.moved(*self._plan, self._changed)
        warm.job_files = self._kept_paths
        if warm.job_files is not None:  # this build's own set: grown, not copied
            warm.job_files.update(stat[0] for record in self._ran.values() for stat in record.files)
        warm.renderer, warm.tracked = self.renderer, self.tracked
        self.digester.retain(registry)
        self.cache.session[self.name] = warm
