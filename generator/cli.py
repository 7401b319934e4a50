"""The command line: thin click commands that parse options and call one function each.

Errors in the user's content print as `file:line: message` with exit code 1; usage errors exit
with 2. No traceback reaches the user for a problem in their content. Text from the project
(file names, titles, messages quoting them) is printed with Rich markup escaped and control
characters shown as U+FFFD: a file named with terminal escape codes cannot clear the screen.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape as escape_markup
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .build import BuildReport, build
from .cache import BuildCache
from .check import CATEGORIES, CheckResult, run_check
from .errors import LitreviewError, StrictError, UsageError
from .model import Paper
from .notes import create_note, match_paper

console = Console(stderr=True, highlight=False)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters but newline and tab (an escape sequence starts with one, ESC)."""


def escape(text: str) -> str:
    """`text` fit to print: Rich markup escaped, control characters shown as U+FFFD."""
    return escape_markup(_CONTROL.sub("\ufffd", text))


PROJECT = click.option("--project", "-C", type=click.Path(file_okay=False, path_type=Path),
                       default=Path("."), show_default=True, help="Project directory.")


def _fail(exc: LitreviewError) -> None:
    if isinstance(exc, StrictError):
        for issue in exc.issues:
            console.print(f"[red]error[/]: {escape(str(issue))}", soft_wrap=True)
    console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    sys.exit(exc.exit_code)


class _GuardedGroup(click.Group):
    """Turns every failure into a message and an exit code: no traceback reaches a user.

    1: a problem in the content or an unreadable/unwritable file; 2: a usage error (click's
    own, or `UsageError`); 130: interrupted. An unexpected exception is a bug: one line says
    so, and `LITREVIEW_TRACEBACK=1` shows the traceback.
    """

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except LitreviewError as exc:
            _fail(exc)
        except OSError as exc:
            where = f" {exc.filename}" if exc.filename else ""
            console.print(f"[bold red]error:[/] cannot access{escape(str(where))}: "
                          f"{escape(exc.strerror or str(exc))}", soft_wrap=True)
            sys.exit(1)
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]; the previous site was left as it was")
            sys.exit(130)
        except Exception as exc:
            if os.environ.get("LITREVIEW_TRACEBACK"):
                raise
            console.print(f"[bold red]internal error:[/] {escape(type(exc).__name__)}: "
                          f"{escape(str(exc))}\nThis is a bug in litreview, not in your content; "
                          "set LITREVIEW_TRACEBACK=1 to see where it happened.", soft_wrap=True)
            sys.exit(1)
        return None


@click.group(cls=_GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="litreview")
def main() -> None:
    """litreview: turn raw paper listings into a browsable, searchable static site."""


@main.command("build")
@PROJECT
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: <project>/site).")
@click.option("--base-url", help="Path the site is served under, e.g. /my-review/.")
@click.option("--strict", is_flag=True, help="Treat every warning as an error (exit 1).")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
@click.option("--no-search", is_flag=True,
              help="Skip the Pagefind search index (the search page says search is off).")
@click.option("--allow-broken-links", is_flag=True,
              help="Build even if notes or reviews have wiki-links to no paper (shown as text).")
def build_command(project: Path, output: Path | None, base_url: str | None, strict: bool,
                  quiet: bool, no_search: bool, allow_broken_links: bool) -> None:
    """Build the site from content/ into site/."""
    try:
        with _progress_bar(quiet) as progress:
            report = build(project, output=output, base_url=base_url, strict=strict,
                           progress=progress, search_index=not no_search,
                           allow_broken_links=allow_broken_links, cache=BuildCache(project))
    except LitreviewError as exc:
        _fail(exc)
        return
    if not quiet:
        print_report(report)


@main.command("serve")
@PROJECT
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 exposes the preview to your network).")
@click.option("--base-url", help="Path the site is served under, e.g. /my-review/.")
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (default: <project>/site).")
@click.option("--no-search", is_flag=True, help="Skip the Pagefind search index.")
def serve_command(project: Path, port: int, host: str, base_url: str | None,
                  output: Path | None, no_search: bool) -> None:
    """Build, serve the site locally, rebuild and reload the browser on every change."""
    from .serve import serve

    def log(message: str) -> None:
        style = "red" if message.startswith("error") else "green"
        head, _, rest = message.partition(" ")
        console.print(f"[{style}]{escape(head)}[/] {escape(rest)}", soft_wrap=True)

    serve(project, host=host, port=port, base_url=base_url, output=output,
          search_index=not no_search, log=log)


class _progress_bar:
    """A rich progress bar for long stages; silent for small sites and in quiet mode."""

    def __init__(self, quiet: bool) -> None:
        self.bar = None if quiet else Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=True)

    def __enter__(self) -> Callable[[str, int], Callable[[], None]]:
        def start(label: str, total: int) -> Callable[[], None]:
            bar = self.bar
            if bar is None or total < 2000:
                return lambda: None
            bar.start()
            task, left = bar.add_task(label, total=total), [total]

            def tick() -> None:
                bar.advance(task)
                left[0] -= 1
                if not left[0]:  # done: its refresh thread ends now, so that the build,
                    _stop(bar)   # which forks to keep its state (`BuildCache.remember`), can
            return tick
        return start

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _stop(bar: Progress) -> None:
    """Stop `bar` and wait for its refresh thread to end (rich only asks it to)."""
    thread = getattr(bar.live, "_refresh_thread", None)  # not public: None if it moves
    bar.stop()
    if thread is not None:
        thread.join(timeout=5)


def print_report(report: BuildReport) -> None:
    """Print the build report: listings, merges, warnings, pages, time."""
    table = Table(title="Listings read", title_justify="left")
    for col in ("listing", "layout", "papers"):
        table.add_column(col, justify="right" if col == "papers" else "left")
    for name, (layout, count) in sorted(report.listings.items()):
        table.add_row(escape(name), layout or "[red]unknown[/]", str(count))
    console.print(table)
    for issue in report.issues:
        label = "[red]error[/]" if issue.error else "[yellow]warning[/]"
        console.print(f"{label}: {escape(str(issue))}", soft_wrap=True, markup=True)
    if report.missing_titles:
        console.print(f"[yellow]{len(report.missing_titles)} paper(s) without a real title:[/] "
                      + ", ".join(report.missing_titles), soft_wrap=True)
    if report.unplaced:
        console.print(f"{report.unplaced} paper(s) matched no curated topic (listed under "
                      "'Other'; add keywords to content/taxonomy.yaml)", soft_wrap=True)
    print_editorial(report)
    total = sum(report.stages.values())
    stages = ", ".join(f"{k} {v:.2f}s" for k, v in report.stages.items())
    console.print(
        f"[green]Built[/] {report.papers} papers ({report.merged} duplicate entries merged), "
        f"{report.files_written} files written ({report.bytes_written / 1e6:.1f} MB), "
        f"{report.files_unchanged} unchanged, {report.files_deleted} deleted "
        f"in {report.output} in {total:.1f}s ({stages})", soft_wrap=True)
    print_search(report)


def print_editorial(report: BuildReport) -> None:
    """One line on the editors' notes and reviews, when there are any."""
    counts = report.editorial
    if counts is None or not (counts.notes or counts.orphans or counts.reviews):
        return
    orphans = (f", [yellow]{counts.orphans} whose paper is missing[/]"
               if counts.orphans else "")
    hidden = f", {counts.hidden} paper(s) hidden" if counts.hidden else ""
    console.print(f"[green]Notes[/]: {counts.notes} applied{orphans}{hidden}; "
                  f"[green]reviews[/]: {counts.reviews}", soft_wrap=True)


@main.command("check")
@PROJECT
@click.option("--output", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="The built site whose links to check (default: <project>/site).")
@click.option("--base-url", help="Path the site was built for (default: from litreview.yaml).")
def check_command(project: Path, output: Path | None, base_url: str | None) -> None:
    """Check notes, reviews, wiki-links, titles and the built site's links; write nothing.

    Exit code 1 when there are errors, 0 otherwise (warnings alone pass).
    """
    try:
        result = run_check(project, output=output, base_url=base_url)
    except LitreviewError as exc:
        _fail(exc)
        return
    print_check(result)
    sys.exit(1 if result.errors else 0)


def print_check(result: CheckResult) -> None:
    """Every finding, then a summary table by category (on standard output)."""
    out = Console(highlight=False)
    for finding in result.findings:
        label = "[red]error[/]" if finding.error else "[yellow]warning[/]"
        out.print(f"{label}: {escape(str(finding.issue))}", soft_wrap=True)
    table = Table(title="litreview check", title_justify="left")
    for col, justify in (("check", "left"), ("errors", "right"), ("warnings", "right")):
        table.add_column(col, justify=justify)
    for kind, label in CATEGORIES:
        found = [f for f in result.findings if f.category == kind]
        errors = sum(f.error for f in found)
        table.add_row(label, f"[red]{errors}[/]" if errors else "[green]0[/]",
                      f"[yellow]{len(found) - errors}[/]" if len(found) - errors else "0")
    out.print(table)
    site = (f"{result.pages_checked} pages and {result.links_checked} internal links"
            if result.site else "no built site")
    verdict = (f"[red]{_plural(result.errors, 'error')}[/]" if result.errors
               else "[green]no errors[/]")
    counts = ", ".join(_plural(n, word) for n, word in ((result.papers, "paper"),
                                                        (result.notes, "note"),
                                                        (result.reviews, "review")))
    out.print(f"Checked {counts}, {site}: {verdict}, {_plural(result.warnings, 'warning')}.",
              soft_wrap=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@main.command("new-note")
@PROJECT
@click.argument("query", nargs=-1, required=True)
def new_note_command(project: Path, query: tuple[str, ...]) -> None:
    """Write content/notes/<slug>.md for the paper QUERY names.

    QUERY is a slug, an id, a title, or a few words of the title (typos are forgiven). An
    existing note is never overwritten.
    """
    try:
        path, paper = _new_note(project, " ".join(query))
    except LitreviewError as exc:
        _fail(exc)
        return
    console.print(f"[green]Wrote[/] {escape(str(path))} for “{escape(paper.title)}”",
                  soft_wrap=True)


def _new_note(project: Path, query: str) -> tuple[Path, Paper]:
    """Find the paper `query` names and write its note skeleton; candidates when unclear."""
    report = build(project, check_only=True)
    assert report.linked is not None and report.overlay is not None
    paper, candidates = match_paper(query, report.linked.papers)
    if paper is None:
        for other in candidates:
            console.print(f"  {escape(other.slug)}  [dim]{escape(other.title)}[/]",
                          soft_wrap=True)
        what = "several papers match" if candidates else "no paper matches"
        raise UsageError(f"{what} {query!r}; "
                         + ("give one of the slugs above" if candidates else "try other words"))
    noted = {a.paper_id: a.note.path for a in report.overlay.applied}
    return create_note(project.resolve(), paper, noted), paper


def print_search(report: BuildReport) -> None:
    """One line on the search index: what was indexed and how long it took, or why it is off."""
    result = report.search
    if result is None:
        return
    if not result.enabled:
        reason = escape(result.off_reason or "")
        console.print(f"[yellow]Search is off:[/] {reason}", soft_wrap=True)
        return
    seconds = report.stages.get("search index", 0.0)
    console.print(
        f"[green]Search index[/]: {result.records} papers, {result.files} files, "
        f"{result.bytes / 1e6:.1f} MB in {seconds:.2f}s "
        f"(Pagefind {result.version}, {result.backend}"
        f"{'' if result.reproducible else '; not byte-reproducible: unknown bundle layout'})",
        soft_wrap=True)


def run() -> None:
    """The `litreview` program: `main`, then, once its output is flushed, an immediate exit.

    At 50,000 papers tearing the interpreter down (a collection over the build's objects,
    then freeing them one by one) takes 2 to 3 s and changes nothing: the build has already
    published the site and saved its cache, and its worker pools are shut down. Only the
    program exits this way; `main` itself (tests, `CliRunner`) returns as usual."""
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, int | None):
            print(done.code, file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
