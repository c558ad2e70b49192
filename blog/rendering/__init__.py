"""Markdown to safe HTML, excerpt, contents and reading time: all a post stores on save.

Nothing here runs at request time: pages and feeds print what `render_markdown` stored.
"""

from dataclasses import dataclass, field
from html import escape

from . import markdown_ext
from .limits import LIMIT_WARNING_PREFIX, validate_article_size
from .sanitize import sanitize
from .text import (
    MARKERS,
    Excerpt,
    collapse,
    excerpt_and_reading,
    reading_minutes,
    text_of,
    truncate,
)

TOC_MIN_HEADINGS = 3

__all__ = [
    "LIMIT_WARNING_PREFIX",
    "Excerpt",
    "Rendered",
    "reading_minutes",
    "render_markdown",
    "sanitize",
    "truncate",
    "validate_article_size",
]


@dataclass(frozen=True)
class Rendered:
    html: str
    excerpt: str  # short inline formulas as their readable text
    reading_minutes: int
    toc_html: str = ""
    warnings: list = field(default_factory=list)
    excerpt_html: str = ""  # the same excerpt with those formulas as MathML
    # (tex, display, "failed" or "changed", why) of each formula with a warning
    formula_problems: list = field(default_factory=list)


def _count(tokens):
    return sum(1 + _count(t["children"]) for t in tokens)


def _toc_list(tokens):
    # Python-Markdown gives the names already HTML-escaped; the result is sanitized anyway.
    items = "".join(
        f'<li><a href="#{escape(t["id"])}">{t["name"]}</a>'
        f"{_toc_list(t['children']) if t['children'] else ''}</li>"
        for t in tokens
    )
    return f"<ol>{items}</ol>"


def render_markdown(text, pictures=None):
    html, toc_tokens, warnings, formula_problems = markdown_ext.convert(text or "", pictures)
    html = sanitize(html)
    excerpt, minutes = excerpt_and_reading(html)
    toc_html = sanitize(_toc_list(toc_tokens)) if _count(toc_tokens) >= TOC_MIN_HEADINGS else ""
    # The excerpt's pieces come from sanitized HTML; cleaning the whole again keeps its tags
    # balanced on a list page.
    return Rendered(
        html, excerpt.text, minutes, toc_html, warnings, sanitize(excerpt.html), formula_problems
    )


def plain_summary(text):
    """An author's summary: plain text, shown as written (never holding the characters that
    mark formulas in excerpts)."""
    return collapse(text.translate(MARKERS))


def plain_text(markdown_text):
    """The whole of some Markdown as plain text, with the excerpt's placeholders."""
    html, _toc, _warnings, _problems = markdown_ext.convert(markdown_text or "")
    return text_of(sanitize(html))
