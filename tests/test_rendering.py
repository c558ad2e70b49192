"""The rendering pipeline: Markdown with TeX and code to safe HTML, excerpt, reading time."""

import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blog.rendering import reading_minutes, render_markdown, sanitize, truncate
from blog.rendering.code import MIN_CONTRAST, contrast, stylesheet

SITE_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "site.css"


def html_of(text):
    return render_markdown(text).html


# --- Math -----------------------------------------------------------------------------------


def test_inline_formula_becomes_mathml_with_its_tex_kept():
    html = html_of("乘积 $a_i * b_i$ 求和")
    assert '<span class="math math-inline"><math' in html
    assert "<msub><mi>a</mi><mi>i</mi></msub><mo" in html
    assert "∗</mo><msub><mi>b</mi><mi>i</mi></msub>" in html
    assert '<annotation encoding="application/x-tex">a_i * b_i</annotation>' in html
    assert "<em>" not in html


def test_display_formulas_in_all_three_spellings():
    for text in ["$$\nx^2\n$$", "\\[x^2\\]", "$$x^2$$"]:
        html = html_of(text)
        assert '<div class="math math-display"><math' in html, text
        assert 'display="block"' in html
        assert "<msup><mi>x</mi><mn>2</mn></msup>" in html
    assert '<span class="math math-inline">' in html_of("行内 \\(x^2\\) 公式")


def test_display_formulas_stay_inside_blockquotes_and_list_items():
    html = html_of(
        "> 引用：\n>\n> $$\n> x_i^2 = 1\n> $$\n>\n> 继续。\n\n"
        "1. 列表项\n\n    $$\n    - a + b\n    $$\n\n    还在列表里\n\n2. 第二项\n"
    )
    quote = html.split("<blockquote>")[1].split("</blockquote>")[0]
    assert '<div class="math math-display"><math' in quote and "继续。" in quote
    assert "&gt;" not in quote
    item = html.split("<li>")[1].split("</li>")[0]
    assert '<div class="math math-display"><math' in item and "还在列表里" in item
    assert ">x_i^2 = 1</annotation>" in html and ">- a + b</annotation>" in html


def test_bare_equation_environments_are_display_formulas():
    html = html_of(
        "\\begin{equation}\nE = mc^2\n\\end{equation}\n\n"
        "\\begin{eqnarray}\na &=& b \\\\\nc &=& d\n\\end{eqnarray}\n\n"
        "`\\begin{align}` stays code"
    )
    assert html.count('<div class="math math-display"><math') == 2
    # Both numbered, in order; eqnarray's "&=&" becomes align's "&=".
    assert html.count("<mtr>") == 3 and "<mi>&amp;</mi>" not in html
    assert [n for n in ("(1)", "(2)", "(3)") if n in html] == ["(1)", "(2)", "(3)"]
    assert "math-failed" not in html
    assert "<code>\\begin{align}</code>" in html


def test_inline_formula_may_wrap_a_line():
    html = html_of("公式 $a +\nb = c$ 跨行。\n\n价格 $5 和\n$10。")
    assert html.count("<math") == 1
    assert "<mi>a</mi><mo>+</mo><mi>b</mi>" in html
    assert "$5" in html and "$10" in html


def test_doubled_backslash_delimiters_from_hugo_and_hexo():
    html = html_of("行内 \\\\( x_i \\\\) 与显示 \\\\[ y^2 \\\\] 完。")
    assert html.count("<math") == 2
    assert "\\<" not in html and "\\\\" not in html.split("<annotation")[0]


def test_formulas_inside_raw_html_blocks():
    html = html_of(
        '<div align="center">\n\n$$E = mc^2$$\n\n</div>\n\n<p>$x_1$ 与 <code>$y$</code></p>'
    )
    assert '<div class="math math-display"><math' in html
    assert '<span class="math math-inline"><math' in html
    assert "<code>$y$</code>" in html


def test_braces_and_comparison_survive():
    html = html_of(r"集合 $\{x \mid x < 0\}$ 为空")
    assert "<mo>&lt;</mo>" in html
    assert "math-failed" not in html
    assert r"\{x \mid x &lt; 0\}" in html  # the annotation


def test_aligned_becomes_a_table_aligned_at_the_equals_sign():
    html = html_of(
        "$$\n\\begin{aligned}\nf(x) &= (x+1)^2 \\\\\n&= x^2 + 2x + 1\n\\end{aligned}\n$$"
    )
    assert "<mtable" in html and html.count("<mtr>") == 2
    # Chromium's math layout ignores columnalign: each cell carries its alignment as a class.
    assert html.count('<mtd class="mc-align-right mc-pad-right-0">') == 2
    assert html.count('<mtd class="mc-align-left mc-pad-left-0">') == 2
    assert "<mi>&amp;</mi>" not in html and "math-failed" not in html


def test_matrices_get_their_brackets():
    html = html_of(r"$$\begin{bmatrix} 1 & 0 \\ 0 & 1 \end{bmatrix}$$")
    assert '<mo>[</mo><mtable displaystyle="false" scriptlevel="0">' in html
    assert "<mo>]</mo>" in html
    assert html.count("<mtd><mn>1</mn></mtd>") == 2


def test_chinese_inside_text_is_kept():
    html = html_of(r"$$\text{损失} = \sum_i \ell_i$$")
    assert "<mtext>损失</mtext>" in html


def test_dollar_inside_fenced_code_next_to_display_math():
    html = html_of("```bash\necho $$ $HOME\n```\n\n$$x$$\n\n```\n$$not math$$\n```\n")
    assert "echo $$ $HOME" in html.replace('<span class="w"> </span>', " ") or "$$" in html
    assert "$$not math$$" in html
    assert html.count("<math") == 1


@pytest.mark.parametrize(
    "prose", ["costs $5 and $10.", "价格是$5和$10。", "a lone $ sign", "5$ each, 10$ total"]
)
def test_dollars_in_prose_stay_as_written(prose):
    html = html_of(prose)
    assert "<math" not in html
    assert html.count("$") == prose.count("$")


@pytest.mark.parametrize(
    ("text", "formulas", "dollars"),
    [
        ("$ \\alpha $ 与 $ x $ 和 $\\beta $", 3, 0),
        ("$ a_i = b $", 1, 0),
        ("USD$5, $x_1$", 1, 1),
        ("it costs $5 = 5 dollars and $x$", 1, 1),
        ("pay $ 5 now and $3 later", 0, 2),
    ],
)
def test_spaces_inside_dollars_are_a_formula_only_when_it_looks_like_tex(text, formulas, dollars):
    html = html_of(text)
    assert html.count("<math") == formulas
    assert html.split("<annotation")[0].count("$") == dollars or html.count("$") == dollars


def test_escaped_dollar_is_a_literal_dollar():
    html = html_of(r"literally \$x\$ here")
    assert "<math" not in html and "$x$" in html


def test_dollars_inside_code_stay_as_written():
    html = html_of("`$x$` and `$$y$$`")
    assert "<code>$x$</code>" in html and "<code>$$y$$</code>" in html
    assert "<math" not in html


@pytest.mark.parametrize(
    ("tex", "reason"),
    [
        (r"\frac{1}{", "never closed"),
        (r"x^{2", "never closed"),
        (r"\left( x", 'converter rejected it: Expected closing token "\\right"'),
        (r"\begin{tikzpicture} x \end{tikzpicture}", "environment tikzpicture"),
        (r"\foo{x}", r"command \foo"),
    ],
)
def test_a_formula_the_converter_cannot_handle_shows_its_source_and_warns(tex, reason):
    result = render_markdown(f"前文\n\n$${tex}$$\n\n后文 $y$ 照常。")
    assert '<div class="math math-display math-failed"><code class="math-source">' in result.html
    assert tex.replace("<", "&lt;") in result.html
    assert "后文" in result.html and "<mi>y</mi>" in result.html
    assert len(result.warnings) == 1
    assert reason in result.warnings[0] and tex in result.warnings[0]


@pytest.mark.parametrize(
    "tex",
    [
        r"\text{<script>alert(1)</script>}",
        r"\href{javascript:alert(1)}{x}",
        r"\style{background:url(javascript:alert(1))}{x}",
        r"\text{<img src=x onerror=alert(1)>}",
        r"\class{x}{y} \href{data:text/html,hi}{z}",
    ],
)
def test_tex_cannot_smuggle_markup_into_the_page(tex):
    html = html_of(f"$${tex}$$ and ${tex}$")
    assert dangers(html) == []
    assert "<a " not in html and " href=" not in html


# What machine-learning articles write, written for this test: each must come out as MathML.
# ruff: noqa: E501
ML_FORMULAS = r"""
\mathop{\arg\max}_{\theta} L(\theta)
\operatorname*{argmax}_{x} f(x)
\arg\min_{w} \|w\|_2^2
\mathbb{E}_{x\sim p_{data}}[\log D(x)]
\left\| x \right\|_2
\nabla_\theta J(\theta)
\hat{y} = \widehat{xy} + \tilde{x} + \overline{z} + \bar{x} + \vec{v} + \dot{x}
x_1, \cdots, x_n, \ldots, \vdots, \ddots, \dots
\frac{\partial L}{\partial w} = \sigma(\cdot) \odot \otimes x^\top W^T
\mathrm{softmax}(z_i) = \frac{\exp(z_i)}{\sum_j \exp(z_j)}
\lim_{n\to\infty} \left(1 + \frac{1}{n}\right)^n = e
\int_0^1 x\,\mathrm{d}x \iint \oint
\sqrt[3]{x} + \binom{n}{k} + \dfrac{a}{b} + \tfrac{1}{2} + \cfrac{1}{1+x}
\mathcal{N}(\mu, \sigma^2) \sim \propto \approx \neq \leq \geq \le \ge \ll \gg
x \in A, y \notin B, A \subset B \subseteq C, A \cup B \cap C, \forall x \exists y
\infty \to \rightarrow \Rightarrow \mapsto \leftarrow \gets \Leftrightarrow \iff \implies
\boldsymbol{x} + \bm{W} + \mathbf{b}
\min_x f(x) \quad \text{s.t.} \; g(x) \le 0 \, , \! h
\underbrace{a+b}_{n} + \overbrace{c+d}^{m}
A \xrightarrow{f} B \stackrel{def}{=} \overset{!}{=} \underset{x}{\min}
f(x) = \begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}
\begin{array}{c|c} a & b \\ \hline c & d \end{array}
{\color{red} x} + \textcolor{blue}{y} + \boxed{z}
\displaystyle \sum_{i=1}^n i = \frac{n(n+1)}{2} \tag{1}
E = mc^2 \label{eq:energy}
a = b \nonumber
a = b \notag
\mathbb{1}[y = k] + \mathbb 1
|x| \vert x \vert \lVert x \rVert \langle x, y \rangle \lfloor x \rfloor \lceil x \rceil
f \circ g, a \star b, a \ast b, a \times b, a \div b, \pm \mp \cdot \bullet
f'(x) + f^{\prime}(x) + A^\dagger + \emptyset + \varnothing
\epsilon \varepsilon \phi \varphi \ell \hbar \theta \vartheta \Omega \Delta \Sigma \Gamma
\Pr(A) + \det(A) + \operatorname{tr}(A) + \mathrm{diag}(x) + \log_2 n + \ln x
\sum\limits_{i} \prod_{i} \coprod \bigcup_{i} A_i \bigcap \bigoplus \bigotimes
\big( \Big( \bigg( \Bigg( x \Bigg) \bigg) \Big) \big)
\left. \frac{\partial f}{\partial x} \right|_{x=0}
a \kern 1em b \hspace{1em} c \qquad d
\sum_{\substack{i=1 \\ j \neq i}}^{n} a_{ij}
a \mod b, a \pmod{n}, a \bmod b, \gcd(a, b)
\because a \therefore b, a \equiv b, a \cong b, a \simeq b, a \triangleq b, a \coloneqq b, a := b
\mathscr{L} + \mathfrak{g} + \mathsf{T} + \mathtt{x} + \textbf{bold} + \textit{it} + \emph{e}
W^{(l)} = W^{(l)} - \eta \frac{\partial \mathcal{L}}{\partial W^{(l)}}
\mathrm{IoU} = \frac{|A \cap B|}{|A \cup B|}
\text{mIoU} = \frac{1}{k+1} \sum_{i=0}^{k} \frac{p_{ii}}{\sum_{j=0}^{k} p_{ij} + \sum_{j=0}^{k} p_{ji} - p_{ii}}
\mathbf{y} = \mathbf{W}\mathbf{x} + \mathbf{b}, \quad \mathbf{W} \in \mathbb{R}^{m \times n}
\text{Attention}(Q, K, V) = \text{softmax}\left(\frac{QK^T}{\sqrt{d_k}}\right)V
\hat{x}^{(k)} = \frac{x^{(k)} - \mathrm{E}[x^{(k)}]}{\sqrt{\mathrm{Var}[x^{(k)}] + \epsilon}}
\begin{pmatrix} a & b \\ c & d \end{pmatrix}^{-1} = \frac{1}{ad-bc}\begin{pmatrix} d & -b \\ -c & a \end{pmatrix}
\begin{aligned} \mathcal{L} &= -\sum_{i} y_i \log \hat{y}_i \\ &= -\log \hat{y}_c \end{aligned}
\begin{align} a &= b \\ c &= d \end{align}
\begin{equation} \begin{split} a &= b \\ &= c \end{split} \end{equation}
\begin{gather} a = b \\ c = d \end{gather}
\begin{matrix} 1 & 2 \\ 3 & 4 \end{matrix} \begin{Bmatrix} x \end{Bmatrix} \begin{Vmatrix} y \end{Vmatrix}
\begin{smallmatrix} a & b \\ c & d \end{smallmatrix}
\begin{vmatrix} a & b \\ c & d \end{vmatrix} = ad - bc
\left\{ \begin{array}{ll} x & x \ge 0 \\ -x & x < 0 \end{array} \right.
x^{2^{3}} + x_{i_{j}} + {}^{14}_{6}C
\frac{1}{1+e^{-x}}
\overrightarrow{AB} + \overleftarrow{BA} + \widetilde{xyz}
\not\in \not= \nsubseteq
\cancel{x} + \bcancel{y} + \sout{z}
\mathrm{ReLU}(x) = \max(0, x)
\operatorname{GELU}(x) = x \Phi(x)
\int_{-\infty}^{\infty} e^{-x^2} dx = \sqrt{\pi}
\Vert x \Vert_{F} = \sqrt{\sum_{i,j} x_{ij}^2}
L = \frac{1}{N}\sum_{i=1}^{N}\left[y_i\log p_i + (1-y_i)\log(1-p_i)\right]
\nabla \cdot \mathbf{E} = \frac{\rho}{\varepsilon_0}
\textrm{RF}_{l} = \textrm{RF}_{l-1} + (k_l - 1) \times \prod_{i=1}^{l-1} s_i
\newcommand{\R}{\mathbb{R}} x \in \R
\def\x{y} \x
\hbox{text} \mbox{box}
\mathbf{A} = \mathbf{U}\mathbf{\Sigma}\mathbf{V}^{\top}
\sigma\left(\sum_{i=1}^{n} w_i x_i + b\right)
\{ x \mid x > 0 \}
\lbrace a \rbrace \lbrack b \rbrack
a \leqslant b \geqslant c \prec d \succ e
x \sim \mathrm{Bernoulli}(p)
\Delta w = -\eta \nabla_w L
H(p, q) = -\sum_x p(x) \log q(x)
D_{KL}(P \| Q) = \sum_x P(x) \log \frac{P(x)}{Q(x)}
""".strip().splitlines()


@pytest.mark.parametrize("tex", ML_FORMULAS)
def test_formulas_of_machine_learning_articles_convert(tex):
    result = render_markdown(f"$${tex}$$")
    assert result.warnings == []
    assert '<div class="math math-display"><math' in result.html


def test_numbering_directives_are_dropped_but_kept_in_the_source():
    html = html_of(r"$$E = mc^2 \label{eq:energy} \notag$$")
    assert "label" not in html.split("<annotation")[0]
    assert r"\label{eq:energy}" in html


def test_text_with_markup_characters_reads_as_text():
    assert "<mtext>&lt;b&gt;</mtext>" in html_of(r"$\text{<b>}$")


# --- Code -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "source", "token"),
    [
        ("python", "def f(x):\n    return x  # 注释", '<span class="k">def</span>'),
        ("bash", 'for f in *.md; do echo "$f"; done', '<span class="k">for</span>'),
        ("cpp", "#include <vector>\nint main() { return 0; }", '<span class="kt">int</span>'),
        ("javascript", "const x = 1;", '<span class="kd">const</span>'),
        ("yaml", "key: value\nlist: [1, 2]", '<span class="nt">key</span>'),
        ("rust", "fn main() { let x = 5; }", '<span class="k">fn</span>'),
    ],
)
def test_fenced_code_is_highlighted_with_classes(language, source, token):
    html = html_of(f"```{language}\n{source}\n```\n")
    assert f'<div class="highlight"><pre><span></span><code class="language-{language}">' in html
    assert token in html
    assert "style=" not in html


def test_code_without_a_language_is_plain():
    html = html_of("```\nx = 1  # $y$\n```\n")
    assert "<code>x = 1  # $y$\n</code>" in html
    assert '<span class="' not in html


def test_inline_code_is_untouched():
    assert "<code>a_b *c*</code>" in html_of("`a_b *c*`")


def test_site_css_carries_the_current_pygments_rules():
    """Regenerate with `python manage.py pygments_css` after changing the styles."""
    assert stylesheet() in SITE_CSS.read_text(encoding="utf-8")


def test_every_code_colour_is_readable_on_its_background():
    css = stylesheet()
    light, dark = css.split("@media (prefers-color-scheme: dark)")
    for part in (light, dark):
        background = re.search(r"\.highlight \{ background: (#[0-9a-f]{6})", part).group(1)
        for colour in re.findall(r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})", part):
            assert contrast(colour, background) >= MIN_CONTRAST, colour


# --- Structure ------------------------------------------------------------------------------


def test_chinese_headings_get_distinct_usable_ids_and_anchors():
    html = html_of("## 感受野\n\n## 空洞卷积\n\n## 感受野\n")
    assert '<h2 id="感受野">感受野<a class="headerlink" href="#感受野"' in html
    assert 'id="空洞卷积"' in html and 'id="感受野_1"' in html


def test_table_of_contents_from_three_headings():
    result = render_markdown("## 一、定义\n\n### 记号 $x$\n\n## 二、推导\n\n正文")
    assert result.toc_html.startswith('<ol><li><a href="#一定义">一、定义</a><ol>')
    assert result.toc_html.count("<li>") == 3
    assert render_markdown("## 只有\n\n## 两个").toc_html == ""


def test_table_of_contents_escapes_heading_text():
    toc = render_markdown("## a < b & c\n\n## 二\n\n## 三").toc_html
    assert "a &lt; b &amp; c" in toc and "<b" not in toc.replace("<br", "")


def test_tables_footnotes_and_definition_lists():
    html = html_of(
        "| a | b |\n|:--|--:|\n| 1 | 2 |\n\n正文[^1]\n\n[^1]: 脚注内容\n\nmIoU\n:   平均交并比\n"
    )
    assert '<td class="align-right">2</td>' in html and "style=" not in html
    assert '<a class="footnote-ref" href="#fn:1">1</a>' in html
    assert '<li id="fn:1">' in html and 'class="footnote-backref"' in html
    assert "<dt>mIoU</dt>" in html and "<dd>平均交并比</dd>" in html


def test_images_are_lazy_with_alt_and_size():
    html = html_of("![感受野示意](/static/demo/x.svg){ width=640 height=320 }")
    assert 'alt="感受野示意"' in html and 'loading="lazy"' in html
    assert 'width="640"' in html and 'height="320"' in html


def test_outside_links_get_nofollow_and_own_links_do_not():
    html = html_of("[外](https://example.org/a) [内](/posts/x/)")
    assert '<a href="https://example.org/a" rel="nofollow noopener">外</a>' in html
    assert '<a href="/posts/x/">内</a>' in html


# --- Safety ---------------------------------------------------------------------------------

ATTACKS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<form action="/x"><input name=a></form>',
    '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<p style="position:fixed">x</p>',
    '<svg onload="alert(1)"></svg>',
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "<math><annotation-xml encoding='text/html'><img src=x onerror=alert(1)>"
    "</annotation-xml></math>",
    '<details open ontoggle="alert(1)">x</details>',
    "<a href='#' onclick='alert(1)'>x</a>",
    "<base href='https://evil.example/'>",
    "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
]


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "iframe", "object", "embed", "form", "input", "base",
                   "meta", "link", "svg", "annotation-xml"}:  # fmt: skip
            self.problems.append(tag)
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "xlink:href", "srcdoc", "formaction"):
                self.problems.append(f"{tag}[{name}]")
            if name in ("href", "src") and value:
                scheme = re.match(
                    r"([a-z][a-z0-9+.-]*):", re.sub(r"[\s\x00-\x1f]", "", value.lower())
                )
                if scheme and scheme.group(1) not in ("http", "https", "mailto"):
                    self.problems.append(f"{tag}[{name}={value}]")


def dangers(html):
    inspector = _Inspector()
    inspector.feed(html)
    return inspector.problems


@pytest.mark.parametrize("attack", ATTACKS)
def test_nothing_that_runs_script_survives(attack):
    html = html_of(f"正文\n\n{attack}\n\n结尾 $x$")
    assert dangers(html) == []
    assert "正文" in html and "结尾" in html


def test_sanitizer_drops_classes_it_does_not_know():
    assert sanitize('<span class="math evil">x</span>') == '<span class="math">x</span>'
    assert sanitize('<code class="language-py x">y</code>') == '<code class="language-py">y</code>'


MARKDOWN_PIECES = st.sampled_from(
    ["$", "$$", "\\", "`", "```", "```python\n", "\n", "\n\n", " ", "*", "_", "{", "}", "[x](",
     ")", "<", ">", "&", "#", "- ", "1. ", "|", "---", "![", "\\frac{", "\\text{", "\\href{",
     "\\begin{aligned}", "\\end{aligned}", "\\\\", "^", "_i", "javascript:", "<script>",
     "</script>", "<img src=x onerror=alert(1)>", "<a href=\"", "\" onclick=\"", "中文",
     "感受野", "x", "1", "[^1]", "[^1]: n", ":   ", "\\(", "\\)", "\\[", "\\]", "~~~",
     "<math>", "<mi>", "<style>", "<iframe>", "data:", "&#106;"]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(MARKDOWN_PIECES, st.text(max_size=5)), max_size=40).map("".join))
def test_no_markdown_input_raises_or_emits_script(text):
    result = render_markdown(text)
    assert dangers(result.html) == []
    assert dangers(result.toc_html) == []
    assert dangers(result.excerpt_html) == []
    # The excerpt is plain text: a "<" in it is one the author wrote (maybe as &lt;).
    assert "<" not in result.excerpt or "<" in unescape(text)


# --- Excerpt and reading time ---------------------------------------------------------------


def test_excerpt_of_an_article_that_begins_with_a_formula_and_code():
    text = (
        "$$\nE = mc^2\n$$\n\n```python\nx = 1\n```\n\n![图](/a.png)\n\n## 标题\n\n正文从这里开始。"
    )
    assert render_markdown(text).excerpt == "[公式] [代码] [图片] 正文从这里开始。"


def test_excerpt_shows_a_short_inline_formula_as_itself_and_a_long_one_as_a_placeholder():
    rendered = render_markdown(
        "感受野 $r_l$ 的计算，$\\frac{\\partial L}{\\partial w_{ij}} = \\delta_j x_i + \\lambda w_{ij}$ 为梯度"
    )
    assert rendered.excerpt == "感受野 rₗ 的计算，[公式] 为梯度"
    assert rendered.excerpt_html.startswith('感受野 <span class="math math-inline"><math>')


@override_settings(LANGUAGE_CODE="en")
def test_english_site_uses_english_placeholders():
    excerpt = render_markdown("Loss\n\n$$L$$\n\nthen\n\n```\ncode\n```\n\n![x](/a.png)").excerpt
    assert excerpt == "Loss [Formula] then [Code] [Image]"


def test_long_chinese_excerpt_is_cut_with_dots():
    excerpt = render_markdown("感受野" * 200).excerpt
    assert excerpt.endswith("...")
    assert 100 <= len(excerpt) <= 115


def test_cut_never_splits_a_latin_word():
    text = "中" * 100 + " DistributedDataParallel makes training fast"
    cut = truncate(text, 110)
    assert cut.endswith("...")
    assert all(word in text.split() for word in cut[:-3].split())


def test_cut_never_splits_a_placeholder():
    cut = truncate("中" * 108 + " [公式] 后文", 110)
    assert "[公" not in cut or "[公式]" in cut


def test_short_text_is_not_marked_as_cut():
    assert truncate("短文本", 110) == "短文本"


def test_reading_time_counts_chinese_characters_and_latin_words_apart():
    assert reading_minutes("字" * 3000) == 8
    assert reading_minutes("word " * 1000) == 5
    assert reading_minutes("字" * 400 + " word" * 200) == 2
    assert reading_minutes("") == 1


def test_a_3000_character_chinese_article_is_not_one_minute():
    assert render_markdown("这是一个关于感受野的句子。" * 250).reading_minutes >= 7


def test_empty_and_whitespace_bodies_render():
    assert render_markdown("").html == ""
    assert render_markdown("   \n\n").excerpt == ""


def test_an_ordered_lists_type_survives_the_sources_type_filter():
    from blog.rendering import render_markdown

    html = render_markdown('<ol type="a"><li>一</li></ol>').html
    assert 'type="a"' in html
    assert 'type="text/html"' not in render_markdown('<source type="text/html">').html
