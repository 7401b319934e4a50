"""The benchmark's figures per size (`Run`) and the Markdown table printed from them.

Stage rows come from `BuildReport.stages` (wall seconds) and `BuildReport.stages_cpu` (CPU
seconds, pool workers included), in the order the build ran them. This module formats; it does
not measure.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

__all__ = ["Run", "format_table"]


@dataclass(frozen=True)
class Run:
    """Everything measured for one corpus size."""

    n: int
    full: dict
    noop: dict
    edited: dict
    edit_label: str
    files: int
    bytes: int
    hugo: dict = field(default_factory=dict)
    session: dict = field(default_factory=dict)
    """Edits in one process, as `litreview serve` rebuilds (see `child.run_session`)."""
    again: dict = field(default_factory=dict)
    """The note edited a second time, rebuilt in a new process (see `edits.edit_note_again`)."""

    def with_hugo(self, wall: float, cpu: float, rss: float, files: int, size: int) -> Run:
        return replace(self, hugo={"wall_s": wall, "cpu_s": cpu, "max_rss_mib": rss,
                                   "files": files, "bytes": size})

    def search_s(self) -> float:
        return sum(v for k, v in self.full["stages"].items() if "search" in k)

    def without_search_s(self) -> float:
        """Full build, process start to exit, minus the search index stage."""
        return self.full["proc_wall_s"] - self.search_s()

    def as_dict(self) -> dict:
        return asdict(self)


def _stage_names(runs: list[Run]) -> list[str]:
    names: dict[str, None] = {}
    for run in runs:
        names.update(dict.fromkeys(run.full["stages"]))
        names.update(dict.fromkeys(run.full.get("stages_cpu", {})))
    return list(names)


def _pair(wall: float | None, cpu: float | None) -> str:
    w = f"{wall:.2f}" if wall is not None else "–"
    c = f"{cpu:.2f}" if cpu is not None else "–"
    return f"{w} / {c}"


def _stage_rows(runs: list[Run]) -> list[list[str]]:
    rows = []
    for name in _stage_names(runs):
        rows.append([f"stage: {name}"] + [
            _pair(r.full["stages"].get(name), r.full.get("stages_cpu", {}).get(name))
            for r in runs])
    return rows


def _rebuild_row(label: str, runs: list[Run], key: str) -> list[str]:
    return [label] + [f"{getattr(r, key)['proc_wall_s']:.2f} ({getattr(r, key)['wall_s']:.2f})"
                      for r in runs]


def _hugo_rows(runs: list[Run]) -> list[list[str]]:
    if not any(r.hugo for r in runs):
        return []
    def cell(r: Run, fmt) -> str:
        return fmt(r) if r.hugo else "–"
    return [
        ["Hugo, same pages + tag pages: wall / CPU s"]
        + [cell(r, lambda r: _pair(r.hugo["wall_s"], r.hugo["cpu_s"])) for r in runs],
        ["Hugo peak RSS MiB"] + [cell(r, lambda r: f"{r.hugo['max_rss_mib']:.0f}") for r in runs],
        ["Hugo output: files / MB"]
        + [cell(r, lambda r: f"{r.hugo['files']} / {r.hugo['bytes'] / 1e6:.0f}") for r in runs],
        ["**litreview / Hugo** (excl. search)"]
        + [cell(r, lambda r: f"**{r.without_search_s() / r.hugo['wall_s']:.2f}**") for r in runs],
    ]


def _rows(runs: list[Run], search: bool) -> list[list[str]]:
    f = [r.full for r in runs]
    rows = _stage_rows(runs) + [
        ["build() total: wall / CPU s"] + [_pair(x["wall_s"], x["cpu_s"]) for x in f],
        ["imports s"] + [f"{x['import_s']:.2f}" for x in f],
        ["full build, process: wall / CPU s"] + [_pair(x["proc_wall_s"], x["proc_cpu_s"])
                                                 for x in f],
        ["full build excl. search, process s"] + [f"{r.without_search_s():.2f}" for r in runs],
        ["pages/s (papers / build excl. search)"]
        + [f"{r.n / r.without_search_s():.0f}" for r in runs],
        ["papers built"] + [str(x["papers"]) for x in f],
        ["peak RSS MiB (largest process)"] + [f"{x['max_rss_mib']:.0f}" for x in f],
        ["output: files / MB"] + [f"{r.files} / {r.bytes / 1e6:.0f}" for r in runs],
        _rebuild_row("no-op rebuild s: process (build())", runs, "noop"),
        _rebuild_row(f"{runs[0].edit_label} s: process (build())", runs, "edited"),
    ]
    if all(r.again for r in runs):
        rows.append(_rebuild_row("note edited again s: process (build())", runs, "again"))
    if all(r.session for r in runs):
        rows += [
            ["serve session: warm-up build s"] + [f"{r.session['warm_up_s']:.2f}" for r in runs],
            ["serve session: note edited s, median (max)"]
            + [f"{r.session['median_s']:.2f} ({r.session['max_s']:.2f})" for r in runs],
            ["serve session: no-op s"] + [f"{r.session['noop_s']:.2f}" for r in runs],
        ]
    if not search:
        rows.append(["search index"] + ["skipped (--no-search)"] * len(runs))
    return rows + _hugo_rows(runs)


def _growth(runs: list[Run]) -> str:
    lines = []
    for a, b in zip(runs, runs[1:], strict=False):
        ratio = b.without_search_s() / a.without_search_s()
        lines.append(f"{a.n} -> {b.n} papers ({b.n / a.n:.0f}x): build time x{ratio:.2f}")
    return "\n".join(lines)


def format_table(runs: list[Run], search: bool = True) -> str:
    """A Markdown table: one column per size, one row per stage and figure."""
    header = ["papers"] + [f"{r.n:,}" for r in runs]
    rows = _rows(runs, search)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"
    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    notes = ("Stage cells: wall s / CPU s (CPU includes pool workers). Rebuild cells: the whole "
             "process (start to exit), build() alone in brackets.")
    return "\n".join(out) + "\n\n" + notes + ("\n" + _growth(runs) if len(runs) > 1 else "")
