"""A Jinja environment whose `{{ ... }}` output is escaped without making `Markup` objects.

With autoescaping on, Jinja compiles every `{{ value }}` of a template to `escape(value)`:
MarkupSafe's escape, which wraps the escaped text in a `Markup` (a `str` subclass made by a
Python-level constructor). What a template outputs is only ever joined into the page, so the
wrapper is thrown away at once; at 50,000 papers a build escapes some ten million values, and
making the wrappers was a tenth of the HTML rendering time.

`SiteEnvironment` compiles output to `text_escape(value)` instead: the very same characters
(MarkupSafe's own escaping, `__html__` honoured), as a plain `str`. Everything else is
Jinja's: the `|e` filter, `Markup` in expressions, `{% autoescape %}` blocks (their output
keeps Jinja's own code), macros and `{% set %}` blocks (Jinja marks their joined output safe).
This module changes how output is escaped, never what is escaped.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Expr, Template
from markupsafe import escape

try:  # MarkupSafe's C escaping, without the Markup around it
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - the pure-Python MarkupSafe gives the same text
    def _escape_inner(s: str, /) -> str:
        return str(escape(s))

__all__ = ["SiteEnvironment", "text_escape"]


def text_escape(value: Any, /) -> str:
    """`str(markupsafe.escape(value))`, without making a `Markup` on the way."""
    if type(value) is str:
        return _escape_inner(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return str(html())
    return _escape_inner(str(value))


class _Generator(CodeGenerator):
    """Jinja's code generator, with `text_escape` for the output of autoescaped templates."""

    def visit_Template(self, node: Template, frame: Frame | None = None) -> None:
        self.writeline(f"from {__name__} import text_escape")
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("text_escape(")
        if finalize.src is not None:
            self.write(finalize.src)


class SiteEnvironment(Environment):
    """A Jinja `Environment` compiling autoescaped output with `text_escape`."""

    code_generator_class = _Generator
