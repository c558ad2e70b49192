"""TeX to MathML on the server with math-core, so pages, feeds and readers without
JavaScript get formulas drawn the way browsers implement MathML (MathML Core).

One `Formulas` per article. While Markdown is converted, each formula is checked and
prepared (blog.rendering.tex) and leaves a marker; `resolve` then converts all of them in
one batch in document order, which is what numbers equations per article and lets an
\\eqref point at an equation further down. A formula math-core rejects becomes its TeX in a
<code> and a warning for the author, never a 500. The output still goes through the
sanitizer.

math-core is pre-1.0: its output can change between minor versions. The version is pinned
in pyproject.toml and tests/test_math_snapshots.py shows an upgrade's changes; run
`manage.py rerender_posts` after one.
"""

import re
import secrets
import threading
from html import escape

import math_core

from . import limits
from .mathstyle import to_classes
from .tex import MAX_EXPANSIONS, FormulaError, prepare

ID_PREFIX = "eq-"
# math-core recurses about 2 KB of stack a nesting level and crashes the process when it runs
# out (a 256 KB thread stack crashed at 100 nested \\frac; the 8 MB main stack at 4,000).
# blog.rendering.tex keeps a formula within about 5,000 levels, or MACRO_LEVELS times a
# built-in command's few levels with macros; this stack holds well over 100,000, whatever
# stack the server gives its own threads. Only the pages touched take memory.
STACK_BYTES = 256 * 1024 * 1024
MAX_MATHML = 500_000  # characters of one formula's MathML: past it, the TeX is shown
MAX_PAGE_MATHML = 8_000_000  # and of one article's: past it, the remaining formulas are TeX

_converter = math_core.LatexToMathML(
    annotation=True,
    fancy_error=False,
    # \widetilde and friends: drawn a little off in some browsers, which beats showing TeX.
    allow_unreliable_rendering=True,
    id_prefix=ID_PREFIX,
    max_expansions=MAX_EXPANSIONS,
)
_stack_lock = threading.Lock()

# Markers are private-use characters: no word characters, so a formula in a heading leaves
# nothing in the heading's slug, and a per-article nonce, so an author's text cannot forge one.
MARK_OPEN, MARK_CLOSE = "\ue100", "\ue101"
DIGITS = "".join(chr(0xE000 + d) for d in range(10))
ERROR_POSITION_RE = re.compile(r"^\d+:\s*")
UNKNOWN_RE = re.compile(r'Unknown (command|environment) "(.{1,60})"')
ANNOTATION_RE = re.compile(
    r'<annotation encoding="application/x-tex">.*?</annotation>(</semantics></math>)$', re.DOTALL
)
REFERENCE_RE = re.compile(r'(<a href="#eq-([^"]*)">)\((.*?)\)(</a>)')
PRIME_RE = re.compile(r"<msup>(<m[ion]\b[^<>]*>[^<>]*</m[ion]>)<mo>([′″‴⁗]+)</mo></msup>")
LABEL_KEY_RE = re.compile(r"\\label\{([^{}]*)\}")
NEWCOMMAND_RE = re.compile(r"\\newcommand(?![A-Za-z])")
ID_RE = re.compile(r' id="([^"]*)"')
LINK_RE = re.compile(r"</?a\b[^>]*>")
# No line may begin with closing CJK punctuation or end with an opening one, so these stay
# on the line of the inline formula they touch.
OPENING_PUNCTUATION = "（《「『【〈“‘〔"
CLOSING_PUNCTUATION = "，。、；：！？）》」』】〉”’〕…"


def _on_large_stack(function):
    """function() run on a thread with STACK_BYTES of stack; its result or its exception."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc

    with _stack_lock:  # threading.stack_size is process-wide
        previous = threading.stack_size(STACK_BYTES)
        try:
            worker = threading.Thread(target=run, name="math-core")
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _reason(exc):
    message = ERROR_POSITION_RE.sub("", str(exc)).rstrip(".")
    if unknown := UNKNOWN_RE.fullmatch(message):
        return f"the {unknown.group(1).lower()} {unknown.group(2)} is not supported"
    return f"the converter rejected it: {message}"


def _convert_one(tex, display):
    """(the TeX that converts, its MathML) or (tex, FormulaError)."""
    try:
        mathml = _converter.convert_with_local_state(tex, displaystyle=display)
    except math_core.LatexError as exc:
        # MathJax's \newcommand redefines a command it already knows; math-core's refuses.
        if "already defined" in str(exc) and NEWCOMMAND_RE.search(tex):
            return _convert_one(NEWCOMMAND_RE.sub(r"\\renewcommand", tex), display)
        return tex, FormulaError(_reason(exc))
    if len(mathml) > MAX_MATHML:
        return tex, FormulaError(f"its MathML would be longer than {MAX_MATHML:,} characters")
    return tex, mathml


TOO_MUCH = object()  # not converted: the article's MathML passed MAX_PAGE_MATHML


def _convert_batch(snippets, budget=None):
    """MathML, a FormulaError or TOO_MUCH for each (tex, display), converted in one state,
    within MAX_PAGE_MATHML and the rendering budget's hard deadline (the budget is passed in:
    this runs on a thread of its own). Formulas are checked before (blog.rendering.tex) so
    that each converts in microseconds; the deadline is for what slips through."""
    results, total = [], 0
    for tex, display in snippets:
        if budget is not None:
            budget.check()
        if total > MAX_PAGE_MATHML:
            results.append(TOO_MUCH)
            continue
        converted, result = _convert_one(tex, display)
        if isinstance(result, str):
            total += len(result)
        results.append((converted, result))
    good = [i for i, r in enumerate(results) if r is not TOO_MUCH and isinstance(r[1], str)]
    out = [r if r is TOO_MUCH else r[1] for r in results]
    if TOO_MUCH in results:
        return out  # short of room: each formula as converted alone
    try:
        batch = _converter.convert_all([(results[i][0], snippets[i][1]) for i in good])
    except math_core.LatexError:
        return out  # numbering restarts per formula, but every formula shows
    for i, mathml in zip(good, batch, strict=True):
        out[i] = mathml
    return out


def _upright_primes(mathml):
    """f' as math-core writes it is a superscript ′, which Chromium draws tiny and high (it
    does not use the math font's script variant of the glyph); the prime glyph is already
    raised, so it follows its base at full size, as TeX prints it."""
    return PRIME_RE.sub(r'<mrow>\1<mo lspace="0" rspace="0">\2</mo></mrow>', mathml)


def _with_source(mathml, source, plain_refs):
    """math-core's MathML with the author's own TeX as the annotation (math-core's is the
    prepared TeX) and \\ref written without the parentheses of \\eqref."""
    annotation = escape(source, quote=False)
    mathml = ANNOTATION_RE.sub(
        lambda m: (
            f'<annotation encoding="application/x-tex">{annotation}</annotation>' + m.group(1)
        ),
        mathml,
    )
    plain = {}
    for key, is_plain in plain_refs:
        plain.setdefault(key, []).append(is_plain)

    def reference(match):
        queue = plain.get(match.group(2)) or [False]
        if queue.pop(0):
            return match.group(1) + match.group(3) + match.group(4)
        return match.group(0)

    return _upright_primes(REFERENCE_RE.sub(reference, mathml))


def _fallback(source, display):
    tag, kind = ("div", "math-display") if display else ("span", "math-inline")
    return (
        f'<{tag} class="math {kind} math-failed">'
        f'<code class="math-source">{escape(source.strip())}</code></{tag}>'
    )


def _shown(tex):
    shown = " ".join(tex.split())
    return f"{shown[:120]}{'…' if len(shown) > 120 else ''}"


class Formulas:
    """The formulas of one article, from markers to MathML."""

    def __init__(self):
        self.nonce = "".join(secrets.choice(DIGITS) for _ in range(8))
        self.pending = []  # (source, display, Prepared, the text of a reference in prose)
        self.warnings = []
        # (tex, display, "failed" or "changed", why): the warnings again, for the pre-publish
        # checks, which show each with its line (blog.checks).
        self.problems = []
        self.converted = {}  # index -> final HTML of the formula alone (for the contents)
        marker = re.escape(MARK_OPEN + self.nonce) + f"([{DIGITS}]+)" + re.escape(MARK_CLOSE)
        self.element_re = re.compile(
            f"([{OPENING_PUNCTUATION}]?)"
            r'<(span|div) class="math (?:math-inline|math-display)">'
            + marker
            + rf"</\2>([{CLOSING_PUNCTUATION}]?)"
        )
        self.marker_re = re.compile(marker)

    def _marker(self, index):
        return MARK_OPEN + self.nonce + "".join(DIGITS[int(d)] for d in str(index)) + MARK_CLOSE

    def html(self, tex, display):
        """What Markdown keeps in place of one formula until `resolve`."""
        budget = limits.current()
        if budget is not None:
            budget.check()
            if budget.skip_formula():
                # Out of time: the source, and one warning for all such formulas (limits.Budget).
                return _fallback(tex, display)
        try:
            prepared = prepare(tex, display)
        except FormulaError as exc:
            self.warnings.append(f"{exc}: {_shown(tex)}")
            self.problems.append((tex, display, "failed", str(exc)))
            return _fallback(tex, display)
        for note in prepared.notes:
            self.warnings.append(f"{note}: {_shown(tex)}")
            self.problems.append((tex, display, "changed", note))
        return self._pending(tex, display, prepared)

    def _pending(self, tex, display, prepared, literal=None):
        tag, kind = ("div", "math-display") if display else ("span", "math-inline")
        self.pending.append((tex, display, prepared, literal))
        return f'<{tag} class="math {kind}">{self._marker(len(self.pending) - 1)}</{tag}>'

    def reference(self, text, kind, label):
        """\\eqref{…} or \\ref{…} written in prose, as MathJax reads them: a link to the
        equation when the article labels one so, else the text as it was written."""
        tex = f"\\{kind}{{{label}}}"
        return self._pending(tex, False, prepare(tex, False), literal=text)

    def source_of(self, html):
        """The TeX of the formula whose marker `html` holds, or None."""
        match = self.marker_re.search(html)
        if match is None:
            return None
        return self.pending[self._index(match.group(1))][0].strip()

    def _index(self, digits):
        return int("".join(str(DIGITS.index(d)) for d in digits))

    def _snippets(self, order):
        """The TeX of each formula in `order`; a label given again is renamed so that links
        go to the first equation that has it, with a warning."""
        seen, snippets = set(), []
        taken = {k for i in order for k in LABEL_KEY_RE.findall(self.pending[i][2].tex)}
        for index in order:
            source, display, prepared, _literal = self.pending[index]

            def rename(match, source=source):
                key = match.group(1)
                if key not in seen:
                    seen.add(key)
                    return match.group(0)
                self.warnings.append(
                    f"the label {key} is given to more than one equation; references go to "
                    f"the first: {_shown(source)}"
                )
                n = 2
                while f"{key}-{n}" in taken:
                    n += 1
                taken.add(f"{key}-{n}")
                return f"\\label{{{key}-{n}}}"

            snippets.append((LABEL_KEY_RE.sub(rename, prepared.tex), display))
        return snippets

    def resolve(self, html):
        """`html` with every marker replaced by its formula, all converted in one batch."""
        if not self.pending:
            return html
        order = list(dict.fromkeys(self._index(m.group(1)) for m in self.marker_re.finditer(html)))
        snippets = self._snippets(order)
        budget = limits.current()
        results = _on_large_stack(lambda: _convert_batch(snippets, budget))
        # Only an equation that was converted has an id a reference can lead to.
        ids = {i for r in results if isinstance(r, str) for i in ID_RE.findall(r)}
        seen_ids, literals, too_much = set(), set(), 0
        for index, result in zip(order, results, strict=True):
            source, display, prepared, literal = self.pending[index]
            missing = [k for k, _plain in prepared.plain_refs if ID_PREFIX + k not in ids]
            if literal is not None and (missing or not isinstance(result, str)):
                self.converted[index] = escape(literal, quote=False)
                literals.add(index)
                continue
            if result is TOO_MUCH:
                too_much += 1
                self.converted[index] = _fallback(source, display)
                continue
            if isinstance(result, FormulaError):
                self.warnings.append(f"{result}: {_shown(source)}")
                self.problems.append((source, display, "failed", str(result)))
                self.converted[index] = _fallback(source, display)
                continue
            for key in missing:
                self.warnings.append(
                    f"\\eqref{{{key}}} refers to no numbered equation: {_shown(source)}"
                )
            mathml = to_classes(_with_source(result, source.strip(), prepared.plain_refs))
            mathml = ID_RE.sub(lambda m: self._unique_id(m, seen_ids), mathml)
            tag, kind = ("div", "math-display") if display else ("span", "math-inline")
            self.converted[index] = f'<{tag} class="math {kind}">{mathml}</{tag}>'

        if too_much:
            self.warnings.append(
                f"{limits.LIMIT_WARNING_PREFIX}the article's MathML passed "
                f"{MAX_PAGE_MATHML:,} characters, so {too_much:,} formulas are shown as TeX source."
            )

        def element(match):
            index = self._index(match.group(3))
            formula = self.converted.get(index, "")
            before, after = match.group(1), match.group(4)
            if (before or after) and index not in literals:
                return f'<span class="math-nobreak">{before}{formula}{after}</span>'
            return before + formula + after

        html = self.element_re.sub(element, html)
        return self.resolve_text(html)

    @staticmethod
    def _unique_id(match, seen):
        # The same formula copied twice by Markdown: its ids stay on the first copy.
        if match.group(1) in seen:
            return ""
        seen.add(match.group(1))
        return match.group(0)

    def resolve_text(self, text):
        """Markers left where Markdown copied a formula's text (a heading's entry in the
        contents): the formula's MathML again, without ids."""

        def bare(match):
            formula = self.converted.get(self._index(match.group(1)), "")
            return LINK_RE.sub("", ID_RE.sub("", formula))  # a heading's entry is a link

        return self.marker_re.sub(bare, text)


def tex_to_mathml(tex, display=False):
    """The HTML of one formula on its own (numbered per call), or FormulaError why not."""
    formulas = Formulas()
    marked = formulas.html(tex, display)
    html = formulas.resolve(marked)
    if formulas.warnings and "math-failed" in html:
        raise FormulaError(formulas.warnings[0])
    return html
