"""math-core's own MathML for a fixed set of formulas, kept in tests/formulas/snapshots.json.

math-core is pre-1.0 and pinned; when an upgrade changes what it writes, the diff here is
what to review before the stored articles are rendered again. The other tests keep the
converter, the class table of blog.rendering.mathstyle and the stylesheet in step.
"""

import difflib
import json
import os
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from blog.rendering import mathstyle, tex
from blog.rendering.math import _convert_one, _on_large_stack

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "formulas" / "snapshots.json"
STYLESHEET = ROOT / "static" / "css" / "site.css"
UPDATE = os.environ.get("UPDATE_MATH_SNAPSHOTS") == "1"
STYLE_RE = re.compile(r'\sstyle="([^"]*)"')
HOW_TO_UPDATE = (
    "math-core's output changed: review the diff, then run `UPDATE_MATH_SNAPSHOTS=1 make test` "
    "(or UPDATE_MATH_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_math_snapshots.py) to "
    "rewrite tests/formulas/snapshots.json, and `manage.py rerender_posts` on every site"
)

DISPLAY, INLINE = True, False
FORMULAS = [
    # What machine-learning articles write.
    (r"\hat{y} = \sigma(Wx + b)", INLINE),
    (r"\frac{\partial \mathcal{L}}{\partial w} = \frac{1}{n}\sum_{i=1}^{n} (\hat{y}_i - y_i) x_i",
     DISPLAY),
    (r"\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}}", DISPLAY),
    (r"\mathcal{L}(\theta) = -\frac{1}{N}\sum_{i=1}^{N} \left[ y_i \log \hat{y}_i"
     r" + (1 - y_i) \log (1 - \hat{y}_i) \right]", DISPLAY),
    (r"\theta^\star = \operatorname*{arg\,max}_{\theta} \log p(\mathcal{D} \mid \theta)",
     DISPLAY),
    (r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
     DISPLAY),
    (r"\nabla_\theta J(\theta) = \mathbb{E}_{\pi_\theta}\left[\nabla_\theta \log"
     r" \pi_\theta(a|s)\, Q^{\pi}(s,a)\right]", DISPLAY),
    (r"\mathbb{E}_{x \sim p}\left[ -\log q(x) \right] = H(p) + D_{\mathrm{KL}}(p \,\|\, q)",
     DISPLAY),
    (r"\|x\|_2 = \sqrt{\sum_i x_i^2}", INLINE),
    (r"\mathbf{x}^{(i)} \in \mathbb{R}^{d}, \quad i = 1, \dots, m", INLINE),
    (r"\binom{n}{k} = \frac{n!}{k!(n-k)!}", DISPLAY),
    (r"\sqrt[3]{x} + \sqrt{\frac{a}{b}}", INLINE),
    (r"\int_{-\infty}^{\infty} e^{-x^2} \, dx = \sqrt{\pi}", DISPLAY),
    (r"\iint_{D} f(x, y) \, \mathrm{d}x \, \mathrm{d}y", DISPLAY),
    (r"\oint_C \mathbf{F} \cdot d\mathbf{r}", INLINE),
    (r"\mathcal{L} + \mathcal{O}(n \log n)", INLINE),
    # Limits.
    (r"\max_{\theta} f", DISPLAY),
    (r"\min_{w,b} \frac{1}{2}\lVert w \rVert^2", DISPLAY),
    (r"\lim_{n\to\infty} a_n", DISPLAY),
    (r"\lim_{x\to0} \frac{\sin x}{x} = 1", INLINE),
    (r"\left( \sum_{i=1}^n x_i \right)^2 \le n \sum_{i=1}^n x_i^2", DISPLAY),
    # Letters.
    (r"\boldsymbol{y} = \mathbf{W}\boldsymbol{x} + \boldsymbol{b}", INLINE),
    (r"\mathbb{1}[y = k]", INLINE),
    (r"\bf{X}", INLINE),
    (r"\Sigma^{-1}", INLINE),
    # Operators.
    (r"a \sim \mathcal{N}(0, 1)", INLINE),
    (r"x \leqslant y \geqslant z", INLINE),
    (r"\langle u, v \rangle = \sum_i u_i v_i", INLINE),
    (r"p(a|b) = \frac{p(b|a)\,p(a)}{p(b)}", DISPLAY),
    (r"f(-1, -1)", INLINE),
    (r"\log p(x) + \exp(-x) + \max(a, b)", INLINE),
    (r"f'(x) + f''(x)", INLINE),
    (r"\mathrm{a<b}", DISPLAY),
    # Tables.
    (r"\begin{bmatrix} a & b \end{bmatrix}^T = \begin{pmatrix} a \\ b \end{pmatrix}", DISPLAY),
    (r"\det \begin{vmatrix} 1 & 2 \\ 3 & 4 \end{vmatrix} = -2", DISPLAY),
    (r"A = \begin{bmatrix} a_{11} & \cdots & a_{1n} \\ \vdots & \ddots & \vdots \\"
     r" a_{m1} & \cdots & a_{mn} \end{bmatrix}", DISPLAY),
    (r"\mathrm{ReLU}(x) = \begin{cases} x & \text{if } x > 0 \\ 0 & \text{otherwise}"
     r" \end{cases}", DISPLAY),
    (r"\begin{aligned} f(x) &= (x + 1)^2 \\ &= x^2 + 2x + 1 \end{aligned}", DISPLAY),
    (r"\begin{gathered} y = W x + b \\ \hat{y} = \operatorname{softmax}(y) \end{gathered}",
     DISPLAY),
    (r"\begin{array}{c|l} a & b \\ \hline c & d \end{array}", DISPLAY),
    (r"a \\ b", DISPLAY),
    # Numbers and references.
    (r"x \tag{1}", DISPLAY),
    (r"E = mc^2 \label{eq:energy}", DISPLAY),
    (r"\begin{equation} a = b \label{eq:a} \end{equation}", DISPLAY),
    (r"\begin{align} b &= c \\ d &= e \end{align}", DISPLAY),
    (r"\begin{equation*} d \end{equation*}", DISPLAY),
    (r"\eqref{eq:a} \text{ and } \ref{eq:a}", INLINE),
    # What tex.prepare rewrites.
    (r"\begin{equation} \begin{split} a &= b + c \\ &= d \end{split} \end{equation}", DISPLAY),
    (r"\begin{alignat}{2} x &= y & \quad z &= w \end{alignat}", DISPLAY),
    (r"\begin{eqnarray} a &=& b \\ c &=& d \end{eqnarray}", DISPLAY),
    (r"\begin{smallmatrix} a & b \\ c & d \end{smallmatrix}", INLINE),
    (r"\sum_{\substack{0 \le i \le m \\ 0 < j < n}} P(i, j)", DISPLAY),
    (r"\small x + \Large y", INLINE),
    (r"\mbox{if } x > 0", INLINE),
    (r"\text{where $x$ is real}", DISPLAY),
    (r"\newcommand{\R}{\mathbb{R}} x \in \R^n", INLINE),
    (r"\href{http://example.com}{y}", INLINE),
    # Accents, braces, arrows, boxes, colour and text.
    (r"\hat{\theta}, \tilde{x}, \bar{x}, \vec{v}, \dot{x}, \ddot{x}, \widehat{AB}, \overline{z}",
     INLINE),
    (r"\underbrace{a + \cdots + a}_{n \text{ times}}", DISPLAY),
    (r"\overbrace{1 + 2 + \cdots + n}^{\frac{n(n+1)}{2}}", DISPLAY),
    (r"A \xrightarrow{f} B \xleftarrow[g]{} C", DISPLAY),
    (r"\boxed{E = mc^2}", DISPLAY),
    (r"\cancel{x} + \bcancel{y}", INLINE),
    (r"\color{red}{x} + \textcolor{blue}{y} + \color[HTML]{1B6E2A}{z}", INLINE),
    (r"\text{损失函数}\ \mathcal{L} = \text{交叉熵}", INLINE),
    (r"\textsc{Adam}", INLINE),
]  # fmt: skip


@pytest.fixture(scope="module")
def current():
    """math-core's MathML for each formula now, before our post-processing. _convert_one is
    the pipeline's call of convert_with_local_state, with its retry of a \\newcommand that
    math-core already defines (\\R)."""

    def convert():
        records = []
        for source, display in FORMULAS:
            _tex, mathml = _convert_one(tex.prepare(source, display).tex, display)
            assert isinstance(mathml, str), (source, mathml)
            records.append({"tex": source, "display": display, "mathml": mathml})
        return records

    return _on_large_stack(convert)


def _lines(mathml):
    return re.sub(r"><", ">\n<", mathml).splitlines()


def _differences(stored, current):
    """A diff per formula that is new, gone or drawn differently."""
    before = {(r["tex"], r["display"]): r["mathml"] for r in stored}
    after = {(r["tex"], r["display"]): r["mathml"] for r in current}
    out = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        name = f"{key[0]} ({'display' if key[1] else 'inline'})"
        if old is None:
            out.append(f"--- {name}: new in FORMULAS, not in the snapshots yet")
        elif new is None:
            out.append(f"--- {name}: in the snapshots, no longer in FORMULAS")
        else:
            diff = difflib.unified_diff(
                _lines(old), _lines(new), "stored", "math-core now", lineterm=""
            )
            out.append(f"--- {name}\n" + "\n".join(diff))
    return out


def test_math_core_output_matches_the_snapshots(current):
    if UPDATE:
        text = json.dumps(current, ensure_ascii=False, indent=2)
        SNAPSHOTS.write_text(text + "\n", encoding="utf-8")
        return
    stored = json.loads(SNAPSHOTS.read_text(encoding="utf-8"))
    differences = _differences(stored, current)
    if differences or stored != current:  # the order of formulas changed at least
        pytest.fail(
            HOW_TO_UPDATE + "\n\n" + "\n\n".join(differences or ["(only the order)"]),
            pytrace=False,
        )


def test_every_style_math_core_writes_has_classes(current):
    styles = {(r["tex"], style) for r in current for style in STYLE_RE.findall(r["mathml"])}
    assert len(styles) > 10  # the formulas above do exercise the class table
    dropped = {
        (source, style): mathstyle.declarations_dropped(style)
        for source, style in styles
        if mathstyle.declarations_dropped(style)
    }
    assert dropped == {}, "add these to blog/rendering/mathstyle.py and static/css/site.css"


def test_every_class_has_a_rule_in_the_stylesheet():
    css = STYLESHEET.read_text(encoding="utf-8")
    missing = [
        name
        for name in sorted(mathstyle.ALL_CLASSES)
        if not re.search(rf"\.{re.escape(name)}[\s{{,]", css)
    ]
    assert missing == []


def test_installed_math_core_is_the_pinned_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (pinned,) = [
        requirement.partition("==")[2]
        for requirement in project["project"]["dependencies"]
        if re.match(r"math-core\s*==", requirement)
    ]
    assert version("math-core") == pinned.strip()
