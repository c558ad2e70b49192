"""Excerpts and snippets that read as prose, and formulas in the three feed formats.

A short inline formula is itself in an excerpt (MathML on lists and in search results, its
readable text in feeds' summaries and link previews); display formulas, long formulas,
code and images are placeholders that are never cut or split; a Latin word is never cut."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.test import override_settings

from blog.rendering import render_markdown
from blog.rendering.prose import readable
from blog.rendering.text import truncate
from blog.search import parse_query, snippet

MATHML = "{http://www.w3.org/1998/Math/MathML}"
XHTML = "{http://www.w3.org/1999/xhtml}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"


# A corpus of small posts as writers write them, and the excerpt each should give.
CORPUS = [
    ("当 $y=1$ 时，损失为 $-\\log p$。", "当 y=1 时，损失为 −log p。"),
    ("其中 $p_{ii}$ 表示停留概率。", "其中 pᵢᵢ 表示停留概率。"),
    ("权重 $w^T x + b$ 决定边界。", "权重 wᵀx+b 决定边界。"),
    ("学习率 $\\alpha_t$ 随 $t$ 衰减。", "学习率 αₜ 随 t 衰减。"),
    ("条件概率 $p(a|b)$ 与 $\\hat{\\theta}$。", "条件概率 p(a|b) 与 θ̂。"),
    ("方差 $\\sigma^2$，标准差 $\\sqrt{x}$。", "方差 σ²，标准差 √x。"),
    ("损失 $\\mathcal{L}(\\theta)$ 在 $\\mathbb{R}^n$ 上。", "损失 ℒ(θ) 在 ℝⁿ 上。"),
    ("比例 $\\frac{a}{b}$ 与 $\\frac{a+1}{b}$。", "比例 a/b 与 (a+1)/b。"),
    ("矩阵 $\\begin{pmatrix} 1 & 0 \\end{pmatrix}$ 是行向量。", "矩阵 [公式] 是行向量。"),
    ("长式 $\\sum_{i=1}^{n} (y_i - \\hat{y}_i)^2 / n + \\lambda \\|w\\|$ 为目标。",
     "长式 [公式] 为目标。"),
    ("先看公式：\n\n$$E = mc^2$$\n\n再说代码。", "先看公式：[公式] 再说代码。"),
    ("代码如下：\n\n```python\nx = 1\n```\n\n图片：![示意](/a.png)",
     "代码如下：[代码] 图片：[图片]"),
    ("错式 $\\frac{1}{$ 也不少字。", "错式 [公式] 也不少字。"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "expected"), CORPUS)
def test_the_excerpt_of_a_small_post_reads_as_prose(body, expected):
    assert render_markdown(body).excerpt == expected


def test_the_list_excerpt_carries_short_formulas_as_mathml_without_ids_or_links():
    rendered = render_markdown(
        "由 $\\eqref{eq:a}$ 得 $y_i$。\n\n\\begin{equation}y_i = 1 \\label{eq:a}\\end{equation}"
    )
    html = rendered.excerpt_html
    assert '<span class="math math-inline"><math><semantics><msub><mi>y</mi><mi>i</mi>' in html
    assert "<a " not in html and " id=" not in html
    assert "(1)" in rendered.excerpt


def test_placeholders_stay_whole_on_one_line_in_the_list_excerpt():
    html = render_markdown("前言\n\n$$x$$\n\n```\ny\n```\n").excerpt_html
    assert '<span class="placeholder">[公式]</span>' in html
    assert '<span class="placeholder">[代码]</span>' in html


@pytest.mark.parametrize("width", range(3, 30))
def test_a_cut_never_splits_a_placeholder_a_formula_or_a_latin_word(width):
    rendered = render_markdown("模型 $x_i$ 使用 Transformer 架构，$$y$$ 然后 $z^2$ 结束。")
    marked = truncate(_marked(rendered), width)
    text = marked.replace("\ue200", "").split("\ue201")[0] if "\ue201" in marked else marked
    assert "[公" not in text.replace("[公式]", "")
    assert "Trans" not in text or "Transformer" in text
    assert marked.count("\ue200") == marked.count("\ue202")  # formulas whole


def _marked(rendered):
    from blog.rendering.text import texts_of

    return texts_of(rendered.html).plain


def test_readable_text_of_formulas():
    cases = {
        "x^2 + y_i": "x²+yᵢ",
        "x^{n+1}": "xⁿ⁺¹",
        "x_{\\text{max}}": "xₘₐₓ",
        "x_{\\text{new}}": "x_new",
        "\\vec{v}": "v⃗",
        "\\sqrt[3]{x}": "³√x",
        "e^{-x^2}": "e^(−x²)",
    }
    from blog.rendering.math import tex_to_mathml

    for tex, text in cases.items():
        assert readable(tex_to_mathml(tex)) == text, tex
    assert readable(tex_to_mathml("\\begin{matrix} a \\end{matrix}")) is None


@override_settings(LANGUAGE_CODE="en")
def test_an_english_excerpt_keeps_spaces_around_placeholders_and_formulas():
    body = "Loss $L$ then\n\n$$x$$\n\nand `code`."
    assert render_markdown(body).excerpt == "Loss L then [Formula] and code."


def test_a_search_snippet_shows_short_formulas_as_mathml_and_never_cuts_one(make_post):
    post = make_post(body="很长的前文。" * 20 + "当 $y_i=1$ 时梯度下降收敛。" + "后文。" * 40)
    text = post.search_entry.text
    terms = parse_query("梯度")
    html = snippet(text, terms)
    assert "<mark>梯度</mark>" in html
    assert '<span class="math math-inline"><math>' in html
    assert "\ue200" not in html and "\ue201" not in html and "\ue202" not in html
    for width in range(5, 60, 3):
        cut = snippet(text, terms, width=width)
        assert cut.count("<math>") == cut.count("</math>")


def test_search_results_page_shows_the_formula(client, make_post):
    make_post(body="当 $y_i=1$ 时梯度下降收敛。")
    page = client.get("/search/", {"q": "梯度"}).content.decode()
    assert "<mark>梯度</mark>" in page and "<msub><mi>y</mi><mi>i</mi></msub>" in page


def test_home_page_cards_show_short_formulas_as_mathml(client, make_post):
    make_post(body="当 $y=1$ 时。")
    page = client.get("/").content.decode()
    assert '<p class="card-excerpt">当 <span class="math math-inline"><math>' in page


# --- Feeds ------------------------------------------------------------------------------

NUMBERED = (
    "由 \\eqref{eq:a} 与 $\\textbf{粗}$ 可知。\n\n"
    "\\begin{equation}\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\\label{eq:a}"
    "\\end{equation}\n\n$$\\boxed{x} + \\color{red}{y}$$\n"
)


@pytest.fixture
def numbered(make_post):
    return make_post(slug="numbered", body=NUMBERED)


def test_atom_keeps_real_mathml_with_only_mathml_inside(client, numbered):
    root = ET.fromstring(client.get("/feed/atom/").content)
    maths = list(root.iter(f"{MATHML}math"))
    assert len(maths) >= 3
    for math in maths:
        for element in math.iter():
            assert element.tag.startswith(MATHML), element.tag
            assert "class" not in element.attrib and "id" not in element.attrib
    text = "".join(maths[0].itertext())
    assert "(1)" in text


def test_rss_carries_tex_and_equation_references_as_linked_numbers(client, numbered):
    root = ET.fromstring(client.get("/feed/").content)
    encoded = root.find("channel/item").findtext(f"{CONTENT}encoded")
    assert "\\[\\begin{equation}" in encoded
    assert 'href="http://testserver/posts/numbered/#eq-eq:a">(1)</a>' in encoded
    assert "<math" not in encoded


def test_json_feed_carries_the_pages_html(client, numbered):
    item = json.loads(client.get("/feed/json/").content)["items"][0]
    assert 'class="mc-align-right' in item["content_html"]
    assert "<math" in item["content_html"]


def test_an_authors_marker_characters_cannot_forge_a_formula_in_excerpts(make_post, client):
    # Escaped in Markdown, the markup is text: decoded, it would sit between the markers.
    forged = "\ue200x\ue201&lt;img src=x onerror=alert(1)&gt;\ue202 与 \ue2100\ue211 $y$"
    post = make_post(body=f"开头 {forged} 结尾")
    assert "<img" not in post.excerpt_html
    assert post.excerpt_html.count("<math>") == 1  # $y$ only
    assert post.search_entry.text.count("\ue200") == 1
    html = snippet(post.search_entry.text, parse_query("结尾"))
    assert "<img" not in html
    assert "<img" not in client.get("/").content.decode()
