"""The site's Jinja environment escapes output exactly as Jinja does, without `Markup` objects.

`SiteEnvironment` compiles `{{ value }}` to `text_escape(value)`; these tests render the same
templates with it and with a plain Jinja `Environment` and require the same text, for hostile
strings (hypothesis) and for every construct where escaping and `Markup` meet.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from generator.escaping import SiteEnvironment, text_escape

TEMPLATES = {
    "plain.html": "<p title=\"{{ v }}\">{{ v }}</p>{{ v ~ '<b>' }}{{ v|e }}{{ v|safe }}",
    "macro.html": "{% macro m(x) %}<i>{{ x }}</i>{% endmacro %}{{ m(v) }}{{ m(v)|upper }}",
    "set.html": "{% set block %}<u>{{ v }}</u>{% endset %}{{ block }}{{ block|length }}",
    "noescape.html": "{% autoescape false %}{{ v }}{% endautoescape %}{{ v }}",
    "include.html": "{% for i in range(2) %}{% include 'plain.html' %}{% endfor %}",
    "extends.html": "{% extends 'base.html' %}{% block b %}{{ v }}{{ super() }}{% endblock %}",
    "base.html": "<main>{% block b %}[{{ v }}]{% endblock %}</main>",
    "call.html": ("{% macro box() %}<div>{{ caller() }}</div>{% endmacro %}"
                  "{% call box() %}{{ v }}{% endcall %}"),
    "attr.html": "{{ v.__class__.__name__ }}{{ [v, v]|join(', ') }}{{ '%s!'|format(v) }}",
    "plain.txt": "{{ v }}",
}


def _environments() -> tuple[Environment, Environment]:
    options = {"loader": DictLoader(TEMPLATES), "undefined": StrictUndefined,
               "autoescape": select_autoescape(default=True, default_for_string=True)}
    return Environment(**options), SiteEnvironment(**options)


JINJA, SITE = _environments()
HOSTILE = st.one_of(
    st.text(alphabet=st.sampled_from("<>&'\"ab é\0\u2028"), max_size=30),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.text(max_size=20).map(Markup),
)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@given(value=HOSTILE)
def test_every_template_renders_as_jinja_does(name: str, value: object) -> None:
    expected = JINJA.get_template(name).render(v=value)
    assert SITE.get_template(name).render(v=value) == expected


def test_the_output_is_escaped_by_text_escape() -> None:
    source = SITE.compile(TEMPLATES["plain.html"], raw=True)
    assert "text_escape(" in source
    assert SITE.get_template("set.html").render(v="<script>").startswith("<u>&lt;script&gt;</u>")


@given(value=HOSTILE)
def test_text_escape_is_markupsafe_escape_as_text(value: object) -> None:
    escaped = text_escape(value)
    assert type(escaped) is str
    assert escaped == str(escape(value))


def test_an_object_with_html_is_trusted_as_markupsafe_trusts_it() -> None:
    class Chart:
        def __html__(self) -> str:
            return "<svg></svg>"

    assert text_escape(Chart()) == "<svg></svg>"
    assert SITE.from_string("{{ c }}").render(c=Chart()) == "<svg></svg>"
