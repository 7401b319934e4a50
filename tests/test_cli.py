"""The command line: help for every command, exit codes, and messages naming file and line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from generator.cli import main

from .conftest import PINNED_EPOCH, REPO, write_project

COMMANDS = sorted(main.commands)
LITREVIEW = Path(sys.executable).with_name("litreview")


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `litreview` console script as a user would."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH, "NO_COLOR": "1", "COLUMNS": "200"}
    command = [str(LITREVIEW)] if LITREVIEW.exists() else [sys.executable, "-m", "generator.cli"]
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


def _invoke(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": PINNED_EPOCH,
                                                     "NO_COLOR": "1", "COLUMNS": "200"})


def test_litreview_help_lists_every_command() -> None:
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: litreview" in result.stdout
    assert [c for c in COMMANDS if c not in result.stdout] == []


@pytest.mark.parametrize("command", [pytest.param(c, id=c) for c in COMMANDS])
def test_every_command_has_help(command: str) -> None:
    result = _invoke(command, "--help")
    assert result.exit_code == 0, result.output
    assert f"Usage: main {command}" in result.output or f"Usage: litreview {command}" in \
        result.output
    assert main.commands[command].help, f"{command} has no help text"


@pytest.mark.parametrize("command", [pytest.param(c, id=c) for c in COMMANDS])
def test_every_command_is_documented_in_the_readme(command: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"litreview {command}" in readme, f"README.md never mentions `litreview {command}`"


def test_version() -> None:
    result = _invoke("--version")
    assert result.exit_code == 0 and "0." in result.output


def test_unknown_option_is_a_usage_error() -> None:
    assert _invoke("build", "--no-such-option").exit_code == 2


def test_bad_config_key_exits_1_naming_file_line_and_nearest_key(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"litreview.yaml": "title: Mine\nbase_ulr: /x/\n"})
    result = _invoke("build", "-C", str(root))
    assert result.exit_code == 1
    assert "litreview.yaml:2: unknown key base_ulr; did you mean 'base_url'?" in result.output
    assert "Traceback" not in result.output
    assert not (root / "site").exists()


def test_strict_build_of_the_sample_site_fails_on_the_missing_title(default_project: Path,
                                                                       tmp_path: Path) -> None:
    result = _run("build", "-C", str(default_project), "-o", str(tmp_path / "site"), "--strict")
    assert result.returncode == 1, result.stderr
    assert "neurips-statistical-learning.txt:8: title is a file name" in result.stderr
    assert "--strict" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "site").exists(), "a failed build writes nothing"


def test_normal_build_of_the_sample_site_succeeds_with_one_warning(default_project: Path,
                                                                    tmp_path: Path) -> None:
    result = _run("build", "-C", str(default_project), "-o", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert len(warnings) == 1 and "title is a file name" in warnings[0], warnings
    assert "Built 365 papers (10 duplicate entries merged)" in result.stderr
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize("output", [
    pytest.param(".", id="project-root"),
    pytest.param("content", id="content"),
    pytest.param("content/listings/out", id="inside-content"),
    pytest.param("templates", id="templates"),
])
def test_building_over_the_project_is_refused_with_exit_2(tmp_path: Path, output: str) -> None:
    listing = (REPO / "content/listings/neurips-epoch.txt").read_bytes()
    root = write_project(tmp_path / "p", {"content/listings/neurips-epoch.txt": listing})
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = _run("build", "-C", str(root), "-o", str(root / output))
    assert result.returncode == 2, result.stderr
    assert "refusing to build into" in result.stderr
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before, "nothing written"


def test_output_directory_not_made_by_litreview_is_not_replaced(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"content/listings/a.txt": "x\n",
                                          "mine/keep.txt": "precious\n"})
    result = _invoke("build", "-C", str(root), "-o", str(root / "mine"))
    assert result.exit_code == 2 and "not made by litreview" in result.output
    assert (root / "mine" / "keep.txt").read_text() == "precious\n"


NUMERICAL = ("numpy", "scipy", "sklearn")
"""Packages that cost seconds to import: a build with nothing to do must not load them."""
_SECOND_BUILD = """
import sys
from generator.cli import main
try:
    main(["build", "-C", sys.argv[1], "--no-search"])
except SystemExit as stop:
    assert not stop.code, stop.code
print(" ".join(sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2:]))))
"""


def test_skipped_build_starts_without_the_numerical_stack(tmp_path: Path) -> None:
    """The second of two identical builds is skipped, in a process that never imports NumPy,
    SciPy or scikit-learn (enrichment needs them; a no-op rebuild must not pay for them)."""
    listing = (REPO / "content/listings/neurips-epoch.txt").read_bytes()
    root = write_project(tmp_path / "p", {"content/listings/neurips-epoch.txt": listing})
    assert _run("build", "-C", str(root), "--no-search").returncode == 0
    env = {**os.environ, "SOURCE_DATE_EPOCH": PINNED_EPOCH, "NO_COLOR": "1", "COLUMNS": "200"}
    second = subprocess.run([sys.executable, "-c", _SECOND_BUILD, str(root), *NUMERICAL],
                            env=env, capture_output=True, text=True, timeout=600, check=False)
    assert second.returncode == 0, second.stderr
    assert " 0 files written" in second.stderr, "the second build was not skipped"
    assert second.stdout.split() == [], f"a skipped build imported {second.stdout.strip()}"


def test_the_progress_bar_stops_its_thread_after_the_last_page() -> None:
    """The build forks to keep its state (`BuildCache.remember`) only with one thread: the
    rendering bar's refresh thread must be gone once the pages are done."""
    import threading

    from generator.cli import _progress_bar

    before = threading.active_count()
    with _progress_bar(quiet=False) as progress:
        tick = progress("Rendering pages", 2000)
        assert threading.active_count() == before + 1
        for _ in range(2000):
            tick()
        assert threading.active_count() == before
