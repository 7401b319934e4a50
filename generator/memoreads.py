"""Recording what a page job reads: the page memo's eyes (see `pagememo`).

`TrackedLibrary` stands in for the `Library` while pages render and records each read of it
(`papers`, `by_id[...]`, `term(...)`...) into the running job's set; `_track_templates` makes a
Jinja environment record the templates it loads; `recorded()` wraps a job so that its reads
travel back with its files as one reserved extra "file" (also from a forked worker), with the
ids of the papers whose note fields it read (`model.watching_notes`: what a note edit can
change, see `notepatch`). The
registry holds this build's papers and terms by `id()`, so call arguments are recorded as
references. This module records reads and says what a read reads now (`resolve`); it neither
digests (`digest`) nor decides (`pagememo`).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .model import watching_notes

__all__ = ["DEPS_PREFIX", "MISSING", "REF", "TrackedLibrary", "recorded", "register",
           "registry", "resolve", "retarget", "track_templates", "untracked"]

DEPS_PREFIX = "\0memo/"
"""Reserved path of the extra 'file' carrying a job's recorded reads (NUL: never a real path)."""
Access = tuple[Any, ...]
Job = Callable[[], Iterable[tuple[str, Any]]]

_recorder: set[Access] | None = None
"""Reads of the job running in this process (None: not recording)."""
registry: dict[int, Any] = {}
"""This build's papers and terms by `id()`: call arguments are recorded as references to them
(cheap to hash and to send back from a worker, which forked with the same objects)."""
REF = "\0ref"
MISSING = "\0missing"
"""What reading a key a mapping lacks gives (`resolve`)."""


def _record(access: Access) -> None:
    if _recorder is not None:
        _recorder.add(access)


class _TrackedCall:
    __slots__ = ("name", "method")

    def __init__(self, name: str, method: Callable[..., Any]) -> None:
        self.name, self.method = name, method

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        recorder = _recorder
        if recorder is not None:  # recorded in place: some 40 reads a page
            try:
                refs = tuple([(REF, id(a)) if id(a) in registry else a for a in args])
                recorder.add(("call", self.name, refs,
                              tuple(sorted(kwargs.items())) if kwargs else ()))
            except TypeError:  # unhashable arguments: this job cannot be skipped next time
                recorder.add(("untracked", self.name))
        return self.method(*args, **kwargs)


class _TrackedMap(Mapping):
    """A read-only mapping of the library; single lookups are recorded one by one."""

    def __init__(self, name: str, data: Mapping[Any, Any]) -> None:
        self.name, self.data = name, data

    def __getitem__(self, key: Any) -> Any:
        if _recorder is not None:
            _recorder.add(("item", self.name, key))
        return self.data[key]

    def __contains__(self, key: object) -> bool:
        if _recorder is not None:
            _recorder.add(("item", self.name, key))
        return key in self.data

    def __len__(self) -> int:
        _record(("len", self.name))
        return len(self.data)

    def __iter__(self) -> Any:
        _record(("attr", self.name))
        return iter(self.data)


class _TrackedSeq(Sequence):
    """A sequence of the library: its length is one read, its contents another."""

    def __init__(self, name: str, data: Sequence[Any]) -> None:
        self.name, self.data = name, data

    def __len__(self) -> int:
        _record(("len", self.name))
        return len(self.data)

    def __getitem__(self, index: Any) -> Any:
        _record(("attr", self.name))
        return self.data[index]

    def __iter__(self) -> Any:
        _record(("attr", self.name))
        return iter(self.data)


class TrackedLibrary:
    """Stands in for the `Library` while pages render, recording what each page reads."""

    def __init__(self, library: Any) -> None:
        self._library = library

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._library, name)
        if isinstance(value, types.MethodType):
            wrapper: Any = _TrackedCall(name, value)
        elif isinstance(value, Mapping):
            wrapper = _TrackedMap(name, value)
        elif isinstance(value, tuple | list):
            wrapper = _TrackedSeq(name, value)
        else:  # a plain value: each read recorded here
            _record(("attr", name))
            return value
        # Kept as an attribute: the next read finds it without this call (the wrapper records
        # each use); some 40 reads a page. `retarget` drops them.
        self.__dict__[name] = wrapper
        return wrapper


def retarget(tracked: TrackedLibrary, library: Any) -> TrackedLibrary:
    """`tracked`, now standing in for `library` (the same object: jobs naming it stay equal)."""
    tracked.__dict__.clear()
    tracked._library = library
    return tracked


def untracked(library: Any) -> Any:
    """The library behind a `TrackedLibrary` (reads through it are not recorded), or
    `library` itself: for a job that already depends on everything it could read."""
    return library._library if isinstance(library, TrackedLibrary) else library


def track_templates(env: Any) -> None:
    """Record every template a render loads (directly, by `extends`, `include`, `import`)."""
    for method in ("get_template", "select_template", "get_or_select_template"):
        original = getattr(env, method)

        def tracked(name: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            if type(name) is str:  # the common case: one template by name
                _record(("template", name))
                return _original(name, *args, **kwargs)
            names = [name] if hasattr(name, "name") else list(name)
            for one in names:
                _record(("template", str(getattr(one, "name", one))))
            return _original(name, *args, **kwargs)

        setattr(env, method, tracked)


def recorded(name: str, job: Job) -> Job:
    """`job`, plus one reserved extra file, `DEPS_PREFIX + name`, carrying what it read: the
    pickled pair (reads, ids of the papers whose notes it read)."""
    def run() -> list[tuple[str, Any]]:
        global _recorder
        _recorder = set()
        noted: set[str] = set()
        try:
            with watching_notes(lambda paper: noted.add(paper.__dict__["id"])):
                files = list(job())
            reads = _recorder
        finally:
            _recorder = None
        blob = pickle.dumps((tuple(reads), tuple(noted)), pickle.HIGHEST_PROTOCOL)
        return [*files, (DEPS_PREFIX + name, blob)]
    return run


def register(library: Any) -> None:
    """Put the library's papers and terms (dataclasses in its sequences and mappings) in the
    registry of this build. A sequence (or a mapping's values) is taken as a whole when its
    first item is a dataclass instance not registered yet: the library's collections are
    homogeneous, and a mapping whose first value is registered (`by_id`, `by_slug`) is a view
    of a sequence already taken. An object left out only costs speed: its reads and digests
    are then made by value, or its page runs again."""
    registry.clear()
    for value in vars(library).values():
        if isinstance(value, Mapping):
            items = tuple(value.values())
            groups = items if items and isinstance(items[0], tuple | list) else (items,)
        else:
            groups = (value,)
        for group in groups:
            items = group if isinstance(group, tuple | list) else (group,)
            if not items or id(items[0]) in registry:
                continue
            if not _instance(items[0]):
                break  # the collection holds no dataclasses (e.g. the term links)
            registry.update(zip(map(id, items), items, strict=True))


def _instance(item: Any) -> bool:
    return dataclasses.is_dataclass(item) and not isinstance(item, type)


def resolve(access: Access, library: Any, env: Any) -> Any:
    """What `access` reads now from `library` or from the templates of Jinja `env`."""
    kind, name = access[0], access[1]
    try:
        if kind == "template":
            return env.loader.get_source(env, name)[0]
        if kind == "untracked":
            return os.urandom(16)
        value = getattr(library, name)
        if kind == "len":
            return len(value)
        if kind == "item":
            return value.get(access[2], MISSING)
        if kind == "call":
            return value(*access[2], **dict(access[3]))
        return value
    # A read that fails now (a template deleted, a term gone) is a value too: the error.
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc))
