"""A reader's visit as a browser shows it: Debian's Chromium driven by Playwright, at a phone's
and a desktop's width, in light and dark, in Chinese and English, with axe-core checking each
page for accessibility. Screenshots of every page of the journey go to screenshots/reader/
(README, "Looking at the pages"), so a person can look at what the tests saw.

Skipped, with the reason, where Chromium or axe-core (npm, package.json) is missing; .ci/run
installs both."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image, ImageStat

from blog import publishing
from blog.models import Category
from tests.chromium import CHROMIUM, DESKTOP, NOT_INSTALLED, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM, reason=NOT_INSTALLED)]

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_MISSING = "axe-core is not installed: `make test` installs it with npm (package.json)"
SHOTS = ROOT / "screenshots" / "reader"
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
LOCALES = {"zh": "zh-CN", "en": "en-US"}

WIDE_FORMULA = " + ".join(f"\\frac{{a_{{{i}}}}}{{b_{{{i}}} + c_{{{i}}}}}" for i in range(24))
WIDE_TABLE = (
    "| " + " | ".join(f"列{i}" for i in range(14)) + " |\n"
    "|" + "--|" * 14 + "\n"
    "| " + " | ".join(f"{i * 1.2345:.4f}" for i in range(14)) + " |\n"
)
LONG_CODE = "total = sum([" + ", ".join(f"weight_{i} * x_{i}" for i in range(40)) + "])"
# Closing punctuation right after inline formulas and inline code, many times over, so that at
# some width each of them falls at a line's end.
PUNCTUATED = "".join(
    f"第 {i} 步里的梯度 $g_{{{i}}}$，其动量 `m{i}`。再看 $\\beta_{{{i}}}$）与 `v{i}`、"
    for i in range(12)
)


@pytest.fixture
def reading_site(many_posts, category, make_post):
    """A site a reader can walk: two pages of posts, two categories, tags, two months, and an
    article with a contents list, a wide formula, a wide table, long code and punctuation
    that must stay on its formula's line."""
    many_posts(12)
    python = publishing.save_category(Category(name="Python", slug="python"))
    make_post(
        title="上个月的文章",
        slug="last-month",
        category=python,
        published_at=timezone.now() - timedelta(days=45),
        tags=["PyTorch"],
    )
    article = make_post(
        title="空洞卷积的感受野与多尺度上下文",
        slug="dilated-receptive-field",
        body=(
            "## 定义\n\n"
            + "感受野是输出上一个点在输入上能看到的区域。" * 8
            + "\n\n$$\n"
            + WIDE_FORMULA
            + "\n$$\n\n## 计算\n\n"
            + PUNCTUATED
            + "\n\n"
            + WIDE_TABLE
            + f"\n\n```python\n{LONG_CODE}\n```\n\n"
            + "## 参考\n\n读 [论文](https://arxiv.org/abs/1511.07122) 的第二节。\n"
        ),
        tags=["PyTorch", "卷积"],
        published_at=timezone.now() - timedelta(minutes=30),
    )
    return {"article": article, "python": python}


@pytest.fixture(scope="module")
def axe_source():
    if not AXE.exists():
        pytest.skip(AXE_MISSING)
    return AXE.read_text()


@pytest.fixture
def reader(browser, live_server):
    """open(path, width, scheme, language): a page in a new browser context, as a reader
    with that screen and that browser language would open it."""
    contexts = []

    def open_(path, width="desktop", scheme="light", language="zh", **options):
        context = browser.new_context(
            viewport=WIDTHS[width],
            color_scheme=scheme,
            locale=LOCALES[language],
            has_touch=width == "phone",
            **options,
        )
        contexts.append(context)
        page = context.new_page()
        watch(page)
        response = page.goto(live_server.url + path)
        page.status = response.status
        return page

    yield open_
    for context in contexts:
        context.close()


def watch(page):
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    page.on("pageerror", lambda e: page.problems.append(str(e)))


def serious_violations(page, axe_source):
    """axe-core's serious and critical findings on the page, as "rule: element" lines."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)  # through DevTools: the page's CSP forbids inline scripts
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"
    )
    return found


def too_wide(page):
    """Elements reaching past the viewport's right edge, but for what scrolls inside a box
    of its own (code, formulas, tables) or is hidden."""
    return page.evaluate(
        """() => {
        const width = document.documentElement.clientWidth;
        const inScroller = el => {
            for (let p = el.parentElement; p; p = p.parentElement) {
                const o = getComputedStyle(p).overflowX;
                if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
            }
            return false;
        };
        const wide = [];
        for (const el of document.body.querySelectorAll('*')) {
            const r = el.getBoundingClientRect();
            if (r.width === 0 || r.right <= width + 1 || inScroller(el)) continue;
            const name = el.tagName.toLowerCase() + (el.className ? '.' + el.className : '');
            wide.push(name + ' ' + Math.round(r.right));
        }
        return {page: document.documentElement.scrollWidth > width + 1, wide: wide.slice(0, 5)};
    }"""
    )


def looked_at(page, name, axe_source):
    """The checks every page of a journey passes; its screenshot for a person to look at."""
    assert page.problems == [], (name, page.problems)  # no CSP violation, no script error
    assert too_wide(page) == {"page": False, "wide": []}, name
    assert serious_violations(page, axe_source) == [], name
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


def heading(page):
    return page.locator("main h1").first.inner_text()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a_readers_journey_in_both_languages(reader, reading_site, axe_source, width, scheme):
    """Home, the next page, an article, its tag and the tag's feed, a search, the language
    switch, the archive and a month: what a new reader does on a first visit."""
    shot = f"{width}-{scheme}"
    page = reader("/", width, scheme, "zh")
    assert page.status == 200 and heading(page) == "最近更新"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert re.fullmatch(r"\d+ 分钟", page.locator(".meta-reading").first.inner_text())
    looked_at(page, f"{shot}-01-home-zh", axe_source)

    page.locator(".pagination a[rel=next]").click()
    page.wait_for_url("**/?page=2")
    assert page.locator(".pagination [aria-current=page]").inner_text() == "2"
    looked_at(page, f"{shot}-02-page-2-zh", axe_source)

    page.locator(".card-title a", has_text="空洞卷积的感受野").click()
    page.wait_for_url("**/posts/dilated-receptive-field/")
    assert heading(page).startswith("空洞卷积的感受野")
    looked_at(page, f"{shot}-03-article-zh", axe_source)

    page.locator(".post-tags a", has_text="卷积").click()
    page.wait_for_url("**/tag/**")
    assert heading(page) == "卷积"
    looked_at(page, f"{shot}-04-tag-zh", axe_source)
    feed = page.locator("link[rel=alternate][type='application/rss+xml']").first
    answer = page.request.get(page.url.split("/tag/")[0] + feed.get_attribute("href"))
    assert answer.status == 200 and "<rss" in answer.text() and "空洞卷积的感受野" in answer.text()

    page.fill("#site-search-q", "感受野")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator(".card").count() >= 1
    looked_at(page, f"{shot}-05-search-zh", axe_source)

    page.locator(".language-switch button", has_text="English").click()
    page.wait_for_url("**/search/?q=*")
    assert heading(page) == "Search" and page.locator("html").get_attribute("lang") == "en"
    # The Chinese of the articles stays marked as Chinese inside the English page.
    assert page.locator(".card-title").first.get_attribute("lang") == "zh-hans"
    looked_at(page, f"{shot}-06-search-en", axe_source)

    page.locator(".site-nav a", has_text="Archive").click()
    page.wait_for_url("**/archive/")
    assert heading(page) == "Archive"  # the choice is remembered from page to page
    assert page.locator(".archive-posts a", has_text="空洞卷积的感受野").count() == 1
    looked_at(page, f"{shot}-07-archive-en", axe_source)

    page.locator(".archive-month h2 a").first.click()
    page.wait_for_url("**/archive/*/*/")
    assert re.fullmatch(r"[A-Z][a-z]+ \d{4}", heading(page))
    assert page.locator(".month-nav a[rel=prev]").count() == 1
    assert re.fullmatch(r"\d+ min read", page.locator(".meta-reading").first.inner_text())
    looked_at(page, f"{shot}-08-month-en", axe_source)

    page.locator(".month-nav a[rel=prev]").click()
    page.wait_for_url("**/archive/*/*/")
    assert page.locator(".month-nav a[rel=next]").count() == 1
    looked_at(page, f"{shot}-09-previous-month-en", axe_source)


def addresses(site):
    now = timezone.localtime()
    return {
        "home": "/",
        "article": site["article"].get_absolute_url(),
        "category": site["python"].get_absolute_url(),
        "tag": "/tag/pytorch/",
        "search": "/search/?q=卷积",
        "archive": "/archive/",
        "month": f"/archive/{now.year}/{now.month}/",
        "404": "/no-such-page/",
    }


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_serious_accessibility_violation_on_any_kind_of_page(
    reader, reading_site, axe_source, language, scheme
):
    for name, path in addresses(reading_site).items():
        page = reader(path, "desktop", scheme, language)
        assert page.status == (404 if name == "404" else 200), name
        assert serious_violations(page, axe_source) == [], (name, language, scheme)
        assert page.problems == [] or name == "404", (name, page.problems)
        page.context.close()


def test_the_404_page_is_the_sites_own_in_the_readers_language(reader, db, axe_source):
    page = reader("/posts/nowhere/", "phone", "light", "en")
    assert page.status == 404 and heading(page) == "Page not found"
    assert page.locator(".site-search").count() == 1
    assert too_wide(page) == {"page": False, "wide": []}
    chinese = reader("/posts/nowhere/", "phone", "dark", "zh")
    assert heading(chinese) == "页面不存在"


def test_the_language_switch_remembers_the_choice_without_a_login(reader, reading_site):
    page = reader(reading_site["article"].get_absolute_url(), language="zh")
    assert page.locator(".post-nav, .related").first.is_visible()
    page.locator(".language-switch button[value=en]").click()
    page.wait_for_url(f"**{reading_site['article'].get_absolute_url()}")
    assert page.locator(".toc-side .toc-title").inner_text().lower() == "contents"
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["django_language"]["value"] == "en"
    assert "sessionid" not in cookies and "csrftoken" not in cookies
    page.goto(page.url.replace(reading_site["article"].get_absolute_url(), "/"))
    assert heading(page) == "Latest updates"
    page.locator(".language-switch button[value=zh-hans]").click()
    page.wait_for_url("**/")
    assert heading(page) == "最近更新"


# --- Reading on a phone ---------------------------------------------------------------------------


def edge_colours(element, scroll_left=None):
    """The mean colour of the 6 px at the left and at the right of `element` (as drawn)."""
    if scroll_left is not None:
        element.evaluate("(el, x) => { el.scrollLeft = x; }", scroll_left)
    image = Image.open(io.BytesIO(element.screenshot())).convert("RGB")
    width, height = image.size

    def mean(box):
        return tuple(ImageStat.Stat(image.crop(box)).mean)

    return mean((0, 0, 6, height)), mean((width - 6, 0, width, height))


def lightness(colour):
    return sum(colour) / 3


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("selector", [".math-display", ".post-body table", ".highlight pre"])
def test_what_is_wider_than_a_phone_scrolls_in_its_box_with_a_shadow_at_the_hidden_edge(
    reader, reading_site, selector, scheme
):
    page = reader(reading_site["article"].get_absolute_url(), "phone", scheme)
    box = page.locator(selector).first
    box.scroll_into_view_if_needed()
    assert box.evaluate("el => el.scrollWidth > el.clientWidth + 20")
    assert box.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background
    left, right = edge_colours(box, 0)
    # At the start: a shadow on the right (more that way), none on the left.
    darker_or_lighter = (lambda a, b: a < b - 6) if scheme == "light" else (lambda a, b: a > b + 6)
    assert darker_or_lighter(lightness(right), lightness(left)), (left, right)
    left, right = edge_colours(box, 100_000)
    # At the end: the shadow has moved to the left.
    assert darker_or_lighter(lightness(left), lightness(right)), (left, right)


LINE_STARTS = """() => {
    const closing = /^[，。、；：！？）》」』】〉”’〕…]/;
    const found = [];
    for (const el of document.querySelectorAll('.post-body math, .post-body :not(pre) > code')) {
        const holder = el.closest('.math-inline') || el;
        let next = holder.nextSibling;
        const kept = holder.parentElement.classList.contains('math-nobreak');
        if (kept && !next) next = holder.parentElement.nextSibling;
        if (!next || next.nodeType !== Node.TEXT_NODE || !closing.test(next.textContent)) continue;
        const range = document.createRange();
        range.setStart(next, 0); range.setEnd(next, 1);
        const mark = range.getClientRects()[0];
        const rects = holder.getClientRects();
        const last = rects[rects.length - 1];
        if (mark && last && mark.top > last.bottom - 2) {
            found.push(holder.textContent.slice(0, 20) + next.textContent[0]);
        }
    }
    return found;
}"""


def test_no_line_begins_with_closing_punctuation_after_a_formula_or_inline_code(
    reader, reading_site
):
    page = reader(reading_site["article"].get_absolute_url(), "phone")
    pairs = page.evaluate(
        "document.querySelectorAll('.post-body math, .post-body :not(pre) > code').length"
    )
    assert pairs >= 48
    broken = {}
    for width in range(300, 430, 3):
        page.set_viewport_size({"width": width, "height": 740})
        if found := page.evaluate(LINE_STARTS):
            broken[width] = found
    assert broken == {}


def small_targets(page, selector):
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)]
        .filter(el => el.offsetParent !== null)
        .map(el => { const r = el.getBoundingClientRect();
            const name = el.textContent.trim().slice(0, 20);
            return [name, Math.round(r.width), Math.round(r.height)]; })
        .filter(([, w, h]) => w < 44 || h < 44)""",
        selector,
    )


CHROME_CONTROLS = (
    ".site-nav a, .site-search input, .site-search button, .language-switch button, "
    ".pagination a, .meta a, .post-tags a, .post-nav a, .related a, .month-nav a, "
    ".archive-posts a, .archive-month h2 a, .toc-inline summary, .toc-inline a, .site-footer a"
)


@pytest.mark.parametrize("path", ["/", "article", "/archive/", "month"])
def test_every_control_of_the_site_is_a_44_px_tap_target_on_a_phone(reader, reading_site, path):
    now = timezone.localtime()
    path = {
        "article": reading_site["article"].get_absolute_url(),
        "month": f"/archive/{now.year}/{now.month}/",
    }.get(path, path)
    page = reader(path, "phone")
    if page.locator(".toc-inline summary").count():
        page.locator(".toc-inline summary").click()
    assert page.locator(CHROME_CONTROLS).count() > 5
    small = small_targets(page, CHROME_CONTROLS)
    assert small == [], small


def test_the_reading_column_holds_about_forty_chinese_characters_on_a_desktop(reader, reading_site):
    page = reader(reading_site["article"].get_absolute_url(), "desktop")
    paragraph = page.locator(".post-body p").first
    width = paragraph.evaluate("el => el.getBoundingClientRect().width")
    size = paragraph.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert 36 <= width / size <= 42


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_dates_never_break_and_the_footer_starts_where_the_content_does(
    reader, reading_site, width
):
    page = reader(reading_site["article"].get_absolute_url(), width)
    for time in page.locator("main time").all():
        assert time.evaluate("el => el.getClientRects().length") == 1, time.inner_text()
    content = page.locator("main").evaluate(
        "el => el.getBoundingClientRect().left + parseFloat(getComputedStyle(el).paddingLeft)"
    )
    footer = page.locator(".site-footer p").evaluate("el => el.getBoundingClientRect().left")
    assert abs(footer - content) <= 1


# --- The keyboard ---------------------------------------------------------------------------------


def focused(page):
    return page.evaluate(
        "() => { const el = document.activeElement; return [el.tagName.toLowerCase(),"
        " el.className, el.textContent.trim().slice(0, 30), getComputedStyle(el).outlineStyle]; }"
    )


def test_the_keyboard_alone_reaches_the_content_the_contents_and_the_pages(reader, reading_site):
    page = reader("/", "desktop")
    page.keyboard.press("Tab")
    tag, cls, text, outline = focused(page)
    assert cls == "skip-link" and outline != "none"
    assert page.locator(".skip-link").evaluate("el => el.getBoundingClientRect().left >= 0")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    # From the content, Tab reaches the first article (past the list's feed links) and,
    # further on, the next page.
    for _ in range(4):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('article.card')"):
            break
    assert page.evaluate("document.activeElement.closest('.card-title') !== null")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.rel") == "next":
            break
    assert focused(page)[3] != "none"
    page.keyboard.press("Enter")
    page.wait_for_url("**/?page=2")

    article = reader(reading_site["article"].get_absolute_url(), "desktop")
    for _ in range(60):
        article.keyboard.press("Tab")
        if article.evaluate("!!document.activeElement.closest('.toc-side')"):
            break
    assert article.evaluate("!!document.activeElement.closest('.toc-side')")
    target = article.evaluate("document.activeElement.getAttribute('href')")
    article.keyboard.press("Enter")
    assert article.evaluate("decodeURIComponent(location.hash)") == target

    phone = reader(reading_site["article"].get_absolute_url(), "phone")
    phone.locator(".toc-inline summary").focus()
    assert focused(phone)[3] != "none"
    phone.keyboard.press("Enter")
    assert phone.locator(".toc-inline").evaluate("el => el.open")


# --- Print ----------------------------------------------------------------------------------------


def test_an_article_prints_without_the_site_around_it_and_nothing_cut(reader, reading_site):
    page = reader(reading_site["article"].get_absolute_url(), "desktop", "dark")
    page.emulate_media(media="print")
    chrome = (".site-nav", ".site-search", ".language-switch", ".site-footer", ".toc-side")
    for hidden in (*chrome, ".post-nav"):
        shown = page.locator(hidden).first.evaluate("el => getComputedStyle(el).display")
        assert shown == "none", hidden
    after = page.locator(".post-body a[href^='https://']").first.evaluate(
        "el => getComputedStyle(el, '::after').content"
    )
    assert "https://arxiv.org/abs/1511.07122" in after
    for box in (".highlight pre", ".math-display", ".post-body table"):
        element = page.locator(box).first
        assert element.evaluate("el => getComputedStyle(el).breakInside") == "avoid", box
    code = page.locator(".highlight pre").first
    assert code.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    colour = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert colour == "rgb(255, 255, 255)"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
