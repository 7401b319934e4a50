"""`litreview serve`: a real server on a free port, real HTTP requests, real file edits.

Each test starts a `Preview` of a writable copy of the small fixture project, talks to it with
`http.client` (raw paths: no client-side `..` normalisation) and, for live reload, reads the
server-sent event stream the injected script subscribes to. Waits have generous upper bounds;
nothing asserts on timing.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.client import HTTPConnection, HTTPResponse
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from generator.serve import Preview

from .conftest import FIXTURES, PINNED_EPOCH, REPO, snapshot_project

WAIT = 120.0
"""Upper bound for a rebuild to show up (a slow, noisy machine is fine; a hang is not)."""
NOTE_TEXT = "Worth reading for the spectral bound on the InfoNCE gradient."


@dataclass
class Running:
    preview: Preview
    url: str
    logs: list[str]

    @property
    def root(self) -> Path:
        return self.preview.root

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        """One request with `path` sent exactly as given; (status, headers, body)."""
        parts = urlsplit(self.url)
        conn = HTTPConnection(parts.hostname or "localhost", parts.port, timeout=WAIT)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def events(self) -> EventStream:
        parts = urlsplit(self.url)
        return EventStream(parts.hostname or "localhost", parts.port or 80,
                           f"{self.preview.server.base_url}__litreview/events")


class EventStream:
    """Reads a server-sent event stream in a thread; `next()` waits for a named event."""

    def __init__(self, host: str, port: int, path: str) -> None:
        self.conn = HTTPConnection(host, port, timeout=WAIT)
        self.conn.request("GET", path)
        self.resp: HTTPResponse = self.conn.getresponse()
        assert self.resp.getheader("Content-Type") == "text/event-stream"
        self.queue: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name = "message"
        try:
            for raw in self.resp:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[len("event: "):]
                elif line.startswith("data: "):
                    self.queue.put((name, json.loads(line[len("data: "):])))
        except (OSError, ValueError):
            return

    def next(self, name: str, where: Callable[[dict[str, Any]], bool] = lambda d: True
             ) -> dict[str, Any]:
        """The next event called `name` whose data satisfies `where` (others are skipped)."""
        while True:
            try:
                got, data = self.queue.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no {name!r} event within {WAIT}s") from None
            if got == name and where(data):
                return data

    def close(self) -> None:
        self.conn.close()


def _paper_slug(root: Path) -> str:
    """Slug of the paper the fixture's NeurIPS epoch listing starts with."""
    return "diversity-is-all-you-need-for-contrastive-learning-spectral-bounds-on-gradient"


@pytest.fixture
def serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Running]]:
    """Start a preview of a copy of the small project (with one note); stopped afterwards."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_EPOCH)
    started: list[Preview] = []

    def start(base_url: str | None = None) -> Running:
        root = snapshot_project(FIXTURES / "small", tmp_path / "project")
        note = root / "content" / "notes" / "diversity.md"
        note.parent.mkdir(parents=True, exist_ok=True)
        note.write_text(f"---\npaper: {_paper_slug(root)}\n---\n\n{NOTE_TEXT}\n",
                        encoding="utf-8")
        logs: list[str] = []
        preview = Preview(root, port=0, base_url=base_url, search_index=False,
                          log=logs.append)
        started.append(preview)
        return Running(preview, preview.start(), logs)

    yield start
    for preview in started:
        preview.stop()


def test_serves_site_files_with_their_content_types(serving: Callable[..., Running]) -> None:
    run = serving()
    assert run.url.startswith("http://localhost:") and run.url.endswith("/")
    for path, ctype in [("/", "text/html; charset=utf-8"), ("/papers.json", "application/json"),
                        ("/assets/style.css", "text/css; charset=utf-8"),
                        ("/feed.xml", "application/xml; charset=utf-8"),
                        ("/robots.txt", "text/plain; charset=utf-8"),
                        (f"/papers/{_paper_slug(run.root)}.md", "text/markdown; charset=utf-8")]:
        status, headers, _ = run.get(path)
        assert (status, headers["content-type"]) == (200, ctype), path
    status, _, body = run.get(f"/papers/{_paper_slug(run.root)}/")
    assert status == 200 and NOTE_TEXT.encode() in body
    script = b'<script src="/__litreview/live.js"></script>'
    assert body.count(script) == 1 and body.index(script) < body.rindex(b"</body>")
    on_disk = (run.preview.out / "papers" / _paper_slug(run.root) / "index.html").read_bytes()
    assert script not in on_disk  # injected while serving, never written into site/
    status, headers, js = run.get("/__litreview/live.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert b"EventSource" in js
    assert run.get(f"/papers/{_paper_slug(run.root)}")[0] == 301
    assert run.get("/", method="HEAD")[2] == b""


def test_serves_under_the_base_path(serving: Callable[..., Running]) -> None:
    run = serving(base_url="/my-review/")
    assert run.url.endswith("/my-review/")
    status, headers, _ = run.get("/")
    assert status == 301 and headers["location"] == "/my-review/"
    status, _, body = run.get(f"/my-review/papers/{_paper_slug(run.root)}/")
    assert status == 200 and b'href="/my-review/assets/style.css"' in body
    assert b'src="/my-review/__litreview/live.js"' in body
    assert run.get(f"/papers/{_paper_slug(run.root)}/")[0] == 404


@pytest.mark.parametrize("path", [
    pytest.param("/../litreview.yaml", id="dot-dot"),
    pytest.param("/%2e%2e/litreview.yaml", id="encoded-dot-dot"),
    pytest.param("/%2E%2E%2Flitreview.yaml", id="encoded-slash"),
    pytest.param("/papers/..%2f..%2fproject/litreview.yaml", id="nested-encoded"),
    pytest.param("/..%5c..%5cproject%5clitreview.yaml", id="backslash"),
    pytest.param("/%00/index.html", id="nul"),
    pytest.param("/.litreview-build", id="hidden-file"),
    pytest.param("/outside", id="symlink-out"),
    pytest.param("/outside-dir/litreview.yaml", id="symlinked-dir-out"),
])
def test_nothing_outside_the_site_is_served(serving: Callable[..., Running], path: str) -> None:
    run = serving()
    out = run.preview.out
    (out / "outside").symlink_to(run.root / "litreview.yaml")
    (out / "outside-dir").symlink_to(run.root)
    status, _, body = run.get(path)
    assert status in (403, 404)
    assert b"golden-site test" not in body  # a comment in the project's litreview.yaml


def test_a_missing_page_gets_the_sites_404_page(serving: Callable[..., Running]) -> None:
    run = serving()
    status, headers, body = run.get("/papers/no-such-paper/")
    assert status == 404 and headers["content-type"] == "text/html; charset=utf-8"
    assert body.replace(b'<script src="/__litreview/live.js"></script>\n', b"") == \
        (run.preview.out / "404.html").read_bytes()


def test_editing_a_note_serves_the_new_text_and_sends_a_reload(
        serving: Callable[..., Running]) -> None:
    run = serving()
    page = f"papers/{_paper_slug(run.root)}/index.html"
    stream = run.events()
    try:
        assert "server" in stream.next("hello")
        note = run.root / "content" / "notes" / "diversity.md"
        note.write_text(note.read_text(encoding="utf-8").replace(
            NOTE_TEXT, "Edited while serving: compare with the SimCLR bound."), encoding="utf-8")
        event = stream.next("reload", lambda d: page in d["changed"])
    finally:
        stream.close()
    assert "papers/index.html" not in event["changed"] and not event["all"]
    status, _, body = run.get("/" + page.removesuffix("index.html"))
    assert status == 200 and b"Edited while serving" in body and NOTE_TEXT.encode() not in body
    assert any(line.startswith("built in") and "content/notes/diversity.md" in line
               for line in run.logs), run.logs


def test_sigterm_stops_the_command_cleanly(tmp_path: Path) -> None:
    """A process manager's SIGTERM stops serve like Ctrl-C: exit 0, state saved."""
    root = snapshot_project(FIXTURES / "small", tmp_path / "project")
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH, "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "-C", str(root),
                             "--port", "0", "--no-search"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        assert any("Serving" in line for line in proc.stdout)  # read until the URL line
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT) == 0
        assert any((root / ".litreview-cache").glob("last-build-*.pickle"))  # flushed
    finally:
        if proc.poll() is None:
            proc.kill()


def test_search_index_and_papers_json_catch_up_once_edits_pause(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Edits keep the published index and papers.json (fast); after a pause both are rebuilt
    with the edit."""
    import generator.serve

    from .test_search import fragments

    monkeypatch.setenv("SOURCE_DATE_EPOCH", PINNED_EPOCH)
    monkeypatch.setattr(generator.serve, "IDLE_SECONDS", 0.5)
    root = snapshot_project(FIXTURES / "small", tmp_path / "project")
    note = root / "content" / "notes" / "diversity.md"
    note.parent.mkdir(parents=True)
    note.write_text(f"---\npaper: {_paper_slug(root)}\n---\n\n{NOTE_TEXT}\n", encoding="utf-8")
    logs: list[str] = []
    preview = Preview(root, port=0, log=logs.append)
    try:
        preview.start()
        if not (preview.out / "pagefind").is_dir():
            pytest.skip("no Pagefind here: search is off")
        assert not any("Zyzzogeton" in f["content"] for f in fragments(preview.out))
        note.write_text(note.read_text(encoding="utf-8").replace(NOTE_TEXT, "Zyzzogeton."),
                        encoding="utf-8")
        deadline = threading.Event()
        for _ in range(int(WAIT)):
            if any("(search index, site-wide files)" in line for line in logs):
                break
            deadline.wait(1)
        assert any("(search index, site-wide files)" in line for line in logs), logs
        assert any("Zyzzogeton" in f["content"] for f in fragments(preview.out))
        assert "Zyzzogeton" in (preview.out / "papers.json").read_text(encoding="utf-8")
    finally:
        preview.stop()


def test_a_new_listing_appears_without_a_restart(serving: Callable[..., Running]) -> None:
    run = serving()
    stream = run.events()
    try:
        stream.next("hello")
        (run.root / "content" / "listings" / "new.txt").write_text(
            "Get trending papers in your email inbox!\nSubscribeA Paper Added While Serving\n"
            "An abstract about incremental rebuilds and live reload.\n", encoding="utf-8")
        stream.next("reload", lambda d: "papers/a-paper-added-while-serving/index.html"
                    in d["changed"])
    finally:
        stream.close()
    assert run.get("/papers/a-paper-added-while-serving/")[0] == 200


BROKEN = ('{% extends "base.html" %}\n{% block main %}\n<h1>{{ paper.no_such_field }}</h1>\n'
          "{% endblock %}\n")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_broken_template_shows_file_and_line_and_keeps_the_old_site(
        serving: Callable[..., Running], monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    """Also when the page fails in a render worker process (`LITREVIEW_WORKERS=2`)."""
    monkeypatch.setenv("LITREVIEW_WORKERS", workers)
    run = serving()
    path = f"/papers/{_paper_slug(run.root)}/"
    before = run.get(path)[2]
    stream = run.events()
    try:
        stream.next("hello")
        (run.root / "templates").mkdir()
        template = run.root / "templates" / "paper.html"
        template.write_text(BROKEN, encoding="utf-8")
        error = stream.next("build-error")
        assert (error["path"], error["line"]) == ("templates/paper.html", 3)
        assert "no_such_field" in error["message"]
        assert [3, "<h1>{{ paper.no_such_field }}</h1>"] in error["excerpt"]
        assert run.get(path) == (200, run.get(path)[1], before)  # the last good site stays up
        fresh = run.events()  # a page opened now gets the error at once
        try:
            assert fresh.next("build-error")["path"] == "templates/paper.html"
        finally:
            fresh.close()
        template.unlink()
        stream.next("reload")
    finally:
        stream.close()
    assert run.get(path)[2] == before
    assert any(re.match(r"error: templates/paper.html:3: ", line) for line in run.logs)


def test_a_config_error_names_the_file_and_line(serving: Callable[..., Running]) -> None:
    run = serving()
    stream = run.events()
    try:
        stream.next("hello")
        config = run.root / "litreview.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "per_pgae: 3\n",
                          encoding="utf-8")
        error = stream.next("build-error")
    finally:
        stream.close()
    assert error["path"] == "litreview.yaml" and "per_page" in error["message"]
    assert error["line"] == len(config.read_text(encoding="utf-8").splitlines())


def test_many_parallel_requests_are_served(serving: Callable[..., Running]) -> None:
    run = serving()
    streams = [run.events() for _ in range(4)]  # open event streams hold threads too
    try:
        paths = ["/", "/papers.json", "/topics/", "/assets/style.css", "/nope"] * 12
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda p: run.get(p)[0], paths))
    finally:
        for stream in streams:
            stream.close()
    assert statuses == [404 if p == "/nope" else 200 for p in paths]


def test_the_command_prints_the_url_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    root = snapshot_project(FIXTURES / "small", tmp_path / "project")
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH, "COLUMNS": "200"}
    # As in a terminal: Ctrl-C is delivered even when this test run itself was started in the
    # background (a shell then makes its children ignore SIGINT, and Python keeps that).
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "-C", str(root),
                             "--port", "0", "--no-search"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        url = None
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.search(r"http://localhost:\d+/", line)
            if found:
                url = found.group(0)
                break
        assert url, "no URL printed"
        host_port = urlsplit(url)
        conn = HTTPConnection(host_port.hostname or "localhost", host_port.port, timeout=WAIT)
        conn.request("GET", "/")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
