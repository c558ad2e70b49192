"""TeX to MathML on the server, so pages, feeds and readers without JavaScript get formulas.

latex2mathml does the conversion; this module guards its edges: it copies `\\text{…}` raw
into the output, raises assorted exception classes on malformed TeX, silently drops
environments it does not know and prints unknown commands as identifiers. Each of those
becomes a visible fallback (the TeX in a <code>) and a warning for the author instead of a
500 or a formula that quietly lost a part. The output still goes through the sanitizer.
"""

import re
from html import escape

from latex2mathml.converter import convert

from . import limits

MAX_TEX_LENGTH = 5000

# Environments latex2mathml renders, plus the ones we rewrite into those before converting.
SUPPORTED_ENVIRONMENTS = {
    "matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix",
    "matrix*", "pmatrix*", "bmatrix*", "Bmatrix*", "vmatrix*", "Vmatrix*",
    "array", "cases", "split", "align*", "subarray",
}  # fmt: skip
# Rewritten into a supported environment (None: keep only the content).
REWRITES = {
    # aligned has no equation numbers, like align*; latex2mathml would drop it and print &.
    "aligned": "align*",
    "align": "align*",  # numbers without \ref targets are noise on a web page
    "alignat": "align*",
    "alignat*": "align*",
    "alignedat": "align*",
    "gathered": "array",
    "gather": "array",
    "gather*": "array",
    "multline": "array",
    "multline*": "array",
    "dcases": "cases",
    "eqnarray": "array",
    "eqnarray*": "array",
    "equation": None,
    "equation*": None,
}
# Numbering directives show nothing on a web page (there is no \ref to point at them), and
# \arg is an operator name latex2mathml does not know.
DROPPED_RE = re.compile(r"\\label\s*\{[^{}]*\}|\\(?:nonumber|notag)(?![A-Za-z])")
ARG_RE = re.compile(r"\\arg(?![A-Za-z])")
ARRAY_COLUMNS = {"eqnarray": "{rcl}", "eqnarray*": "{rcl}"}
BEGIN_END_RE = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
TEXT_COMMAND_RE = re.compile(
    r"\\(?:text|textrm|textbf|textit|texttt|textsf|textup|textnormal|mbox|hbox|"
    r"operatorname\*?|mathrm)\s*\{"
)
UNKNOWN_COMMAND_RE = re.compile(r"<m[io][^>]*>(\\[A-Za-z]+)</m[io]>")
MATH_TAG_RE = re.compile(r"^(<math\b[^>]*>)(.*)</math>$", re.DOTALL)


class FormulaError(ValueError):
    """A formula we cannot show as MathML; the message says why, for the author."""


def _check_braces(tex):
    depth, i = 0, 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise FormulaError("a closing brace } has no opening brace")
        i += 1
    if depth:
        raise FormulaError("an opening brace { is never closed")


def _rewrite_environments(tex):
    def replace(match):
        kind, name = match.group(1), match.group(2).strip()
        if name in SUPPORTED_ENVIRONMENTS:
            return match.group(0)
        if name not in REWRITES:
            raise FormulaError(f"the environment {name} is not supported")
        target = REWRITES[name]
        if target is None:
            return " "
        columns = ARRAY_COLUMNS.get(name, "{c}") if target == "array" and kind == "begin" else ""
        return f"\\{kind}{{{target}}}{columns}"

    tex = BEGIN_END_RE.sub(replace, tex)
    # alignat's column count follows \begin; align* takes none.
    return re.sub(r"(\\begin\{align\*\})\s*\{\d+\}", r"\1", tex)


def _escape_text_arguments(tex):
    """latex2mathml copies text arguments verbatim into the XML; `<` there would be markup."""
    out, pos = [], 0
    for match in TEXT_COMMAND_RE.finditer(tex):
        if match.start() < pos:
            continue
        start = match.end()
        depth, i = 1, start
        while i < len(tex) and depth:
            if tex[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(tex[i], 0)
            i += 1
        argument = tex[start : i - 1]
        out.append(tex[pos:start])
        out.append(argument.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        pos = i - 1
    out.append(tex[pos:])
    return "".join(out)


def tex_to_mathml(tex, display=False):
    """MathML for `tex` with the TeX kept as an annotation, or FormulaError saying why not."""
    source = tex.strip()
    if not source:
        raise FormulaError("the formula is empty")
    if len(source) > MAX_TEX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_TEX_LENGTH} characters")
    _check_braces(source)
    prepared = ARG_RE.sub(r"\\operatorname{arg}", DROPPED_RE.sub(" ", source))
    prepared = _escape_text_arguments(_rewrite_environments(prepared))
    try:
        mathml = convert(prepared, display="block" if display else "inline")
    except RecursionError as exc:
        raise FormulaError("the formula is nested too deeply") from exc
    except Exception as exc:  # latex2mathml raises many unrelated classes on bad TeX
        name = type(exc).__name__
        detail = str(exc).strip()
        reason = f"{name}: {detail}" if detail else name
        raise FormulaError(f"the converter failed ({reason})") from exc
    if unknown := UNKNOWN_COMMAND_RE.search(mathml):
        raise FormulaError(f"the command {unknown.group(1)} is not supported")
    match = MATH_TAG_RE.match(mathml.strip())
    if not match:
        raise FormulaError("the converter returned no formula")
    opening, body = match.groups()
    annotation = (
        f'<annotation encoding="application/x-tex">{escape(source, quote=False)}</annotation>'
    )
    return f"{opening}<semantics><mrow>{body}</mrow>{annotation}</semantics></math>"


def formula_html(tex, display, warnings):
    """The HTML for one formula: MathML, or its TeX in a <code> when it cannot be converted
    (the page still renders and `warnings` gets a line naming the formula)."""
    tag, kind = ("div", "math-display") if display else ("span", "math-inline")
    budget = limits.current()
    if budget is not None:
        budget.check()
    if budget is not None and budget.skip_formula():
        # Out of time: the source, and one warning for all such formulas (limits.Budget).
        inner = f'<code class="math-source">{escape(tex.strip())}</code>'
        return f'<{tag} class="math {kind} math-failed">{inner}</{tag}>'
    try:
        inner = tex_to_mathml(tex, display)
        classes = f"math {kind}"
    except FormulaError as exc:
        shown = " ".join(tex.split())
        warnings.append(f"{exc}: {shown[:120]}{'…' if len(shown) > 120 else ''}")
        inner = f'<code class="math-source">{escape(tex.strip())}</code>'
        classes = f"math {kind} math-failed"
    return f'<{tag} class="{classes}">{inner}</{tag}>'
