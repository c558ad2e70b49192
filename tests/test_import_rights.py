"""Who may import what (issue 10, finding 2): the importer asks blog.permissions for every
update, every new category, every author named and every file that would publish."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from blog.importing import Importer
from blog.models import Category, Post


def staff(username, *codenames):
    user = get_user_model().objects.create_user(username, password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="blog", codename__in=codenames)
    )
    return get_user_model().objects.get(pk=user.pk)  # no cached permissions


AUTHOR = ("add_post",)
CHANGER = ("add_post", "change_post")
CATEGORIZER = ("add_post", "change_post", "add_category")
EDITOR = ("add_post", "change_post", "add_category", "publish_post")


@pytest.fixture
def editor(db):
    return staff("editor", *EDITOR)


@pytest.fixture
def live_post(make_post, editor):
    return make_post(slug="target", title="编辑的文章", body="原文", author=editor)


def upload(client, user, text, name="post.md", **data):
    client.force_login(user)
    file = SimpleUploadedFile(name, text.encode())
    response = client.post("/admin/blog/post/import/", {"upload": file, **data})
    assert response.status_code == 200
    return response.content.decode()


HOSTILE = "---\ntitle: 覆盖\nslug: target\nauthor: editor\ncategories: 新分类\n---\n被覆盖了\n"


def test_an_author_cannot_overwrite_a_post_through_the_upload(client, live_post):
    author = staff("author", *AUTHOR)
    html = upload(client, author, HOSTILE)
    live_post.refresh_from_db()
    assert (live_post.title, live_post.body, live_post.author.username) == (
        "编辑的文章",
        "原文",
        "editor",
    )
    assert "would update the post at /posts/target/, which you may not change" in html
    assert "0 created, 0 updated, 0 unchanged, 1 failed." in html
    assert not Category.objects.filter(name="新分类").exists()


def test_an_author_cannot_create_a_category(client, category):
    author = staff("author", *CHANGER)
    text = "---\ntitle: 新文章\ncategories: 新分类\ndraft: true\n---\nx\n"
    html = upload(client, author, text)
    assert "the category &#x27;新分类&#x27; does not exist" in html
    assert not Post.objects.exists() and not Category.objects.filter(name="新分类").exists()


def test_an_author_imports_as_themselves_and_as_a_draft(client, category, editor):
    author = staff("author", *AUTHOR)
    text = f"---\ntitle: 新文章\nauthor: editor\ncategories: {category.name}\n---\nx\n"
    html = upload(client, author, text)
    post = Post.objects.get(slug="post")
    assert post.author == author and post.status == Post.Status.DRAFT
    assert "author &#x27;editor&#x27; not taken: the post is yours" in html
    assert "imported as a draft: publishing is an editor&#x27;s decision" in html


def test_a_changer_updates_their_own_draft_but_not_others_or_live_ones(
    make_post, category, tmp_path
):
    changer = staff("changer", *CHANGER)
    other = staff("other", *CHANGER)
    make_post(slug="mine", author=changer, status=Post.Status.DRAFT)
    make_post(slug="theirs", author=other, status=Post.Status.DRAFT)
    make_post(slug="mine-live", author=changer)
    folder = tmp_path
    for slug in ("mine", "theirs", "mine-live"):
        (folder / f"{slug}.md").write_text(
            f"---\ntitle: 改过\ncategories: {category.name}\ndraft: true\n---\n新\n"
        )
    report = Importer(user=changer).run([folder])
    outcomes = {r.path.rsplit("/", 1)[1]: (r.outcome, r.reason) for r in report.results}
    assert outcomes["mine.md"][0] == "updated"
    assert outcomes["theirs.md"][0] == "failed"
    assert "/posts/theirs/, which you may not change" in outcomes["theirs.md"][1]
    assert outcomes["mine-live.md"][0] == "failed"
    assert Post.objects.get(slug="mine").title == "改过"
    assert Post.objects.get(slug="theirs").body != "新"
    live = Post.objects.get(slug="mine-live")
    assert live.status == Post.Status.PUBLISHED and live.body != "新"


def test_a_user_who_may_add_categories_creates_one(db, client):
    user = staff("categorizer", *CATEGORIZER)
    html = upload(client, user, "---\ntitle: 新\ncategories: 新分类\ndraft: true\n---\nx\n")
    assert "1 created" in html
    assert Post.objects.get().category.name == "新分类"


def test_an_editor_may_overwrite_name_an_author_and_publish(client, live_post, editor):
    writer = staff("writer", *AUTHOR)
    text = HOSTILE.replace("author: editor", "author: writer")
    html = upload(client, editor, text)
    assert "0 created, 1 updated" in html
    live_post.refresh_from_db()
    assert (live_post.body, live_post.author, live_post.status) == (
        "被覆盖了",
        writer,
        Post.Status.PUBLISHED,
    )


def test_the_command_line_has_every_right(db, tmp_path, editor):
    (tmp_path / "a.md").write_text("---\ntitle: 命令行\nauthor: editor\ncategories: 新\n---\nx\n")
    report = Importer().run([tmp_path])
    assert report.count("created") == 1
    post = Post.objects.get()
    assert post.author == editor and post.status == Post.Status.PUBLISHED


def test_a_dry_run_reports_what_the_user_may_not_do(live_post, tmp_path):
    author = staff("author", *AUTHOR)
    (tmp_path / "target.md").write_text(HOSTILE)
    report = Importer(user=author, dry_run=True).run([tmp_path])
    assert report.failed == 1 and "/posts/target/" in report.results[0].reason


def test_a_scheduled_post_is_live_and_the_changer_may_not_touch_it(make_post, tmp_path):
    changer = staff("changer", *CHANGER)
    make_post(slug="later", author=changer, published_at=timezone.now() + timedelta(days=1))
    (tmp_path / "later.md").write_text("---\ntitle: 提前\ndraft: true\n---\nx\n")
    report = Importer(user=changer).run([tmp_path])
    assert report.failed == 1
    assert Post.objects.get(slug="later").status == Post.Status.PUBLISHED


def test_a_refusal_never_shows_the_title_of_someone_else_s_draft(client, make_post, editor):
    """Found in review: a dry run naming a draft's slug read its title back to a user who
    may only add posts."""
    make_post(slug="secret-plan", title="绝密：并购公告", status=Post.Status.DRAFT, author=editor)
    author = staff("author", *AUTHOR)
    html = upload(client, author, "---\ntitle: hi\nslug: secret-plan\n---\nbody\n", dry_run="on")
    assert "which you may not change" in html
    assert "绝密" not in html
