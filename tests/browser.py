"""Browser-test helpers any test module can import: a free port, a threaded static server that
serves a site under a base path, and Debian's Chromium driven by Playwright.

`serve_site(site, "/my-review/")` maps `/my-review/` to `site/` (as GitHub Pages serves a project
site) and answers 404 for anything outside the base path, recording it, so a test can prove that
no link, asset or index file escaped the base. `launch_chromium()` never downloads a browser:
without a Chromium binary (or Playwright) the test is skipped with the reason, unless
LITREVIEW_REQUIRE_BROWSER=1 (as in CI), where it fails. This module does not build sites.

Start Playwright after the sites a test needs are built (build first, then launch).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

__all__ = ["CHROMIUM_ARGS", "Served", "chromium_path", "free_port", "launch_chromium",
           "require_chromium", "serve_site"]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium")


def chromium_path() -> str | None:
    """Debian's Chromium (or LITREVIEW_CHROMIUM), or None when there is none."""
    explicit = os.environ.get("LITREVIEW_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("LITREVIEW_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (LITREVIEW_REQUIRE_BROWSER=1 makes browser tests mandatory)")
    pytest.skip(reason)


def require_chromium() -> str:
    """The Chromium binary and Playwright, or skip (fail when browsers are required)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    path = chromium_path()
    if path is None:
        _unavailable("no Chromium binary (apt-get install chromium)")
    return path  # type: ignore[return-value]


@contextmanager
def launch_chromium() -> Iterator[Any]:
    """A headless Chromium `Browser` (Playwright sync API), closed afterwards."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    """A running static server: the site's root URL and the paths it answered 404 for."""

    url: str
    base: str
    not_found: list[str] = field(default_factory=list)


class _BaseHandler(SimpleHTTPRequestHandler):
    """Serves `directory` under `base`; everything outside it is a recorded 404."""

    def __init__(self, *args: Any, base: str, served: Served, **kwargs: Any) -> None:
        self.base, self.served = base, served
        super().__init__(*args, **kwargs)

    def send_head(self) -> Any:
        path = unquote(urlsplit(self.path).path)
        if not path.startswith(self.base) and path + "/" != self.base:
            self.send_error(404, "outside the base path")
            return None
        return super().send_head()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None
                   ) -> None:
        if code == 404:
            self.served.not_found.append(unquote(urlsplit(self.path).path))
        super().send_error(code, message, explain)

    def translate_path(self, path: str) -> str:
        split = urlsplit(path)
        inside = split.path[len(self.base) - 1:] if split.path.startswith(self.base) else "/"
        return super().translate_path(inside)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_site(site: Path, base: str = "/") -> Iterator[Served]:
    """Serve `site` at http://127.0.0.1:<free port><base> from a background thread."""
    base = "/" + base.strip("/") + "/" if base.strip("/") else "/"
    port = free_port()
    served = Served(f"http://127.0.0.1:{port}{base}", base)
    handler = partial(_BaseHandler, directory=str(site), base=base, served=served)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name=f"serve-{port}", daemon=True)
    thread.start()
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
