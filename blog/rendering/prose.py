"""Short inline formulas as prose, for excerpts and search snippets.

The page this blog grew from shows `使得 y=1` in an excerpt, not `使得 [公式]`; we do the same
with the formula itself: its MathML where HTML is allowed (post cards, search results) and
its readable text where only text is (feed summaries, link previews). Display formulas, long
or failed inline ones, code blocks and images stay placeholders.

In the text an excerpt is cut from, a formula is one *atom*: ATOM_OPEN, its readable text,
ATOM_SPLIT, its HTML, ATOM_CLOSE (private-use characters, which no reader types). An atom is
never cut, and it is as wide as its readable text.
"""

import re
from html import escape, unescape

ATOM_OPEN, ATOM_SPLIT, ATOM_CLOSE = "\ue200", "\ue201", "\ue202"
ATOM_RE = re.compile(f"{ATOM_OPEN}([^{ATOM_SPLIT}]*){ATOM_SPLIT}([^{ATOM_CLOSE}]*){ATOM_CLOSE}")
# Longer than this (in characters of its readable text) and a formula is no longer a word
# in a sentence.
MAX_FORMULA_CHARACTERS = 16
MAX_MATHML = 3000

SUBSCRIPTS = dict(zip("0123456789+-=()aehijklmnoprstuvxβγρφχ−",
                      "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ₋", strict=True))  # fmt: skip
SUPERSCRIPTS = dict(zip("0123456789+-=()abcdefghijklmnoprstuvwxyzTABDEGHIJKLMNOPRUVW−′⊤∗*",
                        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵁⱽᵂ⁻′ᵀ*˟",
                        strict=True))  # fmt: skip
ACCENTS = {"ˆ": "\u0302", "^": "\u0302", "˜": "\u0303", "~": "\u0303", "¯": "\u0304",
           "‾": "\u0305", "→": "\u20d7", "⃗": "\u20d7", "˙": "\u0307", "¨": "\u0308"}  # fmt: skip
INVISIBLE = dict.fromkeys(map(ord, "\u2062\u2063\u2064\ufe00\ufe01"), None)
# Function application: a space before a name ("log p"), nothing before a bracket ("log(x)").
APPLY_RE = re.compile("\u2061(?=\\w)")
TOKENS = {"mi", "mn", "mo", "mtext", "ms"}
SCRIPTS = {"msub": "_", "munder": "_", "msup": "^", "mover": "^"}
# In an excerpt a formula keeps its MathML and the text styles of \\textbf and friends; a
# link or an image an author put inside <mtext> is no part of a sentence.
KEPT_IN_ATOMS = r"(?:m[a-z]+|semantics|annotation|none|b|i|em|strong|code|s|span)"
DROP_TAG_RE = re.compile(rf"</?(?!{KEPT_IN_ATOMS}\b)[a-zA-Z][^<>]*>")
ID_RE = re.compile(r'\sid="[^"]*"')


class _Node:
    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.children = tag, dict(attrs), []


# Sanitized MathML has no comments, CDATA or "<" in text, so tags and text split cleanly.
PART_RE = re.compile(r"<(/?)([a-zA-Z][\w-]*)([^<>]*)>|([^<]+)")
VOID = {"mspace", "none", "mprescripts", "br"}


def _tree(mathml):
    root = _Node("root", [])
    stack = [root]
    for closing, tag, rest, text in PART_RE.findall(mathml):
        if text:
            stack[-1].children.append(unescape(text))
        elif closing:
            for depth in range(len(stack) - 1, 0, -1):
                if stack[depth].tag == tag:
                    del stack[depth:]
                    break
        else:
            node = _Node(tag, [])
            stack[-1].children.append(node)
            if tag not in VOID and not rest.endswith("/"):
                stack.append(node)
    return root


class _TooComplex(Exception):
    """A table, an error or a construct with no good reading as a line of text."""


def _text(node):
    if isinstance(node, str):
        return node.translate(INVISIBLE)
    if node.tag == "annotation":
        return ""
    if node.tag in ("mtable", "merror", "mmultiscripts"):
        raise _TooComplex
    children = [c for c in node.children if not (isinstance(c, str) and not c.strip())]
    if node.tag == "semantics":
        return _text(children[0]) if children else ""
    if node.tag in TOKENS:
        return "".join(_text(c) for c in children).replace("\u00a0", " ")
    if node.tag in SCRIPTS and len(children) == 2:
        base, script = _text(children[0]), _text(children[1])
        if node.tag == "mover" and (accent := ACCENTS.get(script.strip())):
            return base + accent if len(base) == 1 else base
        return base + _script(script, SCRIPTS[node.tag])
    if node.tag in ("msubsup", "munderover") and len(children) == 3:
        base, below, above = (_text(c) for c in children)
        return base + _script(below, "_") + _script(above, "^")
    if node.tag == "mfrac" and len(children) == 2:
        return f"{_grouped(_text(children[0]))}/{_grouped(_text(children[1]))}"
    if node.tag == "msqrt":
        return "√" + _grouped("".join(_text(c) for c in children))
    if node.tag == "mroot" and len(children) == 2:
        return _script(_text(children[1]), "^") + "√" + _grouped(_text(children[0]))
    if node.tag == "mphantom":
        return ""
    return "".join(_text(c) for c in children)


def _grouped(text):
    return text if len(text) <= 1 or text.isalnum() else f"({text})"


def _script(text, mark):
    """x² where every character has a Unicode sub- or superscript, x^(ab) otherwise."""
    table = SUBSCRIPTS if mark == "_" else SUPERSCRIPTS
    if text and all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    return mark + _grouped(text) if text else ""


def readable(mathml):
    """One line of text that reads as the formula (`x²+yᵢ`, `p(a|b)`), or None when there is
    no such line (matrices, cases and other tables)."""
    if len(mathml) > MAX_MATHML:
        return None  # far longer than any formula that reads as a few characters
    try:
        text = _text(_tree(mathml))
    except (_TooComplex, RecursionError):
        return None
    text = " ".join(APPLY_RE.sub(" ", text).replace("\u2061", "").split())
    return text or None


def atom(text, html):
    """The atom for a formula: its readable text and the HTML shown for it (without ids or
    links, which point into the article the excerpt is not on)."""
    html = ID_RE.sub("", DROP_TAG_RE.sub("", html))
    return f"{ATOM_OPEN}{text}{ATOM_SPLIT}{html}{ATOM_CLOSE}"


def as_text(marked):
    """Atoms as their readable text."""
    return ATOM_RE.sub(lambda m: m.group(1), marked)


def as_html(marked, text_html=escape, placeholders=()):
    """Escaped text (or `text_html(text)` for each run of it) with atoms as their HTML, and
    each placeholder kept whole on its line."""

    def run(text):
        html = text_html(text)
        for mark in placeholders:
            html = html.replace(escape(mark), f'<span class="placeholder">{escape(mark)}</span>')
        return html

    out, pos = [], 0
    for match in ATOM_RE.finditer(marked):
        out += [run(marked[pos : match.start()]), match.group(2)]
        pos = match.end()
    out.append(run(marked[pos:]))
    return "".join(out)


def units(marked):
    """(text, atom) pieces in order: each atom is one piece, text between them another."""
    out, pos = [], 0
    for match in ATOM_RE.finditer(marked):
        if match.start() > pos:
            out.append((marked[pos : match.start()], None))
        out.append((match.group(1), match.group(0)))
        pos = match.end()
    if pos < len(marked):
        out.append((marked[pos:], None))
    return out
