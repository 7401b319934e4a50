"""`litreview serve`: build, serve `site/` locally, rebuild on every change, reload the browser.

A `Preview` builds the project once, then a watcher thread polls `content/`, `templates/` and
`litreview.yaml` and rebuilds (incrementally: see `cache` and `writer`) when something changed.
Open pages learn about each rebuild through server-sent events from a small script the server
injects into HTML responses (never into the files of `site/`): they reload when their own page
or an asset changed, and show an overlay with file, line and message when a build failed. A
failed build changes nothing in `site/`, so the last good site stays up until the file is fixed.

The HTTP side lives in `preview_http`. This module does not know the stage order (`build` does)
and is not a production server: it binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .build import BuildReport, build
from .cache import BuildCache
from .config import CONFIG_FILE, load_config
from .errors import ContentError, LitreviewError
from .paths import scratch
from .preview_http import PreviewServer, make_server

__all__ = ["BuildFailure", "Preview", "describe_error", "serve"]

POLL_SECONDS = 0.2
"""How often the watcher looks at the watched files."""
SETTLE_SECONDS = 0.1
"""A change is built once the files stayed the same this long (editors save in bursts)."""
IDLE_SECONDS = 2.0
"""Edits keep the published search index and site-wide files (re-indexing and rewriting
papers.json take long at scale); once no file has changed for this long, one more pass brings
them up to date, so search and papers.json have the edits too."""
EXCERPT_LINES = 3
"""Lines of source shown around the failing line in the browser overlay."""

Log = Callable[[str], None]


@dataclass(frozen=True)
class BuildFailure:
    """Why the last build failed: file and line (when known), message and a source excerpt."""

    path: str | None
    line: int | None
    message: str
    excerpt: tuple[tuple[int, str], ...] = ()

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.path and self.line else self.path
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "message": self.message,
                "excerpt": [list(pair) for pair in self.excerpt]}


TEMPLATE_SUFFIXES = (".html", ".xml", ".txt", ".md")
_REMOTE_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """File and line of the innermost template frame of a Jinja traceback, if any.

    An error in a render worker process arrives with its traceback as text (the `__cause__`
    multiprocessing attaches), so that is searched too.
    """
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(TEMPLATE_SUFFIXES) and frame.lineno:
            found = (frame.filename, frame.lineno)
    for name, line in _REMOTE_FRAME.findall(str(exc.__cause__ or "")):
        if name.endswith(TEMPLATE_SUFFIXES):
            found = (name, int(line))
    return found


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path


def _excerpt(root: Path, path: str | None, line: int | None) -> tuple[tuple[int, str], ...]:
    """The lines around `line` of `path` (relative to `root`), for the overlay."""
    if not path or not line:
        return ()
    file = root / path
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ()
    first = max(1, line - EXCERPT_LINES)
    return tuple((n, lines[n - 1]) for n in range(first, min(len(lines), line + EXCERPT_LINES) + 1))


def describe_error(exc: BaseException, root: Path) -> BuildFailure:
    """Turn any build exception into a located `BuildFailure` (file relative to `root`)."""
    path: str | None = None
    line: int | None = None
    if isinstance(exc, ContentError):
        path, line, message = exc.path, exc.line, exc.message
    else:
        message = f"{type(exc).__name__}: {exc}"
        filename = getattr(exc, "filename", None)  # Jinja's TemplateSyntaxError
        if isinstance(filename, str) and getattr(exc, "lineno", None):
            path, line = _relative(filename, root), exc.lineno  # type: ignore[attr-defined]
            message = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
        elif (frame := _template_frame(exc)) is not None:
            path, line = _relative(frame[0], root), frame[1]
        if isinstance(exc, LitreviewError):
            message = str(exc)
    return BuildFailure(path, line, message, _excerpt(root, path, line))


class Watcher:
    """Polls the project's inputs and says which changed since the last look."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.watched = [root / "content", root / "templates", root / CONFIG_FILE]
        self.state = self.snapshot()

    def snapshot(self) -> dict[str, tuple[int, int, int]]:
        """Every watched file (editor swap and backup files ignored) with its stat signature."""
        found: dict[str, tuple[int, int, int]] = {}
        for top in self.watched:
            files = [top] if top.is_file() else sorted(top.rglob("*")) if top.is_dir() else []
            for f in files:
                if scratch(f.name):
                    continue
                try:
                    st = f.stat()
                except OSError:  # deleted between listing and stat
                    continue
                if f.is_file():
                    found[f.relative_to(self.root).as_posix()] = (st.st_mtime_ns, st.st_size,
                                                                 st.st_ino)
        return found

    def changes(self) -> list[str]:
        """Paths added, changed or removed since the previous call, sorted."""
        new = self.snapshot()
        changed = sorted(k for k in new.keys() | self.state.keys()
                         if new.get(k) != self.state.get(k))
        self.state = new
        return changed


class Preview:
    """A running preview: builds, serves, watches; `start()` returns the URL, `stop()` ends it."""

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 8000,
                 base_url: str | None = None, output: Path | None = None,
                 search_index: bool = True, log: Log = print) -> None:
        self.root = root.resolve()
        self.out = (output or self.root / "site").resolve()
        self.host, self.port, self.base_override = host, port, base_url
        self.search_index, self.log = search_index, log
        self.cache = BuildCache(self.root, in_session=True)
        self.server: PreviewServer | None = None
        self.report: BuildReport | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watcher = Watcher(self.root)
        self._stale = False
        """True while the published search index or site-wide files (papers.json, feed,
        sitemap) predate the published pages."""
        self._built_at = time.monotonic()

    @property
    def base_url(self) -> str:
        """The path the site is served under (config, or `--base-url`)."""
        try:
            return load_config(self.root, self.base_override).base_url
        except LitreviewError:
            return self.server.base_url if self.server else "/"

    def start(self) -> str:
        """Build once, start serving and watching; return the site's URL."""
        self.server = make_server(self.host, self.port, self.out, self.base_url)
        self.rebuild(["(start)"], first=True)
        self._spawn(self.server.serve_forever, "litreview-http")
        if self.report is not None and self.report.skipped:
            # The site was up to date, so nothing is in memory yet: a quiet full pass (it
            # writes nothing) makes the first edit as fast as the following ones.
            self._spawn(self._warm_up, "litreview-warm-up")
        self._spawn(self._watch, "litreview-watch")
        host, port = self.server.server_address[:2]
        shown = "localhost" if host in ("127.0.0.1", "::1", "0.0.0.0") else host
        return f"http://{shown}:{port}{self.server.base_url}"

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            changed = self._watcher.changes()
            if not changed:
                if self._stale and time.monotonic() - self._built_at > IDLE_SECONDS:
                    self.rebuild(["(search index, site-wide files)"], catch_up=True)
                continue
            while not self._stop.wait(SETTLE_SECONDS):  # wait for a burst of saves to end
                more = self._watcher.changes()
                if not more:
                    break
                changed = sorted(set(changed) | set(more))
            if not self._stop.is_set():
                self.rebuild(changed)

    def _warm_up(self) -> None:
        self.rebuild(["(warm-up)"], force=True)

    def rebuild(self, changed: list[str], first: bool = False, force: bool = False,
                catch_up: bool = False) -> BuildFailure | None:
        """Build now; publish a reload (or the failure) to open pages; return the failure."""
        assert self.server is not None
        start = time.perf_counter()
        # Re-indexing search and rewriting papers.json take long at scale: kept as they were
        # while editing (a quick build), then refreshed once the edits pause (`IDLE_SECONDS`).
        quick = not first and not catch_up
        with self.server.state.building:
            self._built_at = time.monotonic()
            try:
                report = build(self.root, output=self.out, base_url=self.base_override,
                               search_index=self.search_index, cache=self.cache,
                               quick=quick, force=force)
            # Whatever a build raises (bad YAML, a template error, a bug) is shown, not fatal.
            except Exception as exc:
                failure = describe_error(exc, self.root)
                self.server.state.publish_failure(failure)
                self.log(f"error: {failure}")
                return failure
        self.report = report
        pages_changed = any(p.endswith(".html") for p in report.changed_paths)
        search_stale = bool(self.search_index and (self._stale or pages_changed)
                            and report.search is not None and report.search.enabled)
        self._stale = quick and (search_stale or report.deferred > 0)
        self.server.base_url = self.base_url
        self.server.state.publish_build(report.changed_paths, first)
        seconds = time.perf_counter() - start
        what = ", ".join(changed[:3]) + (" …" if len(changed) > 3 else "")
        self.log(f"built in {seconds:.2f}s ({what}): {report.files_written} written, "
                 f"{report.files_unchanged} unchanged, {report.files_deleted} deleted")
        return None

    def stop(self) -> None:
        """Stop watching and serving; wait for the threads to end."""
        self._stop.set()
        if self.server is not None:
            self.server.state.close()
            self.server.shutdown()
            self.server.server_close()
        for thread in self._threads:
            thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self.cache.flush()  # the page memo and the build stamp, for the next `build`


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8000, base_url: str | None = None,
          output: Path | None = None, search_index: bool = True, log: Log = print) -> None:
    """Run a preview until Ctrl-C (or SIGTERM, e.g. from a process manager or `kill`)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)  # stop the same clean way as Ctrl-C
    preview = Preview(root, host=host, port=port, base_url=base_url, output=output,
                      search_index=search_index, log=log)
    try:
        url = preview.start()
        log(f"Serving {preview.out} at {url} (pid {os.getpid()}); press Ctrl-C to stop")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        log("Stopped.")
    finally:
        preview.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
