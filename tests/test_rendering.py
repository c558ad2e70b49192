"""The rendering pipeline of this issue: Markdown to safe HTML, excerpt, reading time.
(Math to MathML and highlighting are added on top of it later.)"""

import pytest
from django.test import override_settings

from blog.rendering import reading_minutes, render_markdown, sanitize, truncate


def html_of(text):
    return render_markdown(text).html


def test_tex_inside_dollars_is_not_touched_by_markdown():
    html = html_of("乘积 $a_i * b_i + c_i * d_i$ 求和")
    assert "<code>a_i * b_i + c_i * d_i</code>" in html
    assert "<em>" not in html


def test_display_math_keeps_lines_that_look_like_markdown():
    html = html_of("$$\n\\begin{aligned}\n- a &= b \\\\\n# c &= d\n\\end{aligned}\n$$\n")
    assert '<div class="math math-display">' in html
    assert "<ul>" not in html and "<h1" not in html
    assert "- a &amp;= b \\\\" in html


@pytest.mark.parametrize(
    "prose", ["costs $5 and $10.", "价格是$5和$10。", "a lone $ sign", "escaped \\$x\\$"]
)
def test_dollars_in_prose_stay_as_written(prose):
    html = html_of(prose)
    assert "math" not in html
    assert "$" in html


def test_dollars_inside_code_stay_as_written():
    html = html_of('`$x$` and\n\n```bash\necho "$HOME $5"\n```\n')
    assert "<code>$x$</code>" in html
    assert 'echo "$HOME $5"' in html
    assert "math" not in html


def test_fenced_code_keeps_its_language_class():
    html = html_of("```python\nprint('hi')\n```\n")
    assert '<pre><code class="language-python">' in html


def test_chinese_headings_get_distinct_usable_ids():
    html = html_of("## 感受野\n\n## 空洞卷积\n\n## 感受野\n")
    assert 'id="感受野"' in html
    assert 'id="空洞卷积"' in html
    assert 'id="感受野_1"' in html


def test_table_alignment_becomes_classes_not_styles():
    html = html_of("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    assert '<td class="align-right">2</td>' in html
    assert "style=" not in html


def test_images_are_lazy_with_alt_and_size():
    html = html_of("![感受野示意](/static/demo/x.svg){ width=640 height=320 }")
    assert 'alt="感受野示意"' in html
    assert 'loading="lazy"' in html
    assert 'width="640"' in html and 'height="320"' in html


def test_outside_links_get_nofollow_and_own_links_do_not():
    html = html_of("[外](https://example.org/a) [内](/posts/x/)")
    assert '<a href="https://example.org/a" rel="nofollow noopener">外</a>' in html
    assert '<a href="/posts/x/">内</a>' in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        '<a href="vbscript:msgbox(1)">x</a>',
        '<a href="data:text/html,<script>alert(1)</script>">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
        '<form action="/x"><input name=a></form>',
        '<object data="x.swf"></object>',
        '<p style="position:fixed">x</p>',
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_nothing_that_runs_script_survives(attack):
    html = html_of(f"正文\n\n{attack}\n\n结尾")
    lowered = html.lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "vbscript:", "data:text",
                "<iframe", "<style", "<form", "<input", "<object", "style=", "<svg"):  # fmt: skip
        assert bad not in lowered
    assert "正文" in html and "结尾" in html


def test_sanitizer_drops_classes_it_does_not_know():
    assert sanitize('<span class="math evil">x</span>') == '<span class="math">x</span>'


def test_excerpt_uses_placeholders_for_formula_code_and_image():
    text = (
        "$$\nE = mc^2\n$$\n\n```python\nx = 1\n```\n\n![图](/a.png)\n\n## 标题\n\n正文从这里开始。"
    )
    assert render_markdown(text).excerpt == "[公式] [代码] [图片] 正文从这里开始。"


@override_settings(LANGUAGE_CODE="en")
def test_english_site_uses_english_placeholders():
    excerpt = render_markdown("Loss $L$ then\n\n```\ncode\n```\n\n![x](/a.png)").excerpt
    assert excerpt == "Loss [Formula] then [Code] [Image]"


def test_long_chinese_excerpt_is_cut_with_dots():
    excerpt = render_markdown("感受野" * 200).excerpt
    assert excerpt.endswith("...")
    assert 100 <= len(excerpt) <= 115


def test_cut_never_splits_a_latin_word():
    text = "中" * 100 + " DistributedDataParallel makes training fast"
    cut = truncate(text, 110)
    assert cut.endswith("...")
    words = cut[:-3].split()
    assert all(w in text.split() for w in words)
    assert "Distri..." not in cut


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


def test_empty_and_whitespace_bodies_render():
    assert render_markdown("").html == ""
    assert render_markdown("   \n\n").excerpt == ""
