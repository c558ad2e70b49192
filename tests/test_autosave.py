"""Autosave: what an author types is kept on the server (one kept text per author and post,
written over), offered back when the form is opened again, and gone once the post is saved;
it never changes the post."""

import json
import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from blog.models import Post, Revision
from tests.forms import post_form

URL = reverse("admin:blog_post_autosave")


def kept(**filters):
    return Revision.objects.filter(kind=Revision.Kind.AUTOSAVE, **filters)


def offered(page):
    """The text the change form offers back, as its script reads it."""
    found = re.search(
        r'<script id="writing-autosave-offer-data" type="application/json">(.*?)</script>',
        page,
        re.S,
    )
    return json.loads(found.group(1)) if found else None


def test_typing_is_kept_in_place_and_offered_when_the_post_is_opened_again(
    admin_client, admin_user, make_post
):
    post = make_post(body="原文。", summary="摘要。")
    version = Post.objects.get(pk=post.pk).version
    for text in ("原文。再写", "原文。再写一句话，还没写完"):
        answer = admin_client.post(URL, {"post": post.pk, "title": post.title, "body": text})
        assert answer.status_code == 200 and answer["Cache-Control"].startswith("max-age=0")
    assert kept(post=post, user=admin_user).count() == 1
    assert kept().get().body == "原文。再写一句话，还没写完"
    fresh = Post.objects.get(pk=post.pk)
    assert fresh.body == "原文。" and fresh.version == version  # nothing went live
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    offer = offered(page)
    assert offer["body"] == "原文。再写一句话，还没写完" and offer["title"] == post.title
    assert offer["shown"]
    # Saved: nothing left to offer.
    form = post_form(post, body="原文。再写一句话，写完了。")
    assert (
        admin_client.post(reverse("admin:blog_post_change", args=[post.pk]), form).status_code
        == 302
    )
    assert not kept().exists()
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert offered(page) is None


def test_a_new_post_s_text_is_offered_on_the_add_form(admin_client, category):
    answer = admin_client.post(
        URL, {"post": "", "title": "草稿标题", "body": "新文章写到一半", "tags": "甲, 乙"}
    )
    assert answer.status_code == 200
    offer = offered(admin_client.get(reverse("admin:blog_post_add")).content.decode())
    assert (
        offer["body"] == "新文章写到一半" and offer["tags"] == "乙, 甲" or offer["tags"] == "甲, 乙"
    )
    form = post_form(category=category, title="草稿标题", slug="draft-title", body="新文章写完了")
    assert admin_client.post(reverse("admin:blog_post_add"), form).status_code == 302
    assert not kept().exists()


def test_text_the_same_as_the_post_is_not_offered(admin_client, make_post):
    post = make_post(body="原文。", summary="摘要。")
    same = {"post": post.pk, "title": post.title, "slug": post.slug, "summary": "摘要。"}
    admin_client.post(URL, {**same, "body": "原文。", "category": post.category_id})
    page = admin_client.get(reverse("admin:blog_post_change", args=[post.pk])).content.decode()
    assert offered(page) is None


def test_discarding_removes_the_kept_text(admin_client, make_post):
    post = make_post()
    admin_client.post(URL, {"post": post.pk, "body": "写了一半"})
    assert admin_client.post(URL, {"post": post.pk, "discard": "1"}).json() == {"discarded": True}
    assert not kept().exists()


@pytest.fixture
def author(django_user_model):
    user = django_user_model.objects.create_user("author", password="pw-123456789", is_staff=True)
    codenames = ("view_post", "add_post", "change_post")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_an_author_keeps_no_text_for_a_post_they_may_not_change(client, author, make_post):
    client.force_login(author)
    others = make_post(status=Post.Status.DRAFT)  # no author: not theirs
    assert client.post(URL, {"post": others.pk, "body": "不是我的"}).status_code == 403
    assert client.post(URL, {"post": 10**9, "body": "没有这篇"}).status_code == 404
    assert client.post(URL, {"post": "", "body": "我的新文章"}).status_code == 200
    assert kept(user=author, post__isnull=True).exists()


def test_bad_requests_get_clear_answers(admin_client, client, make_post, settings):
    assert admin_client.get(URL).status_code == 405
    too_big = "字" * (settings.BLOG["MAX_ARTICLE_BYTES"] // 3 + 10)
    assert admin_client.post(URL, {"post": "", "body": too_big}).status_code == 413
    assert not kept().exists()
    assert client.post(URL, {"post": "", "body": "x"}).status_code == 302  # signed out: log in
