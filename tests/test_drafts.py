"""Changes to a live post kept as a draft: readers keep the published version, the form opens
on the draft, a shared preview link shows it until it expires, and publishing the changes
(an ordinary save) makes them live."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from blog.models import Post, PreviewLink, Revision
from tests.forms import post_form


def change_url(post):
    return reverse("admin:blog_post_change", args=[post.pk])


def test_a_live_post_s_draft_is_invisible_to_readers_until_published(
    admin_client, client, make_post
):
    post = make_post(title="线上的文章", body="已发布的正文。", summary="摘要。")
    form = post_form(post, body="还在改的新正文。", _save_draft="1")
    answer = admin_client.post(change_url(post), form)
    assert answer.status_code == 302 and answer["Location"] == change_url(post)
    stored = Post.objects.get(pk=post.pk)
    assert stored.body == "已发布的正文。" and stored.pending.kind == Revision.Kind.DRAFT
    assert "已发布的正文。" in client.get(post.get_absolute_url()).content.decode()
    assert "还在改的新正文。" not in client.get("/feed/").content.decode()
    # The list says so, and filters on it.
    listing = admin_client.get(reverse("admin:blog_post_changelist") + "?draft=yes")
    assert "线上的文章" in listing.content.decode()
    # Opened again, the form is the draft.
    page = admin_client.get(change_url(post)).content.decode()
    assert "还在改的新正文。" in page and "writing-draft-note" in page
    # Published: live, and no draft pending.
    assert (
        admin_client.post(change_url(post), post_form(post, body="还在改的新正文。")).status_code
        == 302
    )
    stored = Post.objects.get(pk=post.pk)
    assert stored.body == "还在改的新正文。" and stored.pending is None
    assert "还在改的新正文。" in client.get(post.get_absolute_url()).content.decode()


def test_a_draft_can_be_discarded(admin_client, make_post):
    post = make_post(body="原文。")
    admin_client.post(change_url(post), post_form(post, body="草稿。", _save_draft="1"))
    admin_client.post(change_url(post), {"_discard_draft": "1"})
    stored = Post.objects.get(pk=post.pk)
    assert stored.pending is None and stored.body == "原文。"
    assert "草稿。" not in admin_client.get(change_url(post)).content.decode()
    assert Revision.objects.filter(post=post, kind=Revision.Kind.DRAFT).exists()  # in history


def test_a_preview_link_shows_the_draft_until_it_expires(admin_client, client, make_post):
    post = make_post(body="原文。", summary="摘要。")
    admin_client.post(change_url(post), post_form(post, body="给同事看的草稿。", _save_draft="1"))
    answer = admin_client.post(reverse("admin:blog_post_preview_link", args=[post.pk]), follow=True)
    url = re.search(r"(http://testserver/preview/[\w-]+/)", answer.content.decode()).group(1)
    shown = client.get(url)  # signed out
    assert shown.status_code == 200 and "给同事看的草稿。" in shown.content.decode()
    assert "no-store" in shown["Cache-Control"] and "noindex" in shown["X-Robots-Tag"]
    PreviewLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 404
    assert client.get("/preview/not-a-token/").status_code == 404


def test_a_preview_link_of_a_draft_post_shows_it(admin_client, client, make_post):
    post = make_post(status=Post.Status.DRAFT, body="从未发布的草稿。")
    admin_client.post(reverse("admin:blog_post_preview_link", args=[post.pk]))
    link = PreviewLink.objects.get()
    assert "从未发布的草稿。" in client.get(f"/preview/{link.token}/").content.decode()
    assert client.get(post.get_absolute_url()).status_code == 404


def test_only_those_who_may_change_the_post_make_links(client, make_post, django_user_model):
    user = django_user_model.objects.create_user("viewer", password="pw-123456789", is_staff=True)
    client.force_login(user)
    post = make_post()
    answer = client.post(reverse("admin:blog_post_preview_link", args=[post.pk]))
    assert answer.status_code == 403 and not PreviewLink.objects.exists()
    assert client.get(reverse("admin:blog_post_preview_link", args=[post.pk])).status_code == 405
