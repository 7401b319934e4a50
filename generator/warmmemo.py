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

import dataclasses
import types
from collections.abc import Callable, Hashable, Iterable, Mapping
from functools import partial
from typing import Any

__all__ = ["WarmState", "job_identity", "same_value"]

Access = tuple[Any, ...]
_SIMPLE = (str, int, float, bool, bytes, type(None))


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


def job_identity(obj: Any, markers: Mapping[int, str], depth: int = 0) -> Hashable | None:
    """A cheap hashable identity of a page job, or None when it cannot be made safely.

    Frozen dataclasses and functions count by identity (the caller keeps the job alive, so
    their ids stay unique), simple values by value; objects in `markers` (the renderer, the
    library) by their marker. Anything mutable makes the job's identity unknown.
    """
    if depth > 8:
        return None
    marker = markers.get(id(obj))
    if marker is not None:
        return marker
    if isinstance(obj, _SIMPLE):
        return (type(obj).__name__, obj)
    if isinstance(obj, tuple):
        items = tuple(job_identity(item, markers, depth + 1) for item in obj)
        return None if None in items else ("tuple", items)
    if isinstance(obj, partial):
        parts = (job_identity(obj.func, markers, depth + 1),
                 job_identity(obj.args, markers, depth + 1),
                 job_identity(tuple(sorted(obj.keywords.items())), markers, depth + 1))
        return None if None in parts else ("partial", parts)
    if isinstance(obj, types.MethodType):
        owner = job_identity(obj.__self__, markers, depth + 1)
        return None if owner is None else ("method", obj.__func__, owner)
    if isinstance(obj, types.FunctionType):
        cells = tuple(job_identity(_cell(c), markers, depth + 1) for c in obj.__closure__ or ())
        return None if None in cells else ("function", obj, cells)
    if isinstance(obj, types.BuiltinFunctionType | type):
        return ("object", id(obj))
    if dataclasses.is_dataclass(obj) and type(obj).__dataclass_params__.frozen:  # type: ignore[attr-defined]
        return ("object", id(obj))
    return None


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


class WarmState:
    """The last build's read values, readers and job keys, for the next build's memo."""

    def __init__(self, records: Mapping[bytes, Any], global_key: bytes, digester: Any) -> None:
        self.records = records
        """The memo records this state describes (the very same dict, else it is stale)."""
        self.global_key = global_key
        self.digester = digester
        self.job_keys: dict[Hashable, tuple[Any, bytes]] = {}
        """Job identity -> (the job, kept alive so the identity stays unique; its memo key)."""
        self.values: dict[Access, Any] = {}
        """Every read of every recorded page -> the value it gave in the last build."""
        self.readers: dict[Access, set[bytes]] = {}
        """Every read -> the memo keys of the pages that made it."""
        self._fresh: dict[Access, Any] = {}

    def index(self, records: Mapping[bytes, Any]) -> None:
        """(Re)build the read -> pages index from `records`."""
        self.readers = {}
        for key, record in records.items():
            for access in record.reads:
                self.readers.setdefault(access, set()).add(key)

    def dirty(self, resolve: Callable[[Access], Any]) -> set[bytes] | None:
        """Memo keys of the pages that read a value that changed; None when some read has no
        known previous value (then the caller checks digests, the cold way)."""
        if not self.readers.keys() <= self.values.keys():
            return None
        dirty: set[bytes] = set()
        for access, readers in self.readers.items():
            value = resolve(access)
            if not same_value(value, self.values[access]):
                self._fresh[access] = value
                dirty |= readers
        return dirty

    def adopt(self, values: Mapping[Access, Any], records: Mapping[bytes, Any],
              ran: Iterable[bytes], dropped: Iterable[bytes], old: Mapping[bytes, Any]) -> None:
        """After a published build: take this build's values and records as the last ones."""
        for key in (*dropped, *ran):
            previous = old.get(key)
            for access in previous.reads if previous is not None else ():
                keys = self.readers.get(access)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del self.readers[access]
                        self.values.pop(access, None)
        for key in ran:
            for access in records[key].reads:
                self.readers.setdefault(access, set()).add(key)
        self.values.update(self._fresh)
        self.values.update(values)
        self._fresh = {}
        self.records = records
