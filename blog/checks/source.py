"""An article's Markdown as the pre-publish checks read it: what is not prose masked (fenced
code, code spans, HTML comments; the same length, newlines kept), so that what looks like a
heading, an image or a link inside code is not taken for one; the headings; and the line of
each formula the renderer had a problem with.

Each rule is the one Python-Markdown and the renderer apply (tested against the rendered
page in tests/test_checks.py), read in passes that are linear in the length of the body: an
article of a megabyte, or of ten thousand unclosed backticks, comments and fences, is checked
as fast as it is rendered.
"""

import re
from bisect import bisect_right

from markdown.extensions.fenced_code import FencedBlockPreprocessor

from ..rendering.inline_math import INLINE_DOLLAR_RE
from ..rendering.markdown_ext import BLOCK_PREFIX_RE
from ..rendering.spans import DISPLAY, INLINE_DOUBLED_PAREN, INLINE_PAREN, find_spans

NEWLINE_RE = re.compile(r"\n")
# Python-Markdown's fenced block, opened at the start of a line and closed by the same fence.
FENCED_BLOCK_RE = FencedBlockPreprocessor.FENCED_BLOCK_RE
FENCE_OPENING_RE = re.compile(r"^(?:`{3,}|~{3,})", re.M)
HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)")
HTML_HEADING_RE = re.compile(r"<h([1-6])\b", re.IGNORECASE)
# Python-Markdown's setext underline: no indent, one kind of mark (tested: "  ---" is a rule,
# "-=-" text, "-\t" an underline).
SETEXT_RE = re.compile(r"^(=+|-+)[ \t]*$")
# Python-Markdown's horizontal rule: a block of its own, so the next line starts another.
RULE_RE = re.compile(r"^ {0,3}(?:(?:-[ ]{0,2}){3,}|(?:_[ ]{0,2}){3,}|(?:\*[ ]{0,2}){3,})[ ]*$")
# A block that starts indented is code, whatever is under it.
INDENTED_RE = re.compile(r"^(?: {4}|\t)")
BACKTICKS_RE = re.compile(r"`+")
# A comment that starts a line (indented three spaces at most) is an HTML block, which runs
# to its "-->" across blank lines; anywhere else it is inline and must close in its paragraph.
BLOCK_COMMENT_RE = re.compile(r"^ {0,3}<!--", re.M)
INLINE_DOLLAR = re.compile(INLINE_DOLLAR_RE)
INLINE_DELIMITERS = (INLINE_DOUBLED_PAREN, INLINE_PAREN)
WHITESPACE_RE = re.compile(r"\s+")
TAB_LENGTH = 4  # Python-Markdown's: tabs are expanded before anything else reads the text
# Text masked inside a line (code spans, inline comments): not blank, so the line still
# belongs to its paragraph ("`y`" over "---" is a heading). Not NUL, which PostgreSQL
# refuses in text, should an address with masked code in it reach a stored problem.
FILLER = "\x1a"
# Formulas the renderer reported that no span of the source matches (the renderer changed
# their TeX): each is looked for once in the whole text, this many at most.
MAX_FALLBACK_SEARCHES = 20


class Source:
    def __init__(self, body):
        # As Python-Markdown reads it (a browser's form sends CRLF); lines stay the same.
        self.body = body = body.replace("\r\n", "\n").replace("\r", "\n")
        self.starts = _starts(body)
        self.fences = []  # (line number of the opening fence, its info string)
        text = self._mask_fences(body)
        text = _mask_block_comments(text)
        text = "\n".join(_mask_paragraph(part) for part in _paragraphs(text))
        self.masked = text
        self.headings = _headings(text.split("\n"))  # (line number, level)
        self.headings += [
            (self.line(m.start()), int(m.group(1))) for m in HTML_HEADING_RE.finditer(text)
        ]
        self.headings.sort()
        self._formulas = None  # (display, key) -> [line, …], made when first asked
        self._reported = {}  # (display, key, kind, why) -> how many were given lines
        self._fallbacks = 0
        self._expanded_text = self._expanded_starts = None

    def line(self, index):
        return bisect_right(self.starts, index)

    def prose(self, pattern):
        """(line, match) of each match of `pattern` outside code and comments."""
        for match in pattern.finditer(self.masked):
            yield self.line(match.start()), match

    def _mask_fences(self, body):
        """The body with its fenced blocks blanked, each opening recorded. An opening no same
        fence closes later is text, as Python-Markdown reads it: that is known from where each
        fence is written last, without reading the rest of the body from each opening."""
        last = {}
        for match in FENCE_OPENING_RE.finditer(body):
            end = body.find("\n", match.end())
            if not body[match.end() : len(body) if end < 0 else end].strip(" "):
                last[match.group()] = match.start()
        pieces, done = [], 0
        for match in FENCE_OPENING_RE.finditer(body):
            if match.start() < done or last.get(match.group(), -1) <= match.start():
                continue
            block = FENCED_BLOCK_RE.match(body, match.start())
            if block is None:
                continue
            self.fences.append((self.line(match.start()), _info(block)))
            pieces += [body[done : block.start()], _blank(block.group())]
            done = block.end()
        pieces.append(body[done:])
        return "".join(pieces)

    def line_of(self, tex, display, kind="", why=""):
        """The line where the formula `tex` the renderer reported is written: found among the
        formulas of the prose (read with the renderer's own delimiters, code and comments
        masked), the n-th report of the same problem with the same TeX at its n-th place.
        The renderer reports display formulas before inline ones, and conversion failures
        after both, so an order of reports says nothing about the places."""
        if self._formulas is None:
            self._formulas = _formulas(self._expanded(), self._expanded_starts)
        key = _key(tex)
        places = self._formulas.get((display, key))
        if places:
            reported = (display, key, kind, why)
            seen = self._reported.get(reported, 0)
            self._reported[reported] = seen + 1
            return places[min(seen, len(places) - 1)]
        first = tex.strip().split("\n", 1)[0].strip()
        if not first or self._fallbacks >= MAX_FALLBACK_SEARCHES:
            return None
        self._fallbacks += 1
        index = self._expanded().find(first)
        return _line_in(self._expanded_starts, index) if index >= 0 else None

    def _expanded(self):
        if self._expanded_text is None:
            self._expanded_text = self.masked.expandtabs(TAB_LENGTH)
            self._expanded_starts = _starts(self._expanded_text)
        return self._expanded_text


def _starts(text):
    return [0, *(m.end() for m in NEWLINE_RE.finditer(text))]


def _line_in(starts, index):
    return bisect_right(starts, index)


def _blank(text, filler=" "):
    return "".join(c if c == "\n" else filler for c in text)


def _info(block):
    if block.group("attrs") is not None:
        return block.group("attrs").strip()
    return (block.group("lang") or "").strip()


def _mask_block_comments(text):
    """The text with each comment that starts a line blanked up to its "-->"; one with no
    "-->" after it is text (and so is every later one: none can close)."""
    pieces, done = [], 0
    for match in BLOCK_COMMENT_RE.finditer(text):
        if match.start() < done:
            continue
        end = text.find("-->", match.end())
        if end < 0:
            break
        start = match.end() - 4
        pieces += [text[done:start], _blank(text[start : end + 3])]
        done = end + 3
    pieces.append(text[done:])
    return "".join(pieces)


def _paragraphs(text):
    """The text cut into runs of lines inline Markdown reads together: a blank line ends one,
    and an ATX heading is one of its own (it interrupts a paragraph). Joined with "\\n",
    the pieces are the text again."""
    part = []
    for line in text.split("\n"):
        if not line.strip() or HEADING_RE.match(line):
            if part:
                yield "\n".join(part)
                part = []
            yield line
        else:
            part.append(line)
    if part:
        yield "\n".join(part)


def _mask_paragraph(text):
    if "`" in text:
        text = _mask_code_spans(text)
    if "<!--" in text:
        text = _mask_inline_comments(text)
    return text


def _mask_code_spans(text):
    """The paragraph with its code spans masked, as Python-Markdown's backtick pattern reads
    them: a run of backticks opens a span closed by the next run of exactly some length it
    can give, the longest it can (so "```x`" is the code "``x"); a backslash before a run
    keeps its first backtick literal, the rest can still open one. A run that nothing closes
    is text. Each run is tried once, and each length of it once."""
    runs = [(m.start(), m.end()) for m in BACKTICKS_RE.finditer(text)]
    if len(runs) < 2:
        return text
    by_length = {}
    for number, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(number)
    spans, number = [], 0
    while number < len(runs):
        start, end = runs[number]
        backslashes = 0
        while backslashes < start and text[start - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2:
            start += 1
        closer = None
        for length in range(end - start, 0, -1):
            same = by_length.get(length)
            if same and (later := bisect_right(same, number)) < len(same):
                closer = same[later]
                break
        if closer is None:
            number += 1
            continue
        spans.append((start, runs[closer][1]))
        number = closer + 1
    pieces, done = [], 0
    for start, end in spans:
        pieces += [text[done:start], _blank(text[start:end], FILLER)]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _mask_inline_comments(text):
    pieces, done = [], 0
    while (start := text.find("<!--", done)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break  # no later "<!--" in this paragraph can close either
        pieces += [text[done:start], _blank(text[start : end + 3], FILLER)]
        done = end + 3
    pieces.append(text[done:])
    return "".join(pieces)


def _headings(lines):
    """(line number, level) of the Markdown headings among the masked lines: ATX headings
    anywhere, setext ones where Python-Markdown takes them: the underline right below the
    first line of a block (after a blank line, a heading, a rule, indented code or the
    start), whatever that line holds ("- item" over "---" is a heading there, tested)."""
    found = []
    first = None  # the first line of the current block while it is the only one
    start_of_block, in_code = True, False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            first, start_of_block = None, True
            continue
        if in_code and INDENTED_RE.match(line):
            continue
        if in_code:  # the first line under indented code that is not indented starts a block
            in_code, start_of_block = False, True
        if heading := HEADING_RE.match(line):
            found.append((number, len(heading.group(1))))
            first, start_of_block = None, True
            continue
        if first is not None and (underline := SETEXT_RE.match(line)):
            found.append((number - 1, 1 if underline.group(1)[0] == "=" else 2))
            first, start_of_block = None, True
            continue
        if RULE_RE.match(line):
            first, start_of_block = None, True
            continue
        if start_of_block and INDENTED_RE.match(line):
            first, start_of_block, in_code = None, False, True
            continue
        first = number if start_of_block else None
        start_of_block = False
    return found


def _key(tex):
    """A formula's TeX as it can be compared with the source: Python-Markdown expands tabs,
    and inside a quote or a list the renderer takes the block's prefix off each line."""
    lines = tex.split("\n")
    lines[1:] = [line[BLOCK_PREFIX_RE.match(line).end() :] for line in lines[1:]]
    return WHITESPACE_RE.sub("", "".join(lines))


def _formulas(text, starts):
    """(display, key) -> the lines where such a formula is written, in order, in the masked
    text with its tabs expanded."""
    places = {}
    display = find_spans(text, DISPLAY)
    for span in display:
        places.setdefault((True, _key(span.inner)), []).append(_line_in(starts, span.start))
    text = _without(text, display)
    inline = find_spans(text, INLINE_DELIMITERS)
    for span in inline:
        places.setdefault((False, _key(span.inner)), []).append(_line_in(starts, span.start))
    for match in INLINE_DOLLAR.finditer(_without(text, inline)):
        tex = next(group for group in match.groups() if group is not None)
        places.setdefault((False, _key(tex)), []).append(_line_in(starts, match.start()))
    for lines in places.values():
        lines.sort()
    return places


def _without(text, spans):
    pieces, done = [], 0
    for span in spans:
        pieces += [text[done : span.start], _blank(text[span.start : span.end], FILLER)]
        done = span.end
    pieces.append(text[done:])
    return "".join(pieces)
