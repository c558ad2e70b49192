"""One way in for every change: the write path, its one announcement after commit, the edit
time apart from freshness, and what feeds do with it."""

import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from taggit.models import Tag

from blog import freshness, publishing
from blog.changes import content_changed
from blog.models import Post, SearchEntry
from blog.search import search_posts

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def announcements():
    """Every Change the write path announces, in order."""
    seen = []

    def listen(sender, change, **kwargs):
        seen.append(change)

    content_changed.connect(listen)
    yield seen
    content_changed.disconnect(listen)


def found(query):
    return [p.slug for p in search_posts(Post.objects.published(), query)[0]]


def index_writes(queries):
    return [
        q["sql"]
        for q in queries
        if "blog_searchentry" in q["sql"] and q["sql"].lstrip().startswith(("UPDATE", "INSERT"))
    ]


def change_form(post, **changes):
    """The admin's change form for `post` as a browser submits it, untouched unless told."""
    moment = timezone.localtime(post.published_at)
    data = {
        "title": post.title,
        "slug": post.slug,
        "category": post.category_id,
        "tags": ", ".join(t.name for t in post.tags.all()),
        "body": post.body,
        "summary": post.summary,
        "status": post.status,
        "published_at_0": f"{moment:%Y-%m-%d}",
        "published_at_1": f"{moment:%H:%M:%S}",
        "initial-published_at_0": f"{moment:%Y-%m-%d}",
        "initial-published_at_1": f"{moment:%H:%M:%S}",
        "author": post.author_id or "",
    }
    data.update(changes)
    return data


# --- One announcement, after commit ---------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_change_is_announced_once_and_only_after_the_commit(announcements, category):
    announcements.clear()
    with transaction.atomic():
        post = publishing.create_post(title="一", slug="one", category=category, body="x")
        post.title = "二"
        publishing.save_post(post, tags=["甲", "乙"])
        publishing.publish(Post.objects.filter(pk=post.pk))
        assert announcements == []  # nothing before the commit
    assert len(announcements) == 1
    assert announcements[0].posts == {post.pk}
    assert announcements[0].categories == {category.pk}
    assert len(announcements[0].tags) == 2
    assert SearchEntry.objects.get(post=post).title == "二"


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_announces_nothing_and_keeps_the_generation(announcements, category):
    announcements.clear()
    before = freshness.generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        publishing.create_post(title="作废", slug="void", category=category, body="x")
        raise RuntimeError("the author's request failed")
    assert announcements == []
    assert not Post.objects.filter(slug="void").exists()
    assert freshness.generation() == before
    publishing.create_post(title="下一篇", slug="next", category=category, body="x")
    assert [c.posts for c in announcements] == [{Post.objects.get(slug="next").pk}]


def test_every_committed_change_moves_the_generation_once(make_post, category):
    """Once for the change, and once more when the search index has taken it in (a search
    built between the two must not be kept under the newer token)."""
    post = make_post()
    before = freshness.generation()[1]
    with transaction.atomic():
        post.title = "改名"
        publishing.save_post(post)
        publishing.save_post(post, tags=["新"])
    assert freshness.generation()[1] == before + 2
    with transaction.atomic():
        publishing.save_category(category)  # no post's entry changes: the index has no part
    assert freshness.generation()[1] == before + 3


def test_saving_without_a_change_moves_nothing(make_post, announcements):
    post = make_post(tags=["甲"])
    announcements.clear()
    before = freshness.current()
    publishing.save_post(Post.objects.get(pk=post.pk), tags=["甲"])
    assert announcements == [] and freshness.current() == before


def test_writes_around_the_write_path_are_still_announced(make_post, announcements, caplog):
    post = make_post()
    announcements.clear()
    token = freshness.current()
    post.title = "直接保存"
    post.save()  # as a shell session might
    assert freshness.current() != token
    assert [c.posts for c in announcements] == [{post.pk}]
    assert "outside blog.publishing" in caplog.text
    assert found("直接保存") == [post.slug]


# --- Counting: once per post --------------------------------------------------------------


def test_one_admin_save_with_tag_changes_indexes_the_post_once(admin_client, make_post):
    post = make_post(tags=["旧标签"])
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(
            f"/admin/blog/post/{post.pk}/change/",
            change_form(post, title="新标题", tags="新标签, 另一个"),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(index_writes(queries.captured_queries)) == 1
    assert found("新标签") == [post.slug] and found("旧标签") == []


def test_reimporting_a_file_with_new_tags_indexes_its_post_once(db, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "a.md"
    path.write_text("---\ntitle: 标签\ntags: [甲]\n---\n正文\n", encoding="utf-8")
    call_command("import_markdown", str(tmp_path), stdout=io.StringIO())
    path.write_text("---\ntitle: 标签\ntags: [乙, 丙]\n---\n正文\n", encoding="utf-8")
    with CaptureQueriesContext(connection) as queries:
        call_command("import_markdown", str(tmp_path), stdout=io.StringIO())
    assert len(index_writes(queries.captured_queries)) == 1
    assert found("丙") == ["a"]


# --- The publication rule -----------------------------------------------------------------


def test_publishing_a_draft_from_the_change_form_dates_it_now(admin_client, make_post):
    draft = make_post(status=Post.Status.DRAFT, published_at=timezone.now() - timedelta(days=30))
    response = admin_client.post(
        f"/admin/blog/post/{draft.pk}/change/", change_form(draft, status="published")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    assert timezone.now() - draft.published_at < timedelta(minutes=1)
    assert draft.first_published_at == draft.published_at


def test_a_date_the_author_sets_on_purpose_is_kept(admin_client, make_post):
    draft = make_post(status=Post.Status.DRAFT)
    response = admin_client.post(
        f"/admin/blog/post/{draft.pk}/change/",
        change_form(draft, status="published", published_at_0="2025-05-04"),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert timezone.localtime(draft.published_at).date().isoformat() == "2025-05-04"


def test_a_new_post_published_from_the_add_form_is_dated_when_saved(
    admin_client, category, time_machine
):
    time_machine.move_to(datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI), tick=False)
    opened = admin_client.get("/admin/blog/post/add/").content.decode()
    assert 'name="initial-published_at_0" value="2026/06/01"' in opened
    time_machine.move_to(datetime(2026, 6, 1, 10, 30, tzinfo=SHANGHAI), tick=False)
    response = admin_client.post(
        "/admin/blog/post/add/",
        {
            "title": "写了一个半小时",
            "slug": "written-slowly",
            "category": category.pk,
            "tags": "",
            "body": "正文",
            "summary": "",
            "status": "published",
            "published_at_0": "2026-06-01",
            "published_at_1": "09:00:00",
            "initial-published_at_0": "2026-06-01",
            "initial-published_at_1": "09:00:00",
            "author": "",
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(slug="written-slowly")
    assert post.published_at == datetime(2026, 6, 1, 10, 30, tzinfo=SHANGHAI)


def test_the_list_action_and_the_form_follow_the_same_rule(admin_client, make_post):
    past = make_post(status=Post.Status.DRAFT, published_at=timezone.now() - timedelta(days=9))
    future = make_post(status=Post.Status.DRAFT, published_at=timezone.now() + timedelta(days=2))
    admin_client.post(
        "/admin/blog/post/", {"action": "publish", "_selected_action": [past.pk, future.pk]}
    )
    past.refresh_from_db()
    future.refresh_from_db()
    assert timezone.now() - past.published_at < timedelta(minutes=1)
    assert future.is_scheduled


# --- The edit time ------------------------------------------------------------------------


def test_publishing_and_rerendering_do_not_change_the_edit_time(make_post):
    from django.core.management import call_command

    post = make_post(status=Post.Status.DRAFT)
    edited = Post.objects.get(pk=post.pk).updated_at
    publishing.publish(Post.objects.filter(pk=post.pk))
    Post.objects.filter(pk=post.pk).update(body_html="<p>stale</p>")  # as if the pipeline moved
    call_command("rerender_posts", stdout=io.StringIO())
    post.refresh_from_db()
    assert post.updated_at == edited and "stale" not in post.body_html


def test_an_edit_moves_the_edit_time(make_post, time_machine):
    post = make_post()
    time_machine.move_to(timezone.now() + timedelta(days=1))
    post.body = "改过"
    publishing.save_post(post)
    post.refresh_from_db()
    assert timezone.now() - post.updated_at < timedelta(minutes=1)


# --- Renames ------------------------------------------------------------------------------


def test_renaming_a_category_of_2000_posts_takes_seconds_and_edits_none(
    admin_client, many_posts, category
):
    many_posts(2000)
    stamps = dict(Post.objects.values_list("pk", "updated_at"))
    began = time.perf_counter()
    response = admin_client.post(
        f"/admin/blog/category/{category.pk}/change/",
        {"name": "机器学习", "slug": category.slug, "description": ""},
    )
    took = time.perf_counter() - began
    assert response.status_code == 302
    assert took < 5, f"renaming took {took:.1f} s"
    assert dict(Post.objects.values_list("pk", "updated_at")) == stamps
    results = search_posts(Post.objects.published(), "机器学习")[0]
    assert results.count() == 2000


def test_a_description_only_change_reindexes_nothing(admin_client, make_post, category):
    make_post()
    with CaptureQueriesContext(connection) as queries:
        admin_client.post(
            f"/admin/blog/category/{category.pk}/change/",
            {"name": category.name, "slug": category.slug, "description": "新的说明"},
        )
    assert index_writes(queries.captured_queries) == []


# --- Tags through the admin ------------------------------------------------------------------


def test_the_tag_admin_is_ours(admin_client, make_post):
    make_post(tags=["CNN"])
    html = admin_client.get("/admin/taggit/tag/").content.decode()
    assert 'value="merge"' in html
    tag = Tag.objects.get(name="CNN")
    change = admin_client.get(f"/admin/taggit/tag/{tag.pk}/change/").content.decode()
    assert "taggit_taggeditem_items" not in change  # no inline writing taggings behind our back


def test_deleting_a_tag_in_the_admin_refreshes_the_feeds(client, admin_client, make_post):
    post = make_post(tags=["将被删除", "留下"])
    first = client.get("/feed/")
    assert "将被删除" in first.content.decode()
    tag = Tag.objects.get(name="将被删除")
    admin_client.post(f"/admin/taggit/tag/{tag.pk}/delete/", {"post": "yes"})
    again = client.get("/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "将被删除" not in again.content.decode()
    assert found("将被删除") == [] and found("留下") == [post.slug]


def test_merging_tags_in_the_admin_moves_their_posts_and_refreshes_the_feeds(
    client, admin_client, make_post
):
    one = make_post(tags=["pytorch 分布式"])
    two = make_post(tags=["DDP", "pytorch 分布式"])
    three = make_post(tags=["DDP"])
    first = client.get("/feed/atom/")
    sources = Tag.objects.filter(name__in=["pytorch 分布式", "DDP"])
    response = admin_client.post(
        "/admin/taggit/tag/",
        {"action": "merge", "_selected_action": [t.pk for t in sources], "into": "分布式训练"},
        follow=True,
    )
    assert "已将 2 个标签合并为 分布式训练。" in response.content.decode()
    assert list(Tag.objects.values_list("name", flat=True)) == ["分布式训练"]
    for post in (one, two, three):
        assert [t.name for t in post.tags.all()] == ["分布式训练"]
    again = client.get("/feed/atom/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert {t.term for e in feedparser.parse(again.content).entries for t in e.tags} == {
        "深度学习",
        "分布式训练",
    }
    assert sorted(found("分布式训练")) == sorted(p.slug for p in (one, two, three))


def test_the_merge_action_asks_for_the_name_first(admin_client, make_post):
    make_post(tags=["甲", "乙"])
    response = admin_client.post(
        "/admin/taggit/tag/",
        {"action": "merge", "_selected_action": list(Tag.objects.values_list("pk", flat=True))},
    )
    assert response.status_code == 200 and 'name="into"' in response.content.decode()
    assert Tag.objects.count() == 2


def test_renaming_a_tag_in_the_admin_refreshes_feeds_and_search(client, admin_client, make_post):
    post = make_post(tags=["旧名"])
    first = client.get("/feed/")
    tag = Tag.objects.get(name="旧名")
    admin_client.post(f"/admin/taggit/tag/{tag.pk}/change/", {"name": "新名", "slug": "新名"})
    again = client.get("/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "新名" in again.content.decode()
    assert found("新名") == [post.slug]


# --- Freshness beyond the posts -------------------------------------------------------------


@pytest.mark.parametrize("key", ["TITLE", "TAGLINE"])
def test_changing_the_sites_title_or_tagline_refreshes_the_feeds(client, make_post, settings, key):
    make_post()
    first = client.get("/feed/")
    settings.BLOG = {**settings.BLOG, key: "全新的站点文字"}
    again = client.get("/feed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "全新的站点文字" in again.content.decode()


def test_a_new_code_version_is_a_new_token(settings, db):
    token = freshness.current()
    settings.BLOG_CODE_VERSION = "another-release"
    freshness.code_version.cache_clear()
    try:
        assert freshness.current() != token
    finally:
        freshness.code_version.cache_clear()


def test_the_generation_survives_a_cache_flush(make_post):
    from django.core.cache import cache

    make_post()
    token = freshness.current()
    cache.clear()
    assert freshness.current() == token


def test_the_next_scheduled_publication_is_known(make_post, time_machine):
    soon = timezone.now() + timedelta(hours=2)
    make_post(published_at=soon)
    assert freshness.next_publication() == soon
    before = freshness.current()
    time_machine.move_to(soon + timedelta(seconds=1))
    assert freshness.current() != before and freshness.next_publication() is None


# --- Feed entry ids -----------------------------------------------------------------------------


def test_feed_entry_ids_use_the_utc_date(client, make_post, settings):
    # 02:00 in Shanghai on 1 March is still 28 February in UTC.
    make_post(published_at=datetime(2026, 3, 1, 2, 0, tzinfo=SHANGHAI))
    ids = [e.id for e in feedparser.parse(client.get("/feed/atom/").content).entries]
    assert ids[0].startswith("tag:testserver,2026-02-28:post-")
    settings.TIME_ZONE = "America/New_York"
    again = [e.id for e in feedparser.parse(client.get("/feed/atom/").content).entries]
    assert again == ids
    assert datetime(2026, 3, 1, 2, 0, tzinfo=SHANGHAI).astimezone(UTC).day == 28


def test_without_a_shared_cache_each_request_asks_the_database(
    make_post, settings, django_assert_num_queries
):
    """A worker's local-memory cache never hears of another worker's write: the generation
    is read from the database every time (one primary-key read)."""
    from django.db.models import F

    from blog.models import ContentGeneration

    settings.BLOG_CACHE_IS_SHARED = False
    make_post()
    token = freshness.current()
    with django_assert_num_queries(1):
        assert freshness.current() == token
    ContentGeneration.objects.update(value=F("value") + 1)  # another worker's commit
    assert freshness.current() != token


# --- Nothing else writes those rows -----------------------------------------------------------

WRITES = re.compile(
    r"\b(?:Post|Category|Tag|TaggedItem)\.(?:all_)?objects\b[^\n]*\."
    r"(?:create|update|delete|bulk_create|bulk_update|get_or_create|update_or_create)\("
    r"|\.tags\.(?:set|add|remove|clear)\("
)


def test_only_the_write_path_writes_posts_categories_and_tags():
    root = Path(__file__).resolve().parent.parent / "blog"
    offenders = [
        f"{path.relative_to(root)}:{number}: {line.strip()}"
        for path in sorted(root.rglob("*.py"))
        if "publishing" not in path.parts and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WRITES.search(line)
    ]
    assert offenders == []


def test_merging_into_a_name_without_letters_is_refused(admin_client, client, make_post):
    make_post(tags=["甲", "乙"])
    response = admin_client.post(
        "/admin/taggit/tag/",
        {
            "action": "merge",
            "_selected_action": list(Tag.objects.values_list("pk", flat=True)),
            "into": "!!!",
        },
    )
    assert "标签名至少要有一个字母或数字。" in response.content.decode()
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["乙", "甲"]
    assert client.get("/").status_code == 200
