"""Pictures of the collection: static SVG charts drawn at build time, inline in the pages.

Two kinds of chart: horizontal bars (papers per topic on the home page, a topic's most
frequent tags on its page) and columns over time (papers per month or year). Each is a
`<figure>` with a caption, an SVG readable without JavaScript, hover titles, and the same
numbers as a table in a `<details>` for screen readers and for copying. Colours come from the
theme's CSS variables (`--accent`, `--muted`, ...) and text uses `currentColor`, so a chart
follows the light or dark theme; nothing here writes a `style` attribute.

All markup is built with `xml.etree.ElementTree`, which escapes every text and attribute, so
titles and term names from listings are never markup. This module computes no text
similarity (see `papermap`) and decides no page layout (templates call the functions in
`TEMPLATE_GLOBALS`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

__all__ = ["Bar", "TEMPLATE_GLOBALS", "bar_chart", "bucket_dates", "column_chart",
           "shorten", "svg_markup", "term_bar_chart", "timeline_chart", "topic_chart"]

Url = Callable[[str], str]

ROW = 30
"""Height of one bar's row, in CSS pixels. Charts have no viewBox: they are as wide as their
box, horizontal positions are percentages and text keeps its size on a phone and a desktop."""
BAR_SPAN = 84.0
"""Percent of the width the longest bar takes (the rest holds its count)."""
LABEL_CHARS = 52
MONTHLY_SPAN = 48
"""Up to this many months are drawn month by month; longer spans year by year."""
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its count, where it links to (None: no link)."""

    label: str
    value: int
    href: str | None = None


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` cut to `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:-") + "…"


def plural(count: int, word: str = "paper") -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _num(value: float) -> str:
    """A coordinate with one decimal, without a trailing `.0` (short, deterministic)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: Any
        ) -> ET.Element:
    """A child element (attribute names: `class_` -> `class`, `aria_label` -> `aria-label`)."""
    clean = {k.rstrip("_").replace("_", "-"): (v if isinstance(v, str) else _num(v))
             for k, v in attrs.items() if v is not None}
    el = ET.Element(tag, clean) if parent is None else ET.SubElement(parent, tag, clean)
    if text is not None:
        el.text = text
    return el


def svg_markup(element: ET.Element) -> Markup:
    """Serialise an element tree to HTML (every text and attribute escaped by ElementTree)."""
    return Markup(ET.tostring(element, encoding="unicode", method="html"))


def _figure(chart_id: str, caption: str, kind: str) -> ET.Element:
    figure = _el(None, "figure", class_=f"chart-figure chart-{kind}", id=chart_id)
    _el(figure, "figcaption", caption, id=f"{chart_id}-caption")
    return figure


def _pct(value: float) -> str:
    return f"{_num(value)}%"


def _svg(parent: ET.Element, height: float, chart_id: str, *, image: bool) -> ET.Element:
    """A full-width SVG of a fixed height; `image`: one picture (role img), else a group of
    links."""
    return _el(parent, "svg", class_="chart", width="100%", height=height,
               role="img" if image else "group", aria_labelledby=f"{chart_id}-caption")


def _table(parent: ET.Element, summary: str, head: tuple[str, str],
           rows: Iterable[tuple[str, int]]) -> None:
    """The chart's numbers as a table inside a closed `<details>`."""
    details = _el(parent, "details", class_="chart-data")
    _el(details, "summary", summary)
    table = _el(details, "table")
    tr = _el(_el(table, "thead"), "tr")
    for cell in head:
        _el(tr, "th", cell, scope="col")
    body = _el(table, "tbody")
    for label, value in rows:
        tr = _el(body, "tr")
        _el(tr, "th", label, scope="row")
        _el(tr, "td", f"{value:,}")


def _list(parent: ET.Element, summary: str, bars: Sequence[Bar]) -> None:
    """The bars as a list of links with counts inside a closed `<details>`."""
    details = _el(parent, "details", class_="chart-data")
    _el(details, "summary", summary)
    listing = _el(details, "ul", class_="term-list")
    for bar in bars:
        item = _el(listing, "li")
        _el(item, "a" if bar.href else "span", bar.label, href=bar.href).tail = " "
        _el(item, "span", f"{bar.value:,}", class_="count")


def bar_chart(bars: Sequence[Bar], *, chart_id: str, caption: str,
              more: tuple[int, str, str] | None = None) -> Markup:
    """Horizontal bars, one per row: the label above its bar, the count after it.

    `more` is (how many terms were left out, where the full list is, what they are, e.g.
    "topics"): shown as a link.
    """
    if not bars:
        return Markup("")
    figure = _figure(chart_id, caption, "bars")
    height = len(bars) * ROW + 4
    svg = _svg(figure, height, chart_id, image=False)
    top = max(bar.value for bar in bars) or 1
    for row, bar in enumerate(bars):
        y = row * ROW + 2
        group = _el(svg, "a", href=bar.href) if bar.href else _el(svg, "g")
        _el(group, "title", f"{bar.label}: {plural(bar.value)}")
        # The whole row is the target, not just the ink of the label and the bar.
        _el(group, "rect", class_="chart-hit", x=0, y=y - 2, width="100%", height=ROW,
            fill="transparent")
        _el(group, "text", shorten(bar.label), class_="chart-label", x=0, y=y + 12)
        width = max(0.5, BAR_SPAN * bar.value / top)
        _el(group, "rect", class_="chart-bar", x=0, y=y + 16, width=_pct(width), height=10,
            rx=2)
        _el(group, "text", f"{bar.value:,}", class_="chart-value", x=_pct(width), dx=5,
            y=y + 25)
    if more is not None and more[0] > 0:
        note = _el(figure, "p", None, class_="chart-more")
        _el(note, "a", f"{more[0]:,} more {more[2]} →", href=more[1])
    _list(figure, "Show as a list", bars)
    return svg_markup(figure)


def term_bar_chart(links: Sequence[tuple[Any, int]], kind_name: str, url: Url, *,
                   caption: str, limit: int = 10, chart_id: str = "") -> Markup:
    """Bars of terms with counts, `[(Term, count)]` (e.g. `Library.linked(topic, 'tags')`),
    each linking to its term page under `kind_name/`."""
    bars = [Bar(term.name, count, url(f"{kind_name}/{term.slug}/"))
            for term, count in links[:limit]]
    return bar_chart(bars, chart_id=chart_id or f"chart-{kind_name}", caption=caption)


def topic_chart(library: Any, url: Url, limit: int = 12) -> Markup:
    """Papers per topic (largest first) for the home page; listings when there are no topics."""
    kind = "topics" if library.terms["topics"] else "listings"
    terms = sorted(library.terms[kind], key=lambda t: (-t.count, t.name.casefold(), t.name))
    bars = [Bar(t.name, t.count, url(f"{kind}/{t.slug}/")) for t in terms[:limit]]
    noun = "topic" if kind == "topics" else "listing"
    more = (len(terms) - len(bars), url(f"{kind}/"), kind)
    return bar_chart(bars, chart_id=f"chart-{kind}", caption=f"Papers per {noun}",
                     more=more)


def bucket_dates(dates: Iterable[str | None]) -> tuple[str, list[tuple[str, int]]]:
    """Count ISO dates per month (spans up to `MONTHLY_SPAN` months) or per year, with the
    empty buckets in between: ("month" | "year", [(yyyy-mm or yyyy, count)])."""
    months = Counter(d[:7] for d in dates if d and len(d) >= 7 and d[:4].isdigit())
    if not months:
        return "month", []
    first, last = min(months), max(months)
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    stop = int(last[:4]) * 12 + int(last[5:7]) - 1
    if stop - start + 1 <= MONTHLY_SPAN:
        keys = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(start, stop + 1)]
        return "month", [(k, months.get(k, 0)) for k in keys]
    years = Counter()
    for key, count in months.items():
        years[key[:4]] += count
    return "year", [(f"{y:04d}", years.get(f"{y:04d}", 0))
                    for y in range(start // 12, stop // 12 + 1)]


def _bucket_name(unit: str, key: str) -> str:
    return f"{MONTHS[int(key[5:7]) - 1]} {key[:4]}" if unit == "month" else key


def _x_labels(unit: str, buckets: Sequence[tuple[str, int]]) -> list[tuple[int, str]]:
    """Which columns get an axis label: each January (or the first column) for months, every
    k-th year for years, never two labels closer than four columns."""
    if unit == "year":
        step = max(1, -(-len(buckets) // 8))
        return [(i, key) for i, (key, _) in enumerate(buckets) if i % step == 0]
    marks = [(i, key[:4]) for i, (key, _) in enumerate(buckets) if key.endswith("-01")]
    if not marks or marks[0][0] >= 4:
        first = buckets[0][0]
        marks.insert(0, (0, _bucket_name("month", first) if len(buckets) < 12 else first[:4]))
    if len(buckets) <= 12:  # a short span: every third month
        marks = [(i, _bucket_name("month", k)[:3]) for i, (k, _) in enumerate(buckets)
                 if i % 3 == 0]
        marks[0] = (0, _bucket_name("month", buckets[0][0]))
    return marks


def column_chart(unit: str, buckets: Sequence[tuple[str, int]], *, chart_id: str,
                 caption: str, note: str = "") -> Markup:
    """Columns over time, a hover title per column, gridlines at the top and half values."""
    if not buckets:
        return Markup("")
    figure = _figure(chart_id, caption, "columns")
    height, top_pad, bottom = 180.0, 18.0, 22.0
    svg = _svg(figure, height, chart_id, image=True)
    plot_h = height - bottom - top_pad
    base = top_pad + plot_h
    top = max(count for _, count in buckets) or 1
    step = 100.0 / len(buckets)
    for i, (key, count) in enumerate(buckets):
        bar_h = plot_h * count / top
        rect = _el(svg, "rect", class_="chart-bar", x=_pct(i * step + step * 0.08),
                   y=base - bar_h, width=_pct(step * 0.84), height=bar_h)
        _el(rect, "title", f"{_bucket_name(unit, key)}: {plural(count)}")
    # Gridlines with their values written above them, at the left, over the columns.
    for value in (top, top // 2) if top > 1 else (top,):
        y = top_pad + plot_h * (1 - value / top)
        _el(svg, "line", class_="chart-grid", x1="0", x2="100%", y1=y, y2=y)
        _el(svg, "text", f"{value:,}", class_="chart-axis chart-halo", x=2, y=y - 4)
    _el(svg, "line", class_="chart-baseline", x1="0", x2="100%", y1=base, y2=base)
    for i, label in _x_labels(unit, buckets):
        _el(svg, "text", label, class_="chart-axis", x=_pct(i * step + step * 0.08),
            y=height - 6)
    if note:
        _el(figure, "p", note, class_="chart-more")
    _table(figure, "Show as a table", (unit.capitalize(), "Papers"),
           ((_bucket_name(unit, key), count) for key, count in buckets))
    return svg_markup(figure)


def timeline_chart(library: Any) -> Markup:
    """Papers per month (or year) over the dated papers of the library."""
    papers = library.papers
    unit, buckets = bucket_dates(p.date for p in papers)
    undated = sum(1 for p in papers if not p.date)
    note = f"{plural(undated)} without a date are not shown." if undated else ""
    return column_chart(unit, buckets, chart_id="chart-timeline",
                        caption=f"Papers per {unit}", note=note)


def _collection_map(library: Any, url: Url) -> Markup:
    from .papermap import collection_map  # scikit-learn loads only where a map is drawn

    return collection_map(library, url)


TEMPLATE_GLOBALS: dict[str, Callable[..., Markup]] = {
    "topic_chart": topic_chart,
    "timeline_chart": timeline_chart,
    "term_bar_chart": term_bar_chart,
    "collection_map": _collection_map,
}
"""The functions templates call: `{{ topic_chart(library, url) }}`, `{{ timeline_chart(library)
}}`, `{{ term_bar_chart(library.linked(term, 'tags'), 'tags', url, caption=...) }}`,
`{{ collection_map(library, url) }}`."""
