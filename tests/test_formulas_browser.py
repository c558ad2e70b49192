"""Formulas as Chromium draws them: the reference page (tests/formulas/reference.md) at phone
and desktop widths, light and dark, with screenshots a person can look at in
screenshots/formulas/ (the README says so), and the geometry of each defect class measured
on the page: limits under the operator, aligned equals signs, one line per top-level \\\\,
numbers at the right, links to them, boxes drawn."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.chromium import CHROMIUM, LOCALE, NOT_INSTALLED

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM, reason=NOT_INSTALLED)]

REFERENCE = Path(__file__).parent / "formulas" / "reference.md"
SHOTS = Path(settings.BASE_DIR) / "screenshots" / "formulas"
VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


@pytest.fixture
def reference_page(make_post):
    return make_post(title="公式参考", slug="formulas", body=REFERENCE.read_text("utf-8"))


@pytest.fixture
def open_formulas(browser, live_server, reference_page):
    contexts = []

    def open_(viewport="desktop", scheme="light"):
        context = browser.new_context(
            viewport=VIEWPORTS[viewport], color_scheme=scheme, locale=LOCALE
        )
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        page.goto(live_server.url + reference_page.get_absolute_url())
        return page

    yield open_
    for context in contexts:
        context.close()


def box(page, selector, nth=0):
    return page.locator(selector).nth(nth).bounding_box()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_reference_formulas_are_drawn_under_the_csp_and_saved_for_a_person(
    open_formulas, viewport, scheme
):
    page = open_formulas(viewport, scheme)
    assert page.locator(".math-failed").count() == 0
    assert page.locator("math").count() > 30
    # Nothing refused by the Content-Security-Policy (no inline style reaches the page).
    assert page.problems == []
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"reference-{viewport}-{scheme}.png"), full_page=True)


def test_display_limits_sit_under_the_operator(open_formulas):
    page = open_formulas()
    operator = box(page, "munder > mrow:has(mi)")  # "max" of \arg\max_\theta
    limit = page.locator("munder").first.locator(":scope > :nth-child(2)").bounding_box()
    assert limit["y"] >= operator["y"] + operator["height"] - 2
    assert limit["x"] < operator["x"] + operator["width"]


def test_aligned_equals_signs_line_up(open_formulas):
    page = open_formulas()
    table = page.locator("mtable:has(mtd.mc-align-right)").first
    equals = table.locator("mo", has_text="=")
    lefts = [round(equals.nth(i).bounding_box()["x"]) for i in range(equals.count())]
    assert len(lefts) == 2 and abs(lefts[0] - lefts[1]) <= 1


def test_top_level_line_breaks_make_lines(open_formulas):
    page = open_formulas()
    tops = page.evaluate(
        """[...document.querySelectorAll("math")]
            .find(m => m.querySelector("annotation").textContent.includes("d = e + f"))
            .querySelectorAll("mtr").values().map(r => r.getBoundingClientRect().top)
            .toArray()"""
    )
    assert len(tops) == 2 and tops[1] > tops[0] + 10


def test_equation_numbers_stand_at_the_right_and_references_lead_to_them(open_formulas):
    page = open_formulas()
    display = page.locator(".math-display", has=page.locator("#eq-eq\\:pg")).bounding_box()
    number = page.locator("#eq-eq\\:pg").bounding_box()
    assert number["x"] + number["width"] >= display["x"] + display["width"] - 4
    assert page.locator("#eq-eq\\:pg").text_content().strip() == "(1)"
    page.locator('a[href="#eq-eq:pg"]').first.click()
    assert page.evaluate("location.hash") == "#eq-eq:pg"
    top = page.locator("#eq-eq\\:pg").bounding_box()["y"]
    assert 0 <= top < 900


def test_boxed_gets_its_box_in_chromium(open_formulas):
    page = open_formulas()
    width = page.locator('menclose[notation="box"]').first.evaluate(
        "e => getComputedStyle(e).borderTopWidth"
    )
    assert float(width.removesuffix("px")) > 0


def test_a_simple_inline_formula_does_not_make_its_line_taller(browser, live_server, make_post):
    post = make_post(slug="lines", body="纯文字的一行。\n\n含公式 $x_i$ 的一行。\n")
    context = browser.new_context(viewport=VIEWPORTS["desktop"], locale=LOCALE)
    page = context.new_page()
    page.goto(live_server.url + post.get_absolute_url())
    heights = page.locator(".post-body p").evaluate_all(
        "ps => ps.slice(0, 2).map(p => p.getBoundingClientRect().height)"
    )
    context.close()
    assert abs(heights[0] - heights[1]) <= 1


def test_cjk_punctuation_never_starts_a_line_after_a_formula(browser, live_server, make_post):
    sentence = "设 $x_i$，则" + "文字" * 3
    post = make_post(slug="punctuation", body="\n\n".join(sentence for _ in range(1)))
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale=LOCALE)
    page = context.new_page()
    page.goto(live_server.url + post.get_absolute_url())
    glued = page.locator(".math-nobreak")
    assert glued.count() == 1
    assert glued.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    context.close()
