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

from .images.references import HTML_IMG_RE, IMAGE_RE
from .rendering.text import placeholders

FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
LINK_RE = re.compile(r"(?<!!)\[[^\]\n]{0,1000}+\]\(\s*<?([^)\s>]{1,2000}+)")
REFERENCE_RE = re.compile(r"^ {0,3}\[[^\]\n]{1,1000}+\]:[ \t]*<?([^\s>]{1,2000}+)", re.M)
HREF_RE = re.compile(r'<a\b[^<>]{0,2000}?\shref="([^"]{1,2000}+)"', re.IGNORECASE)
ALT_RE = re.compile(r"\salt\s*=", re.IGNORECASE)
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


def _line(text, index):
    return text.count("\n", 0, index) + 1


class _Source:
    """The Markdown with its fenced code marked, so that what looks like a heading or a link
    inside code is not taken for one."""

    def __init__(self, body):
        self.body = body
        self.fences = []  # (line number of the opening fence, its info string)
        self.in_code = set()  # line numbers inside fenced code, fences included
        self.headings = []  # (line number, level)
        open_fence = None
        for number, line in enumerate(body.split("\n"), 1):
            match = FENCE_RE.match(line)
            if open_fence is None:
                if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                    open_fence = match.group(1)
                    self.fences.append((number, match.group(2).strip()))
                    self.in_code.add(number)
                elif heading := HEADING_RE.match(line):
                    self.headings.append((number, len(heading.group(1))))
                continue
            self.in_code.add(number)
            if (
                match
                and match.group(1)[0] == open_fence[0]
                and len(match.group(1)) >= len(open_fence)
                and not match.group(2).strip()
            ):
                open_fence = None

    def outside_code(self, pattern):
        for match in pattern.finditer(self.body):
            line = _line(self.body, match.start())
            if line not in self.in_code:
                yield line, match

    def line_of(self, needle, after):
        """The line where `needle` first appears at or after index `after`, and the index."""
        index = self.body.find(needle, after)
        if index < 0:
            first = needle.strip().split("\n", 1)[0].strip()
            index = self.body.find(first, after) if first else -1
        if index < 0:
            return None, after
        return _line(self.body, index), index + 1


def find(body, rendered, *, summary="", category_chosen=True, posts_named=None, images_named=None):
    """The problems of an article: `rendered` is blog.rendering.render_markdown's result for
    `body`; `posts_named(slugs)` gives the slugs of those posts that exist, `images_named(srcs)`
    {src: alt text} of those images that exist (both may be None: nothing is looked up)."""
    source = _Source(body)
    problems = []
    cursor = {}
    for tex, kind, why in rendered.formula_problems:
        line, cursor[tex] = source.line_of(tex, cursor.get(tex, 0))
        code = "formula" if kind == "failed" else "tex_dropped"
        problems.append(Problem(code, line, tex.strip(), why))
    problems += [Problem("code_language", line) for line, info in source.fences if not info]
    problems += _images(source, images_named)
    problems += _links(source, posts_named)
    level = 1  # the title is the page's h1
    for line, depth in source.headings:
        if depth > level + 1:
            problems.append(Problem("heading_skip", line, str(depth), str(level)))
        level = depth
    if not category_chosen:
        problems.append(Problem("category"))
    if not summary.strip() and _mostly_placeholders(rendered.excerpt):
        problems.append(Problem("summary", None, rendered.excerpt))
    problems.sort(key=lambda p: (p.line is None, p.line or 0))
    return problems


def _images(source, images_named):
    found = []  # (line, src, alt or None when the tag has no alt at all)
    for line, match in source.outside_code(IMAGE_RE):
        src = match.group(2)
        found.append((line, src[1:-1] if src.startswith("<") else src, match.group(1)[2:-2]))
    for line, match in source.outside_code(HTML_IMG_RE):
        tag_end = source.body.find(">", match.end())
        tag = source.body[match.start() : tag_end if tag_end > 0 else match.end()]
        found.append((line, match.group(2), "x" if ALT_RE.search(tag) else ""))
    if not found:
        return []
    local = [src for _line, src, _alt in found if _is_local(src)]
    known = images_named(local) if images_named and local else {}
    problems = []
    for line, src, alt in found:
        if _is_local(src) and images_named is not None and src not in known:
            problems.append(Problem("image_missing", line, src))
        elif not alt.strip() and not known.get(src):
            problems.append(Problem("image_alt", line, src))
    return problems


def _is_local(src):
    parts = urlsplit(src)
    return not (parts.scheme or parts.netloc or src.startswith(("#", "data:")))


def _links(source, posts_named):
    if posts_named is None:
        return []
    wanted = []  # (line, url, slug)
    for pattern in (LINK_RE, REFERENCE_RE, HREF_RE):
        for line, match in source.outside_code(pattern):
            url = match.group(1)
            if (slug := _article_slug(url)) is not None:
                wanted.append((line, url, slug))
    if not wanted:
        return []
    existing = posts_named({slug for _line, _url, slug in wanted})
    return [Problem("link_missing", line, url) for line, url, s in wanted if s not in existing]


def _article_slug(url):
    parts = urlsplit(url)
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
