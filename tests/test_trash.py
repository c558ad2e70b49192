"""The trash: deleting a post moves it there (readers get 410 Gone, feeds and search drop it at
once), it comes back as it was from the trash's list, and empty_trash deletes what has been
there longer than BLOG_TRASH_DAYS."""

import contextlib
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from blog import publishing
from blog.models import Post, Revision
from tests.forms import post_form


def listed(client, post):
    """Where readers find `post`: the home page, the feed and a search for its title word."""
    return {
        "home": post.title in client.get("/").content.decode(),
        "feed": post.title in client.get("/feed/").content.decode(),
        "search": post.title in client.get("/search/?q=梯度下降").content.decode(),
    }


def test_a_deleted_post_is_gone_and_comes_back_as_it_was(admin_client, client, make_post):
    post = make_post(
        title="回收站测试的文章", body="梯度下降的正文。", tags=["甲"], summary="摘要。"
    )
    assert listed(client, post) == {"home": True, "feed": True, "search": True}
    confirm = admin_client.get(reverse("admin:blog_post_delete", args=[post.pk]))
    assert "回收站" in confirm.content.decode() or "trash" in confirm.content.decode()
    answer = admin_client.post(reverse("admin:blog_post_delete", args=[post.pk]), {"post": "yes"})
    assert answer.status_code == 302
    assert client.get(post.get_absolute_url()).status_code == 410
    assert listed(client, post) == {"home": False, "feed": False, "search": False}
    assert not Post.objects.filter(pk=post.pk).exists()
    trashed = Post.all_objects.get(pk=post.pk)
    assert trashed.deleted_at is not None and trashed.revisions.exists()

    trash = admin_client.get(reverse("admin:blog_trashedpost_changelist"))
    assert "回收站测试的文章" in trash.content.decode()
    admin_client.post(
        reverse("admin:blog_trashedpost_changelist"),
        {"action": "restore", "_selected_action": [post.pk]},
    )
    assert client.get(post.get_absolute_url()).status_code == 200
    assert listed(client, post) == {"home": True, "feed": True, "search": True}
    assert list(Post.objects.get(pk=post.pk).tags.names()) == ["甲"]


def test_the_list_s_action_moves_posts_to_the_trash(admin_client, client, make_post):
    posts = [make_post(), make_post()]
    answer = admin_client.post(
        reverse("admin:blog_post_changelist"),
        {"action": "trash_selected", "_selected_action": [p.pk for p in posts]},
        follow=True,
    )
    assert answer.status_code == 200
    assert Post.all_objects.filter(deleted_at__isnull=False).count() == 2
    assert all(client.get(p.get_absolute_url()).status_code == 410 for p in posts)


def test_a_draft_in_the_trash_was_never_anywhere(client, make_post):
    draft = make_post(status=Post.Status.DRAFT)
    publishing.trash_posts([draft])
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_empty_trash_deletes_what_is_older_than_the_limit(make_post, settings):
    settings.BLOG = {**settings.BLOG, "TRASH_DAYS": 30}
    old, recent, kept = make_post(), make_post(), make_post()
    publishing.trash_posts([old, recent])
    Post.all_objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    out = io.StringIO()
    call_command("empty_trash", stdout=out)
    assert "1 post(s) deleted" in out.getvalue()
    assert set(Post.all_objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}
    assert not Revision.objects.filter(post_id=old.pk).exists()


def test_a_slug_of_a_post_in_the_trash_is_a_form_error_not_a_failure(admin_client, make_post):
    post = make_post(slug="in-the-trash")
    publishing.trash_posts([post])
    form = post_form(category=post.category, slug="in-the-trash", title="同名")
    answer = admin_client.post(reverse("admin:blog_post_add"), form)
    assert answer.status_code == 200
    assert 'id="id_slug"' in answer.content.decode()
    assert answer.context["adminform"].form.errors["slug"]


def test_an_import_of_a_post_in_the_trash_says_so(db, tmp_path):
    path = tmp_path / "gd.md"
    path.write_text("---\ntitle: 梯度下降\nslug: gd\n---\n正文。\n", encoding="utf-8")
    call_command("import_markdown", str(path), stdout=io.StringIO())
    publishing.trash_posts(list(Post.objects.all()))
    path.write_text("---\ntitle: 梯度下降（改）\nslug: gd\n---\n正文。\n", encoding="utf-8")
    out = io.StringIO()
    with contextlib.suppress(CommandError):  # a file that could not be imported
        call_command("import_markdown", str(path), stdout=out, stderr=out)
    assert "in the trash" in out.getvalue()
    assert Post.all_objects.count() == 1


@pytest.fixture
def author(django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("author", password="pw-123456789", is_staff=True)
    codenames = ("view_post", "add_post", "change_post", "delete_post")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_an_author_trashes_their_own_drafts_only(client, author, make_post):
    client.force_login(author)
    mine = make_post(status=Post.Status.DRAFT, author=author)
    others = make_post(status=Post.Status.DRAFT)
    client.post(
        reverse("admin:blog_post_changelist"),
        {"action": "trash_selected", "_selected_action": [mine.pk, others.pk]},
    )
    assert list(Post.all_objects.filter(deleted_at__isnull=False)) == [mine]


def test_deleting_a_category_with_posts_moves_them_first(admin_client, client, make_post, category):
    from blog.models import Category

    other = publishing.save_category(Category(name="机器学习", slug="ml"))
    live, trashed = make_post(), make_post()
    publishing.trash_posts([trashed])
    url = reverse("admin:blog_category_delete", args=[category.pk])
    asked = admin_client.get(url).content.decode()
    assert "机器学习" in asked and 'name="into"' in asked
    assert admin_client.post(url, {"into": ""}).status_code == 200  # a choice is needed
    assert Category.objects.filter(pk=category.pk).exists()
    assert admin_client.post(url, {"into": other.pk}).status_code == 302
    assert not Category.objects.filter(pk=category.pk).exists()
    assert set(Post.all_objects.values_list("category_id", flat=True)) == {other.pk}
    assert client.get("/category/deep-learning/").headers["Location"] == "/category/ml/"
    assert live.title in client.get("/category/ml/").content.decode()
