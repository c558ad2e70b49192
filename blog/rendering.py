"""Markdown to safe HTML, excerpts and reading time: everything a post stores on save.

The pipeline is Python-Markdown (with TeX kept away from its inline syntax), a tree pass that
adds what the page needs (table alignment as classes, lazy images, rel on outside links), and
nh3 with one explicit allowlist. Nothing here runs at request time.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3
from django.conf import settings
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor


@dataclass(frozen=True)
class Rendered:
    html: str
    excerpt: str
    reading_minutes: int


# --- Math: keep TeX out of Markdown's hands -------------------------------------------------

# A display formula: $$ … $$ or \[ … \], possibly over several lines.
DISPLAY_MATH_RE = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|\\\[(.+?)\\\]", re.DOTALL)
# Inline $…$ follows Pandoc's rule so that prices survive: the opening $ is followed by a
# non-space, the closing $ is preceded by a non-space and not followed by a digit.
# "costs $5 and $10" and "价格是$5和$10" are therefore prose, not formulas.
INLINE_DOLLAR_RE = r"(?<![\\$])\$(?=[^\s$])((?:\\.|[^\\$\n])+?)(?<=\S)\$(?![\d$])"
INLINE_PAREN_RE = r"\\\((.+?)\\\)"
FENCE_RE = re.compile(r"^(?P<fence>`{3,}|~{3,})")


def math_html(tex, display):
    """The HTML a formula becomes. For now its TeX source, marked so styling and the excerpt
    recognise it; the same hook is where a TeX-to-MathML converter plugs in."""
    tex = tex.strip()
    if display:
        return f'<div class="math math-display"><code>{escape(tex)}</code></div>'
    return f'<span class="math math-inline"><code>{escape(tex)}</code></span>'


class DisplayMathPreprocessor(Preprocessor):
    """Stashes display formulas before block parsing, outside fenced code, so a line of TeX
    that starts with `-` or `#` never turns into a list or a heading."""

    def run(self, lines):
        out, chunk, fence = [], [], None

        def flush():
            if chunk:
                text = "\n".join(chunk)
                text = DISPLAY_MATH_RE.sub(self._stash, text)
                out.extend(text.split("\n"))
                chunk.clear()

        for line in lines:
            m = FENCE_RE.match(line.lstrip())
            if fence is None and m:
                flush()
                fence = m.group("fence")
                out.append(line)
            elif fence is not None:
                out.append(line)
                if line.strip().startswith(fence[0] * len(fence)) and not line.strip().strip(
                    fence[0]
                ):
                    fence = None
            else:
                chunk.append(line)
        flush()
        return out

    def _stash(self, match):
        tex = match.group(1) if match.group(1) is not None else match.group(2)
        placeholder = self.md.htmlStash.store(math_html(tex, display=True))
        return f"\n\n{placeholder}\n\n"


class InlineMathProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        return self.md.htmlStash.store(math_html(m.group(1), display=False)), m.start(0), m.end(0)


# --- Tree pass: what the sanitizer cannot add ---------------------------------------------

ALIGN_RE = re.compile(r"text-align:\s*(left|right|center)")


class PageTreeprocessor(Treeprocessor):
    def run(self, root):
        for el in root.iter():
            style = el.attrib.pop("style", None)
            if el.tag in ("th", "td") and style and (m := ALIGN_RE.search(style)):
                el.set("class", f"align-{m.group(1)}")
            if el.tag == "img":
                el.set("loading", "lazy")
                el.set("decoding", "async")
            if el.tag == "a" and is_external(el.get("href", "")):
                el.set("rel", "nofollow noopener")
        return None


def is_external(href):
    parts = urlsplit(href.strip())
    return bool(parts.scheme in ("http", "https") and parts.netloc)


class TechWritingExtension(Extension):
    def extendMarkdown(self, md):
        # After fenced code (25) has stashed code blocks, before block parsing.
        md.preprocessors.register(DisplayMathPreprocessor(md), "display_math", 24)
        # Above backslash escapes (180) so `\{` reaches TeX intact, below code spans (190)
        # so `$x$` inside backticks stays code.
        md.inlinePatterns.register(InlineMathProcessor(INLINE_DOLLAR_RE, md), "math_dollar", 185)
        md.inlinePatterns.register(InlineMathProcessor(INLINE_PAREN_RE, md), "math_paren", 186)
        md.treeprocessors.register(PageTreeprocessor(md), "page", 0)


def markdown_to_html(text):
    md = markdown.Markdown(
        extensions=[
            "extra",
            "sane_lists",
            "toc",
            TechWritingExtension(),
        ],
        extension_configs={"toc": {"slugify": slugify_unicode, "permalink": False}},
        output_format="html",
    )
    return md.convert(text)


# --- Sanitizing: one allowlist ------------------------------------------------------------

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href", "rel"},
    "abbr": {"title"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
ALLOWED_CLASSES = {
    "code": set(),  # plus language-* classes, checked by pattern
    "div": {"math", "math-display", "footnote", "toc", "admonition"},
    "span": {"math", "math-inline"},
    "th": {"align-left", "align-right", "align-center"},
    "td": {"align-left", "align-right", "align-center"},
    "a": {"footnote-ref", "footnote-backref"},
    "sup": set(),
    "li": set(),
}
URL_SCHEMES = {"http", "https", "mailto"}
LANGUAGE_CLASS_RE = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")


def _filter_attribute(tag, attribute, value):
    if attribute == "class":
        allowed = ALLOWED_CLASSES.get(tag, set())
        kept = [
            c
            for c in value.split()
            if c in allowed or (tag == "code" and LANGUAGE_CLASS_RE.match(c))
        ]
        return " ".join(kept) or None
    if attribute in ("width", "height"):
        return value if value.isdigit() and len(value) <= 5 else None
    return value


def sanitize(html):
    attributes = {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}
    for tag in ALLOWED_CLASSES:
        attributes.setdefault(tag, set()).add("class")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=attributes,
        attribute_filter=_filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


# --- Excerpt and reading time -------------------------------------------------------------

PLACEHOLDERS = {
    "zh": {"math": "[公式]", "code": "[代码]", "image": "[图片]"},
    "en": {"math": "[Formula]", "code": "[Code]", "image": "[Image]"},
}
SKIPPED = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "sup", "script", "style"}
BLOCKS = {"p", "div", "li", "blockquote", "dd", "dt", "br", "pre", "ul", "ol", "dl", "hr"}


def placeholders():
    lang = "zh" if settings.LANGUAGE_CODE.lower().startswith("zh") else "en"
    return PLACEHOLDERS[lang]


class _TextWalker(HTMLParser):
    """Collects the reading text of rendered HTML, formulas, code and images as placeholders.
    `reading` keeps code text too, since a reader reads the code."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.reading = [], []
        self.skip_depth = 0
        self.skip_tag = None
        self.marks = placeholders()

    def handle_starttag(self, tag, attrs):
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        classes = (dict(attrs).get("class") or "").split()
        if "math" in classes:
            self._skip(tag, self.marks["math"])
        elif tag == "pre":
            self._skip(tag, self.marks["code"])
        elif tag in SKIPPED:
            self._skip(tag, None)
        elif tag == "img":
            self.parts.append(f" {self.marks['image']} ")
        elif tag in BLOCKS:
            self.parts.append(" ")

    def _skip(self, tag, mark):
        self.skip_depth, self.skip_tag = 1, tag
        if mark:
            self.parts.append(f" {mark} ")

    def handle_endtag(self, tag):
        if self.skip_depth and tag == self.skip_tag:
            self.skip_depth -= 1
        elif tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.reading.append(data)
        if not self.skip_depth:
            self.parts.append(data)


def _collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def _width(ch):
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def truncate(text, width):
    """Cuts `text` to about `width` full-width characters (a Latin letter counts half) without
    splitting a Latin word or a placeholder, and ends it with "..." when anything was cut."""
    used, cut = 0.0, 0
    while cut < len(text) and used + _width(text[cut]) <= width:
        used += _width(text[cut])
        cut += 1
    if cut == len(text):
        return text
    # Step back out of a Latin word or a [placeholder] the cut fell inside.
    if text[cut].isascii() and not text[cut].isspace():
        j = cut
        while j > 0 and text[j - 1].isascii() and not text[j - 1].isspace():
            j -= 1
        if j > 0:
            cut = j
    open_bracket = text.rfind("[", 0, cut)
    if open_bracket > text.rfind("]", 0, cut):
        cut = open_bracket
    head = text[:cut].rstrip(" ,.;:!?，。；：！？、—-")
    return head + "..."


def plain_summary(text):
    return _collapse(text)


def excerpt_and_reading(html):
    walker = _TextWalker()
    walker.feed(html)
    walker.close()
    excerpt = truncate(_collapse("".join(walker.parts)), settings.BLOG["EXCERPT_WIDTH"])
    return excerpt, reading_minutes("".join(walker.reading))


CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
WORD_RE = re.compile(r"[A-Za-z0-9_]+(?:['.-][A-Za-z0-9_]+)*")
CJK_PER_MINUTE = 400
WORDS_PER_MINUTE = 200


def reading_minutes(text):
    """Chinese characters and Latin words are read at different speeds, so they are counted
    apart: 3,000 characters of Chinese are about 8 minutes, not one."""
    cjk = len(CJK_RE.findall(text))
    words = len(WORD_RE.findall(CJK_RE.sub(" ", text)))
    return max(1, math.ceil(cjk / CJK_PER_MINUTE + words / WORDS_PER_MINUTE))


def render_markdown(text):
    html = sanitize(markdown_to_html(text or ""))
    excerpt, minutes = excerpt_and_reading(html)
    return Rendered(html=html, excerpt=excerpt, reading_minutes=minutes)
