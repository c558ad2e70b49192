"""The MathML our formulas become, checked by structure: each test names a way the previous
converter (latex2mathml) drew a formula wrongly, so a regression shows as a failure here."""

import re
import xml.etree.ElementTree as ET

import pytest

from blog.rendering import mathstyle, render_markdown
from blog.rendering.tex import MAX_DEPTH, MAX_TEX_LENGTH, FormulaError, check_nesting

MATH_RE = re.compile(r"<math\b.*?</math>", re.DOTALL)
# The only named entities math-core and the sanitizer write; XML knows neither.
ENTITIES = {"&ApplyFunction;": "\u2061", "&nbsp;": "\u00a0"}
ITALIC_CAPITAL_SIGMA = "\U0001d6f4"
STYLE_RE = re.compile(r"\sstyle=")
NESTED = f"nested more than {MAX_DEPTH} levels deep"


def rendered(text):
    result = render_markdown(text)
    return result.html, result.warnings


def converted(text):
    """The HTML of `text`, which must convert without a fallback or a warning."""
    html, warnings = rendered(text)
    assert "math-failed" not in html and warnings == [], (html, warnings)
    return html


def trees(html):
    """Each <math> element of `html`, parsed."""
    found = []
    for source in MATH_RE.findall(html):
        for entity, character in ENTITIES.items():
            source = source.replace(entity, character)
        found.append(ET.fromstring(source))
    return found


def tree(text):
    (math,) = trees(converted(text))
    return math


def text_of(element):
    return "".join(element.itertext())


def drawn_text(math):
    """What the reader sees of a formula: its text without the TeX annotation."""
    return text_of(math.find("semantics")[0])


def base_texts(math, tag):
    """The text of the first child (the base) of each `tag` element."""
    return [text_of(element[0]) for element in math.iter(tag)]


def mo(math, text):
    return [element for element in math.iter("mo") if element.text == text]


# --- Limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag", "base"),
    [
        (r"$$\max_{\theta} f$$", "munder", "max"),
        (r"$$\min_{w,b} x$$", "munder", "min"),
        (r"$$\lim_{n\to\infty} a_n$$", "munder", "lim"),
        (r"$$\left( \sum_{i=1}^n x_i \right)$$", "munderover", "∑"),
    ],
)
def test_display_limits_go_under_the_operator(text, tag, base):
    math = tree(text)
    assert base in base_texts(math, tag)
    assert base not in base_texts(math, "msub") + base_texts(math, "msubsup")


def test_inline_limits_stay_beside_the_operator():
    math = tree(r"$\lim_{x\to0}$")
    assert base_texts(math, "msub") == ["lim"]
    assert not list(math.iter("munder"))


# --- Letters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "letter"),
    [
        (r"$\boldsymbol{y}$", "\U0001d49a"),  # 𝒚
        (r"$\mathbb{1}$", "\U0001d7d9"),  # 𝟙
        (r"$\bf{X}$", "\U0001d417"),  # 𝐗
        (r"$\mathbf{W}$", "\U0001d416"),  # 𝐖
    ],
)
def test_styled_letters_are_math_alphanumerics(text, letter):
    # MathML Core, which Chromium implements, ignores any mathvariant but "normal".
    html = converted(text)
    assert [mi.text for mi in trees(html)[0].iter("mi")] == [letter]
    assert "mathvariant" not in html


def test_capital_greek_is_upright():
    (base,) = tree(r"$\Sigma^{-1}$").iter("msup")
    letters = list(base[0].iter("mi"))
    assert [mi.text for mi in letters] in (["𝚺"], ["Σ"])
    # A lone letter in <mi> is italic unless it says otherwise, Greek capitals included.
    if letters[0].text == "Σ":
        assert letters[0].get("mathvariant") == "normal"
    assert ITALIC_CAPITAL_SIGMA not in text_of(base)


# --- Operators ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "operators"),
    [
        (r"$a \sim b$", ["∼"]),
        (r"$x \leqslant y$", ["⩽"]),
        (r"$\langle a \rangle$", ["⟨", "⟩"]),
    ],
)
def test_relations_and_delimiters_are_operators(text, operators):
    math = tree(text)
    assert all(mo(math, operator) for operator in operators)
    assert not [mi for mi in math.iter("mi") if mi.text in operators]


@pytest.mark.parametrize(("text", "operator"), [("$p(a|b)$", "|"), ("$f(-1, -1)$", "−")])
def test_bar_and_prefix_minus_have_no_spacing(text, operator):
    found = mo(tree(text), operator)
    assert found
    assert all(op.get("lspace") == "0" and op.get("rspace") == "0" for op in found)


def test_function_names_are_applied():
    math = tree(r"$\log p$")
    rows = [row for row in math.iter("mrow") if any(c.text == "\u2061" for c in row)]
    children = list(rows[0])
    apply = next(i for i, child in enumerate(children) if child.text == "\u2061")
    assert text_of(children[apply - 1]) == "log"


@pytest.mark.parametrize(("text", "prime"), [("$f'(x)$", "′"), ("$f''(x)$", "″")])
def test_primes_follow_their_base_at_full_size(text, prime):
    html = converted(text)
    assert not list(trees(html)[0].iter("msup"))
    assert f'<mrow><mi>f</mi><mo lspace="0" rspace="0">{prime}</mo></mrow>' in html


# --- Tables -------------------------------------------------------------------------------


def test_superscript_on_a_matrix_has_base_and_script():
    (msup,) = tree(r"$$\begin{bmatrix} a & b \end{bmatrix}^T$$").iter("msup")
    assert len(msup) == 2
    assert list(msup[0].iter("mtable")) and text_of(msup[1]) == "T"


@pytest.mark.parametrize("text", [r"$$a \\ b$$", r"$$\begin{gathered} a \\ b \end{gathered}$$"])
def test_each_line_is_a_row_in_display_style(text):
    (table,) = tree(text).iter("mtable")
    assert [text_of(row) for row in table.iter("mtr")] == ["a", "b"]
    assert table.get("displaystyle") == "true"


def test_less_than_in_text_is_an_operator_not_an_entity():
    html = converted(r"$$\mathrm{a<b}$$")
    assert mo(trees(html)[0], "<")
    assert "&amp;lt;" not in html


def test_tag_is_a_cell_of_its_own():
    math = tree(r"$$x \tag{1}$$")
    (number,) = [cell for cell in math.iter("mtd") if text_of(cell) == "(1)"]
    assert number.get("class", "").split() == ["mc-width-half", "mc-align-right"]
    assert [text_of(cell) for cell in math.iter("mtd")] == ["", "x", "(1)"]
    assert not [t for t in math.iter("mtext") if "x" in text_of(t)]


# --- Numbering ----------------------------------------------------------------------------

ARTICLE = r"""Forward: $\eqref{eq:a}$, plain $\ref{eq:a}$,
in prose \eqref{eq:a}, unknown \eqref{eq:no}.

$$\begin{equation}a\label{eq:a}\end{equation}$$

$$\begin{align} b \\ c \end{align}$$

$$\begin{equation*}d\end{equation*}$$
"""


def numbers(math):
    return [text_of(cell) for cell in math.iter("mtd") if re.fullmatch(r"\(\d+\)", text_of(cell))]


def test_equations_are_numbered_in_document_order():
    *_references, equation, align, starred = trees(converted(ARTICLE))
    assert numbers(equation) == ["(1)"]
    assert numbers(align) == ["(2)", "(3)"]
    assert numbers(starred) == [] and "d" in drawn_text(starred)
    assert [cell.get("id") for cell in equation.iter("mtd") if cell.get("id")] == ["eq-eq:a"]


def test_references_link_to_equations_further_down():
    html = converted(ARTICLE)
    assert html.count('<a href="#eq-eq:a">(1)</a>') == 2  # in dollars and in prose
    assert '<a href="#eq-eq:a">1</a>' in html
    assert html.count('id="eq-eq:a"') == 1
    assert r"unknown \eqref{eq:no}." in html


def test_a_label_given_twice_keeps_one_id_and_warns():
    html, warnings = rendered(
        "$$\\begin{equation}a\\label{x}\\end{equation}$$\n\n"
        "$$\\begin{equation}b\\label{x}\\end{equation}$$"
    )
    assert html.count('id="eq-x"') == 1
    assert len(warnings) == 1 and "label x is given to more than one equation" in warnings[0]


# --- Rewrites and fallbacks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "drawn"),
    [
        (r"$$\begin{equation}\begin{split} a &= b \\ &= c \end{split}\end{equation}$$", "a=b=c(1)"),
        (r"$$\begin{alignat}{2} a &= b & c &= d \end{alignat}$$", "a=bc=d(1)"),
        (r"$$\begin{eqnarray} a &=& b \\ c &=& d \end{eqnarray}$$", "a=b(1)c=d(2)"),
        (r"$\begin{smallmatrix} a & b \\ c & d \end{smallmatrix}$", "abcd"),
        (r"$$\sum_{\substack{i < m \\ j < n}} x_{ij}$$", "∑i<mj<nxij"),
        (r"$\mbox{if } x > 0$", "if\u00a0x>0"),
        (r"$$\text{where $x$ is}$$", "where\u00a0x\u00a0is"),
        (r"\(\text{where $x$ is}\)", "where\u00a0x\u00a0is"),
        (r"$\newcommand{\R}{\mathbb{R}} x \in \R^n$", "x∈ℝn"),
    ],
)
def test_rewritten_constructs_convert(text, drawn):
    assert drawn_text(tree(text)) == drawn


@pytest.mark.parametrize(
    ("text", "drawn", "note"),
    [
        (r"$\small x + \Large y$", "x+y", "size commands"),
        (r"$a \\ b$", "ab", "line breaks"),
        (r"$a \newline b$", "ab", "line breaks"),
    ],
)
def test_tex_the_converter_would_drop_silently_is_drawn_with_a_note(text, drawn, note):
    html, warnings = rendered(text)
    assert "math-failed" not in html
    assert drawn_text(trees(html)[0]) == drawn
    assert len(warnings) == 1 and warnings[0].startswith(note)


def test_text_with_math_inside_inline_dollars_converts():
    html = converted(r"前 $\text{where $x$ is}$ 后，$y$")
    assert len(trees(html)) == 2
    assert "<mi>x</mi>" in html and "<mi>y</mi>" in html


def test_href_converts_without_its_link():
    html, warnings = rendered(r"$\href{http://x}{y}$")
    assert "math-failed" not in html and "<a " not in html
    assert drawn_text(trees(html)[0]) == "y"
    assert len(warnings) == 1 and "links (\\href) are not kept" in warnings[0]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (r"$\foo{x}$", r"\foo"),
        (r"$$\begin{tikzpicture}\draw (0,0) -- (1,1);\end{tikzpicture}$$", "tikzpicture"),
    ],
)
def test_unsupported_tex_is_shown_as_source(text, name):
    html, warnings = rendered(text)
    assert "math-failed" in html and '<code class="math-source">' in html
    assert "<math" not in html
    assert len(warnings) == 1 and f" {name} is not supported" in warnings[0]


# --- Depth guard --------------------------------------------------------------------------
# Nested deep enough, math-core overflows its stack and the process dies without an
# exception; were the guard to let one through, this whole test run would end here.

BRACES = "{" * 10_000 + "x" + "}" * 10_000
FRACTIONS = r"\frac{" * 5_000 + "x" + "}{y}" * 5_000
ROOTS = r"\sqrt" * 3_000 + " x"
MACRO_BOMB = r"\def\x{" + "{" * 99 + r"\x" + "}" * 99 + r"} \x"


@pytest.mark.parametrize("tex", [BRACES, FRACTIONS, ROOTS, MACRO_BOMB])
def test_deep_formulas_fall_back_to_tex(tex):
    html, warnings = rendered(f"$${tex}$$")
    assert "math-failed" in html and "<math" not in html
    assert len(warnings) == 1


@pytest.mark.parametrize("tex", [BRACES, FRACTIONS, ROOTS])
def test_depth_guard_names_the_nesting(tex):
    # These are also too long to convert, and the length check comes first.
    with pytest.raises(FormulaError, match=NESTED):
        check_nesting(tex)


@pytest.mark.parametrize(
    "tex",
    [
        "{" * 2_000 + "x" + "}" * 2_000,
        r"\frac{" * 400 + "x" + "}{y}" * 400,
        r"\sqrt" * 900 + " x",
        MACRO_BOMB,
    ],
)
def test_deep_formulas_within_the_length_limit_warn_of_nesting(tex):
    assert len(tex) <= MAX_TEX_LENGTH
    html, warnings = rendered(f"$${tex}$$")
    assert "math-failed" in html
    assert len(warnings) == 1 and NESTED in warnings[0]


@pytest.mark.parametrize(
    ("tex", "tag", "count"),
    [
        ("{" * 50 + "x" + "}" * 50, "mi", 1),
        (r"\frac{" * 50 + "x" + "}{y}" * 50, "mfrac", 50),
        (r"\sqrt" * 50 + " x", "msqrt", 50),
    ],
)
def test_a_formula_fifty_deep_converts(tex, tag, count):
    assert len(list(tree(f"$${tex}$$").iter(tag))) == count


# --- Styles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "classes"),
    [
        (r"$$\begin{aligned} a &= b \\ &= c \end{aligned}$$", {"mc-align-right", "mc-pad-left-0"}),
        (r"$$\begin{equation} a \end{equation}$$", {"mc-width-full", "mc-width-half"}),
        (r"$$\begin{array}{c|l} a & b \\ \hline c & d \end{array}$$", {"mc-rule-top-solid"}),
        (r"$\color{red}{x} + \textcolor{blue}{y}$", {"mc-tone-red", "mc-tone-blue"}),
        (r"$\textsc{Adam}$", {"mc-small-caps"}),
    ],
)
def test_converter_styles_become_classes(text, classes):
    html = converted(text)
    assert not STYLE_RE.search(html)
    found = {c for value in re.findall(r'class="([^"]*)"', html) for c in value.split()}
    assert classes <= found


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        (
            '<math><mtd style="background:url(javascript:alert(1))">x</mtd></math>',
            "<mtd>x</mtd>",
            "javascript",
        ),
        ('<span style="position:fixed">a</span>', "<span>a</span>", "fixed"),
        (
            '<math><mtable><mtr><mtd class="mc-align-left evil">x</mtd></mtr></mtable></math>',
            '<mtd class="mc-align-left">x</mtd>',
            "evil",
        ),
        ('<div class="mc-width-full">b</div>', "<div>b</div>", "mc-width-full"),
        (
            '<span class="mc-small-caps mc-width-full">c</span>',
            '<span class="mc-small-caps">c</span>',
            "mc-width-full",
        ),
    ],
)
def test_raw_html_cannot_style_the_page(text, kept, gone):
    html, _warnings = rendered(text)
    assert not STYLE_RE.search(html)
    assert kept in html and gone not in html


@pytest.mark.parametrize(
    ("style", "classes"),
    [
        ("width: expression(alert(1))", []),
        ("width: 50%; position: fixed", ["mc-width-half"]),
        ("color: red", []),
        ("padding-left: 1em; background: url(x)", ["mc-pad-left-1em"]),
        (r"wi\dth: 50%", []),
        ("width:/**/50%", []),
        ("width: 50% !important", []),
        ("color: #ff0000; color: expression(x)", ["mc-tone-red"]),
    ],
)
def test_only_known_declarations_become_classes(style, classes):
    assert mathstyle.classes_for(style) == classes
    assert set(mathstyle.classes_for(style)) <= mathstyle.ALL_CLASSES


def test_top_level_lines_with_ampersands_align_as_aligned_would():
    html = converted("$$ f(x) &= (x+1)^2 \\\\ &= x^2 + 2x + 1 $$")
    assert html.count("<mtr>") == 2 and html.count('class="mc-align-right') == 2
