"""Never losing a word, in Debian's Chromium: two people saving the same post from two
browsers (the second is refused, keeps their text, sees the other's and saves again), and
a tab closed mid-sentence whose text the next visit offers back; leaving a form whose text
was not saved asks first."""

import pytest
from playwright.sync_api import expect

from blog.models import Post, Revision
from tests.chromium import CHROMIUM, NOT_INSTALLED, logged_in, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM, reason=NOT_INSTALLED)]


def change_page(page, post):
    base = page.url.split("/admin/")[0]
    page.goto(f"{base}/admin/blog/post/{post.pk}/change/")
    page.locator("#id_body").wait_for()


def save(page):
    page.locator("input[name=_continue]").click()
    page.wait_for_load_state()


def test_two_people_save_the_same_post_and_nothing_is_lost(open_page, django_user_model, make_post):
    post = make_post(title="两个人同时编辑", body="第一段。\n\n第二段。", summary="摘要。")
    lin = signed_in(open_page, django_user_model, "lin")
    wang = signed_in(open_page, django_user_model, "wang")
    change_page(lin, post)
    change_page(wang, post)

    lin.locator("#id_body").fill("第一段。\n\n林改过的第二段。")
    save(lin)
    expect(lin.locator(".messagelist .success")).to_be_visible()

    wang.locator("#id_body").fill("王改过的第一段。\n\n第二段。")
    save(wang)
    expect(wang.locator(".errornote, .errorlist.nonfield")).not_to_have_count(0)
    expect(wang.locator(".errorlist.nonfield")).to_contain_text("lin")
    expect(wang.locator(".edit-conflict")).to_contain_text("林改过的第二段。")
    expect(wang.locator("#id_body")).to_have_value("王改过的第一段。\n\n第二段。")
    assert Post.objects.get(pk=post.pk).body == "第一段。\n\n林改过的第二段。"
    assert Revision.objects.get(kind=Revision.Kind.CONFLICT).body == "王改过的第一段。\n\n第二段。"

    save(wang)  # having seen theirs
    expect(wang.locator(".messagelist .success")).to_be_visible()
    assert Post.objects.get(pk=post.pk).body == "王改过的第一段。\n\n第二段。"


def test_a_tab_closed_mid_sentence_is_offered_back(open_page, django_user_model, make_post):
    post = make_post(title="写到一半", body="开头。", summary="摘要。")
    page = signed_in(open_page, django_user_model, "zhao")
    change_page(page, post)
    editor = page.locator("#id_body")
    editor.click()
    editor.press("End")
    editor.press_sequentially("然后浏览器崩溃了，这句话还没写")
    page.wait_for_function(
        "() => document.querySelector('.writing-autosave-state').textContent.trim() !== ''",
        timeout=15_000,
    )
    assert Revision.objects.filter(kind=Revision.Kind.AUTOSAVE).exists()
    page.context.close()  # the tab is gone, nothing was saved

    again = logged_in(open_page, "zhao")
    change_page(again, post)
    offer = again.locator(".writing-autosave-offer")
    expect(offer).to_be_visible()
    offer.locator(".writing-autosave-restore").click()
    expect(again.locator("#id_body")).to_have_value("开头。然后浏览器崩溃了，这句话还没写")
    expect(offer).to_be_hidden()

    # Leaving now asks first: the form holds text that was not saved.
    asked = []
    again.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    with again.expect_event("close"):
        again.close(run_before_unload=True)
    assert asked == ["beforeunload"]
