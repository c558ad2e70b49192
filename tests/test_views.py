import importlib
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from taggit.models import Tag

from blog.models import Category, Post

PUBLIC_PAGES = ["/", "/archive/", "/category/deep-learning/", "/feed/", "/feed/atom/"]


def test_home_shows_latest_updates_newest_first(client, make_post):
    old = make_post(title="旧文章", published_at=timezone.now() - timedelta(days=9))
    new = make_post(title="新文章", tags=["PyTorch", "分布式"])
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "最近更新" in html
    assert html.index("新文章") < html.index("旧文章")
    assert f'href="{new.get_absolute_url()}"' in html
    assert 'href="/category/deep-learning/"' in html
    assert 'href="/tag/pytorch/"' in html and "#分布式" in html
    assert old.published_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d") in html


def test_home_lists_ten_a_page_with_numbered_links(client, many_posts):
    many_posts(25)
    first = client.get("/")
    assert len(first.context["posts"]) == 10
    html = first.content.decode()
    assert 'aria-current="page">1<' in html
    assert 'href="?page=2"' in html and 'href="?page=3"' in html
    assert 'rel="next"' in html
    last = client.get("/?page=3")
    assert len(last.context["posts"]) == 5
    assert 'rel="prev"' in last.content.decode()


@pytest.mark.parametrize(
    "page", ["0", "abc", "99999", "-1", "1.5", "%00", "9" * 40, "last", "+2", "%202", "02", ""]
)
def test_bad_page_numbers_are_404_in_the_site_design(client, many_posts, page):
    many_posts(12)
    response = client.get(f"/?page={page}")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "site.css" in html


def test_article_page_shows_everything_a_reader_needs(client, make_post):
    before = make_post(title="前一篇", published_at=timezone.now() - timedelta(days=2))
    make_post(
        title="感受野的计算",
        slug="感受野的计算",
        body="## 定义\n\n感受野 $r$ 的定义。",
        tags=["CNN", "感受野"],
    )
    after = make_post(title="后一篇", published_at=timezone.now() - timedelta(minutes=5))
    response = client.get(f"/posts/{quote('感受野的计算')}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>感受野的计算</h1>" in html
    assert '<h2 id="定义">定义<a class="headerlink"' in html
    assert 'href="/category/deep-learning/"' in html
    assert 'href="/tag/cnn/"' in html and f'href="/tag/{quote("感受野")}/"' in html
    assert f'href="{before.get_absolute_url()}" rel="prev"' in html
    assert f'href="{after.get_absolute_url()}" rel="next"' in html


def test_a_tag_only_drafts_carry_has_no_page(client, make_post):
    make_post(status=Post.Status.DRAFT, tags=["秘密项目"])
    assert client.get(f"/tag/{quote('秘密项目')}/").status_code == 404


def test_unknown_article_is_404(client, db):
    assert client.get("/posts/no-such-post/").status_code == 404


def test_category_and_tag_pages_list_only_their_posts(client, make_post, category):
    from blog.models import Category

    other = Category.objects.create(name="Python", slug="python")
    mine = make_post(title="卷积文章", tags=["卷积"])
    theirs = make_post(title="进程文章", category=other, tags=["并发"])
    html = client.get("/category/python/").content.decode()
    assert theirs.title in html and mine.title not in html
    html = client.get(f"/tag/{quote('卷积')}/").content.decode()
    assert mine.title in html and theirs.title not in html
    assert client.get("/category/nothing/").status_code == 404
    assert client.get("/tag/nothing/").status_code == 404
    assert client.get("/category/python/?page=2").status_code == 404


def test_archive_counts_follow_new_posts_despite_the_cache(client, make_post):
    make_post(title="第一篇")
    assert "1 篇文章<" in client.get("/archive/").content.decode()
    make_post(title="第二篇")
    assert "2 篇文章<" in client.get("/archive/").content.decode()


def test_archive_lists_months_with_counts_and_each_month(client, make_post):
    tz = timezone.get_current_timezone()
    make_post(title="一月甲", published_at=datetime(2026, 1, 5, tzinfo=tz))
    make_post(title="一月乙", published_at=datetime(2026, 1, 31, 23, 30, tzinfo=tz))
    make_post(title="三月", published_at=datetime(2026, 3, 1, 0, 10, tzinfo=tz))
    html = client.get("/archive/").content.decode()
    assert 'href="/archive/2026/1/">2026年1月</a> <span class="count">2 篇文章<' in html
    assert 'href="/archive/2026/3/">2026年3月</a> <span class="count">1 篇文章<' in html
    january = client.get("/archive/2026/1/").content.decode()
    assert "一月甲" in january and "一月乙" in january and "三月" not in january
    assert client.get("/archive/2026/13/").status_code == 404
    assert client.get("/archive/0/1/").status_code == 404


def test_the_archive_lists_each_months_titles_newest_first(client, make_post):
    tz = timezone.get_current_timezone()
    first = make_post(title="一月甲", published_at=datetime(2026, 1, 5, tzinfo=tz))
    make_post(title="一月乙", published_at=datetime(2026, 1, 31, 23, 30, tzinfo=tz))
    make_post(title="三月", published_at=datetime(2026, 3, 1, 0, 10, tzinfo=tz))
    make_post(title="草稿", status=Post.Status.DRAFT, published_at=datetime(2026, 1, 6, tzinfo=tz))
    html = client.get("/archive/").content.decode()
    order = [html.index(text) for text in ("2026年3月", "三月", "2026年1月", "一月乙", "一月甲")]
    assert order == sorted(order)
    assert f'href="{first.get_absolute_url()}"' in html and "草稿" not in html
    assert '<time datetime="2026-01-05T00:00:00+08:00">2026-01-05</time>' in html
    english = client.get("/archive/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '>January 2026</a> <span class="count">2 posts<' in english
    assert '>March 2026</a> <span class="count">1 post<' in english


def test_a_month_links_the_months_with_posts_before_and_after_it(client, make_post):
    tz = timezone.get_current_timezone()
    for month in (1, 3, 7):
        make_post(title=f"{month} 月", published_at=datetime(2026, month, 10, tzinfo=tz))
    march = client.get("/archive/2026/3/").content.decode()
    assert '<a class="month-prev" href="/archive/2026/1/" rel="prev">‹ 2026年1月</a>' in march
    assert '<a class="month-next" href="/archive/2026/7/" rel="next">2026年7月 ›</a>' in march
    january = client.get("/archive/2026/1/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "month-prev" not in january and ">March 2026 ›</a>" in january
    assert "<h1>January 2026</h1>" in january
    july = client.get("/archive/2026/7/").content.decode()
    assert "month-next" not in july and "‹ 2026年3月</a>" in july
    assert client.get("/archive/2026/2/").status_code == 404


def test_the_archive_shows_at_most_thirty_titles_a_month_and_links_the_rest(
    client, many_posts, time_machine
):
    time_machine.move_to(datetime(2026, 5, 20, 12, tzinfo=timezone.get_current_timezone()))
    many_posts(35)  # a minute apart: all in May
    html = client.get("/archive/").content.decode()
    assert html.count('href="/posts/bulk-') == 30
    assert '<a href="/archive/2026/5/">还有 5 篇 ›</a>' in html


@pytest.mark.parametrize("hidden", ["published_future", "draft_past", "draft_future"])
def test_unpublished_posts_are_invisible_to_readers_everywhere(client, visibility_grid, hidden):
    post = visibility_grid[hidden]
    assert client.get(post.get_absolute_url()).status_code == 404
    for url in [
        *PUBLIC_PAGES,
        f"/archive/{post.published_at.year}/{post.published_at.month}/",
    ]:
        body = client.get(url).content.decode()
        assert post.title not in body, url
        assert post.slug not in body, url
    assert visibility_grid["published_past"].title in client.get("/").content.decode()


@pytest.mark.parametrize("cell", ["published_future", "draft_past", "draft_future"])
def test_staff_preview_unpublished_posts_with_no_cache(admin_client, visibility_grid, cell):
    post = visibility_grid[cell]
    response = admin_client.get(post.get_absolute_url())
    assert response.status_code == 200
    assert "预览：" in response.content.decode()
    cache_control = response["Cache-Control"]
    assert "no-cache" in cache_control and "no-store" in cache_control
    assert "private" in cache_control
    # Staff lists stay what readers see: previews are reached from the admin.
    assert post.title not in admin_client.get("/").content.decode()


def test_non_staff_users_cannot_preview(client, django_user_model, visibility_grid):
    user = django_user_model.objects.create_user("reader", password="pw-123456789")
    client.force_login(user)
    assert client.get(visibility_grid["draft_past"].get_absolute_url()).status_code == 404


def test_readers_pages_may_be_kept_briefly_by_shared_caches(client, visibility_grid):
    for url in ["/", visibility_grid["published_past"].get_absolute_url(), "/archive/"]:
        response = client.get(url)
        policy = {part.strip() for part in response["Cache-Control"].split(",")}
        # Browsers ask again (a 304 without a query); a CDN keeps a minute, and may serve
        # stale while it revalidates (told to CDNs alone: browsers would show it too).
        assert {"public", "max-age=0", "s-maxage=60"} <= policy
        assert "stale-while-revalidate" not in response["Cache-Control"]
        cdn = {part.strip() for part in response["CDN-Cache-Control"].split(",")}
        assert {"public", "max-age=60", "stale-while-revalidate=300"} <= cdn
        assert "Cookie" in response["Vary"]


def test_signed_in_users_pages_are_private(admin_client, visibility_grid):
    response = admin_client.get(visibility_grid["published_past"].get_absolute_url())
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_every_page_announces_the_feeds(client, visibility_grid):
    for url in ["/", "/archive/", visibility_grid["published_past"].get_absolute_url(), "/nope/"]:
        html = client.get(url).content.decode()
        assert 'rel="alternate" type="application/rss+xml"' in html
        assert 'href="/feed/"' in html and 'href="/feed/atom/"' in html


def test_pages_carry_no_inline_script_or_style(client, demo):
    for url in ["/", "/archive/", Post.objects.published().first().get_absolute_url()]:
        html = client.get(url).content.decode()
        # The only script element allowed is JSON-LD data, which browsers never execute.
        scripts = re.findall(r"<script[^>]*>", html)
        assert set(scripts) <= {'<script type="application/ld+json">'}
        assert "style=" not in html


def test_pages_send_a_strict_content_security_policy(client, db):
    csp = client.get("/")["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_robots_points_to_the_sitemap(client, visibility_grid):
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Disallow: /search/" in robots.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in robots.content.decode()
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "published-past" in sitemap and "draft-past" not in sitemap


def test_demo_articles_render_on_their_pages(client, demo):
    for post in Post.objects.published():
        response = client.get(post.get_absolute_url())
        assert response.status_code == 200
        html = response.content.decode()
        assert '<span class="math math-inline"><math' in html, post.slug
        assert '<div class="math math-display" tabindex="0"><math' in html, post.slug
        assert "math-failed" not in html, post.slug
        code = '<div class="highlight"><pre tabindex="0"><span></span><code class="language-'
        assert code in html, post.slug
        assert '<span class="k' in html or '<span class="n' in html, post.slug
        assert "$$" not in html, post.slug


def test_server_error_page_is_plain_and_needs_no_database(client, monkeypatch, db):
    from blog import views

    def broken(self):
        raise RuntimeError("database is down")

    monkeypatch.setattr(views.PostListView, "get_queryset", broken)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "出了点问题" in response.content.decode()


@pytest.mark.parametrize("cell", ["published_future", "draft_past", "draft_future"])
def test_staff_without_the_right_to_change_posts_cannot_preview(
    client, django_user_model, visibility_grid, cell
):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("clerk", password="pw-123456789", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(user)
    assert client.get(visibility_grid[cell].get_absolute_url()).status_code == 404
    assert client.get(visibility_grid["published_past"].get_absolute_url()).status_code == 200


# --- Addresses (issue 10, findings 5, 10 and 11) ----------------------------------------------


@pytest.fixture
def nameless_labels(make_post):
    """A published post whose category and tags have names without a letter or digit, made
    the ways the blog makes them: a post's tags, the importer's category, a new category."""
    from blog import publishing

    shouting, _created = publishing.ensure_category("!!!", "?!")
    quiet = publishing.save_category(Category(name="……"))
    post = make_post(
        slug="on-fire",
        category=shouting,
        tags=["🔥", "!!!", "PyTorch"],
        published_at=datetime(2026, 1, 15, 12, tzinfo=UTC),
    )
    return post, shouting, quiet


def test_labels_without_letters_get_addresses_from_their_ids(nameless_labels):
    post, shouting, quiet = nameless_labels
    assert shouting.slug == f"category-{shouting.pk}" and quiet.slug == f"category-{quiet.pk}"
    slugs = {tag.name: tag.slug for tag in post.tags.all()}
    ids = {tag.name: tag.pk for tag in post.tags.all()}
    assert slugs == {"🔥": f"tag-{ids['🔥']}", "!!!": f"tag-{ids['!!!']}", "PyTorch": "pytorch"}


def test_pages_linking_to_labels_without_letters_answer(client, nameless_labels):
    post, shouting, _quiet = nameless_labels
    fire = post.tags.get(name="🔥")
    pages = [
        "/",
        "/sitemap.xml",
        post.get_absolute_url(),
        shouting.get_absolute_url(),
        f"/tag/{fire.slug}/",
        "/archive/",
        "/archive/2026/1/",
        "/search/?q=PyTorch",
        "/feed/",
        "/feed/atom/",
        "/feed/json/",
        f"/category/{shouting.slug}/feed/",
        f"/tag/{fire.slug}/feed/atom/",
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    html = client.get(post.get_absolute_url()).content.decode()
    assert f'href="/tag/{fire.slug}/"' in html and f'href="/category/{shouting.slug}/"' in html


def test_a_second_label_without_letters_gets_its_own_address(make_post):
    from blog import publishing

    first = make_post(tags=["🔥"]).tags.get()
    second = make_post(tags=["💧"]).tags.get()
    again = publishing.save_tag(Tag(name="⭐"))
    assert [first.slug, second.slug, again.slug] == [
        f"tag-{first.pk}",
        f"tag-{second.pk}",
        f"tag-{again.pk}",
    ]


def test_existing_rows_without_addresses_get_them_from_the_migration(db, category, make_post):
    from django.apps import apps

    migration = importlib.import_module("blog.migrations.0006_nonempty_slugs")
    # Rows as the blog could leave them before: written here around the write path.
    empty_tag = Tag.objects.create(name="🔥", slug="")
    odd_category = Category.objects.create(name="!!!", slug="!!!")
    post = make_post(slug="kept")
    Post.objects.filter(pk=post.pk).update(slug="")
    Category.objects.create(name="taken", slug=f"category-{odd_category.pk}")
    migration.give_addresses(apps, None)
    assert Tag.objects.get(pk=empty_tag.pk).slug == f"tag-{empty_tag.pk}"
    assert Category.objects.get(pk=odd_category.pk).slug == f"category-{odd_category.pk}-2"
    assert Post.objects.get(pk=post.pk).slug == f"post-{post.pk}"
    assert Category.objects.get(pk=category.pk).slug == "deep-learning"


@pytest.mark.parametrize(
    "url",
    [
        "/archive/2147483648/1/",
        "/archive/99999999999999999999/1/",
        "/archive/2026/99999999999999999999/",
        "/archive/1/1/",
        "/archive/0001/1/",
        "/archive/9999/12/",
        "/archive/2026/0/",
        "/archive/2026/01/",
    ],
)
def test_archive_addresses_outside_the_calendar_are_404(client, make_post, url):
    make_post()
    client.raise_request_exception = False
    assert client.get(url).status_code == 404


def test_months_without_published_posts_are_404(client, make_post):
    tz = timezone.get_current_timezone()
    make_post(published_at=datetime(2026, 1, 5, tzinfo=tz))
    make_post(status=Post.Status.DRAFT, published_at=datetime(2026, 2, 5, tzinfo=tz))
    assert client.get("/archive/2026/1/").status_code == 200
    assert client.get("/archive/2026/2/").status_code == 404  # a draft only
    assert client.get("/archive/2025/12/").status_code == 404
    assert client.get("/archive/1000/1/").status_code == 404


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "POST", "PUT", "PATCH", "DELETE"])
def test_an_article_answers_other_methods_with_405(client, make_post, method):
    client.raise_request_exception = False
    response = client.generic(method, make_post().get_absolute_url())
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_previous_and_next_follow_the_list_order_through_ties(client, make_post):
    """The lists' order is publication time, then id: posts published at the same moment
    are neighbours by id, and the nearest earlier or later post comes after them."""
    from datetime import timedelta

    now = timezone.now().replace(microsecond=0)
    before = make_post(slug="before", published_at=now - timedelta(hours=3))
    ties = [make_post(slug=f"tie-{n}", published_at=now - timedelta(hours=2)) for n in range(3)]
    after = make_post(slug="after", published_at=now - timedelta(hours=1))
    make_post(slug="scheduled", published_at=now + timedelta(hours=1))
    chain = [before, *ties, after]
    for index, post in enumerate(chain):
        html = client.get(post.get_absolute_url()).content.decode()
        previous = re.search(r'class="post-nav-prev" href="([^"]+)"', html)
        following = re.search(r'class="post-nav-next" href="([^"]+)"', html)
        want_previous = chain[index - 1].get_absolute_url() if index else None
        want_next = chain[index + 1].get_absolute_url() if index + 1 < len(chain) else None
        assert (previous and previous.group(1)) == want_previous, post.slug
        assert (following and following.group(1)) == want_next, post.slug
