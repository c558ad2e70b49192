"""Pre-publish checks: what in an article a reader would stumble on, found while it is written.

Warnings, not errors: the author decides. Each problem names its line in the Markdown where
it has one, and is kept on the post as data (code, line, detail) so that its message is
written in the language of whoever reads it (the site's, by default) and the change list can
count and filter posts that have some. The lookups that need the database (which posts and
images exist) are given by the caller (blog.models.Post.render), so this stays a function of
its inputs.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..images.references import HTML_IMG_RE, IMAGE_RE, reference_images
from ..rendering.text import placeholders
from .source import Source

LINK_RE = re.compile(r"(?<!!)\[[^\]\n]{0,1000}+\]\(\s*<?([^)\s>]{1,2000}+)")
REFERENCE_RE = re.compile(r"^ {0,3}\[[^\]\n]{1,1000}+\]:[ \t]*<?([^\s>]{1,2000}+)", re.M)
HREF_RE = re.compile(r'<a\b[^<>]{0,2000}?\shref="([^"]{1,2000}+)"', re.IGNORECASE)
ALT_RE = re.compile(r"\salt\s*=", re.IGNORECASE)
RENDERED_HEADING_RE = re.compile(r"<h([1-6])[\s>]")
MAX_TAG = 2000  # characters of an <img> tag looked at for its alt
HEADINGS_AHEAD = 20
# Stored with a post (and sent with each preview): a body of a thousand broken images needs
# no more to be told so.
MAX_PROBLEMS = 200
UNKNOWN_RE = re.compile(r"the (command|environment) (.{1,60}) is not supported")
# An excerpt more than this share placeholders ([公式], [代码]) says little on a list page.
PLACEHOLDER_SHARE = 0.5

# The renderer's notes about TeX it changed (blog.rendering.tex), as the author reads them.
NOTES = {
    "links (\\href) are not kept inside formulas": gettext_lazy(
        "links (\\href) are not kept inside formulas"
    ),
    "size commands (\\large, \\small, …) are ignored": gettext_lazy(
        "size commands (\\large, \\small, …) are ignored: the formula has the text's size"
    ),
    "line breaks (\\\\, \\newline) do nothing in an inline formula": gettext_lazy(
        "line breaks (\\\\, \\newline) do nothing in an inline formula"
    ),
}


@dataclass(frozen=True)
class Problem:
    code: str
    line: int | None = None
    detail: str = ""
    extra: str = ""

    def stored(self):
        return [self.code, self.line, self.detail, self.extra]

    def below(self, lines):
        """The same problem in a text with `lines` more lines above it."""
        if not (lines and self.line):
            return self
        return Problem(self.code, self.line + lines, self.detail, self.extra)

    @classmethod
    def from_stored(cls, row):
        return cls(*row)

    def message(self):
        text = self._text()
        if self.line:
            return _("Line %(line)s: %(problem)s") % {"line": self.line, "problem": text}
        return text

    def _text(self):
        shown = _shorten(self.detail)
        match self.code:
            case "formula":
                text = _("a formula could not be converted, readers see its TeX: %(tex)s (%(why)s)")
                return text % {"tex": shown, "why": _reason(self.extra)}
            case "tex_dropped":
                return _("%(what)s: %(tex)s") % {
                    "what": NOTES.get(self.extra, self.extra),
                    "tex": shown,
                }
            case "code_language":
                return _("a code block without a language is not highlighted (write ```python)")
            case "image_alt":
                return _("an image without alt text: %(src)s") % {"src": shown}
            case "image_missing":
                return _("an image that does not exist: %(src)s") % {"src": shown}
            case "link_unpublished":
                text = _(
                    "a link to an article readers cannot see yet (a draft or scheduled): %(url)s"
                )
                return text % {"url": shown}
            case "link_missing":
                return _("a link to an article of this blog that does not exist: %(url)s") % {
                    "url": shown
                }
            case "heading_skip":
                return _("a heading skips a level (%(from)s to %(to)s)") % {
                    "from": f"h{self.extra}",
                    "to": f"h{self.detail}",
                }
            case "category":
                return _("no category chosen")
            case "summary":
                return _(
                    "the automatic excerpt is mostly placeholders (%(excerpt)s): write a summary"
                ) % {"excerpt": shown or "…"}
        return self.code


def _shorten(text, limit=100):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# The renderer's most common reasons (blog.rendering.tex, .math), as the author reads them;
# the converter's own messages stay as it words them.
REASONS = {
    "the formula is empty": gettext_lazy("the formula is empty"),
    "an opening brace { is never closed": gettext_lazy("an opening brace { is never closed"),
    "a closing brace } has no opening brace": gettext_lazy(
        "a closing brace } has no opening brace"
    ),
}


def _reason(reason):
    if match := UNKNOWN_RE.fullmatch(reason):
        if match.group(1) == "command":
            return _("the command %(name)s is not supported") % {"name": match.group(2)}
        return _("the environment %(name)s is not supported") % {"name": match.group(2)}
    return str(REASONS.get(reason, reason))


def messages(stored):
    """The messages of a post's stored problems, in the active language."""
    return [Problem.from_stored(row).message() for row in stored]


def find(body, rendered, *, summary="", category_chosen=True, posts_named=None, images_named=None):
    """The problems of an article: `rendered` is blog.rendering.render_markdown's result for
    `body`; `posts_named(slugs)` gives {slug: whether readers can see it} of those posts
    that exist, `images_named(srcs)` {src: alt text, or None for an image of this site that
    does not exist} of the addresses it can judge (both may be None: nothing is looked up).
    At most MAX_PROBLEMS are returned (every failed formula among them first), and how
    many there were."""
    source = Source(body)
    problems = []
    for tex, display, kind, why in rendered.formula_problems:
        line = source.line_of(tex, display, kind, why)
        code = "formula" if kind == "failed" else "tex_dropped"
        problems.append(Problem(code, line, tex.strip(), why))
    problems += [Problem("code_language", line) for line, info in source.fences if not info]
    problems += _images(source, images_named)
    problems += _links(source, posts_named)
    problems += _heading_skips(source, rendered.html)
    if not category_chosen:
        problems.append(Problem("category"))
    if not summary.strip() and _mostly_placeholders(rendered.excerpt):
        problems.append(Problem("summary", None, rendered.excerpt))
    # Formulas that failed come first when some must be left out: publishing asks about
    # them, from what is kept (blog.admin.posts).
    kept = sorted(problems, key=lambda p: p.code != "formula")[:MAX_PROBLEMS]
    kept.sort(key=lambda p: (p.line is None, p.line or 0))
    return kept, len(problems)


def _heading_skips(source, html):
    """Whether a heading skips a level is read from the page (a heading is one where the
    renderer made one), its line from the source: the next heading of that level written
    there, looked for a few ahead (one the source reading missed costs its line only)."""
    problems, level, written, at = [], 1, source.headings, 0  # the title is the page's h1
    for depth in map(int, RENDERED_HEADING_RE.findall(html)):
        line = None
        for number in range(at, min(at + HEADINGS_AHEAD, len(written))):
            if written[number][1] == depth:
                line, at = written[number][0], number + 1
                break
        if depth > level + 1:
            problems.append(Problem("heading_skip", line, str(depth), str(level)))
        level = depth
    return problems


def _images(source, images_named):
    found = []  # (line, src, alt: "" when none is written)
    for line, match in source.prose(IMAGE_RE):
        src = match.group(2)
        found.append((line, src[1:-1] if src.startswith("<") else src, match.group(1)[2:-2]))
    for index, alt, src in reference_images(source.masked):
        found.append((source.line(index), src, alt))
    for line, match in source.prose(HTML_IMG_RE):
        tag_end = source.masked.find(">", match.end(), match.end() + MAX_TAG)
        tag = source.masked[match.start() : tag_end if tag_end > 0 else match.end()]
        found.append((line, match.group(2), "x" if ALT_RE.search(tag) else ""))
    if not found:
        return []
    known = images_named(list(dict.fromkeys(src for _line, src, _alt in found)))
    problems = []
    for line, src, alt in found:
        if src in known and known[src] is None:
            problems.append(Problem("image_missing", line, src))
        elif not alt.strip() and not known.get(src):
            problems.append(Problem("image_alt", line, src))
    return problems


def _links(source, posts_named):
    if posts_named is None:
        return []
    wanted = []  # (line, url, slug)
    for pattern in (LINK_RE, REFERENCE_RE, HREF_RE):
        for line, match in source.prose(pattern):
            url = match.group(1)
            if (slug := _article_slug(url)) is not None:
                wanted.append((line, url, slug))
    if not wanted:
        return []
    existing = posts_named({slug for _line, _url, slug in wanted})
    problems = []
    for line, url, slug in wanted:
        if slug not in existing:
            problems.append(Problem("link_missing", line, url))
        elif not existing[slug]:
            problems.append(Problem("link_unpublished", line, url))
    return problems


def _article_slug(url):
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": no address at all, so none of this blog's
        return None
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        match = resolve(unquote(parts.path))
    except (Resolver404, ValueError):
        return None
    if match.view_name != "blog:post":
        return None
    return match.kwargs.get("slug")


def _mostly_placeholders(excerpt):
    text = "".join(excerpt.split())
    if not text:
        return False
    covered = sum(text.count(mark) * len(mark) for mark in placeholders().values())
    return covered / len(text) > PLACEHOLDER_SHARE
