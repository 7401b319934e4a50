"""The HTTP side of `litreview serve`: static files from `site/`, live-reload events, overlay.

Only regular files inside the output directory are served: paths are decoded once, any `..`,
hidden or empty segment is refused, and the resolved file must still lie inside the output
directory (a symlink pointing out gives 403). Missing pages get the site's own `404.html`.
HTML responses get one `<script>` injected before `</body>`; it subscribes to server-sent events
at `<base>__litreview/events` and reloads the page or shows the build-error overlay. Nothing is
ever written into `site/`. Requests are served by a thread each (`ThreadingHTTPServer`).

This module does not build or watch anything (`serve` does).
"""

from __future__ import annotations

import json
import mimetypes
import os
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .errors import UsageError

__all__ = ["LIVE_PREFIX", "LiveState", "PreviewServer", "make_server"]

LIVE_PREFIX = "__litreview/"
"""Reserved folder under the base path for the live-reload script and event stream."""
HEARTBEAT_SECONDS = 15.0
"""An SSE comment this often finds closed connections and keeps proxies from timing out."""
MAX_CHANGED = 200
"""Beyond this many changed files an event just says `all` (every open page reloads)."""

TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".xml": "application/xml; charset=utf-8",
    ".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml", ".wasm": "application/wasm", ".webmanifest":
    "application/manifest+json", ".ico": "image/x-icon", ".woff2": "font/woff2",
}

LIVE_JS = r"""(function () {
  "use strict";
  var base = new URL(document.currentScript.src.replace(/__litreview\/live\.js.*$/, ""));
  var token = null, failed = false;
  function pagePath() {
    var p = decodeURIComponent(location.pathname);
    if (p.indexOf(base.pathname) === 0) p = p.slice(base.pathname.length);
    return p === "" || p.slice(-1) === "/" ? p + "index.html" : p;
  }
  function concerns(d) {
    var mine = pagePath();
    return d.all || failed || d.changed.some(function (f) {
      return f === mine || /\.(css|js)$/.test(f);
    });
  }
  function showError(d) {
    var box = document.getElementById("litreview-overlay") || document.createElement("div");
    var where = d.path ? d.path + (d.line ? ":" + d.line : "") + "\n" : "";
    var text = "litreview: the build failed\n\n" + where + d.message + "\n\n";
    d.excerpt.forEach(function (pair) {
      text += (pair[0] === d.line ? "> " : "  ") + String(pair[0]).padStart(5) + " | " +
        pair[1] + "\n";
    });
    box.id = "litreview-overlay";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
      "background:rgba(24,24,27,.94);color:#fafafa;font:14px/1.5 monospace;" +
      "padding:2em;white-space:pre-wrap";
    box.textContent = text + "\nThe last good site is still served. Fix the file: this " +
      "page reloads by itself.";
    (document.body || document.documentElement).appendChild(box);
    failed = true;
  }
  var events = new EventSource(new URL("__litreview/events", base));
  events.addEventListener("hello", function (e) {
    var d = JSON.parse(e.data);
    if (token !== null && token !== d.server) location.reload();
    token = d.server;
  });
  events.addEventListener("reload", function (e) {
    if (concerns(JSON.parse(e.data))) location.reload();
  });
  events.addEventListener("build-error", function (e) { showError(JSON.parse(e.data)); });
})();
"""


class LiveState:
    """What open pages need to know: build generation, last failure, changed files."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.building = threading.Lock()
        self.generation = 0
        self.event: tuple[str, dict[str, Any]] = ("hello", {})
        self.closed = False
        self.token = os.urandom(6).hex()
        """Tells pages that the server restarted (they reload to get the new build)."""

    def publish_build(self, changed: tuple[str, ...], first: bool = False) -> None:
        """A build succeeded; tell pages which files changed (or to reload everything)."""
        data: dict[str, Any] = {"all": len(changed) > MAX_CHANGED,
                                "changed": list(changed[:MAX_CHANGED])}
        with self.cond:
            self.generation += 1
            self.event = ("hello", {}) if first else ("reload", data)
            self.cond.notify_all()

    def publish_failure(self, failure: Any) -> None:
        """A build failed; pages show `failure` (file, line, message) over the old site."""
        with self.cond:
            self.generation += 1
            self.event = ("build-error", failure.as_dict())
            self.cond.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, str, dict[str, Any]] | None:
        """Block until an event newer than generation `seen`; None on timeout or close."""
        with self.cond:
            self.cond.wait_for(lambda: self.generation != seen or self.closed, timeout)
            if self.closed or self.generation == seen:
                return None
            return (self.generation, *self.event)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


class PreviewServer(ThreadingHTTPServer):
    """A threaded HTTP server for one output directory under one base path."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], out: Path, base_url: str) -> None:
        self.out, self.base_url, self.state = out, base_url, LiveState()
        super().__init__(address, PreviewHandler)


def make_server(host: str, port: int, out: Path, base_url: str) -> PreviewServer:
    """Bind the preview server (port 0 picks a free port); a busy port is a usage error."""
    try:
        return PreviewServer((host, port), out, base_url)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                         f"try another --port") from None


class PreviewHandler(BaseHTTPRequestHandler):
    """Serves one request: a site file, the 404 page, a redirect, or the event stream."""

    server: PreviewServer
    server_version = "litreview-serve"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal shows builds, not every request."""

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def do_GET(self) -> None:
        self._respond(head=False)

    def _respond(self, head: bool) -> None:
        path = urlsplit(self.path).path
        base = self.server.base_url
        if path + "/" == base or (path == "/" and base != "/"):
            return self._redirect(base)
        if not path.startswith(base):
            return self._not_found(head)
        rel = path[len(base):]
        if rel == LIVE_PREFIX + "events":
            return self._send(HTTPStatus.OK, "text/event-stream", b"", head) if head else (
                self._events())
        if rel == LIVE_PREFIX + "live.js":
            return self._send(HTTPStatus.OK, TYPES[".js"], LIVE_JS.encode(), head)
        self._serve_file(rel, path, head)

    def _serve_file(self, rel: str, path: str, head: bool) -> None:
        status, file = resolve(self.server.out, rel)
        if status == HTTPStatus.MOVED_PERMANENTLY:
            return self._redirect(path + "/")
        if status == HTTPStatus.NOT_FOUND and not self.server.out.is_dir():
            # Mid-swap (a build is replacing site/) or never built: wait for the build.
            with self.server.state.building:
                status, file = resolve(self.server.out, rel)
        if file is None:
            return self._not_found(head) if status == HTTPStatus.NOT_FOUND else self._send(
                status, TYPES[".txt"], f"{status.value} {status.phrase}\n".encode(), head)
        self._send_file(HTTPStatus.OK, file, head)

    def _send_file(self, status: HTTPStatus, file: Path, head: bool) -> None:
        ctype = TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0]
        try:
            data = file.read_bytes()
        except OSError:
            return self._not_found(head)
        self._send(status, ctype or "application/octet-stream", data, head)

    def _not_found(self, head: bool) -> None:
        page = self.server.out / "404.html"
        if page.is_file():
            return self._send_file(HTTPStatus.NOT_FOUND, page, head)
        body = b"<!doctype html><title>Not found</title><h1>404 Not found</h1></html>"
        self._send(HTTPStatus.NOT_FOUND, TYPES[".html"], body, head)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: HTTPStatus, ctype: str, data: bytes, head: bool) -> None:
        if ctype.startswith("text/html"):
            data = inject_live_script(data, self.server.base_url)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self) -> None:
        """Server-sent events: `hello` at once, then `reload` / `build-error` per build."""
        state = self.server.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with state.cond:
            seen, name, data = state.generation, *state.event
        try:
            self._sse(*(("hello", {}) if name == "reload" else (name, data)), seen)
            while True:
                event = state.wait(seen, HEARTBEAT_SECONDS)
                if state.closed:
                    return
                if event is None:
                    self.wfile.write(b": ping\n\n")
                    continue
                seen, name, data = event
                self._sse(name, data, seen)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            return

    def _sse(self, name: str, data: dict[str, Any], generation: int) -> None:
        payload = json.dumps({**data, "generation": generation, "server": self.server.state.token},
                             ensure_ascii=False)
        self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
        self.wfile.flush()


def resolve(out: Path, rel: str) -> tuple[HTTPStatus, Path | None]:
    """The file of URL path `rel` (still %-encoded) inside `out`, or why there is none."""
    try:
        decoded = unquote(rel, errors="strict")
    except UnicodeDecodeError:
        return HTTPStatus.NOT_FOUND, None
    parts = decoded.split("/")
    if any(p in ("..", ".") or "\\" in p or "\0" in p for p in parts):
        return HTTPStatus.FORBIDDEN, None
    if any(p.startswith(".") for p in parts) or "//" in decoded:
        return HTTPStatus.NOT_FOUND, None
    target = out.joinpath(*[p for p in parts if p])
    if decoded == "" or decoded.endswith("/"):
        target = target / "index.html"
    elif target.is_dir():
        return HTTPStatus.MOVED_PERMANENTLY, None
    real, root = os.path.realpath(target), os.path.realpath(out)
    if not real.startswith(root + os.sep):
        return HTTPStatus.FORBIDDEN, None
    if not os.path.isfile(real):
        return HTTPStatus.NOT_FOUND, None
    return HTTPStatus.OK, Path(real)


def inject_live_script(html: bytes, base_url: str) -> bytes:
    """`html` with the live-reload script before its last `</body>` (or at the end)."""
    tag = f'<script src="{base_url}{LIVE_PREFIX}live.js"></script>\n'.encode()
    at = html.lower().rfind(b"</body>")
    return html + tag if at < 0 else html[:at] + tag + html[at:]
