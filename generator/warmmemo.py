"""The page memo's in-memory state between the builds of one process (`litreview serve`).

A cold page memo (`pagememo`) proves a page unchanged by digesting every value the page read
last time; at 50,000 papers that is seconds of pickling for every build. Within one process the
previous values themselves are still in memory, so `WarmState` keeps them and answers the same
question by comparing objects: a value is unchanged when the library gives back the very same
object (stages keep unchanged papers and terms as the same objects, see `reuse`) or an equal
one. An inverted index from each read to the pages that made it turns "which values changed"
into "which pages must run" without looking at the other pages at all; job keys are remembered
by the identity of the job's (immutable) arguments instead of being digested again.

Nothing here is written to disk, and nothing is trusted across a failed build: new values are
only adopted by `adopt()`, after the site was published.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Any

from .library import method_reads
from .memoreads import MISSING
from .parallel import Task

__all__ = ["WarmState", "job_identity", "same_value"]

Access = tuple[Any, ...]
_SIMPLE = frozenset({str, int, float, bool, bytes, type(None)})


def same_value(new: Any, old: Any) -> bool:
    """True when `new` is `old` or an equal value of the same type (containers: item by item,
    identity first); False when they cannot be compared."""
    if new is old:
        return True
    if type(new) is not type(old):
        return False
    try:
        return bool(new == old)
    except Exception:  # e.g. arrays: not comparable this way, so treated as changed
        return False


def job_identity(obj: Any, markers: dict[int, Hashable], depth: int = 0) -> Hashable | None:
    """A cheap hashable identity of a page job, or None when it cannot be made safely.

    Frozen dataclasses and functions count by identity (the caller keeps the job alive, so
    their ids stay unique), simple values by value; objects in `markers` (the renderer, the
    library) by their marker. Anything mutable makes the job's identity unknown. Called for
    every page of the site on every warm rebuild, so written for speed.
    """
    kind = type(obj)
    if kind is Task:
        return _task_identity(obj, markers)
    if kind in _SIMPLE:
        return (kind, obj)
    marker = markers.get(id(obj))
    if marker is not None:
        return marker
    if depth > 8:
        return None
    if kind is tuple or kind is partial or kind is types.FunctionType:
        if kind is partial:
            if obj.keywords:
                return None
            items = (obj.func, *obj.args)
        elif kind is types.FunctionType:
            if obj.__defaults__ or obj.__kwdefaults__:
                return None
            items = (obj.__code__, *[_cell(c) for c in obj.__closure__ or ()])
        else:
            items = obj
        out = [kind]
        for item in items:
            one = job_identity(item, markers, depth + 1)
            if one is None:
                return None
            out.append(one)
        return tuple(out)
    if kind is types.MethodType:
        owner = job_identity(obj.__self__, markers, depth + 1)
        return None if owner is None else ("method", obj.__func__, owner)
    if kind is types.CodeType or kind is types.BuiltinFunctionType or kind is type \
            or _frozen(kind):
        return ("object", id(obj))
    return None


def _task_identity(task: Task, markers: dict[int, Hashable]) -> Hashable | None:
    """`job_identity` of a `Task`, flat: its function (a method by function and owner), then
    each argument: a string as itself, frozen dataclasses by id, methods of marked objects
    (remembered in `markers` by the method object's id while it lives), nested tasks
    recursively, other simple values with their type. The common page job costs a few
    lookups: this runs for every page of the site on every warm rebuild."""
    func, args = task
    owner = getattr(func, "__self__", None)
    if owner is None or type(owner) is types.ModuleType:
        out: list[Any] = [func]  # a function or builtin: alive as long as its module
    else:
        marker = markers.get(id(owner))
        if marker is None:
            return None
        out = [func.__func__, marker]
    for arg in args:
        kind = type(arg)
        if kind is str:
            out.append(arg)
            continue
        frozen = _FROZEN.get(kind)
        if frozen if frozen is not None else _frozen(kind):
            out.append(id(arg))  # never equal to another entry (a str, a tuple, a marker)
        elif kind is types.MethodType:  # a method of the renderer, as a task's argument
            one = markers.get(id(arg))
            if one is None:
                owner_marker = markers.get(id(arg.__self__))
                if owner_marker is None:
                    return None
                one = markers[id(arg)] = (arg.__func__, owner_marker)
            out.append(one)
        elif kind is Task:
            one = _task_identity(arg, markers)
            if one is None:
                return None
            out.append(one)
        elif kind in _SIMPLE:
            out.append((kind, arg))
        elif id(arg) in markers:
            out.append(markers[id(arg)])
        else:
            return None
    return tuple(out)


_FROZEN: dict[type, bool] = {}
"""Type -> whether it is a frozen dataclass (read directly on the hot path of `_task_identity`)."""


def _frozen(kind: type) -> bool:
    known = _FROZEN.get(kind)
    if known is None:
        params = getattr(kind, "__dataclass_params__", None)
        known = _FROZEN[kind] = bool(params is not None and params.frozen)
    return known


def _paths(record: Any) -> tuple[str, ...]:
    """The site paths a memo record's job wrote (its file stats start with the path)."""
    return tuple(stat[0] for stat in record.files)


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


class WarmState:
    """The last build's read values, readers and job keys, for the next build's memo."""

    def __init__(self, records: Mapping[bytes, Any], digester: Any) -> None:
        self.records = records
        """The memo records this state describes (the very same dict, else it is stale); they
        carry the global key the state was made under."""
        self.digester = digester
        self.job_keys: dict[Hashable, tuple[Any, bytes]] = {}
        """Job identity -> (the job, kept alive so the identity stays unique; its memo key)."""
        self.jobs: Sequence[tuple[str, Any]] = ()
        self.keys: list[bytes] = []
        """The last build's jobs in order, and their memo keys (see `PageMemo._warm_keys`)."""
        self.positions: dict[bytes, int] | None = None
        """Memo key -> its place in `keys` (made when first needed)."""
        self.job_files: set[str] | None = None
        """Every file the last build's jobs made, when known as a set."""
        self.renderer: Any = None
        self.tracked: Any = None
        """The last build's renderer and recording library, which the next build rebinds."""
        self.library: Any = None
        """The library of the last build (what `steady` methods read last time)."""
        self.values: dict[Access, Any] = {}
        """Every read of every recorded page -> the value it gave in the last build."""
        self.readers: dict[Access, set[bytes]] = {}
        """Every read -> the memo keys of the pages that made it."""
        self.groups: dict[tuple[str, str], set[Access]] = {}
        """The reads of `readers` by kind and name (e.g. every `by_id[...]` lookup)."""
        self.files: dict[bytes, tuple[str, ...]] = {}
        """Memo key -> the site paths its job wrote."""
        self.complete = False
        """Whether every read of `readers` has its value in `values` (else `dirty` cannot
        tell; checked when reads are added, not on every build: reads hold terms, slow to
        hash)."""
        self.stale: set[bytes] = set()
        """Memo keys of deferred jobs: out of date whatever their reads say, until they run."""
        self._fresh: dict[Access, Any] = {}

    def index(self, records: Mapping[bytes, Any]) -> None:
        """(Re)build the read -> pages index from `records`."""
        self.readers, self.groups = {}, {}
        for key, record in records.items():
            for access in record.reads:
                self._add_reader(access, key)
        self.files = {key: _paths(record) for key, record in records.items()}
        self.complete = self.readers.keys() <= self.values.keys()

    def _add_reader(self, access: Access, key: bytes) -> None:
        keys = self.readers.get(access)
        if keys is None:
            keys = self.readers[access] = set()
            self.groups.setdefault(access[:2], set()).add(access)
        keys.add(key)

    def dirty(self, resolve: Callable[[Access], Any], library: Any,
              broad: frozenset[Access] = frozenset()) -> tuple[set[bytes], set[bytes]] | None:
        """Memo keys of the pages that read a value that changed, and those of them that read
        no changed value but the `broad` ones (whole collections) and so may wait; None when
        some read has no known previous value (then the caller checks digests, the cold way).
        Calls of methods that are steady (their attributes are the last build's objects),
        lookups in an attribute that is the very same object as last time, and lookups of
        keys whose value is the very same object, are unchanged without looking at `library`
        (this build's). Deferred pages (`stale`) are dirty, and may wait, until they run."""
        if not self.complete:
            return None
        last = self.library
        narrow: set[bytes] = set()
        wide = set(self.stale)
        for (kind, name), group in self.groups.items():
            if (kind == "call" and _steady(library, last, name)) or (
                    kind == "item" and _same_attribute(library, last, name)):
                continue
            changed = _changed_keys(library, last, name) if kind == "item" else None
            accesses = group if changed is None else [a for a in group if a[2] in changed]
            for access in accesses:
                value, old = resolve(access), self.values[access]
                if value is old or same_value(value, old):
                    continue
                self._fresh[access] = value
                if access in broad:
                    wide |= self.readers[access]
                else:
                    narrow |= self.readers[access]
        return narrow | wide, wide - narrow

    def runs(self, keys: list[bytes], changed: list[int] | None, must: set[bytes]
             ) -> list[int]:
        """Where this build's jobs (`keys`) are that must run: a key that read a changed value
        (`must`) or has no record. With the last build's jobs at the same places but
        `changed`, found through the last build's key positions without looking at the
        others."""
        files = self.files
        if changed is None:
            return [i for i, key in enumerate(keys) if key in must or key not in files]
        if self.positions is None:
            self.positions = dict(zip(self.keys, range(len(self.keys)), strict=True))
        where = self.positions
        found = {i for i in changed if keys[i] in must or keys[i] not in files}
        found.update(i for key in must if (i := where.get(key)) is not None and keys[i] == key)
        return sorted(found)

    def kept_files(self, keys: list[bytes], kept: set[bytes], changed: list[int] | None,
                   run: list[int]) -> set[str]:
        """The files of the `kept` jobs: the last build's job files (`job_files`) less those
        of the jobs that changed or run, plus those of changed jobs kept; job by job when the
        jobs are not the last build's at the same places."""
        files, last = self.files, self.job_files
        if changed is None or last is None:
            return {rel for key in kept for rel in files[key]}
        keep = set(last)
        for key in [self.keys[i] for i in changed] + [keys[i] for i in run]:
            keep.difference_update(files.get(key, ()))
        for i in changed:
            if keys[i] in kept:
                keep.update(files[keys[i]])
        return keep

    def moved(self, jobs: Sequence[tuple[str, Any]], keys: list[bytes],
              changed: list[int] | None) -> None:
        """After a published build: its jobs and keys are the last ones (`changed`: where
        they differ from the previous ones, None when not compared)."""
        if self.positions is not None and changed is not None:
            for i in changed:
                self.positions.pop(self.keys[i], None)
            self.positions.update((keys[i], i) for i in changed)
        else:
            self.positions = None
        self.jobs, self.keys = jobs, keys

    def adopt(self, values: Mapping[Access, Any], records: Mapping[bytes, Any],
              ran: Sequence[bytes], dropped: Sequence[bytes], old: Mapping[bytes, Any]) -> None:
        """After a published build: take this build's values and records as the last ones."""
        for key in (*dropped, *ran):
            previous = old.get(key)
            for access in previous.reads if previous is not None else ():
                keys = self.readers.get(access)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self.readers[access]
                        self.groups[access[:2]].discard(access)
                        self.values.pop(access, None)
        for key in dropped:
            self.files.pop(key, None)
        for key in ran:
            for access in records[key].reads:
                self._add_reader(access, key)
            self.files[key] = _paths(records[key])
        self.values.update(self._fresh)
        self.values.update(values)
        self._fresh = {}
        self.complete = self.complete and all(
            access in self.values for key in ran for access in records[key].reads)
        self.records = records


_MAPPINGS = (dict, types.MappingProxyType)


def _same_attribute(new: Any, old: Any, name: str) -> bool:
    """True when library attribute `name` is the very object it was in the last build."""
    return old is not None and getattr(new, name, None) is getattr(old, name, 0)


def _changed_keys(new: Any, old: Any, name: str) -> set[Any] | None:
    """The keys of library mapping `name` whose value is not the very same object as in the
    last build's library (or is in only one of them); None when it cannot tell."""
    before, now = getattr(old, name, None), getattr(new, name, None)
    if type(before) not in _MAPPINGS or type(now) not in _MAPPINGS:
        return None
    changed = {key for key, value in now.items() if before.get(key, MISSING) is not value}
    changed.update(before.keys() - now.keys())
    return changed


def _steady(new: Any, old: Any, method: str) -> bool:
    """True when library method `method` reads only attributes that are the very same
    objects as in the last build (see `library.reads_only`)."""
    needs = method_reads(new, method)
    return bool(needs) and all(_same_attribute(new, old, name) for name in needs)
