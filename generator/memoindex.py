"""The page memo's index of single reads: which reads changed, without digesting every one.

A new process has no objects of the last build to compare, so the page memo (`pagememo`)
would digest every distinct value the site's pages read: at 50,000 papers, 214,000 reads, of
which 164,000 are calls of `Library` methods such as `term()` and `linked()` that depend only
on their arguments and a few library attributes (`library.reads_only`). `ReadIndex` keeps,
from one build to the next:

- the digest of each of those attributes (`by_term`, `links`, ...): while they are equal, a
  call of such a method with the same arguments gives the same value, so its reads need no
  digest (they are *steady*);
- the digest of every other read (a paper by id, a template, the list of papers);
- the jobs whose files were left out of date (`stale`: a `serve` build deferred them).

A job is then unchanged when none of its non-steady reads changed: a set operation in C per
job instead of joining 1.7 million digests. When a method's attributes changed, the index
cannot tell (`changed` returns None) and the memo digests every read, as before.

This module neither records reads (`memoreads`), digests values (`digest`) nor decides which
jobs run (`pagememo`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .library import method_reads

__all__ = ["ReadIndex", "steady_attributes"]

Access = tuple[Any, ...]


def steady_attributes(library: Any, access: Access) -> tuple[str, ...] | None:
    """The library attributes a call read depends on besides its arguments (the method's
    `reads_only`), or None for any other read."""
    return method_reads(library, access[1]) if access[0] == "call" else None


class ReadIndex:
    """Digests of the last build's non-steady reads and of the attributes steady reads
    depend on (see the module docstring). Pickled with the memo's records, so each read is
    the very object the records hold: `changed` names reads by `id()`."""

    def __init__(self) -> None:
        self.reads: dict[Access, bytes] = {}
        """Every non-steady read of the memo's records -> the digest of its value."""
        self.methods: frozenset[str] = frozenset()
        """Library methods the records call (all steady-capable)."""
        self.attributes: dict[str, bytes] = {}
        """Digest of each attribute those methods depend on."""
        self.stale: frozenset[bytes] = frozenset()
        """Keys of jobs whose files are out of date although their reads may look current."""
        self._objects: dict[str, tuple[Any, bytes]] = {}
        """The attribute objects digested in this process, with their digests (not pickled):
        an attribute that is the very same object again needs no new digest (a session)."""

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "_objects"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vars(self).update(state, _objects={})

    def changed(self, library: Any, digest_of: Callable[[Access], bytes],
                digest: Callable[[Any], bytes]) -> set[int] | None:
        """The ids of the non-steady reads whose value changed since the last build, or None
        when a method the records call may now give other values (its attributes changed)."""
        names = self._attribute_names(library)
        if names is None or any(self._digest_now(library, name, digest)
                                != self.attributes.get(name) for name in names):
            return None
        return {id(access) for access, old in self.reads.items() if digest_of(access) != old}

    def _digest_now(self, library: Any, name: str, digest: Callable[[Any], bytes]) -> bytes:
        """The digest of library attribute `name` now (remade only for another object)."""
        value = getattr(library, name)
        known = self._objects.get(name)
        if known is None or known[0] is not value:
            known = self._objects[name] = (value, digest(value))
        return known[1]

    def _attribute_names(self, library: Any) -> list[str] | None:
        """The attributes the recorded methods depend on (None: a method no longer says)."""
        names: set[str] = set()
        for method in self.methods:
            needs = steady_attributes(library, ("call", method))
            if needs is None:
                return None
            names.update(needs)
        return sorted(names)

    def canonical(self) -> Iterable[tuple[Access, Access]]:
        """(read, read) for every read of the index: the memo maps equal reads of this build
        to these objects, so that new records share them."""
        return ((access, access) for access in self.reads)

    def updated(self, library: Any, digested: Mapping[Access, bytes], keep: Iterable[bytes],
                stale: Iterable[bytes], digest: Callable[[Any], bytes]) -> ReadIndex:
        """The index after a build: `digested` (this build's digests of the reads it checked
        or recorded, by read) over this index's; stale keys among `keep` and `stale`."""
        new = ReadIndex()
        new.reads = dict(self.reads)
        methods = set(self.methods)
        for access, value in digested.items():
            if steady_attributes(library, access) is None:
                new.reads[access] = value
            else:
                methods.add(access[1])
        new.methods = frozenset(methods)
        new.stale = frozenset(stale) | (self.stale & frozenset(keep))
        new._objects = self._objects
        new.attributes = {name: new._digest_now(library, name, digest)
                          for name in new._attribute_names(library) or ()}
        return new
