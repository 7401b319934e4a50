"""Atomic output: a build killed at any moment leaves `site/` the old complete site or the new one.

A child process builds the project with an audit hook (`sys.addaudithook`) that sees every
file-system change the build makes to `site/` and its siblings (`.site.staging`, ...): opening a
file for writing, renames, removals, the atomic exchange. A first run lists those events; then
the build is re-run from the old site and SIGKILLed at chosen events: each rename, removal and
exchange, the events around them, and the first, middle and last file written. After each kill
`site/` must be byte for byte the old site or the new one, and the next build must finish the
job. One more run is killed from outside, while the staging directory is being filled.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import FIXTURES, PINNED_EPOCH, REPO, build_pinned, site_tree

pytestmark = pytest.mark.slow

CHILD = r"""
import os, signal, sys
from pathlib import Path
kill_at, log, root, out = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
watched = (out, os.path.join(os.path.dirname(out), "." + os.path.basename(out)))
events = []

def where(event, args):
    if event == "os.link":  # (src, dst): what changes is dst
        return args[1]
    if event in ("os.rename", "os.remove", "os.rmdir", "shutil.rmtree", "os.mkdir"):
        return args[0]
    if event == "open":
        path, mode, flags = args
        writing = (mode and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR))
        return path if writing else None
    if event == "litreview.exchange":  # just before renameat2(RENAME_EXCHANGE)
        return args[1]
    return None

def hook(event, args):
    path = where(event, args)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str) or not path.startswith(watched):
        return
    events.append(f"{event} {path}")
    if len(events) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

sys.addaudithook(hook)
from generator.build import build
build(root, output=Path(out), search_index=False)
log.write_text("\n".join(events), encoding="utf-8")
"""


def _run_child(root: Path, out: Path, kill_at: int, log: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", CHILD, str(kill_at), str(log), str(root),
                           str(out)], env=env, capture_output=True, text=True, timeout=600)


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _restore(pristine: Path | None, out: Path) -> None:
    """Put the old site back (or no site at all), with no staging leftovers."""
    for path in [out, *(out.parent / n for n in _leftovers(out))]:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    if pristine is not None:
        shutil.copytree(pristine, out, symlinks=True)


def _kill_points(events: list[str], out: Path) -> list[int]:
    """1-based event numbers to kill at: the first, middle and last event that fills the
    staging folder, every event that touches the published site (with the next one), and the
    middle of the removal of the old site after an exchange."""
    staging = f"{out.parent}/.{out.name}.staging"
    fill = [i for i, e in enumerate(events, start=1)
            if staging in e and not e.startswith(("os.rename", "litreview"))]
    publish = [i for i in range(1, len(events) + 1) if i not in set(fill)]
    points = {fill[0], fill[len(fill) // 2], fill[-1]} if fill else set()
    points.update(publish, (i + 1 for i in publish))
    swaps = [i for i, e in enumerate(events, start=1) if e.startswith("litreview.exchange")]
    if swaps:
        points.add((swaps[-1] + len(events)) // 2 + 1)
    return sorted(p for p in points if p <= len(events))


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "small" / "content", root / "content")
    return root


def _add_listing(root: Path) -> None:
    src = REPO / "content" / "listings" / "neurips-epoch.txt"
    shutil.copy(src, root / "content" / "listings" / "added.txt")


def _edit_one_abstract(root: Path) -> None:
    path = next(iter(sorted((root / "content" / "listings").iterdir())))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(" the ", " THE ", 1), encoding="utf-8")


@pytest.mark.parametrize(("change", "first_build"), [
    pytest.param(_add_listing, False, id="many-files-change"),
    pytest.param(_edit_one_abstract, False, id="one-file-changes"),
    pytest.param(_add_listing, True, id="first-build"),
])
def test_killed_build_leaves_old_or_new_site(tmp_path: Path, change: Callable[[Path], None],
                                             first_build: bool) -> None:
    root, out, log = _project(tmp_path), tmp_path / "project" / "site", tmp_path / "events"
    pristine = None
    if not first_build:
        build_pinned(root, out, search_index=False)
        pristine = tmp_path / "pristine"
        shutil.copytree(out, pristine, symlinks=True)
    old = site_tree(pristine) if pristine else None
    change(root)
    build_pinned(root, tmp_path / "expected" / "site", search_index=False)
    new = site_tree(tmp_path / "expected" / "site")

    dry = _run_child(root, out, 0, log)
    assert dry.returncode == 0, dry.stderr
    assert site_tree(out) == new
    events = log.read_text(encoding="utf-8").splitlines()
    assert any(not e.startswith("open ") for e in events), "the swap was not observed"
    for point in _kill_points(events, out):
        _restore(pristine, out)
        killed = _run_child(root, out, point, log)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        state = site_tree(out) if out.exists() else None
        assert state in (old, new), f"killed at {events[point - 1]}: site is a mix"
        build_pinned(root, out, search_index=False)
        assert site_tree(out) == new and _leftovers(out) == [], events[point - 1]


def test_build_killed_from_outside_while_writing(tmp_path: Path) -> None:
    root, out = _project(tmp_path), tmp_path / "project" / "site"
    build_pinned(root, out, search_index=False)
    old = site_tree(out)
    _add_listing(root)
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-m", "generator.cli", "build", "-C", str(root),
                              "--no-search", "-q"], env=env)
    staging = out.with_name(f".{out.name}.staging")
    deadline = time.monotonic() + 300
    while child.poll() is None and not staging.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert site_tree(out) == old or child.returncode == 0
    build_pinned(root, out, search_index=False)
    assert _leftovers(out) == []


def test_two_files_at_one_path_fail_the_build_and_leave_the_site(tmp_path: Path) -> None:
    """Two pages of one build at one address would lose one of them: the writer refuses."""
    from generator.writer import MARKER, SiteWriter

    out = tmp_path / "site"
    first = SiteWriter(out)
    first.write("a/index.html", "old")
    first.commit()
    writer = SiteWriter(out)
    writer.write("a/index.html", "new")
    with pytest.raises(ValueError, match="a/index.html"):
        writer.write("a/index.html/", "newer")  # the same path, spelt another way
    writer.discard()
    assert {rel: data for rel, data in site_tree(out).items() if rel != MARKER} == {
        "a/index.html": b"old"}
    assert _leftovers(out) == []
