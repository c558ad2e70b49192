"""Formulas in Markdown's inline syntax: $…$, \\(…\\) and \\\\(…\\\\) within a line, \\$ as a
literal dollar, and \\eqref/\\ref written in prose. Each hands its TeX, as written, to the
article's `Formulas` (blog.rendering.math) and leaves a stash placeholder."""

import re
from html import unescape

from markdown.inlinepatterns import InlineProcessor
from markdown.util import HTML_PLACEHOLDER_RE

from .spans import Closers

# Inline $…$ is a formula unless it reads as prices. The closing $ is never followed by a
# digit ("$5 and $10", "价格是$5和$10" stay prose); where a writer left spaces inside the
# dollars ("$ \alpha $", common in editors such as Typora), the content must look like TeX.
# Each alternative reads at most up to the next dollar (no nested lazy runs, spaces taken
# possessively), so a long line without a closing dollar costs one scan, not minutes.
INLINE_DOLLAR_RE = (
    r"(?<![\\$])\$(?:"
    r"(?=[^\s$])((?:\\.|[^\\$\n]|\n(?!\s*\n))+?)(?<=\S)"  # $x_1$, may wrap a line
    r"|(\s++(?=(?:\\.|[^\\$\n])*?(?:\\[A-Za-z]|[\^_{}=]))(?:\\.|[^\\$\n])*?)"  # $ \alpha $
    r"|(\\[A-Za-z](?:\\.|[^\\$\n])*?(?<=\s))"  # $\alpha $
    r"|(\s++[A-Za-z]\s++)"  # $ x $
    r")\$(?![\d$])"
)
PROSE_REFERENCE_RE = r"\\(eqref|ref)\{([^{}\n]{1,100})\}"
ESCAPED_DOLLAR = "&#36;"


class EscapedDollarProcessor(InlineProcessor):
    """`\\$` is a literal dollar, written as a character reference so that no later pass
    (the raw-HTML formula pass included) can take it for a delimiter."""

    def handleMatch(self, m, data):
        return self.md.htmlStash.store(ESCAPED_DOLLAR), m.start(0), m.end(0)


def html_text(html):
    """The text of some stashed HTML, for a place that holds text only."""
    return unescape(TAG_RE.sub("", html))


TAG_RE = re.compile(r"<[^>]*>")


def source_tex(processor, tex):
    """The TeX as written: patterns of higher priority (\\$ in particular) have already
    put placeholders into the line the formula is cut from."""
    tex = processor.unescape(tex)

    def restore(match):
        html = processor.md.htmlStash.rawHtmlBlocks[int(match.group(1))]
        return "\\$" if html == ESCAPED_DOLLAR else html_text(html)

    return HTML_PLACEHOLDER_RE.sub(restore, tex)


def inside_tag(data, position):
    """True when `position` is within an HTML tag of the line (an attribute's value): a
    formula there would put markup inside the attribute."""
    opening = data.rfind("<", 0, position)
    return (
        opening >= 0
        and TAG_START_RE.match(data, opening) is not None
        and data.find(">", opening, position) < 0
        and data.find(">", position) >= 0
    )


TAG_START_RE = re.compile(r"<[A-Za-z][\w-]*\s")


class InlineMathProcessor(InlineProcessor):
    def handleMatch(self, m, data):
        if inside_tag(data, m.start(0)):
            return None, None, None
        tex = next(group for group in m.groups() if group is not None)
        end = m.end(0)
        if OPEN_TEXT_RE.search(tex) and (close := _text_dollar_end(data, m.start(0) + 1)):
            # $\text{where $x$ is}$: the dollars inside \text's braces are its own, as
            # MathJax and KaTeX read them.
            tex, end = data[m.start(0) + 1 : close], close + 1
        html = self.md.formulas.html(source_tex(self, tex), False)
        return self.md.htmlStash.store(html), m.start(0), end


# A \text{…} whose brace the formula's closing dollar left open.
OPEN_TEXT_RE = re.compile(r"\\(?:text\w*|mbox|hbox)\s*\{[^{}]*$")
MAX_TEXT_SCAN = 300


def _text_dollar_end(data, start):
    """The index of the dollar that closes an inline formula begun at `start`, counting only
    dollars outside braces; None within MAX_TEXT_SCAN characters or a blank line."""
    depth, i, stop = 0, start, min(len(data), start + MAX_TEXT_SCAN)
    while i < stop:
        ch = data[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "$" and depth <= 0:
            return i
        elif ch == "\n" and data.startswith("\n", i + 1):
            return None
        i += 1
    return None


class ProseReferenceProcessor(InlineProcessor):
    """\\eqref{label} and \\ref{label} in running text (MathJax reads them outside math too)."""

    def handleMatch(self, m, data):
        html = self.md.formulas.reference(m.group(0), m.group(1), m.group(2))
        return self.md.htmlStash.store(html), m.start(0), m.end(0)


class DelimitedMathProcessor(InlineProcessor):
    """\\( … \\) and \\\\( … \\\\) on one line. The pattern is the opening delimiter alone;
    the closing one is looked for here, and a line where it is missing is not read again
    for each later opening (a regular expression would: quadratic in the line)."""

    def __init__(self, delimiter, md):
        super().__init__(delimiter.opening, md)
        self.delimiter = delimiter
        self.closers = Closers("")

    def handleMatch(self, m, data):
        if inside_tag(data, m.start(0)):
            return None, None, None
        if self.closers.text is not data:
            self.closers = Closers(data)
        newline = data.find("\n", m.end())
        close = self.closers.find(
            self.delimiter.closing, m.end() + 1, len(data) if newline < 0 else newline
        )
        if close is None:
            return None, None, None
        html = self.md.formulas.html(source_tex(self, data[m.end() : close.start()]), False)
        return self.md.htmlStash.store(html), m.start(0), close.end()
