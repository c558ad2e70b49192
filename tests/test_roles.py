"""The two roles as groups a migration makes: authors write, preview and submit their own
posts for review, and cannot publish or touch others'; editors publish any post."""

from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from blog.models import Post
from tests.forms import post_form


def member(django_user_model, name, group):
    user = django_user_model.objects.create_user(name, password="pw-123456789", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_the_migration_makes_both_groups(db):
    authors = set(Group.objects.get(name="authors").permissions.values_list("codename", flat=True))
    editors = set(Group.objects.get(name="editors").permissions.values_list("codename", flat=True))
    assert {"add_post", "change_post", "view_post", "add_image"} <= authors
    assert "publish_post" not in authors and "publish_post" in editors
    assert authors < editors


def test_an_author_submits_for_review_and_cannot_publish(client, django_user_model, category):
    author = member(django_user_model, "author", "authors")
    client.force_login(author)
    form = post_form(category=category, title="作者的文章", slug="by-author", status="published")
    form["_submit_review"] = "1"
    assert client.post(reverse("admin:blog_post_add"), form).status_code == 302
    post = Post.objects.get(slug="by-author")
    assert post.status == Post.Status.REVIEW and post.author == author
    assert Client().get(post.get_absolute_url()).status_code == 404  # not for readers
    assert client.get(post.get_absolute_url()).status_code == 200  # its author previews it
    listing = client.get(reverse("admin:blog_post_changelist")).content.decode()
    assert 'value="publish"' not in listing
    client.post(
        reverse("admin:blog_post_changelist"),
        {"action": "publish", "_selected_action": [post.pk]},
    )
    assert Post.objects.get(pk=post.pk).status == Post.Status.REVIEW


def test_an_author_cannot_change_an_editor_s_post(client, django_user_model, make_post):
    author = member(django_user_model, "author", "authors")
    editor = member(django_user_model, "editor", "editors")
    post = make_post(status=Post.Status.DRAFT, author=editor, body="编辑的草稿。")
    client.force_login(author)
    answer = client.post(
        reverse("admin:blog_post_change", args=[post.pk]), post_form(post, body="改掉！")
    )
    assert answer.status_code in (302, 403)
    assert Post.objects.get(pk=post.pk).body == "编辑的草稿。"


def test_an_editor_publishes_what_was_submitted(client, django_user_model, make_post):
    author = member(django_user_model, "author", "authors")
    editor = member(django_user_model, "editor", "editors")
    post = make_post(status=Post.Status.REVIEW, author=author)
    client.force_login(editor)
    page = client.get(reverse("admin:blog_post_changelist") + "?status__exact=review")
    assert post.title in page.content.decode()
    client.post(
        reverse("admin:blog_post_changelist"),
        {"action": "publish", "_selected_action": [post.pk]},
    )
    assert Post.objects.get(pk=post.pk).status == Post.Status.PUBLISHED
    assert client.get(post.get_absolute_url()).status_code == 200
