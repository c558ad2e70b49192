"""Who may do what in the admin: authors write and change their own drafts; editors (who
hold blog.publish_post) publish, unpublish, reschedule and change any post. The importer's
side of the same rule is in the import tests."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from blog.models import Post
from tests.forms import post_form

AUTHOR = ("view_post", "add_post", "change_post", "delete_post")
EDITOR = (*AUTHOR, "publish_post")


@pytest.fixture
def staff(django_user_model):
    def make(name, codenames):
        user = django_user_model.objects.create_user(name, password="pw-123456789", is_staff=True)
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
        return user

    return make


@pytest.fixture
def author(staff):
    return staff("author", AUTHOR)


@pytest.fixture
def editor(staff):
    return staff("editor", EDITOR)


def assert_cannot_publish_or_unpublish(client, draft, live):
    """The list offers the logged-in user neither action, and posting them changes nothing."""
    listing = client.get("/admin/blog/post/").content.decode()
    assert 'value="publish"' not in listing and 'value="unpublish"' not in listing
    for action, post in (("publish", draft), ("unpublish", live)):
        client.post("/admin/blog/post/", {"action": action, "_selected_action": [post.pk]})
    draft.refresh_from_db()
    live.refresh_from_db()
    assert draft.status == Post.Status.DRAFT and live.status == Post.Status.PUBLISHED


def test_a_user_who_may_only_view_posts_cannot_publish_or_unpublish(client, staff, make_post):
    draft = make_post(status=Post.Status.DRAFT)
    live = make_post()
    client.force_login(staff("viewer", ("view_post",)))
    assert_cannot_publish_or_unpublish(client, draft, live)


def test_only_editors_get_the_publish_and_unpublish_actions(client, author, editor, make_post):
    draft = make_post(status=Post.Status.DRAFT, author=author)
    live = make_post(author=author)
    client.force_login(author)
    assert_cannot_publish_or_unpublish(client, draft, live)

    client.force_login(editor)
    listing = client.get("/admin/blog/post/").content.decode()
    assert 'value="publish"' in listing and 'value="unpublish"' in listing
    client.post("/admin/blog/post/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Post.Status.PUBLISHED


def test_an_author_s_new_post_is_their_draft_whatever_the_form_says(
    client, author, editor, category
):
    client.force_login(author)
    html = client.get("/admin/blog/post/add/").content.decode()
    assert 'name="status"' not in html and 'name="published_at_0"' not in html
    assert 'name="author"' not in html
    response = client.post(
        "/admin/blog/post/add/",
        post_form(category=category, status="published", author=str(editor.pk)),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = Post.objects.get()
    assert post.status == Post.Status.DRAFT
    assert post.author == author
    assert client.get(post.get_absolute_url()).status_code == 200  # their own preview


def test_an_author_changes_their_own_drafts_only(client, author, editor, make_post):
    own = make_post(status=Post.Status.DRAFT, author=author, title="我的草稿")
    theirs = make_post(status=Post.Status.DRAFT, author=editor, title="编辑的草稿")
    own_live = make_post(author=author, title="我已发布的")
    scheduled = make_post(author=author, published_at=timezone.now() + timedelta(days=2))
    client.force_login(author)

    response = client.post(f"/admin/blog/post/{own.pk}/change/", post_form(own, title="改过"))
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.title == "改过" and own.status == Post.Status.DRAFT

    for post in (theirs, own_live, scheduled):
        page = client.get(f"/admin/blog/post/{post.pk}/change/")
        assert page.status_code == 200  # they may read it
        assert 'name="_save"' not in page.content.decode()  # but it opens read-only
        refused = client.post(f"/admin/blog/post/{post.pk}/change/", post_form(post, title="x"))
        assert refused.status_code == 403
        post.refresh_from_db()
        assert post.title != "x"


def test_an_author_cannot_delete_a_live_post(client, author, make_post):
    own_live = make_post(author=author)
    own_draft = make_post(author=author, status=Post.Status.DRAFT)
    client.force_login(author)
    refused = client.post(f"/admin/blog/post/{own_live.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 403
    assert Post.objects.filter(pk=own_live.pk).exists()
    client.post(
        "/admin/blog/post/",
        {"action": "delete_selected", "_selected_action": [own_live.pk], "post": "yes"},
    )
    assert Post.objects.filter(pk=own_live.pk).exists()
    client.post(f"/admin/blog/post/{own_draft.pk}/delete/", {"post": "yes"})
    assert not Post.objects.filter(pk=own_draft.pk).exists()


def test_an_editor_publishes_reschedules_and_changes_anyone_s_post(
    client, author, editor, make_post
):
    draft = make_post(status=Post.Status.DRAFT, author=author)
    client.force_login(editor)
    html = client.get(f"/admin/blog/post/{draft.pk}/change/").content.decode()
    assert 'name="status"' in html and 'name="author"' in html
    response = client.post(
        f"/admin/blog/post/{draft.pk}/change/",
        post_form(draft, status="published", published_at_0="2031-05-01", author=str(editor.pk)),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.is_scheduled and draft.author == editor


def test_previews_follow_who_may_change_the_post(client, author, editor, make_post):
    own = make_post(status=Post.Status.DRAFT, author=author, slug="own-draft")
    theirs = make_post(status=Post.Status.DRAFT, author=editor, slug="their-draft")
    client.force_login(author)
    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404
    client.force_login(editor)
    assert client.get(own.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 200


SINGLE_PERMISSIONS = [
    ("blog", codename)
    for codename in (
        "view_post", "add_post", "change_post", "delete_post", "publish_post",
        "view_category", "add_category", "change_category", "delete_category",
    )
] + [("taggit", c) for c in ("view_tag", "add_tag", "change_tag", "delete_tag")]  # fmt: skip


@pytest.mark.parametrize("app_label, codename", SINGLE_PERMISSIONS)
def test_one_permission_alone_changes_no_one_else_s_post(
    client, django_user_model, editor, make_post, app_label, codename
):
    """A staff account with a single permission tries every admin page and action on posts
    it did not write: nothing answers 500, and no existing post changes."""
    draft = make_post(status=Post.Status.DRAFT, author=editor, tags=["草稿标签"])
    live = make_post(author=editor, tags=["已发布标签"])
    tag = live.tags.get()
    snapshot = lambda: sorted(  # noqa: E731
        Post.objects.values_list("id", "title", "status", "published_at", "body", "author_id")
    )
    before = snapshot()
    user = django_user_model.objects.create_user("one", password="pw-123456789", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
    )
    client.force_login(user)
    posts = "/admin/blog/post/"
    attempts = [
        ("get", posts, {}),
        ("get", f"{posts}add/", {}),
        ("get", f"{posts}import/", {}),
        ("get", "/admin/blog/category/", {}),
        ("get", "/admin/taggit/tag/", {}),
        ("get", f"/admin/taggit/tag/{tag.pk}/change/", {}),
        ("get", f"/admin/blog/category/{live.category_id}/change/", {}),
        ("get", draft.get_absolute_url(), {}),
    ]
    for post in (draft, live):
        for page in ("change", "delete", "history"):
            attempts.append(("get", f"{posts}{post.pk}/{page}/", {}))
        attempts += [
            ("post", f"{posts}{post.pk}/change/", post_form(post, title="改写", status="draft")),
            ("post", f"{posts}{post.pk}/delete/", {"post": "yes"}),
        ]
        for action in ("publish", "unpublish", "delete_selected"):
            attempts.append(
                ("post", posts, {"action": action, "_selected_action": [post.pk], "post": "yes"})
            )
    attempts.append(
        ("post", "/admin/taggit/tag/", {"action": "merge", "_selected_action": [tag.pk]})
    )
    for method, url, data in attempts:
        response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302, 403, 404), (codename, method, url)
    assert snapshot() == before, codename


def test_a_scheduled_post_is_previewed_by_editors_only(client, author, editor, make_post):
    """Found in review: an author previewed their scheduled post, which they may not change
    (it is live); a preview follows the right to change that post."""
    scheduled = make_post(author=author, published_at=timezone.now() + timedelta(days=2))
    client.force_login(author)
    assert client.get(scheduled.get_absolute_url()).status_code == 404
    client.force_login(editor)
    assert client.get(scheduled.get_absolute_url()).status_code == 200
