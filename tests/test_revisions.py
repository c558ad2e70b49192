"""Revisions: one per save that changes something (the admin's, an import's), none for a save
or a re-render that changes nothing; a readable diff between any two; restoring one is a new
revision; old ones thinned to one a day; a list that never reads the texts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from blog import publishing, revisions
from blog.importing import Importer
from blog.models import Post, Revision
from tests.forms import post_form


def kinds(post):
    return [(r.number, r.kind) for r in post.revisions.order_by("number")]


def test_a_new_post_has_its_first_revision(make_post):
    post = make_post(body="第一段。")
    (first,) = post.revisions.all()
    assert (first.number, first.kind, first.body) == (1, "saved", "第一段。")
    assert revisions.describe(first.changes) == "已创建"


def test_each_save_that_changes_something_is_a_revision(make_post, admin_user, category):
    post = make_post(body="第一段。\n\n第二段。", tags=["卷积"])
    post.body = "第一段。\n\n改过的第二段。\n\n第三段。"
    post.title = "新标题"
    publishing.save_post(post, tags=["卷积", "网络"], user=admin_user)
    latest = post.revisions.order_by("-number").first()
    assert latest.number == 2 and latest.user == admin_user
    assert latest.title == "新标题" and latest.tags == ["卷积", "网络"]
    assert latest.changes["fields"] == ["title", "tags", "body"]
    assert revisions.describe(latest.changes) == "标题、标签、正文（+3 −1 行）"


def test_a_save_that_changes_nothing_makes_no_revision(make_post):
    post = make_post()
    publishing.save_post(Post.objects.get(pk=post.pk), tags=[])
    assert kinds(post) == [(1, "saved")]


def test_a_rerender_makes_no_revision(make_post):
    post = make_post()
    Post.objects.filter(pk=post.pk).update(body_html="旧的 HTML")
    publishing.rerender(Post.objects.filter(pk=post.pk))
    assert kinds(post) == [(1, "saved")]


def test_an_import_makes_a_revision_and_an_unchanged_import_none(db, tmp_path):
    source = tmp_path / "post.md"
    source.write_text("---\ntitle: 导入的\n---\n正文。\n", encoding="utf-8")
    Importer().run([source])
    post = Post.objects.get()
    assert kinds(post) == [(1, "saved")]
    Importer().run([source])
    assert kinds(post) == [(1, "saved")]
    source.write_text("---\ntitle: 导入的\n---\n改过的正文。\n", encoding="utf-8")
    Importer().run([source])
    assert kinds(post) == [(1, "saved"), (2, "saved")]


def test_a_post_saved_before_revisions_were_kept_keeps_what_it_was(make_post):
    post = make_post(body="旧的正文。")
    Revision.objects.all().delete()  # as a post from before this change
    post.body = "新的正文。"
    publishing.save_post(post)
    first, second = post.revisions.order_by("number")
    assert first.body == "旧的正文。" and first.changes.get("baseline")
    assert second.body == "新的正文。"


def test_the_text_is_kept_compressed(make_post):
    body = "\n\n".join(f"第 {n} 段：卷积把输入与核相乘再求和。" for n in range(400))
    post = make_post(body=body)
    revision = post.revisions.get()
    assert revision.body == body
    assert len(bytes(revision.body_z)) < len(body.encode()) / 5


# --- Pruning --------------------------------------------------------------------------------


def test_old_revisions_are_thinned_to_one_a_day(make_post, settings):
    settings.BLOG = {**settings.BLOG, "REVISIONS_KEEP_DAYS": 30}
    post = make_post(body="v0")
    now = timezone.now()
    for n in range(1, 7):
        post.body = f"v{n}"
        publishing.save_post(post)
    # Revisions 1–4 were made 40 days ago (two a day on two days), 5–7 today.
    # Noon in the site's zone, so the hour added never crosses a midnight, whatever the clock.
    old = timezone.localtime(now - timedelta(days=40)).replace(hour=12, minute=0)
    day, hour = timedelta(days=1), timedelta(hours=1)
    times = [old, old + hour, old + day, old + day + hour]
    for number, when in enumerate(times, 1):
        Revision.objects.filter(post=post, number=number).update(created_at=when)
    removed = revisions.prune(post, now=now)
    assert removed == 2
    assert [r.number for r in post.revisions.order_by("number")] == [2, 4, 5, 6, 7]


# --- In the admin -----------------------------------------------------------------------------


@pytest.fixture
def edited(make_post, admin_user):
    post = make_post(title="卷积", body="第一行\n第二行\n第三行")
    for body in ("第一行\n第二行（改）\n第三行", "第一行\n第二行（改）\n第三行\n第四行"):
        post.body = body
        publishing.save_post(post, user=admin_user)
    return post


def test_the_history_lists_every_revision_with_who_when_and_what(admin_client, edited):
    page = admin_client.get(reverse("admin:blog_post_history", args=[edited.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('class="revision-row ') == 3
    assert "正文（+1 −1 行）" in text and "正文（+1 −0 行）" in text and "admin" in text


def test_the_history_reads_no_text_whatever_the_number_of_revisions(
    admin_client, edited, django_assert_max_num_queries, admin_user
):
    for n in range(20):
        edited.body = f"第 {n} 版"
        publishing.save_post(edited, user=admin_user)
    url = reverse("admin:blog_post_history", args=[edited.pk])
    admin_client.get(url)
    with django_assert_max_num_queries(12):
        page = admin_client.get(url)
    assert page.content.decode().count('class="revision-row ') == 23


def test_a_diff_between_two_revisions_shows_lines_and_fields(admin_client, edited, admin_user):
    edited.title = "卷积网络"
    publishing.save_post(edited, user=admin_user)
    url = reverse("admin:blog_post_revision_diff", args=[edited.pk])
    page = admin_client.get(url, {"a": 1, "b": 4})
    assert page.status_code == 200
    text = page.content.decode()
    assert "第二行（改）" in text
    assert 'class="diff-insert"' in text and 'class="diff-delete"' in text
    assert "卷积网络" in text  # the title changed between them
    assert admin_client.get(url, {"a": 1, "b": 99}).status_code == 404
    assert admin_client.get(url, {"a": "x", "b": 2}).status_code == 404


def test_restoring_a_revision_is_a_new_revision(admin_client, edited):
    url = reverse("admin:blog_post_revision_restore", args=[edited.pk, 1])
    assert admin_client.get(url).status_code == 405  # only by a form's POST
    answer = admin_client.post(url)
    assert answer.status_code == 302
    edited.refresh_from_db()
    assert edited.body == "第一行\n第二行\n第三行"
    latest = edited.revisions.order_by("-number").first()
    assert latest.number == 4 and latest.changes["restored"] == 1
    assert revisions.describe(latest.changes).startswith("恢复了第 1 版")


def test_someone_who_may_not_change_the_post_sees_no_history(client, edited, django_user_model):
    from django.contrib.auth.models import Permission

    reader = django_user_model.objects.create_user("reader", password="pw", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(reader)
    url = reverse("admin:blog_post_revision_restore", args=[edited.pk, 1])
    assert client.post(url).status_code == 403
    diff = reverse("admin:blog_post_revision_diff", args=[edited.pk])
    assert client.get(diff, {"a": 1, "b": 2}).status_code == 403


def test_saving_the_admin_form_records_the_user(admin_client, admin_user, category):
    admin_client.post(reverse("admin:blog_post_add"), post_form(category=category))
    assert Post.objects.get().revisions.get().user == admin_user
