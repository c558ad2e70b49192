"""What one article may cost: its size, checked before anything is rendered, and its rendering
time, so that no request (a save in the admin, an import, a re-render) reaches the worker's
timeout (issue 10, finding 8).

Time is a budget the pipeline checks cooperatively, between formulas, code blocks and Markdown's
own processing steps: a signal-based alarm only works on the main thread, and runserver and
threaded workers render elsewhere. Past `BLOG["RENDER_SECONDS"]` the remaining formulas are
shown as their TeX source and the remaining code blocks without highlighting (cheap, and the
page is still whole); past twice that, Markdown itself is given up on and the article is shown
as escaped plain text. Either way the post gets a render warning saying so.
"""

import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from html import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

# A code block longer than this is not highlighted (Pygments' lexers are linear, but slow:
# about 1 s for 500 KB).
MAX_HIGHLIGHTED_CODE = 100_000
# Warnings about limits start with this, so the admin can tell them from formula problems.
LIMIT_WARNING_PREFIX = "Rendering limit: "

# Tests replace it with a fake clock.
clock = time.monotonic


def max_article_bytes():
    return settings.BLOG["MAX_ARTICLE_BYTES"]


def validate_article_size(body):
    """The one rule for how large an article may be, in UTF-8 bytes of Markdown (`body` is text
    or bytes). Raises ValidationError naming the size and the limit; the admin form, the write
    path and the importer all call it before rendering anything."""
    size = len(body) if isinstance(body, bytes) else len(body.encode("utf-8", "surrogatepass"))
    validate_article_bytes(size)


def validate_article_bytes(size):
    """The same rule for an article known by its size (a file not yet read)."""
    limit = max_article_bytes()
    if size > limit:
        raise ValidationError(
            gettext(
                "The article is %(size)s of Markdown, %(over)s over the limit of %(limit)s. "
                "Split it into several posts."
            ),
            code="article_too_large",
            params={
                "size": filesizeformat(size),
                "over": filesizeformat(size - limit),
                "limit": filesizeformat(limit),
            },
        )


class RenderTimeout(Exception):
    """Raised inside Markdown once the hard deadline has passed."""


class Budget:
    """The time one rendering may take. One instance per rendering (never shared between
    threads); `seconds` defaults to the setting."""

    def __init__(self, seconds=None):
        if seconds is None:
            seconds = settings.BLOG["RENDER_SECONDS"]
        self.seconds = seconds
        self.started = clock()
        self.soft = self.started + seconds
        self.hard = self.started + 2 * seconds
        self.formulas_left_as_source = 0
        self.code_left_plain = 0
        self.warnings = []

    def spent(self):
        """Whether the soft deadline has passed: callers then take their cheap path."""
        return clock() >= self.soft

    def check(self):
        if clock() >= self.hard:
            raise RenderTimeout

    def skip_formula(self):
        """True (and counted) when this formula should stay TeX source to save time."""
        if self.spent():
            self.formulas_left_as_source += 1
            return True
        return False

    def skip_highlighting(self, code):
        """True when this code block should be shown without highlighting: time is spent, or
        the block alone is too large (that gets a warning of its own)."""
        if len(code) > MAX_HIGHLIGHTED_CODE:
            first_line = code.strip().split("\n", 1)[0][:60]
            self.warnings.append(
                f"{LIMIT_WARNING_PREFIX}a code block of {len(code):,} characters (more than "
                f"{MAX_HIGHLIGHTED_CODE:,}) is shown without highlighting: {first_line}"
            )
            return True
        if self.spent():
            self.code_left_plain += 1
            return True
        return False

    def summary(self):
        """The warnings to store with the post."""
        skipped = []
        if self.formulas_left_as_source:
            skipped.append(f"{self.formulas_left_as_source:,} formulas are shown as TeX source")
        if self.code_left_plain:
            skipped.append(f"{self.code_left_plain:,} code blocks without highlighting")
        if not skipped:
            return list(self.warnings)
        return [
            f"{LIMIT_WARNING_PREFIX}the article took longer than {self.seconds:g} s to render, "
            f"so {' and '.join(skipped)}.",
            *self.warnings,
        ]


_current = ContextVar("render_budget", default=None)


@contextmanager
def budget(seconds=None):
    """Makes a new Budget the current one (for this thread or task) while rendering."""
    current = Budget(seconds)
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def current():
    """The budget of the rendering under way, or None outside one."""
    return _current.get()


def guard(md, current_budget):
    """Makes every step of a Markdown instance check the hard deadline: each pre-, block,
    tree and postprocessor run, and each inline pattern tried. Python-Markdown's own
    quadratic corners (an inline match rebuilds its whole paragraph; a block processor
    splits its whole block) are then bounded by time: every step of them passes here."""

    def checked(method):
        def run(*args, **kwargs):
            current_budget.check()
            return method(*args, **kwargs)

        return run

    for registry in (md.preprocessors, md.parser.blockprocessors, md.treeprocessors):
        for processor in registry:
            processor.run = checked(processor.run)
    for processor in md.postprocessors:
        processor.run = checked(processor.run)
    for pattern in md.inlinePatterns:
        pattern.handleMatch = checked(pattern.handleMatch)
        # Asked for once per element and pattern: the check also runs on text with no match.
        pattern.getCompiledRegExp = checked(pattern.getCompiledRegExp)


BLANK_LINES_RE = re.compile(r"\n[ \t]*\n")


def plain_html(text, reason):
    """The article as escaped paragraphs, in linear time: what a page shows when Markdown could
    not finish. Returns the HTML and the warning to store."""
    paragraphs = (p.strip() for p in BLANK_LINES_RE.split(text))
    html = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs if p)
    return html, f"{LIMIT_WARNING_PREFIX}{reason}, so it is shown as plain text."
