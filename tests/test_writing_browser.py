"""The writing room as an author uses it, in Debian's Chromium: typing with the live preview
and its checks, a screenshot pasted from the clipboard, a broken formula found and fixed,
the post published and found on the home page and in the feed. Screenshots of the room at
desktop and laptop widths go to screenshots/writing-room/ (the README says so)."""

import base64
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from blog.models import Image, Post
from tests.chromium import CHROMIUM, NOT_INSTALLED, signed_in
from tests.pictures import png

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM, reason=NOT_INSTALLED)]

SHOTS = Path(settings.BASE_DIR) / "screenshots" / "writing-room"
DESKTOP = {"width": 1440, "height": 900}
LAPTOP = {"width": 1280, "height": 800}

# A clipboard holding only a picture, as a screenshot tool leaves it, pasted into the editor.
PASTE = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const clip = new DataTransfer();
  clip.items.add(new File([bytes], name, { type: "image/png" }));
  const editor = document.getElementById("id_body");
  editor.focus();
  editor.setSelectionRange(editor.value.length, editor.value.length);
  const paste = { clipboardData: clip, bubbles: true, cancelable: true };
  editor.dispatchEvent(new ClipboardEvent("paste", paste));
}"""


@pytest.fixture
def media_on_disk(settings, tmp_path):
    """Files the live server can serve (the tests' default storage is in memory)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def checks_text(page):
    return page.locator(".writing-checks-list").inner_text()


def test_an_author_writes_pastes_an_image_fixes_a_formula_and_publishes(
    open_page, category, django_user_model, media_on_disk
):
    page = signed_in(open_page, django_user_model, "writer")
    base = page.url.split("/admin/")[0]
    page.goto(base + "/admin/blog/post/add/")
    page.fill("#id_title", "梯度下降的一步")
    page.select_option("#id_category", str(category.pk))
    editor = page.locator("#id_body")
    assert "monospace" in editor.evaluate("e => getComputedStyle(e).fontFamily")
    editor.fill(
        "## 更新规则\n\n参数沿梯度反方向移动 $\\theta \\leftarrow \\theta - \\eta \\nabla L$。\n\n"
        "```python\ntheta = theta - lr * grad\n```\n\n"
    )
    article = page.locator(".writing-preview-article .post-body")
    article.locator("math").first.wait_for()
    assert article.locator(".highlight").count() == 1
    expect(page.locator(".writing-checks-list")).to_contain_text("没有发现问题")

    # A screenshot pasted: uploaded, its Markdown put where the cursor was.
    page.evaluate(PASTE, [base64.b64encode(png((1200, 600))).decode(), "image.png"])
    expect(editor).to_have_value(re.compile(r"!\[\]\(/media/images/.+\.png\)"))
    image = Image.objects.get()
    assert image.width == 1200 and len(image.renditions) == 8  # 480, 960, 1200 px
    expect(article.locator("picture img")).to_have_count(1)
    src = article.locator("picture img").get_attribute("src")
    assert page.request.get(base + src).status == 200
    expect(page.locator(".writing-checks-list")).to_contain_text("图片没有替代文字")
    editor.fill(editor.input_value().replace("![](", "![损失曲线截图]("))
    expect(page.locator(".writing-checks-list")).to_contain_text("没有发现问题")

    # A broken formula: named with its line, in the site's language; then fixed.
    editor.press("End")
    editor.type("\n\n学习率 $\\frac{1}{$ 太大会发散。")
    expect(page.locator(".writing-checks-list")).to_contain_text("公式无法转换")
    line = editor.input_value().split("\n").index("学习率 $\\frac{1}{$ 太大会发散。") + 1
    expect(page.locator(".writing-checks-list")).to_contain_text(f"第 {line} 行")
    page.locator(".writing-check-line").first.click()  # takes the author to that line
    assert editor.evaluate("e => e.value.slice(e.selectionStart, e.selectionEnd)").startswith(
        "学习率"
    )
    for shot, viewport in (("desktop", DESKTOP), ("laptop", LAPTOP)):
        page.set_viewport_size(viewport)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"writing-room-{shot}.png"), full_page=True)
    editor.fill(editor.input_value().replace("\\frac{1}{$", "\\frac{1}{2}$"))
    expect(page.locator(".writing-checks-list")).to_contain_text("没有发现问题")
    expect(page.locator(".writing-preview-state")).to_contain_text("尚未保存")
    assert Post.objects.count() == 0  # the preview saved nothing

    page.select_option("#id_status", "published")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/blog/post/")
    post = Post.objects.get()
    assert post.is_published and post.problem_count == 0
    assert list(image.posts.all()) == [post]

    home = page.context.new_page()
    home.goto(base + "/")
    expect(home.locator("article.card h2")).to_contain_text(["梯度下降的一步"])
    home.goto(base + post.get_absolute_url())
    body = home.locator(".post-body")
    assert body.locator("math").count() == 2
    assert body.locator("picture source[type='image/avif']").count() == 1
    assert body.locator("img").get_attribute("alt") == "损失曲线截图"
    feed = page.request.get(base + "/feed/atom/").text()
    assert "梯度下降的一步" in feed and f"{base}{image.url}" in feed
    assert page.problems == []


def test_the_writing_room_previews_while_typing_and_tab_indents_code(
    open_page, category, django_user_model
):
    page = signed_in(open_page, django_user_model, "typist")
    page.goto(page.url.split("/admin/")[0] + "/admin/blog/post/add/")
    editor = page.locator("#id_body")
    editor.fill("## 能量\n\n质能关系 $E=mc^2$ 成立。\n\n```python\nx = 1\n```\n")
    # The preview pierces into its shadow root: the article as readers get it.
    page.locator(".writing-preview-article .post-body math").wait_for()
    assert "质能关系" in page.locator(".writing-preview-article .post-body").inner_text()
    assert page.locator(".writing-preview-article .post-body .highlight").count() == 1
    editor.fill("质能关系 $\\frac{1}{$ 成立。")
    expect(page.locator(".writing-checks-list")).to_contain_text("第 1 行")
    editor.fill("质能关系 $\\frac{1}{2}$ 成立。")
    expect(page.locator(".writing-checks-list")).not_to_contain_text("公式")
    expect(page.locator(".writing-preview-state")).to_contain_text("尚未保存")
    # Tab inside a code block indents; nothing was saved.
    editor.fill("```\nx")
    editor.press("End")
    editor.press("Tab")
    assert editor.input_value().endswith("x    ")
    # A closed fence, or one of another kind inside it, leaves Tab to the keyboard.
    editor.fill("````\n```\n````\n正文")
    editor.press("End")
    editor.press("Tab")
    assert editor.input_value() == "````\n```\n````\n正文"
    assert not editor.evaluate("e => e === document.activeElement")
    assert Post.objects.count() == 0
    assert page.problems == []


def test_a_refused_upload_says_why_and_leaves_the_text_alone(
    open_page, category, django_user_model, media_on_disk
):
    page = signed_in(open_page, django_user_model, "paster")
    page.goto(page.url.split("/admin/")[0] + "/admin/blog/post/add/")
    editor = page.locator("#id_body")
    editor.fill("正文。")
    page.locator(".writing-image-file").set_input_files(
        files=[{"name": "evil.png", "mimeType": "image/png", "buffer": b"#!/bin/sh\nrm -rf /"}]
    )
    expect(page.locator(".writing-images-state")).to_contain_text("evil.png")
    expect(page.locator(".writing-images-state")).to_contain_text("不是图片")
    assert editor.input_value() == "正文。"
    assert Image.objects.count() == 0
