"""Python-Markdown configured for technical writing: TeX kept away from Markdown's inline
syntax and turned into MathML, code highlighted by Pygments, and a tree pass adding what the
page needs (table alignment as classes, lazy images, rel on outside links)."""

import re
from html import unescape
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import HTML_PLACEHOLDER_RE

from . import limits
from .code import BoundedFencedBlockPreprocessor, BoundedHiliteTreeprocessor, CodeFormatter
from .inline_math import (
    INLINE_DOLLAR_RE,
    PROSE_REFERENCE_RE,
    DelimitedMathProcessor,
    EscapedDollarProcessor,
    InlineMathProcessor,
    ProseReferenceProcessor,
    html_text,
)
from .math import Formulas
from .pictures import dress
from .spans import DISPLAY, INLINE_DOUBLED_PAREN, INLINE_PAREN, find_spans, replace_spans

BLOCK_PREFIX_RE = re.compile(r"[ \t]*(?:>[ \t]?)*[ \t]*")
FENCE_RE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
ALIGN_RE = re.compile(r"text-align:\s*(left|right|center)")


class DisplayMathPreprocessor(Preprocessor):
    """Takes display formulas out before block parsing, outside fenced code, so a line of
    TeX that starts with `-` or `#` never turns into a list or a heading."""

    def run(self, lines):
        out, chunk, fence = [], [], None

        def flush():
            if chunk:
                text = "\n".join(chunk)
                spans = find_spans(text, DISPLAY, code_spans=True)
                text = replace_spans(text, spans, lambda span: self._stash(span, text))
                out.extend(text.split("\n"))
                chunk.clear()

        for line in lines:
            stripped = line.strip()
            if fence is None and (m := FENCE_RE.match(stripped)):
                flush()
                fence = m.group("fence")
                out.append(line)
            elif fence is not None:
                out.append(line)
                if stripped.startswith(fence) and not stripped.strip(fence[0]):
                    fence = None
            else:
                chunk.append(line)
        flush()
        return out

    def _stash(self, span, text):
        if span.kind == "code":
            return None
        tex = span.inner
        # Inside a blockquote or a list item every line carries the same prefix ("> ", or
        # indentation): it is not TeX, and the formula must stay inside that block.
        line_start = text.rfind("\n", 0, span.start) + 1
        prefix = text[line_start : span.start]
        if not BLOCK_PREFIX_RE.fullmatch(prefix):
            prefix = ""
        if prefix:
            bare = prefix.rstrip()
            tex = "\n".join(
                line[len(prefix) :]
                if line.startswith(prefix)
                else line[len(bare) :]
                if bare and line.startswith(bare)
                else line
                for line in tex.split("\n")
            )
        html = self.md.formulas.html(tex, True)
        placeholder = self.md.htmlStash.store(html)
        bare = prefix.rstrip()
        return f"\n{bare}\n{prefix}{placeholder}\n{bare}\n{prefix}"


ANGLE_RE = re.compile(r"<(?=[A-Za-z/!?])|>")
# How many characters the HTML parser may read looking for the ends of tags (about 0.1 s a
# million) before unclosed "<" are taken for text.
HTML_SCAN_LIMIT = 5_000_000


class StrayAngleBracketPreprocessor(Preprocessor):
    """Python's HTML parser (which Python-Markdown's raw HTML support runs over the whole
    text) reads from every "<" followed by a letter up to the next ">": 40 KB of "<a" without
    one took 8 s in a single call nothing can interrupt. When the sum of those reads is
    large, each "<" that another "<" follows before any ">" (no tag looks like that) becomes
    the text "&lt;" instead. Below the limit nothing changes: "$a<b$ and $c<d$" stays TeX."""

    def run(self, lines):
        text = "\n".join(lines)
        cost, stray = 0, []
        next_close, next_bracket = len(text), ">"
        for match in reversed(list(ANGLE_RE.finditer(text))):
            position = match.start()
            if match.group() == ">":
                next_close = position
            else:
                cost += next_close - position
                if next_bracket == "<" and not text.startswith("<!--", position):
                    stray.append(position)
            next_bracket = match.group()
        stray.reverse()
        if cost <= HTML_SCAN_LIMIT or not stray:
            return lines
        lt = self.md.htmlStash.store("&lt;")
        out, pos = [], 0
        for position in stray:
            out += [text[pos:position], lt]
            pos = position + 1
        out.append(text[pos:])
        budget = limits.current()
        if budget is not None:
            budget.warnings.append(
                f"{limits.LIMIT_WARNING_PREFIX}{len(stray):,} unclosed < are shown as text, "
                "not read as the start of HTML tags."
            )
        return "".join(out).split("\n")


# No "<" inside a tag, so that a stray "<" costs a scan to the next "<", not to the end.
HTML_SEGMENT_RE = re.compile(r"(<[^<>]*>)")
TAG_NAME_RE = re.compile(r"<(/?)([a-zA-Z][\w:-]*)")
VERBATIM_TAGS = {"pre", "code", "kbd", "samp", "math", "script", "style", "textarea"}
RAW_DISPLAY = (DISPLAY[0], DISPLAY[2])  # $$ … $$ and \[ … \]
RAW_INLINE = ((INLINE_DOUBLED_PAREN,), (INLINE_PAREN,))
RAW_INLINE_DOLLAR_RE = re.compile(INLINE_DOLLAR_RE)


class RawHtmlMathPostprocessor(Postprocessor):
    """Formulas written inside raw HTML blocks (`<div align="center">$$…$$</div>`, as many
    MathJax-era posts have) never reach Markdown's inline patterns; the same rules apply to
    the text of such blocks here, outside code."""

    def run(self, text):
        out, verbatim = [], []
        for segment in HTML_SEGMENT_RE.split(text):
            if segment.startswith("<"):
                if tag := TAG_NAME_RE.match(segment):
                    closing, name = tag.group(1), tag.group(2).lower()
                    if name in VERBATIM_TAGS and not segment.endswith("/>"):
                        if not closing:
                            verbatim.append(name)
                        elif name in verbatim:
                            del verbatim[verbatim.index(name) :]
                out.append(segment)
            elif verbatim or "$" not in segment and "\\" not in segment:
                out.append(segment)
            else:
                out.append(self._formulas(segment))
        return "".join(out)

    def _formulas(self, segment):
        formulas = self.md.formulas

        def inline(match):
            tex = next(group for group in match.groups() if group is not None)
            return formulas.html(unescape(tex), False)

        spans = find_spans(segment, RAW_DISPLAY)
        segment = replace_spans(
            segment, spans, lambda span: formulas.html(unescape(span.inner), True)
        )
        for delimiters in RAW_INLINE:
            spans = find_spans(segment, delimiters)
            segment = replace_spans(
                segment, spans, lambda span: formulas.html(unescape(span.inner), False)
            )
        return RAW_INLINE_DOLLAR_RE.sub(inline, segment)


class PageTreeprocessor(Treeprocessor):
    def run(self, root):
        for el in root.iter():
            for name in ("alt", "title"):
                if name in el.attrib and "\x02" in el.attrib[name]:
                    el.set(name, self._as_text(el.attrib[name]))
            style = el.attrib.pop("style", None)
            if el.tag in ("th", "td") and style and (m := ALIGN_RE.search(style)):
                el.set("class", f"align-{m.group(1)}")
            if el.tag == "img":
                el.set("loading", "lazy")
                el.set("decoding", "async")
            if el.tag == "a" and is_external(el.get("href", "")):
                el.set("rel", "nofollow noopener")
        dress(root, self.md.pictures)
        return None

    def _as_text(self, value):
        """An attribute holds text only: a formula in an image's alt text or a link's title
        stays its TeX between dollars, other stashed HTML its text."""

        def text(match):
            html = self.md.htmlStash.rawHtmlBlocks[int(match.group(1))]
            if (tex := self.md.formulas.source_of(html)) is not None:
                return f"${tex}$"
            return html_text(html)

        return HTML_PLACEHOLDER_RE.sub(text, value)


def is_external(href):
    try:
        parts = urlsplit(href.strip())
    except ValueError:  # "http://[::1": not this site's, so treated as another's
        return True
    return bool(parts.scheme in ("http", "https") and parts.netloc)


class TechWritingExtension(Extension):
    def extendMarkdown(self, md):
        md.formulas = Formulas()
        md.inlinePatterns.register(EscapedDollarProcessor(r"\\\$", md), "escaped_dollar", 188)
        # After fenced code (25) has taken code blocks out, before raw HTML and blocks.
        md.preprocessors.register(DisplayMathPreprocessor(md), "display_math", 24)
        # Just before raw HTML blocks are parsed (20).
        md.preprocessors.register(StrayAngleBracketPreprocessor(md), "stray_angle_brackets", 21)
        # Above backslash escapes (180) so `\{` reaches TeX intact, below code spans (190)
        # so `$x$` inside backticks stays code.
        md.inlinePatterns.register(InlineMathProcessor(INLINE_DOLLAR_RE, md), "math_dollar", 185)
        md.inlinePatterns.register(
            ProseReferenceProcessor(PROSE_REFERENCE_RE, md), "math_reference", 184
        )
        md.inlinePatterns.register(DelimitedMathProcessor(INLINE_PAREN, md), "math_paren", 186)
        md.inlinePatterns.register(
            DelimitedMathProcessor(INLINE_DOUBLED_PAREN, md), "math_doubled_paren", 187
        )
        # The same fenced and indented code blocks, within the rendering budget.
        fenced = md.preprocessors["fenced_code_block"]
        md.preprocessors.register(
            BoundedFencedBlockPreprocessor(md, fenced.config), "fenced_code_block", 25
        )
        hilite = BoundedHiliteTreeprocessor(md)
        hilite.config = md.treeprocessors["hilite"].config
        md.treeprocessors.register(hilite, "hilite", 30)
        md.treeprocessors.register(PageTreeprocessor(md), "page", 0)
        # After raw HTML is put back (30).
        md.postprocessors.register(RawHtmlMathPostprocessor(md), "raw_html_math", 10)

    def reset(self):
        self.md.formulas = Formulas()


def convert(text, pictures=None):
    """Markdown to (unsanitized) HTML, the heading tree and the warnings (formulas that could
    not be converted, limits that were reached), the formulas' problems (blog.rendering.math)
    within the rendering budget. `pictures`
    ({src: blog.rendering.pictures.Picture}) are the kept images the text may name."""
    with limits.budget() as budget:
        md = _markdown()
        md.pictures = pictures or {}
        limits.guard(md, budget)
        try:
            html = md.convert(text)
            html = md.formulas.resolve(html)
        except limits.RenderTimeout:
            reason = f"the article took longer than {2 * budget.seconds:g} s to render"
        except RecursionError:
            reason = "the article is nested too deeply to render"
        else:
            _resolve_names(md.toc_tokens, md.formulas)
            warnings = [*md.formulas.warnings, *budget.summary()]
            return html, md.toc_tokens, warnings, md.formulas.problems
    html, warning = limits.plain_html(text, reason)
    return html, [], [warning], []


def _resolve_names(tokens, formulas):
    for token in tokens:
        token["name"] = formulas.resolve_text(token["name"])
        _resolve_names(token["children"], formulas)


# The title of each heading's "#" link, as stored (the page names it in the reader's language:
# blog.templatetags.blog_tags.article_as_shown).
PERMALINK_TITLE = "Link to this section"


def _markdown():
    return markdown.Markdown(
        extensions=["extra", "sane_lists", "toc", "codehilite", TechWritingExtension()],
        extension_configs={
            "toc": {
                "slugify": slugify_unicode,
                "permalink": "#",
                "permalink_class": "headerlink",
                "permalink_title": PERMALINK_TITLE,
                "toc_depth": "2-4",
            },
            "codehilite": {
                "css_class": "highlight",
                "guess_lang": False,
                "pygments_formatter": CodeFormatter,
            },
        },
        output_format="html",
    )
