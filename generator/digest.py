"""Digests of values for the page memo: equal values give equal digests, across processes.

Values are pickled (functions by name, read-only mappings as dicts) and hashed with BLAKE2b.
This build's papers and terms (`memoreads.registry`) are digested once each and stand in the
digest of everything holding them by their own digest. A value that cannot be pickled gets a
random digest that nothing will ever match: a page reading it always renders again.
`job_shape` describes a page job (its function and arguments) as such a value. This module
digests; it does not record reads (`memoreads`) or decide what to render (`pagememo`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import operator
import os
import pickle
import types
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from .memoreads import TrackedLibrary, registry
from .parallel import Task

__all__ = ["Digester", "JobNamer", "fingerprint", "job_shape"]

_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})
_MISSING = "\0missing"


@functools.cache
def _field_values(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the values of `cls`'s fields, in order, as a tuple (in C)."""
    names = [f.name for f in dataclasses.fields(cls)]
    if len(names) == 1:
        return lambda obj: (getattr(obj, names[0]),)
    return operator.attrgetter(*names) if names else lambda obj: ()


def _digested(digest: bytes) -> bytes:
    """Stands for an already digested object inside another digest (never called)."""
    return digest


class Digester:
    """Digests values. The papers and terms of this build (the registry) are digested once
    each, then stand in the digests of everything holding them by their own digest (the same
    one for equal values); anything else is pickled as it is."""

    def __init__(self) -> None:
        self._known: dict[int, tuple[Any, bytes]] = {}
        self._retained = 0

    def digest(self, value: Any) -> bytes:
        """A digest of `value` (equal values: equal digests); a unique one if it cannot be made."""
        if id(value) in registry:  # most values pages read are one paper or one term
            return self.of_dataclass(value)
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, self).dump(value)
        # Unpicklable (a lock, a generator...): a digest nothing will ever match again.
        except Exception:
            return os.urandom(16)
        return hashlib.blake2b(buffer.getvalue(), digest_size=16).digest()

    def retain(self, objects: Mapping[int, Any]) -> None:
        """Forget the digests of dataclasses other than `objects` (by id), once it knows a
        tenth more than after the last time (a rebuild that changed one paper costs nothing)."""
        if len(self._known) > self._retained + self._retained // 10 or not objects:
            self._known = {k: v for k, v in self._known.items() if k in objects}
            self._retained = len(self._known)

    def of_dataclass(self, obj: Any) -> bytes:
        """The digest of a dataclass instance of the registry, made once per build."""
        known = self._known.get(id(obj))
        if known is None:
            state = (type(obj).__module__, type(obj).__qualname__,
                     _field_values(type(obj))(obj))
            try:  # plain values all through (a paper's strings, numbers, sources): pickled in C
                digest = hashlib.blake2b(pickle.dumps(state, pickle.HIGHEST_PROTOCOL),
                                         digest_size=16).digest()
            except Exception:  # a read-only mapping, a lock...: the digest pickler's way
                digest = self.digest(state)
            known = self._known[id(obj)] = (obj, digest)  # obj kept: ids stay unique
        return known[1]


class JobNamer:
    """Digests of page jobs' shapes (`job_shape`) for one build: a `Task` whose arguments are
    papers, terms and plain values, the common page job, is named from digests made once (its
    function's, each paper's) without describing it again: 140,000 jobs at 50,000 papers."""

    def __init__(self, digester: Digester, renderer: Any) -> None:
        self.digester, self.renderer = digester, renderer
        self._parts: dict[Any, tuple[Any, bytes]] = {}
        """Digests of the functions and other arguments of this build's tasks, by id (each
        object kept: ids stay unique)."""

    def __call__(self, job: Any) -> bytes:
        if type(job) is not Task:
            return self.digester.digest(job_shape(job, self.renderer))
        func, args = job
        parts: list[Any] = [self._part(func)]
        for arg in args:
            if type(arg) in _AS_IS:
                parts.append(arg)
            else:  # a paper or a term (its digest), or a function, a `Kind`... (digested once)
                parts.append(self.digester.of_dataclass(arg) if id(arg) in registry
                             else self._part(arg))
        return hashlib.blake2b(pickle.dumps(parts, pickle.HIGHEST_PROTOCOL),
                               digest_size=16).digest()

    def _part(self, obj: Any) -> bytes:
        # A method by function and owner: `renderer.term_page` is a new object each time.
        ident = (id(obj.__func__), id(obj.__self__)) if type(obj) is types.MethodType \
            else id(obj)
        known = self._parts.get(ident)
        if known is None:
            known = self._parts[ident] = (obj, self.digester.digest(
                (_PART, job_shape(obj, self.renderer))))
        return known[1]


_AS_IS = frozenset({str, int, bool, type(None)})
"""Task arguments that stand for themselves in a job's name (bytes could pass for a digest)."""
_PART = "\0part"
"""Marks a part of a job's name, so no plain value can stand for it."""


class _Pickler(pickle.Pickler):
    """Pickles for digests only: functions by name, read-only mappings as dicts, dataclass
    instances by their digest (so a paper inside a hundred values is pickled once)."""

    def __init__(self, buffer: io.BytesIO, digester: Digester) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self.digester = digester

    def reducer_override(self, obj: Any) -> Any:
        # Called for objects other than str, int, tuple, list, dict... (those stay fast in C).
        if id(obj) in registry:  # a paper or a term of this build: digested once
            return _digested, (self.digester.of_dataclass(obj),)
        if isinstance(obj, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
            return str, (f"{obj.__module__}.{obj.__qualname__}",)
        if isinstance(obj, types.MappingProxyType):
            return dict, (dict(obj),)
        return NotImplemented


def fingerprint(value: Any) -> bytes:
    """A digest of `value` (equal values: equal digests); a unique one if it cannot be made."""
    return Digester().digest(value)


def job_shape(obj: Any, renderer: Any, depth: int = 0) -> Any:
    """A picklable description of a job: functions by name, their arguments by value.

    The renderer and the library stand for themselves: what a job reads of them is recorded
    separately (reads) or belongs to the global key (the renderer's settings).
    """
    if depth > 8:
        return obj
    if obj is renderer:
        return ("<renderer>",)
    if isinstance(obj, TrackedLibrary):
        return ("<library>",)
    if type(obj) is Task:  # arguments that are papers, terms or plain values: as they are
        return ("task", job_shape(obj.func, renderer, depth + 1), tuple(
            a if type(a) in _PLAIN or id(a) in registry else job_shape(a, renderer, depth + 1)
            for a in obj.args))
    if isinstance(obj, partial):
        return ("partial", job_shape(obj.func, renderer, depth + 1),
                job_shape(obj.args, renderer, depth + 1),
                tuple(sorted((k, job_shape(v, renderer, depth + 1))
                             for k, v in obj.keywords.items())))
    if isinstance(obj, types.MethodType):
        return ("method", obj.__func__.__module__, obj.__func__.__qualname__,
                job_shape(obj.__self__, renderer, depth + 1))
    if isinstance(obj, types.FunctionType):
        cells = tuple(job_shape(_cell(c), renderer, depth + 1) for c in obj.__closure__ or ())
        return ("function", obj.__module__, obj.__qualname__, cells)
    if isinstance(obj, tuple):
        return tuple(job_shape(item, renderer, depth + 1) for item in obj)
    return obj


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _MISSING
