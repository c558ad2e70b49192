"""Formulas written to break the converter or the pages around it (found in review): macros
that nest or grow past what math-core survives, references that point the wrong way, and
formulas inside the markup of their surroundings. Each renders with a warning, never a
crash, a 500 or a runaway."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings

from blog.feeds.content import to_xhtml
from blog.rendering import plain_summary, render_markdown

ROOT = Path(settings.BASE_DIR)
RENDER = """
import json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "site_config.settings.test"
import django
django.setup()
from blog.rendering import render_markdown
rendered = render_markdown(sys.stdin.read())
print(json.dumps({"warnings": rendered.warnings, "size": len(rendered.html)}))
"""


def render_apart(text):
    """render_markdown in a process of its own: a crash of math-core shows as a failure of
    this test, not the end of the test run."""
    done = subprocess.run(
        [sys.executable, "-c", RENDER], input=text, capture_output=True, text=True,
        cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, f"the renderer died ({done.returncode}): {done.stderr[-500:]}"
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # One open \frac repeated through 99 uses: 75,000 levels, a segfault before.
        ("$$\\def\\a{" + "\\frac1" * 760 + "}" + "\\a" * 99 + "2$$", "defines macros"),
        ("$\\newcommand{\\a}{" + "\\frac1" * 760 + "}" + "\\a" * 99 + "2$", "defines macros"),
        # An argument used 99 times, used twice nested: 98 MB of MathML in 80 s before.
        ("$$\\def\\a#1{" + "#1" * 99 + "}\\a{\\a{" + "x" * 1000 + "}}$$", "more than once"),
        ("$$\\newcommand{\\sq}[1]{#1 #1}\\sq{\\sq{\\sq{x}}}$$", "more than once"),
        # Each use copies the body: 20 uses of 2,300 characters made 462 KB of HTML.
        ("$$\\def\\a{" + "x" * 2300 + "}" + "\\a" * 20 + "$$", "2,000 characters at most"),
        # math-core's time doubles with each unclosed bracket: 28 took 14 s.
        ("Hi $" + "(" * 28 + "x$ there", "never closed"),
        ("$\\left(" + "\\langle" * 21 + " x\\right)$", "never closed"),
    ],
)
def test_formulas_that_would_crash_explode_or_stall_fall_back_with_a_warning(text, reason):
    result = render_apart(text)
    assert len(result["warnings"]) == 1 and reason in result["warnings"][0]
    assert result["size"] < 20_000


def test_the_deepest_macro_use_allowed_converts():
    result = render_apart("$$\\def\\a{" + "\\frac1" * 320 + "}" + "\\a" * 20 + "2$$")
    assert result["warnings"] == []


def test_macros_as_writers_use_them_still_convert():
    rendered = render_markdown(
        "$$\\newcommand{\\norm}[1]{\\left\\lVert #1 \\right\\rVert}"
        "\\newcommand{\\pd}[2]{\\frac{\\partial #1}{\\partial #2}} \\norm{x} + \\pd{L}{w}$$"
    )
    assert rendered.warnings == [] and "math-failed" not in rendered.html


def test_a_deep_inline_formula_gives_an_excerpt_not_a_recursion_error():
    rendered = render_markdown("前 $" + "\\frac1\\sqrt" * 400 + "2$ 后")
    assert rendered.excerpt == "前 [公式] 后"


def test_ref_and_eqref_keep_their_own_forms_whatever_the_mathml_order():
    html = render_markdown("$\\sqrt[\\ref{a}]{\\eqref{b}}$ $$x\\label{a}$$ $$y\\label{b}$$").html
    assert '<a href="#eq-a">1</a>' in html and '<a href="#eq-b">(2)</a>' in html


def test_a_label_given_twice_leads_to_the_first_equation_with_its_number():
    rendered = render_markdown("$$a\\label{x}$$\n\n$$b\\label{x}$$\n\n见 \\eqref{x}。")
    assert '<a href="#eq-x">(1)</a>' in rendered.html
    assert rendered.html.count('id="eq-x"') == 1
    assert any("more than one equation" in w for w in rendered.warnings)


def test_a_prose_reference_to_an_equation_that_failed_stays_text():
    rendered = render_markdown("$$y \\tag{A<B & C}\\label{h}$$\n\n见 \\eqref{h}。")
    assert "见 \\eqref{h}。" in rendered.html and "(??)" not in rendered.html


def test_a_reference_inside_a_formula_to_no_equation_warns():
    rendered = render_markdown("$x = \\eqref{nowhere}$")
    assert any("refers to no numbered equation" in w for w in rendered.warnings)


def test_lines_inside_left_right_are_not_split_into_rows_of_the_formula():
    rendered = render_markdown("$$\\left( a \\\\ b \\right)$$")
    assert "math-failed" not in rendered.html


def test_math_inside_textbf_stays_bold():
    html = render_markdown("$\\textbf{bold $\\alpha$}$").html
    assert "<mi>𝜶</mi>" in html  # bold italic alpha


def test_an_authors_summary_cannot_carry_formula_markers():
    assert plain_summary("a\ue200x\ue201<b>\ue202 b") == "ax<b> b"


def test_an_excerpt_never_leaves_an_authors_tag_open():
    text = (
        '<p>Hi <span class="math math-inline"><math><mi>a</mi></math><strong>bold '
        '<span class="math math-inline"><math><mi>b</mi></math></span> rest</strong></span>'
        " end</p>"
    )
    html = render_markdown(text).excerpt_html
    assert html.count("<strong") == html.count("</strong>")
    assert html.count("<span") == html.count("</span>")


def test_an_image_inside_a_formula_stays_out_of_the_excerpt():
    html = render_markdown('前 <math><mtext>ab<img src="/x.png"></mtext></math> 后').excerpt_html
    assert "<img" not in html


def test_atom_feed_xhtml_stays_nested_when_a_reference_sits_in_a_link():
    html = render_markdown(
        "[see $x^2$ and \\eqref{a}](https://e.com/) after\n\n$$w\\label{a}$$"
    ).html
    root = ET.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{to_xhtml(html)}</div>')
    mathml = "{http://www.w3.org/1998/Math/MathML}"
    for math in root.iter(f"{mathml}math"):
        assert all(element.tag.startswith(mathml) for element in math.iter())
    link = root.find("{http://www.w3.org/1999/xhtml}p/{http://www.w3.org/1999/xhtml}a")
    assert "after" not in "".join(link.itertext())


def test_a_reference_in_a_heading_is_not_a_link_inside_the_contents_link():
    toc = render_markdown("$$w\\label{a}$$\n\n## A \\eqref{a}\n\n## B\n\n## C\n").toc_html
    assert toc.count("<a ") == 3


@pytest.mark.parametrize("text", ["$x = \\$5$", "$\\text{a \\$ b}$", "\\(\\text{a \\$ b}\\)"])
def test_an_escaped_dollar_inside_a_formula_is_a_dollar_of_the_formula(text):
    html = render_markdown(text).html
    assert "klzzwxh" not in html and "wzxhzdk" not in html
    assert "$" in html.split("<annotation")[0] and "\\$" in html


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("![示意 $x^2$ 图](/u.png) 后", 'alt="示意 $x^2$ 图"'),
        ('[链接](/u "标题 $x$") 后', 'title="标题 $x$"'),
        ('<img alt="$x$" src="/a.png"> 后', 'alt="$x$"'),
    ],
)
def test_a_formula_in_an_attribute_stays_its_tex(text, attribute):
    rendered = render_markdown(text)
    assert attribute in rendered.html and "<math" not in rendered.html
    assert "<" not in rendered.excerpt and '"' not in rendered.excerpt


def test_a_less_than_sign_in_prose_does_not_hide_a_formula():
    assert "<math" in render_markdown("若 a <b 成立，则 $x$ 为正").html


def test_balanced_and_half_open_brackets_still_convert():
    rendered = render_markdown("$" + "[0,1) " * 30 + "$ 与 $" + "(" * 30 + "x" + ")" * 30 + "$")
    assert rendered.warnings == [] and "math-failed" not in rendered.html


def test_a_renamed_label_never_takes_an_authors_label():
    rendered = render_markdown(
        "$$a\\label{a}$$\n\n$$b\\label{a}$$\n\n$$c\\label{a-2}$$\n\n见 \\eqref{a-2}。"
    )
    assert rendered.html.count('id="eq-a-2"') == 1
    assert '<a href="#eq-a-2">(3)</a>' in rendered.html
