"""The map of the collection: papers placed by text similarity, coloured by topic, as SVG.

`collection_map()` samples at most `MAP_LIMIT` papers (every topic keeps a share, so a map of
50,000 papers stays a few hundred kilobytes), turns their titles and abstracts into TF-IDF
vectors, reduces them with TruncatedSVD (latent semantic analysis) and lays them out in two
dimensions with Isomap (scikit-learn), which keeps neighbours in the text space near each
other. Each point is a link to its paper with the title as hover text; the legend links the
topics. Numerical work runs single-threaded (threadpoolctl), which makes it reproducible
byte for byte and safe in forked render workers. The layout is kept on disk by a digest of
its inputs (`cache.kept`), so a new process draws an unchanged sample without scikit-learn.

This module does not compute topics or related papers (`enrich`), and it draws only the map;
the bar and column charts are in `charts`.
"""

from __future__ import annotations

import functools
import hashlib
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

import numpy as np
from markupsafe import Markup

from .cache import code_version, kept
from .charts import Url, _el, plural, shorten, svg_markup
from .model import Paper

__all__ = ["MAP_LIMIT", "MapPoint", "collection_map", "project", "projection_key", "sample_papers"]

MAP_LIMIT = 1200
"""Most points drawn: about 250 bytes each, so the map page stays under half a megabyte."""
MIN_PER_GROUP = 3
"""Every topic keeps at least this many of its papers in a sampled map."""
COLOURS = 9
"""Topics with their own colour (largest first); the rest share a neutral one."""
NEIGHBOURS = 10
PROJECTION_LIBRARIES = ("scikit-learn", "scipy", "numpy", "threadpoolctl")
WIDTH, HEIGHT, MARGIN = 800.0, 560.0, 14.0


@dataclass(frozen=True)
class MapPoint:
    """One drawn paper: its position in the unit square and its colour group."""

    paper: Paper
    x: float
    y: float
    group: int
    """Index of its topic's colour, or `COLOURS` for the shared one."""


def primary_group(paper: Paper) -> str:
    """The topic a paper is coloured by: its first topic, else its first listing."""
    return paper.topics[0] if paper.topics else (paper.listings[0] if paper.listings else "")


def sample_papers(papers: Sequence[Paper], limit: int = MAP_LIMIT) -> list[Paper]:
    """At most `limit` papers, sorted by id, each group (topic) keeping its share.

    Ids are hashes, so the first ones of a group by id are an even, reproducible sample.
    """
    ordered = sorted(papers, key=lambda p: p.id)
    if len(ordered) <= limit:
        return ordered
    groups: dict[str, list[Paper]] = {}
    for paper in ordered:
        groups.setdefault(primary_group(paper), []).append(paper)
    quota = {name: max(min(len(g), MIN_PER_GROUP), len(g) * limit // len(ordered))
             for name, g in groups.items()}
    by_size = sorted(quota, key=lambda n: (-quota[n], n))
    while sum(quota.values()) > limit:  # floors and minimums can overshoot: trim the largest
        biggest = max(by_size, key=lambda n: quota[n])
        quota[biggest] -= 1
    chosen = [p for name, g in groups.items() for p in g[: quota[name]]]
    return sorted(chosen, key=lambda p: p.id)


def _unit_square(points: np.ndarray) -> np.ndarray:
    """Scale each axis to [0, 1] (a flat axis goes to the middle)."""
    low, span = points.min(axis=0), np.ptp(points, axis=0)
    safe = np.where(span > 0, span, 1.0)
    return np.where(span > 0, (points - low) / safe, 0.5)


def project(texts: Sequence[str]) -> np.ndarray:
    """2-D positions in the unit square of `texts`, similar texts near each other."""
    from sklearn.decomposition import PCA, TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.manifold import Isomap
    from sklearn.preprocessing import normalize
    from threadpoolctl import threadpool_limits

    n = len(texts)
    if n < 4:
        return np.array([[0.5 + 0.3 * np.cos(2 * np.pi * i / max(n, 1)),
                          0.5 + 0.3 * np.sin(2 * np.pi * i / max(n, 1))] for i in range(n)])
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. Isomap joining a disconnected neighbour graph
        vectors = TfidfVectorizer(sublinear_tf=True, stop_words="english",
                                  min_df=2 if n >= 50 else 1, max_df=0.6).fit_transform(texts)
        dims = min(30, vectors.shape[1] - 1, n - 1)
        if dims < 2:
            return _unit_square(np.arange(2 * n, dtype=float).reshape(n, 2))
        reduced = normalize(TruncatedSVD(dims, random_state=0).fit_transform(vectors))
        if n > NEIGHBOURS + 2:
            flat = Isomap(n_neighbors=NEIGHBOURS, n_components=2,
                          eigen_solver="dense").fit_transform(reduced)
        else:
            flat = PCA(2, random_state=0).fit_transform(reduced)
    return _unit_square(np.asarray(flat, dtype=float))


@functools.lru_cache(maxsize=2)
def _remembered_projection(texts: tuple[str, ...]) -> np.ndarray:
    """`project(texts)`, kept for the next build of this process (a `serve` session redraws
    the map after every edit, and the sampled texts rarely change) and on disk for the next
    process (`cache.kept`: importing scikit-learn and fitting take seconds at 50,000 papers)."""
    return kept("map-projection", projection_key(texts), functools.partial(project, texts))


def projection_key(texts: Sequence[str]) -> str:
    """Digest of everything `project` reads: the texts, litreview's code and the versions of
    the numerical libraries (a new release may place points differently)."""
    h = hashlib.sha256(code_version().encode())
    for name in PROJECTION_LIBRARIES:
        try:
            h.update(f"\0{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"\0{name}=none".encode())
    h.update(len(texts).to_bytes(8, "little"))
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()[:32]


def map_points(papers: Sequence[Paper], limit: int = MAP_LIMIT
               ) -> tuple[list[MapPoint], list[tuple[str, int]]]:
    """The drawn points and the colour groups: [(topic, papers in the whole collection)],
    largest first, the first `COLOURS` with their own colour."""
    sizes: dict[str, int] = {}
    for paper in papers:
        sizes[primary_group(paper)] = sizes.get(primary_group(paper), 0) + 1
    groups = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0]))
    colour = {name: i for i, name in enumerate(coloured_groups(groups))}
    chosen = sample_papers(papers, limit)
    xy = _remembered_projection(tuple(f"{p.title}. {p.abstract}" for p in chosen))
    points = [MapPoint(p, float(x), float(y), colour.get(primary_group(p), COLOURS))
              for p, (x, y) in zip(chosen, xy, strict=True)]
    return points, groups


def coloured_groups(groups: Sequence[tuple[str, int]]) -> list[str]:
    """The groups with their own colour, in colour order (the enrichment's catch-all topic
    "Other" never takes one)."""
    return [name for name, _ in groups if name != "Other"][:COLOURS]


def _legend(parent: ET.Element, groups: Sequence[tuple[str, int]], kind: str, library: Any,
            url: Url) -> None:
    """Coloured topics as links, then one entry for all the others."""
    legend = _el(parent, "ul", class_="map-legend", id="map-legend")
    coloured = coloured_groups(groups)
    for i, name in enumerate(coloured):
        item = _el(legend, "li")
        _el(item, "span", "", class_=f"swatch c{i}", aria_hidden="true")
        term = library.term(kind, name)
        href = url(f"{kind}/{term.slug}/") if term else None
        _el(item, "a" if href else "span", name, href=href)
    rest = len(groups) - len(coloured)
    if rest:
        item = _el(legend, "li")
        _el(item, "span", "", class_=f"swatch c{COLOURS}", aria_hidden="true")
        _el(item, "a", f"{rest} other {kind}", href=url(f"{kind}/"))


def _labels(svg: ET.Element, points: Sequence[MapPoint], names: Sequence[str]) -> None:
    """Each coloured topic's name at the median of its points, skipping any that would
    overlap a larger topic's label (decoration: the legend carries the same names)."""
    placed: list[tuple[float, float, float, float]] = []
    layer = _el(svg, "g", class_="map-labels", aria_hidden="true")
    for group, name in enumerate(names):
        mine = [(p.x, p.y) for p in points if p.group == group]
        if len(mine) < 3:
            continue
        cx = MARGIN + float(np.median([x for x, _ in mine])) * (WIDTH - 2 * MARGIN)
        cy = MARGIN + float(np.median([y for _, y in mine])) * (HEIGHT - 2 * MARGIN)
        text = shorten(name, 32)
        half = len(text) * 3.6 + 4
        cx = min(max(cx, half), WIDTH - half)
        box = (cx - half, cy - 12, cx + half, cy + 6)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
               for b in placed):
            continue
        placed.append(box)
        _el(layer, "text", text, class_=f"map-label l{group}", x=cx, y=cy,
            text_anchor="middle")


def _svg(points: Sequence[MapPoint], names: Sequence[str], url: Url) -> ET.Element:
    svg = _el(None, "svg", class_="map", viewBox=f"0 0 {WIDTH:.0f} {HEIGHT:.0f}",
              width=WIDTH, height=HEIGHT, role="group", aria_labelledby="map-caption")
    # Neutral points first, so coloured ones are drawn on top of them.
    for point in sorted(points, key=lambda pt: (-pt.group, pt.paper.id)):
        link = _el(svg, "a", href=url(f"papers/{point.paper.slug}/"))
        title = point.paper.title if not point.paper.title_missing else "Untitled paper"
        _el(link, "title", shorten(title, 120))
        _el(link, "circle", class_=f"c{point.group}",
            cx=MARGIN + point.x * (WIDTH - 2 * MARGIN),
            cy=MARGIN + point.y * (HEIGHT - 2 * MARGIN), r=5)
    _labels(svg, points, names)
    return svg


def collection_map(library: Any, url: Url, limit: int = MAP_LIMIT) -> Markup:
    """The map figure: caption, how it was made, the SVG and its legend."""
    papers = library.papers
    if not papers:
        return Markup("")
    points, groups = map_points(papers, limit)
    kind = "topics" if any(p.topics for p in papers) else "listings"
    figure = _el(None, "figure", class_="map-figure", id="map")
    shown = (f"all {plural(len(points))}" if len(points) == len(papers)
             else f"{len(points):,} of the {len(papers):,} papers, sampled evenly across "
                  f"{kind}")
    _el(figure, "figcaption", f"Papers close together have similar titles and abstracts; "
        f"showing {shown}. Colour: {kind[:-1]}. Each point links to its paper.",
        id="map-caption")
    _el(figure, "a", "Skip the map", href="#map-legend", class_="skip-map")
    figure.append(_svg(points, coloured_groups(groups), url))
    _legend(figure, groups, kind, library, url)
    after = _el(figure, "p", "Every paper is also listed by ", class_="map-after")
    _el(after, "a", kind[:-1], href=url(f"{kind}/")).tail = " and can be found with "
    _el(after, "a", "search", href=url("search/")).tail = "."
    return svg_markup(figure)
