"""Pages as a browser sees them: Debian's Chromium driven by Playwright.

Skipped (with the reason) where Chromium is not installed; .ci/run installs it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from blog.models import Post
from tests.chromium import CHROMIUM, DESKTOP, LOCALE, NOT_INSTALLED, PHONE, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM, reason=NOT_INSTALLED)]


LONG_CODE = "x = [" + ", ".join(str(i) for i in range(200)) + "]"


@pytest.fixture
def article(make_post):
    make_post(title="较早的文章", published_at=timezone.now() - timedelta(days=3))
    return make_post(
        title="空洞卷积的感受野",
        slug="空洞卷积的感受野",
        body="## 定义\n\n感受野 $r_l = r_{l-1} + (k-1) d$ 随层数增长。"
        + "中文段落。" * 60
        + f"\n\n```python\n{LONG_CODE}\n```\n\n| a | b |\n|--|--|\n| 1 | 2 |\n",
        tags=["CNN", "卷积"],
    )


def page_overflows(page):
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_home_reads_well_at_phone_and_desktop_widths(open_page, many_posts, article, viewport):
    many_posts(15)
    page = open_page("/", viewport)
    assert page.status == 200
    assert page.locator("h1").inner_text() == "最近更新"
    assert page.locator("article.card").count() == 10
    assert page.locator(".pagination [aria-current=page]").inner_text() == "1"
    assert not page_overflows(page)
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "PingFang SC" in font and "Noto Sans CJK SC" in font
    assert page.problems == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_long_code_scrolls_inside_its_box_not_the_page(open_page, article, viewport):
    page = open_page(article.get_absolute_url(), viewport)
    assert page.status == 200
    assert not page_overflows(page)
    pre = page.locator("pre").first
    assert pre.evaluate("el => el.scrollWidth > el.clientWidth")
    assert pre.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    measure = page.locator(".post-body p").first.evaluate("el => el.getBoundingClientRect().width")
    assert measure <= 42 * 17 + 1  # about 42em of 17px text, never wider
    assert page.problems == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_body_text_contrast_is_at_least_7_to_1(open_page, article, scheme):
    page = open_page(article.get_absolute_url(), color_scheme=scheme)
    ratio = page.evaluate(
        """() => {
        const rgb = s => s.match(/\\d+/g).slice(0, 3).map(Number);
        const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const style = getComputedStyle(document.body);
        const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
        return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    }"""
    )
    assert ratio >= 7


def test_page_works_under_the_content_security_policy(open_page, article):
    page = open_page(article.get_absolute_url())
    violations = page.evaluate(
        """() => new Promise(resolve => {
        const seen = [];
        document.addEventListener('securitypolicyviolation', e => seen.push(e.blockedURI));
        setTimeout(() => resolve(seen), 300);
    })"""
    )
    assert violations == []
    assert page.evaluate("document.styleSheets.length") >= 1
    assert page.evaluate("getComputedStyle(document.querySelector('pre')).borderRadius") == "6px"


def test_unknown_page_is_the_sites_own_404(open_page, db):
    page = open_page("/?page=99999")
    assert page.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert page.locator(".site-name a").count() == 1


def test_author_writes_and_previews_a_draft_in_the_admin(open_page, category, django_user_model):
    page = signed_in(open_page, django_user_model, "author")
    page.goto(page.url.split("/admin/")[0] + "/admin/blog/post/add/")
    page.fill("#id_title", "混合精度 AMP 入门")
    page.locator("#id_title").blur()
    # The admin's own script fills the slug, keeping the Chinese characters.
    assert page.input_value("#id_slug") == "混合精度-amp-入门"
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_tags", "PyTorch, 混合精度")
    page.fill("#id_body", "损失缩放 $L \\cdot s$ 防止下溢。")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/blog/post/")
    post = Post.objects.get()
    assert post.status == Post.Status.DRAFT
    assert post.slug == "混合精度-amp-入门"
    page.goto(page.url.split("/admin/")[0] + post.get_absolute_url())
    assert "预览" in page.locator(".preview-note").inner_text()
    assert page.problems == []


def test_search_box_works_without_javascript(browser, live_server, make_post):
    make_post(title="感受野的计算", slug="rf", body="卷积层叠加时感受野变大。")
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale=LOCALE)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.fill("#site-search-q", "感受野")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.locator("article.card h2 mark").inner_text() == "感受野"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()


def test_author_imports_markdown_in_the_admin(open_page, django_user_model, tmp_path, db):
    django_user_model.objects.create_superuser("author", "a@example.org", "s3cret-pass-1")
    source = tmp_path / "2024-05-01-imported.md"
    source.write_text("---\ntitle: 导入的文章\ntags: [导入]\n---\n正文 $x^2$\n", encoding="utf-8")
    page = open_page("/admin/login/")
    page.fill("#id_username", "author")
    page.fill("#id_password", "s3cret-pass-1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(page.url + "blog/post/")
    page.click("text=导入 Markdown")
    page.set_input_files("#id_upload", str(source))
    page.click("input[type=submit]")
    assert "1 created" in page.locator(".import-summary").inner_text()
    assert Post.objects.get(slug="imported").title == "导入的文章"
    assert page.problems == []
