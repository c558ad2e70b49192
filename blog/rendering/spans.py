"""Delimited spans ($$…$$, \\[…\\], \\(…\\), code spans, equation environments) found in
linear time.

A regular expression such as `\\$\\$(.+?)\\$\\$` tries, from every opening delimiter that has no
closing one, the whole rest of the text: 100 KB of `\\[` took minutes, inside one call nothing
can interrupt (issue 10, finding 8). Here each kind of closing delimiter is looked for at most
once past the point where it was last missing, so the whole text is read a bounded number of
times, whatever it holds.
"""

import bisect
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Delimiter:
    """The patterns of an opening and a closing delimiter; `name` is the `Span.kind`."""

    name: str
    opening: str
    closing: str


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    inner: str


ENVIRONMENT_NAMES = r"(?:equation|align|gather|multline|eqnarray)\*?"
DISPLAY = (
    Delimiter("dollars", r"(?<!\\)\$\$", r"(?<!\\)\$\$"),
    # \\[ … \\] is how Hugo and Hexo writers get \[ … \] past their Markdown renderer.
    Delimiter("doubled", r"\\\\\[", r"\\\\\]"),
    Delimiter("brackets", r"\\\[", r"\\\]"),
    # A bare equation environment, as MathJax users write them without dollars; the span
    # keeps the \begin and \end.
    Delimiter("environment", r"\\begin\{(?P<env>" + ENVIRONMENT_NAMES + r")\}", r"\\end\{{{0}\}}"),
)
INLINE_DOUBLED_PAREN = Delimiter("doubled_paren", r"\\\\\(", r"\\\\\)")
INLINE_PAREN = Delimiter("paren", r"\\\(", r"\\\)")

TICKS_RE = re.compile(r"`+")


class Closers:
    """Finds closing delimiters, remembering where a kind was not found any more."""

    def __init__(self, text):
        self.text = text
        self.missing_from = {}  # closing pattern -> position from which it does not occur
        self.patterns = {}

    def find(self, pattern, start, stop):
        """The first match of `pattern` in text[start:stop], or None."""
        key = (pattern, stop)
        if start >= self.missing_from.get(key, len(self.text) + 1):
            return None
        regex = self.patterns.get(pattern) or self.patterns.setdefault(pattern, re.compile(pattern))
        match = regex.search(self.text, start, stop)
        if match is None:
            self.missing_from[key] = min(start, self.missing_from.get(key, start))
        return match


def find_spans(text, delimiters, code_spans=False):
    """The non-overlapping spans of `text`, leftmost first, as a regular expression with one
    alternative per delimiter (in the given order) would find them; with `code_spans`, code
    spans (a run of backticks up to the next run of the same length) are found too, first, so
    that delimiters inside them are left alone. A content is at least one character."""
    alternatives = [f"(?P<d{i}>{d.opening})" for i, d in enumerate(delimiters)]
    if code_spans:
        alternatives.insert(0, "(?P<ticks>`+)")
        ticks = {}
        for run in TICKS_RE.finditer(text):
            ticks.setdefault(len(run.group()), []).append(run.start())
    opening_re = re.compile("|".join(alternatives))
    closers = Closers(text)
    spans, pos = [], 0
    while (opening := opening_re.search(text, pos)) is not None:
        if code_spans and opening.group("ticks"):
            run = opening.group("ticks")
            starts = ticks[len(run)]
            following = bisect.bisect_right(starts, opening.start())
            if following < len(starts):
                inner = text[opening.end() : starts[following]]
                pos = starts[following] + len(run)
                spans.append(Span("code", opening.start(), pos, inner))
            else:  # no closing run: the backticks are literal
                pos = opening.end()
            continue
        index = next(i for i, d in enumerate(delimiters) if opening.group(f"d{i}") is not None)
        delimiter = delimiters[index]
        closing = delimiter.closing
        if "{0}" in closing:  # the environment's \end names its \begin
            closing = closing.format(re.escape(opening.group("env")))
        close = closers.find(closing, opening.end() + 1, len(text))
        if close is None:
            pos = opening.start() + 1  # another delimiter may still start inside this one
            continue
        if delimiter.name == "environment":
            inner = text[opening.start() : close.end()]
        else:
            inner = text[opening.end() : close.start()]
        spans.append(Span(delimiter.name, opening.start(), close.end(), inner))
        pos = close.end()
    return spans


def replace_spans(text, spans, replacement):
    """`text` with each span replaced by `replacement(span)` (None keeps it)."""
    out, pos = [], 0
    for span in spans:
        new = replacement(span)
        if new is None:
            continue
        out.append(text[pos : span.start])
        out.append(new)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)
