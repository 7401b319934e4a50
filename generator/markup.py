"""Editors' Markdown to safe HTML, and the wiki-link syntax of notes and reviews.

`render_markdown` runs Python-Markdown (tables, fenced code, footnotes, `$…$` math shown as
readable text with sub- and superscripts) and then sanitises the HTML with nh3, so raw HTML an
editor pastes (a `<script>`, an `onerror=`) never reaches a page. `find_wikilinks` and
`replace_wikilinks` locate `[[target]]` / `[[target|label]]` outside code, with line numbers.
This module does not know what a wiki-link points to: callers resolve targets to URLs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

__all__ = ["MarkdownRefused", "WikiLink", "escape_markdown", "find_wikilinks", "markdown_link",
           "render_markdown", "replace_wikilinks", "sanitize", "tex_to_element", "tex_to_text"]

# ---------------------------------------------------------------- wiki-links

# Code spans and HTML comments are matched first and kept: `[[x]]` there is never a link. A
# link may wrap onto the next line (editors wrap paragraphs) but never across a blank line.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_CHAR = r"(?:[^\[\]|\n]|\n(?![ \t]*\n))"
_WIKI_OR_CODE = re.compile(rf"(?P<code>(?P<ticks>`+)(?:[^`]|(?!(?P=ticks))`)+?(?P=ticks)"
                           rf"|<!--[\s\S]*?-->)"
                           rf"|(?<!\\)\[\[(?P<target>{_CHAR}+?)(?:\|(?P<label>{_CHAR}*?))?\]\]"
                           rf"|(?<!\\)(?P<open>\[\[)")


@dataclass(frozen=True)
class WikiLink:
    """One `[[target]]` or `[[target|label]]` in a document, with its 1-based line.

    An unclosed `[[` is reported as a link with an empty target, so it is never silent.
    """

    target: str
    label: str | None
    line: int
    text: str


def _prose(text: str) -> Iterator[tuple[int, int, int]]:
    """(start offset, end offset, first line) of each stretch of text outside fenced code."""
    offset, fence, start, start_line = 0, "", 0, 1
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        opener = _FENCE.match(line)
        if fence:
            if opener and opener.group(1)[0] == fence[0] and len(opener.group(1)) >= len(fence):
                fence, start, start_line = "", offset + len(line), number + 1
        elif opener:
            fence = opener.group(1)
            yield start, offset, start_line
        offset += len(line)
    if not fence:
        yield start, len(text), start_line


def _words(text: str | None) -> str | None:
    return " ".join(text.split()) if text is not None else None


def _scan(text: str) -> Iterator[tuple[int, int, WikiLink]]:
    """Yield (start, end, link) for every wiki-link outside fenced code and code spans."""
    for start, end, first_line in _prose(text):
        for m in _WIKI_OR_CODE.finditer(text, start, end):
            if m.group("code") is not None:
                continue
            line = first_line + text.count("\n", start, m.start())
            target = _words(m.group("target")) or ""
            yield m.start(), m.end(), WikiLink(target, _words(m.group("label")), line,
                                               _words(m.group(0)) or "")


def find_wikilinks(text: str) -> list[WikiLink]:
    """Every wiki-link of a Markdown document, in order (not those inside code)."""
    return [link for _, _, link in _scan(text)]


def replace_wikilinks(text: str, replace: Callable[[WikiLink], str]) -> str:
    """Return `text` with each wiki-link replaced by `replace(link)`."""
    out, pos = [], 0
    for start, end, link in _scan(text):
        out.append(text[pos:start])
        out.append(replace(link))
        pos = end
    out.append(text[pos:])
    return "".join(out)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|$~-])")


def escape_markdown(text: str) -> str:
    """Escape text so Markdown shows it literally (no emphasis, links, HTML or math)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_link(label: str, url: str, title: str = "") -> str:
    """A Markdown inline link whose label and title are shown literally."""
    quoted = title.replace("&", "&amp;").replace('"', "&quot;")
    suffix = f' "{quoted}"' if title else ""
    return f"[{escape_markdown(label)}](<{url}>{suffix})"


# ---------------------------------------------------------------- math

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ",
    "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤",
    "geq": "≥", "ge": "≥", "ll": "≪", "gg": "≫", "neq": "≠", "ne": "≠", "approx": "≈",
    "sim": "∼", "simeq": "≃",
    "equiv": "≡", "propto": "∝", "infty": "∞", "sum": "∑", "prod": "∏", "int": "∫",
    "partial": "∂", "nabla": "∇", "in": "∈", "notin": "∉", "subset": "⊂", "subseteq": "⊆",
    "cup": "∪", "cap": "∩", "emptyset": "∅", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "Leftrightarrow": "⇔", "mapsto": "↦", "forall": "∀", "exists": "∃",
    "neg": "¬", "land": "∧", "lor": "∨", "ell": "ℓ", "langle": "⟨", "rangle": "⟩",
    "ldots": "…", "cdots": "⋯", "dots": "…", "|": "‖", "{": "{", "}": "}", "%": "%",
    "_": "_", "$": "$", "#": "#", "&": "&", "circ": "∘", "star": "⋆", "dagger": "†",
    "top": "⊤", "perp": "⊥", "log": "log", "exp": "exp", "ln": "ln", "sin": "sin",
    "cos": "cos", "max": "max", "min": "min", "arg": "arg", "argmax": "argmax",
    "argmin": "argmin", "det": "det", "lim": "lim", "sup": "sup", "inf": "inf",
    "Pr": "Pr", "E": "E", ",": " ", ";": " ", ":": " ", " ": " ", "quad": " ", "qquad": "  ",
    "!": "", "left": "", "right": "", "big": "", "Big": "", "displaystyle": "",
}
_PLAIN = {"-": "−", "'": "′", "*": "∗"}
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
_TEXT_COMMANDS = {"text", "mathrm", "mathbf", "mathit", "mathsf", "mathcal", "boldsymbol",
                  "operatorname", "textbf", "textit", "mathbb", "hat", "bar", "tilde", "vec"}
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")

# A parsed formula: text pieces and ("sup" | "sub", children) pairs.
Nodes = list[Any]


MAX_TEX_DEPTH = 32
"""Deepest nesting of groups and commands parsed in a formula; deeper, the rest of the formula
is shown as it is written (a formula of 5,000 `{` must not exhaust Python's stack)."""


def _group(tex: str, i: int, depth: int = 0) -> tuple[Nodes, int]:
    """Parse one argument at `tex[i]`: a `{…}` group, a command or one character."""
    while i < len(tex) and tex[i] == " ":
        i += 1
    if i >= len(tex):
        return [], i
    if depth > MAX_TEX_DEPTH:
        return [tex[i:]], len(tex)
    if tex[i] == "{":
        return _sequence(tex, i + 1, "}", depth + 1)
    if tex[i] == "\\":
        return _command(tex, i, depth + 1)
    return [tex[i]], i + 1


def _command(tex: str, i: int, depth: int = 0) -> tuple[Nodes, int]:
    """Parse the command at `tex[i]` (a backslash), with its arguments where it takes some."""
    m = _COMMAND.match(tex, i)
    if m is None:  # a lone trailing backslash
        return ["\\"], i + 1
    name, i = m.group(1), m.end()
    if name == "frac":
        num, i = _group(tex, i, depth)
        den, i = _group(tex, i, depth)
        return _parens(num) + ["/"] + _parens(den), i
    if name == "sqrt":
        arg, i = _group(tex, i, depth)
        return ["√"] + _parens(arg), i
    if name in _TEXT_COMMANDS:
        arg, i = _group(tex, i, depth)
        if name == "mathbb":
            arg = [_BLACKBOARD.get(a, a) if isinstance(a, str) else a for a in arg]
        return arg, i
    return [_SYMBOLS.get(name, "\\" + name)], i


def _parens(nodes: Nodes) -> Nodes:
    """Wrap a fraction part in parentheses unless it is a single symbol."""
    plain = all(isinstance(n, str) for n in nodes)
    return nodes if not nodes or (plain and len("".join(nodes)) <= 1) else ["(", *nodes, ")"]


def _sequence(tex: str, i: int, stop: str = "", depth: int = 0) -> tuple[Nodes, int]:
    """Parse until `stop` (or the end): text, commands, and `^`/`_` scripts."""
    nodes: Nodes = []
    while i < len(tex) and tex[i] != stop:
        char = tex[i]
        if depth > MAX_TEX_DEPTH:
            return [*nodes, tex[i:]], len(tex)
        if char in "^_":
            arg, i = _group(tex, i + 1, depth + 1)
            nodes.append(("sup" if char == "^" else "sub", arg))
        elif char == "{":
            inner, i = _sequence(tex, i + 1, "}", depth + 1)
            nodes.extend(inner)
        elif char == "\\":
            parsed, i = _command(tex, i, depth + 1)
            nodes.extend(parsed)
        else:
            nodes.append(_PLAIN.get(char, char))
            i += 1
    return nodes, i + 1


def _append(parent: ET.Element, nodes: Nodes) -> None:
    """Append parsed nodes to `parent` as text and <sup>/<sub> children."""
    for node in nodes:
        if isinstance(node, tuple):
            child = ET.SubElement(parent, node[0])
            child.text = AtomicString("")
            _append(child, node[1])
        elif len(parent):
            last = parent[-1]
            last.tail = AtomicString((last.tail or "") + node)
        else:
            parent.text = AtomicString((parent.text or "") + node)


def tex_to_element(tex: str, display: bool = False) -> ET.Element:
    """A `<span class="math">` showing a TeX formula readably; the source is its title."""
    span = ET.Element("span", {"class": "math display" if display else "math", "title": tex})
    span.text = AtomicString("")
    _append(span, _sequence(tex.strip(), 0)[0])
    return span


def tex_to_text(tex: str) -> str:
    """The readable text of a formula with `^`/`_` scripts flattened (for plain-text outputs)."""
    return "".join(tex_to_element(tex).itertext())


# ---------------------------------------------------------------- Markdown and sanitising

_MATH = (r"\$\$(?P<display>[^$]+?)\$\$"
         r"|(?<![\\$\w])\$(?=[^\s$])(?P<inline>[^$\n]+?)(?<=[^\s\\])\$(?![\d$])")


class _MathProcessor(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[ET.Element, int, int]:
        display = m.group("display") is not None
        tex = m.group("display") if display else m.group("inline")
        return tex_to_element(tex, display), m.start(0), m.end(0)


class _ShiftHeadings(Treeprocessor):
    """Shift headings so the document's highest level becomes `top` (h1 of a note -> h3)."""

    def __init__(self, md: markdown.Markdown, top: int) -> None:
        super().__init__(md)
        self.top = top

    def run(self, root: ET.Element) -> None:
        headings = [el for el in root.iter() if re.fullmatch(r"h[1-6]", el.tag)]
        if not headings:
            return
        shift = self.top - min(int(el.tag[1]) for el in headings)
        for el in headings:
            el.tag = f"h{min(6, int(el.tag[1]) + shift)}"


class _EditorExtension(Extension):
    def __init__(self, top: int) -> None:
        super().__init__()
        self.top = top

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.ESCAPED_CHARS.append("$")
        md.inlinePatterns.register(_MathProcessor(_MATH, md), "math", 185)
        md.treeprocessors.register(_ShiftHeadings(md, self.top), "shift_headings", 30)


_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"class", "title", "lang"},
    "a": {"href", "hreflang", "id"},
    "img": {"src", "alt", "width", "height"},
    "sup": {"id"}, "li": {"id"}, "th": {"style", "align"}, "td": {"style", "align"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}


def sanitize(html: str) -> str:
    """Keep safe markup only: no scripts, event handlers, styles (but text-align) or js: URLs."""
    return nh3.clean(html, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     filter_style_properties={"text-align"}, link_rel=None)


@lru_cache(maxsize=8)
def _converter(heading_top: int) -> markdown.Markdown:
    extensions = ["tables", "fenced_code", "footnotes", "sane_lists", _EditorExtension(heading_top)]
    return markdown.Markdown(extensions=extensions, output_format="html")


class MarkdownRefused(ValueError):
    """Markdown that Python-Markdown would take minutes over, or fail on: lists or quotes
    hundreds of levels deep, or a paragraph of thousands of brackets."""


MAX_INDENT = 256
"""Widest indentation of a line rendered, in columns: Python-Markdown nests a list level per
four columns, recursively, and takes seconds before failing on a thousand levels."""
MAX_BRACKETS = 1000
"""Most `[` and `(` in one run of inline text (a paragraph, a list item, a heading) outside
fenced code: Python-Markdown's link patterns take time quadratic in them (1,000: 0.2 s;
4,000: 2 to 7 s; 100,000: minutes). A list of a thousand links is a thousand runs."""
_RUN_START = re.compile(r"\s*$|[ \t]*(?:[-*+]|\d{1,9}[.)]|#{1,6}|>)(?:[ \t]|$)")
"""A line that starts a new run of inline text: blank, a list item, a heading or a quote."""


def _refuse_pathological(text: str) -> None:
    """Raise `MarkdownRefused` for the shapes that make Python-Markdown slow or fail."""
    if any(len(line) - len(line.lstrip()) > MAX_INDENT
           for line in text.expandtabs(4).splitlines()):
        raise MarkdownRefused(f"a line is indented more than {MAX_INDENT} columns")
    for start, end, _ in _prose(text):
        run = 0
        for line in text[start:end].splitlines():
            run = (0 if _RUN_START.match(line) else run) + line.count("[") + line.count("(")
            if run > MAX_BRACKETS:
                raise MarkdownRefused(f"a paragraph has more than {MAX_BRACKETS:,} brackets")


def render_markdown(text: str, heading_top: int = 2) -> str:
    """Editor-written Markdown to sanitised HTML; the first heading level becomes `heading_top`.

    Raises `MarkdownRefused` for text the renderer would take minutes over or fail on."""
    _refuse_pathological(text)
    md = _converter(heading_top)
    try:
        return sanitize(md.convert(text))
    except RecursionError:
        raise MarkdownRefused("lists, quotes or formulas nested hundreds of levels deep") \
            from None
    finally:
        md.reset()  # footnotes and references never leak into the next document
