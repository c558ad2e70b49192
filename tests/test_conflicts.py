"""Two people editing the same post: a save from a form opened before the other's save is
refused with their name, their time and a diff; the refused text stays in the form and is
kept as a revision; saving again, having seen it, goes through."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from blog import publishing
from blog.models import Post, Revision
from tests.forms import post_form


@pytest.fixture
def two_editors(django_user_model):
    users = [
        django_user_model.objects.create_superuser(name, f"{name}@example.com", "pw-123456789")
        for name in ("lin", "wang")
    ]
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def change_url(post):
    return reverse("admin:blog_post_change", args=[post.pk])


def opened(client, post):
    """The form as a browser got it: the version it carries."""
    page = client.get(change_url(post)).content.decode()
    return int(re.search(r'name="opened_version" value="(\d+)"', page).group(1))


def test_the_second_of_two_stale_forms_is_refused_and_keeps_its_text(two_editors, make_post):
    lin, wang = two_editors
    post = make_post(body="第一段。\n\n第二段。", summary="摘要。")
    version = opened(lin, post)
    assert opened(wang, post) == version
    first = post_form(post, body="第一段。\n\n林改的第二段。", opened_version=version)
    assert lin.post(change_url(post), first).status_code == 302
    second = post_form(post, body="王改的第一段。\n\n第二段。", opened_version=version)
    answer = wang.post(change_url(post), second)
    page = answer.content.decode()
    assert answer.status_code == 200
    post.refresh_from_db()
    assert post.body == "第一段。\n\n林改的第二段。"  # nothing of lin's was overwritten
    kept = post.revisions.get(kind=Revision.Kind.CONFLICT)
    assert kept.body == "王改的第一段。\n\n第二段。" and kept.user.username == "wang"
    text = unescape(page)
    assert "lin saved this post at" in text or "lin 在" in text
    assert f"revision {kept.number}" in text or f"第 {kept.number} 版" in text
    assert "王改的第一段。" in text  # still in the form
    assert 'class="edit-conflict"' in page and "林改的第二段。" in text  # their side of the diff
    # The form now carries the version it was compared with: sent again, it is saved.
    again = re.search(r'name="opened_version" value="(\d+)"', page).group(1)
    assert int(again) == post.version
    answer = wang.post(change_url(post), {**second, "opened_version": again})
    assert answer.status_code == 302
    post.refresh_from_db()
    assert post.body == "王改的第一段。\n\n第二段。"


def test_a_stale_form_that_sends_what_is_there_now_is_no_conflict(two_editors, make_post):
    lin, wang = two_editors
    post = make_post(body="原文。", summary="摘要。")
    version = opened(lin, post)
    assert (
        lin.post(
            change_url(post), post_form(post, body="同样的改动。", opened_version=version)
        ).status_code
        == 302
    )
    same = post_form(post, body="同样的改动。", opened_version=version)
    assert wang.post(change_url(post), same).status_code == 302
    assert not Revision.objects.filter(kind=Revision.Kind.CONFLICT).exists()


def test_every_kind_of_save_moves_the_version_on(admin_client, make_post):
    post = make_post(status=Post.Status.DRAFT)
    versions = [Post.objects.get(pk=post.pk).version]
    post.body = "改了。"
    publishing.save_post(post)
    versions.append(Post.objects.get(pk=post.pk).version)
    publishing.publish(Post.objects.filter(pk=post.pk))
    versions.append(Post.objects.get(pk=post.pk).version)
    publishing.unpublish(Post.objects.filter(pk=post.pk))
    versions.append(Post.objects.get(pk=post.pk).version)
    publishing.rerender(Post.objects.filter(pk=post.pk))  # not a change of anyone's
    versions.append(Post.objects.get(pk=post.pk).version)
    assert versions == sorted(versions) and len(set(versions)) == 4


def test_a_form_published_from_meanwhile_is_refused(admin_client, make_post, django_user_model):
    # An editor publishes with the list's action while another has the draft open.
    post = make_post(status=Post.Status.DRAFT, summary="摘要。")
    version = opened(admin_client, post)
    publishing.publish(Post.objects.filter(pk=post.pk))
    stale = post_form(post, status="draft", body="还在写。", opened_version=version)
    answer = admin_client.post(change_url(post), stale)
    assert answer.status_code == 200 and 'class="edit-conflict"' in answer.content.decode()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
