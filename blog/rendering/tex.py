"""TeX made ready for math-core: the checks that keep the converter safe, and rewrites of
what it lacks into what it has.

math-core crashes the whole process, without an exception, when a formula nests a few
thousand levels deep (braces, \\frac, \\left, environments, or a macro that expands into
itself), so nesting is measured here before anything is converted. The rewrites turn
constructs writers use and math-core rejects (`split`, `alignat`, `eqnarray`, `smallmatrix`,
`\\substack`, size commands, `\\mbox`, …) into equivalents it draws, and give display
formulas what KaTeX gives them: a top-level `\\\\` breaks the line, and `\\tag`/`\\label`
outside an environment number the formula.
"""

import hashlib
import re
from dataclasses import dataclass, field

MAX_TEX_LENGTH = 5000
# Far beyond real formulas (a deep one nests about 15 levels); far below what crashes.
MAX_DEPTH = 100
# Without macros a formula cannot nest deeper than about its length (each level takes at
# least one character, a built-in command a few levels at most): 5,000 characters fit the
# converter's stack (math.py) many times over. A macro repeats its body on each use, so a
# formula that defines one may use them this many times, and the levels its body could
# open (every brace, \left, \begin and command counted as one), times the uses, must stay
# within MACRO_LEVELS. A parameter may appear once in its body: twice, and nested uses
# double the formula each time (a 1 KB formula made 98 MB of MathML in 80 s).
MAX_EXPANSIONS = 20
MACRO_LEVELS = 10_000
# ...and may be this long at most: each use copies a body, so output grows with length x uses.
MAX_MACRO_FORMULA = 2000
# math-core's time doubles with each opening bracket left unclosed within one group
# ("((((…x": 22 took 0.1 s, 28 took 14 s, holding the interpreter all the while).
MAX_UNCLOSED_BRACKETS = 16
OPEN_BRACKETS = {"(", "[", r"\{", r"\lbrace", r"\langle", r"\lang", r"\lbrack", r"\lceil",
                 r"\lfloor", r"\ulcorner", r"\llcorner", r"\lgroup", r"\lmoustache",
                 r"\lvert", r"\lVert", r"\lparen", r"\lBrace", r"\llbracket"}  # fmt: skip
CLOSE_BRACKETS = {")", "]", r"\}", r"\rbrace", r"\rangle", r"\rang", r"\rbrack", r"\rceil",
                  r"\rfloor", r"\urcorner", r"\lrcorner", r"\rgroup", r"\rmoustache",
                  r"\rvert", r"\rVert", r"\rparen", r"\rBrace", r"\rrbracket"}  # fmt: skip

TOKEN_RE = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.DOTALL)
OPENERS = {"{", r"\left", r"\begin"}
CLOSERS = {"}", r"\right", r"\end"}
# A command that takes its argument without braces (\sqrt\sqrt x) still nests: a run of
# commands with nothing else between them counts as that many levels.
RUN_TOKENS = re.compile(r"\\[A-Za-z]+|\^|_")

SIZE_RE = re.compile(
    r"\\(?:tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge)"
    r"(?![A-Za-z])"
)
LINE_BREAK_RE = re.compile(r"\\\\|\\newline(?![A-Za-z])")
SYNONYMS = [
    (re.compile(r"\\(?:mbox|hbox|textnormal)(?![A-Za-z])"), r"\\text"),
    (re.compile(r"\\pmb(?![A-Za-z])"), r"\\boldsymbol"),
    (re.compile(r"\\mathbbm(?![A-Za-z])"), r"\\mathbb"),
    (re.compile(r"\\url(?![A-Za-z])"), r"\\texttt"),
]
ENVIRONMENT_RENAMES = {
    "split": "aligned",  # inside equation: one number for all its lines, as in LaTeX
    "alignat": "align",
    "alignat*": "align*",
    "alignedat": "aligned",
    "eqnarray": "align",
    "eqnarray*": "align*",
}
# Environments whose first argument is a column count math-core's counterpart does not take.
COUNT_ARGUMENT = {"alignat", "alignat*", "alignedat"}
BEGIN_END_RE = re.compile(r"\\(begin|end)\s*\{([^{}]*)\}")
EQNARRAY_RE = re.compile(
    r"\\begin\s*\{(eqnarray\*?)\}(.*?)\\end\s*\{\1\}", re.DOTALL
)  # fmt: skip
SMALLMATRIX_RE = re.compile(r"\\begin\s*\{smallmatrix\}(.*?)\\end\s*\{smallmatrix\}", re.DOTALL)
LABEL_RE = re.compile(r"\\(label|eqref|ref)\s*\{([^{}]*)\}")
SAFE_LABEL_RE = re.compile(r"[A-Za-z0-9_.:-]{1,60}")
NUMBERING_RE = re.compile(r"\\(?:label|tag\*?)(?![A-Za-z])")
TEXT_COMMANDS = ("text", "textrm", "textit", "textbf", "textsf", "texttt", "textup")
INLINE_DOLLARS_RE = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.DOTALL)
DEFINITION_RE = re.compile(
    r"\\(?:def|gdef|edef|xdef|let|newcommand|renewcommand|providecommand)(?![A-Za-z])"
)


class FormulaError(ValueError):
    """A formula we cannot show as MathML; the message says why, for the author."""


@dataclass
class Prepared:
    """A formula as math-core will get it: `tex`, which references in it are \\ref (no
    parentheses: math-core only writes \\eqref), and notes for the author about what was
    left out."""

    tex: str
    plain_refs: list = field(default_factory=list)  # (label, is \\ref) per reference, in order
    notes: list = field(default_factory=list)


def label_key(label):
    """The id part for a \\label: the label itself when it is safe in an id and a URL, a
    digest otherwise, the same for \\label and its \\eqref."""
    label = label.strip()
    if SAFE_LABEL_RE.fullmatch(label):
        return label
    return "h" + hashlib.sha1(label.encode()).hexdigest()[:12]


def _too_many_unclosed(count):
    if count > MAX_UNCLOSED_BRACKETS:
        raise FormulaError(
            f"more than {MAX_UNCLOSED_BRACKETS} brackets are opened and never closed"
        )


def check_nesting(tex):
    """FormulaError when braces do not balance, nesting passes MAX_DEPTH or too many
    brackets stay open."""
    braces = groups = run = deepest = 0
    unclosed = [0]  # brackets still open, per brace group
    for match in TOKEN_RE.finditer(tex):
        token = match.group()
        if token.isspace():
            continue
        if token in OPEN_BRACKETS:
            unclosed[-1] += 1
        elif token in CLOSE_BRACKETS:
            unclosed[-1] = max(0, unclosed[-1] - 1)
        if token == "{":
            braces += 1
            unclosed.append(0)
        elif token == "}":
            braces -= 1
            if braces < 0:
                raise FormulaError("a closing brace } has no opening brace")
            _too_many_unclosed(unclosed.pop())
        elif token in OPENERS:
            groups += 1
        elif token in CLOSERS:
            groups = max(0, groups - 1)
        run = run + 1 if RUN_TOKENS.fullmatch(token) else 0
        deepest = max(deepest, braces + groups + run)
        if deepest > MAX_DEPTH:
            raise FormulaError(f"the formula is nested more than {MAX_DEPTH} levels deep")
    if braces:
        raise FormulaError("an opening brace { is never closed")
    _too_many_unclosed(unclosed[-1])


def _argument_end(tex, start):
    """The index just past the brace group that opens at `start` (braces balance: checked)."""
    depth = 0
    for match in TOKEN_RE.finditer(tex, start):
        if match.group() == "{":
            depth += 1
        elif match.group() == "}":
            depth -= 1
            if not depth:
                return match.end()
    return len(tex)


def _group_at(tex, position):
    """(content, end) of the brace group after optional spaces at `position`, or None."""
    while position < len(tex) and tex[position].isspace():
        position += 1
    if position >= len(tex) or tex[position] != "{":
        return None
    end = _argument_end(tex, position)
    return tex[position + 1 : end - 1], end


def _rewrite_command(tex, name, arguments, build):
    """Each `\\name{…}…` with `arguments` brace groups replaced by build(*contents)."""
    pattern = re.compile(r"\\" + name + r"(?![A-Za-z])")
    out, pos = [], 0
    while (match := pattern.search(tex, pos)) is not None:
        contents, end = [], match.end()
        for _ in range(arguments):
            group = _group_at(tex, end)
            if group is None:
                break
            contents.append(group[0])
            end = group[1]
        if len(contents) < arguments:
            out.append(tex[pos : match.end()])
            pos = match.end()
            continue
        out += [tex[pos : match.start()], build(*contents)]
        pos = end
    out.append(tex[pos:])
    return "".join(out)


def _top_level(tex):
    """(position, token) of the tokens outside every brace group and environment."""
    braces = environments = 0
    for match in TOKEN_RE.finditer(tex):
        token = match.group()
        if token == "{":
            braces += 1
        elif token == "}":
            braces -= 1
        elif token in (r"\begin", r"\left"):
            environments += 1
        elif token in (r"\end", r"\right"):
            environments -= 1
        elif not braces and not environments:
            yield match.start(), token


def _split_top(text, separator):
    """`text` cut at each top-level `separator` token (`\\\\` or `&`)."""
    parts, pos = [], 0
    for position, token in _top_level(text):
        if token == separator:
            parts.append(text[pos:position])
            pos = position + len(token)
    parts.append(text[pos:])
    return parts


def _eqnarray(match):
    # eqnarray's rows are "left & relation & right"; align's are "left &relation right".
    rows = []
    for row in _split_top(match.group(2), "\\\\"):
        cells = _split_top(row, "&")
        rows.append(cells[0] + ("&" + " ".join(cells[1:]) if len(cells) > 1 else ""))
    name = match.group(1)
    return f"\\begin{{{name}}}{'\\\\'.join(rows)}\\end{{{name}}}"


def _smallmatrix(match):
    content = match.group(1)
    columns = max(len(_split_top(row, "&")) for row in _split_top(content, "\\\\"))
    return f"\\begin{{subarray}}{{{'c' * columns}}}{content}\\end{{subarray}}"


def _rename_environments(tex):
    def replace(match):
        kind, name = match.group(1), match.group(2).strip()
        target = ENVIRONMENT_RENAMES.get(name)
        if target is None:
            return match.group(0)
        if kind == "begin" and name in COUNT_ARGUMENT:
            return f"\\begin{{{target}}}\x00"  # the column count follows; removed below
        return f"\\{kind}{{{target}}}"

    tex = BEGIN_END_RE.sub(replace, tex)
    return re.sub(r"\x00\s*(?:\{\s*\d+\s*\})?", "", tex)


def _labels(tex, prepared):
    def replace(match):
        kind, key = match.group(1), label_key(match.group(2))
        if kind == "label":
            return f"\\label{{{key}}}"
        prepared.plain_refs.append((key, kind == "ref"))
        return f"\\eqref{{{key}}}"

    return LABEL_RE.sub(replace, tex)


def _number_and_lines(tex):
    """A display formula outside any environment: top-level `\\\\` become lines of a
    `gathered`, and a top-level \\tag or \\label makes it a numbered `equation`."""
    tops = list(_top_level(tex))
    if not any(token == "\\\\" or NUMBERING_RE.fullmatch(token) for _, token in tops):
        return tex
    numbering, body, pos = [], [], 0
    for position, token in tops:
        if NUMBERING_RE.fullmatch(token) and position >= pos:
            end = position + len(token)
            group = _group_at(tex, end)
            if group is None:
                continue
            body.append(tex[pos:position])
            numbering.append(tex[position : group[1]])
            pos = group[1]
    body.append(tex[pos:])
    inner = "".join(body)
    tokens = {token for _, token in _top_level(inner)}
    if "\\\\" in tokens:
        # Lines with & between them (written without aligned, which KaTeX refuses) align.
        lines = "aligned" if "&" in tokens else "gathered"
        inner = f"\\begin{{{lines}}}{inner}\\end{{{lines}}}"
    if numbering:
        return f"\\begin{{equation}}{inner}{' '.join(numbering)}\\end{{equation}}"
    return inner


def _text_with_math(name):
    """\\text{where $x$ is} as math-core takes it: \\text{where }x\\text{ is} (in bold
    within \\textbf)."""
    wrap = "\\boldsymbol{{{}}}" if name == "textbf" else "{{{}}}"

    def build(body):
        out, pos = [], 0
        for match in INLINE_DOLLARS_RE.finditer(body):
            if match.start() > pos:
                out.append(f"\\{name}{{{body[pos : match.start()]}}}")
            out.append(wrap.format(match.group(1)))
            pos = match.end()
        if pos < len(body) or not out:
            out.append(f"\\{name}{{{body[pos:]}}}")
        return "".join(out)

    return build


def prepare(tex, display):
    """The TeX math-core gets for one formula, or FormulaError saying why there is none."""
    source = tex.strip()
    if not source:
        raise FormulaError("the formula is empty")
    if len(source) > MAX_TEX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_TEX_LENGTH} characters")
    check_nesting(source)
    check_macros(source)
    prepared = Prepared("")
    text = SIZE_RE.sub(" ", source)
    if text != source:
        # math-core has no sizes: the formula is drawn at the text's size, which an author
        # who wrote \large meant otherwise.
        prepared.notes.append("size commands (\\large, \\small, …) are ignored")
    for pattern, replacement in SYNONYMS:
        text = pattern.sub(replacement, text)
    if r"\href" in text:
        text = _rewrite_command(text, "href", 2, lambda _url, body: f"{{{body}}}")
        prepared.notes.append("links (\\href) are not kept inside formulas")
    # \sout strikes out text; math-core has it in text mode only.
    text = _rewrite_command(text, "sout", 1, lambda body: f"\\text{{\\sout{{{body}}}}}")
    if "$" in text:
        for name in TEXT_COMMANDS:
            text = _rewrite_command(text, name, 1, _text_with_math(name))
    text = _rewrite_command(
        text, "substack", 1, lambda rows: f"\\begin{{subarray}}{{c}}{rows}\\end{{subarray}}"
    )
    text = EQNARRAY_RE.sub(_eqnarray, text)
    text = SMALLMATRIX_RE.sub(_smallmatrix, text)
    text = _rename_environments(text)
    text = _labels(text, prepared)
    if display:
        text = _number_and_lines(text)
    elif LINE_BREAK_RE.search(text) and r"\begin" not in text:
        # math-core draws nothing for them in a line of text, where TeX breaks no line either
        # but the author evidently meant a break.
        prepared.notes.append("line breaks (\\\\, \\newline) do nothing in an inline formula")
    prepared.tex = text
    return prepared


def defines_macros(tex):
    return DEFINITION_RE.search(tex) is not None


PARAMETER_RE = re.compile(r"#([1-9])")
# After \newcommand or \def: the name (\name or {\name}), then [n], [default] or #1#2.
NAME_RE = re.compile(r"\s*(?:\{\s*\\[A-Za-z]+\s*\}|\\[A-Za-z]+|\\.)")
SPEC_RE = re.compile(r"\s*(?:\[[^\[\]]*\]|#[1-9])")


def _definition_body(tex, position):
    """The body of the definition whose command ends at `position` (None for \\let)."""
    name = NAME_RE.match(tex, position)
    if name is None:
        return None
    position = name.end()
    while spec := SPEC_RE.match(tex, position):
        position = spec.end()
    group = _group_at(tex, position)
    return group[0] if group else None


OPENER_RE = re.compile(r"\\[A-Za-z]+|\{")


def check_macros(tex):
    """FormulaError when the macros a formula defines could expand past what the converter
    survives or into an output that doubles with each use (see MACRO_LEVELS)."""
    if not defines_macros(tex):
        return
    if len(tex) > MAX_MACRO_FORMULA:
        raise FormulaError(
            f"a formula that defines macros may be {MAX_MACRO_FORMULA:,} characters at most"
        )
    levels = len(OPENER_RE.findall(tex))
    if levels * (MAX_EXPANSIONS + 1) > MACRO_LEVELS:
        raise FormulaError(
            f"the formula defines macros and has more than {MACRO_LEVELS // (MAX_EXPANSIONS + 1)}"
            " commands and braces; define fewer or write it out"
        )
    for match in DEFINITION_RE.finditer(tex):
        body = _definition_body(tex, match.end())
        counts = {}
        for parameter in PARAMETER_RE.findall(body or ""):
            counts[parameter] = counts.get(parameter, 0) + 1
        if any(count > 1 for count in counts.values()):
            raise FormulaError("a macro uses one of its arguments more than once")
