"""Templates hold markup only: styles and scripts are files under outreach/static, so a strict
Content-Security-Policy (no 'unsafe-inline') can serve every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "outreach"
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"

# E-mail bodies are read by mail clients, which ignore linked stylesheets and never see the
# site's Content-Security-Policy: their styles stay inline.
E_MAIL = {"messages/email.html"}

JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
TAG = re.compile(r"<[a-zA-Z][^<>]*>")
INLINE_ATTRIBUTE = re.compile(r"\s(style|on[a-z]+)\s*=", re.I)


def _pages() -> list[str]:
    return sorted(
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*.html")
        if path.relative_to(TEMPLATES).as_posix() not in E_MAIL
    )


def _markup(name: str) -> str:
    """The template's HTML with Jinja tags, expressions and comments blanked out."""
    return JINJA.sub(" ", (TEMPLATES / name).read_text(encoding="utf-8"))


def test_the_templates_are_found():
    assert "base.html" in _pages() and "posters/_layout.html" in _pages()


@pytest.mark.parametrize("name", _pages())
def test_no_inline_style_or_script(name):
    markup = _markup(name)
    assert "<style" not in markup.lower(), "a <style> block: move it to outreach/static/css"
    inline_scripts = [
        tag for tag in re.findall(r"<script\b[^>]*>", markup, re.I) if "src=" not in tag
    ]
    assert not inline_scripts, "an inline <script>: move it to outreach/static/js"
    attributes = [
        match.group(0) for tag in TAG.findall(markup) for match in INLINE_ATTRIBUTE.finditer(tag)
    ]
    assert not attributes, "style= or on…= attributes: use a class, or data-* and site.js"


def test_the_check_finds_what_it_looks_for():
    samples = {
        '<p style="color: red">': True,
        '<button onclick="go()">': True,
        '<form method="post" onsubmit="return confirm({{ q }})">': True,
        '<p class="{{ style }}" data-accent="#fff">': False,
        "{% set onward = 1 %}<p>": False,
    }
    for markup, flagged in samples.items():
        blanked = JINJA.sub(" ", markup)
        found = [m for tag in TAG.findall(blanked) for m in INLINE_ATTRIBUTE.finditer(tag)]
        assert bool(found) == flagged, markup


def test_forms_take_their_errors_and_csrf_fields_from_the_shared_macros():
    """One way to show errors and to post a small form: the macros in forms.html."""
    for name in _pages():
        if name == "forms.html":
            continue
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        assert 'name="csrf_token"' not in source, f"{name}: use post_button or form.hidden_tag()"
        assert 'class="errors"' not in source, f"{name}: use field_errors or field"
        assert 'role="alert"' not in source, f"{name}: use form_errors"


def test_every_static_file_a_template_names_exists():
    named = {
        match
        for path in TEMPLATES.rglob("*.html")
        for match in re.findall(
            r"url_for\('static', filename='([^']+)'\)", path.read_text(encoding="utf-8")
        )
    }
    assert named, "templates load their styles and scripts with url_for('static', ...)"
    assert not [name for name in named if not (STATIC / name).is_file()]
