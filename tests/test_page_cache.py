"""The page cache (blog.pagecache): readers' pages and feeds answered from the cache under the
site's freshness token, never stale after a change, never shared with a signed-in author.

Every test that goes through the client runs twice: on the local-memory cache of the test
settings, and on a real Redis (db 13) through the project's FailOpenRedisCache, which fails
open: a Redis that cannot be reached would make every test pass by building every page, so
the Redis runs also look at the keys Redis holds."""

import gzip
import hashlib
import io
import random
from datetime import timedelta

import brotli
import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache, caches
from django.core.handlers.wsgi import WSGIRequest
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.test import Client, override_settings
from django.test.client import ClientHandler
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from taggit.models import Tag

from blog import conditional, freshness, pagecache, publishing
from blog.models import Post

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/13"
WRITES = ("INSERT", "UPDATE", "DELETE")
# What a hit must carry exactly as a miss does (the last four come from layers outside the
# page cache, which answer hits and misses alike).
SAME_ON_A_HIT = (
    "Content-Type",
    "Cache-Control",
    "Vary",
    "ETag",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Permissions-Policy",
)
# Compared where present: what the page cache says to CDNs alone.
SAME_IF_PRESENT = ("CDN-Cache-Control", "Last-Modified")


# --- Views that answer publicly but must not be kept (this module doubles as a URLconf) -------


def sets_a_cookie(request):
    response = HttpResponse("<p>a page that sets a cookie</p>")
    conditional.public(response, 0)
    response.set_cookie("seen", str(random.random()))
    return response


def varies_by_browser(request):
    response = HttpResponse("<p>a page for the reader's browser</p>")
    conditional.public(response, 0)
    patch_vary_headers(response, ["User-Agent"])
    return response


urlpatterns = [
    path("cookie/", sets_a_cookie),
    path("browser/", varies_by_browser),
    path("", include("site_config.urls")),
]


# --- The two caches ------------------------------------------------------------------------------


class LocalMemory:
    name = "locmem"

    def page_keys(self):
        return {key for key in cache._cache if ":page:" in key}

    def feed_keys(self):
        return {key for key in cache._cache if ":feed:" in key}


class RealRedis:
    name = "redis"

    def __init__(self):
        self.client = redis.Redis.from_url(REDIS_URL)

    def page_keys(self):
        return set(self.client.scan_iter(match="blog:*:page:*", count=1000))

    def feed_keys(self):
        return set(self.client.scan_iter(match="blog:*:feed:*", count=1000))


@pytest.fixture(params=["locmem", "redis"], autouse=True)
def store(request, settings):
    if request.param == "locmem":
        yield LocalMemory()
        return
    settings.CACHES = {
        "default": {
            "BACKEND": "blog.cache_backend.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "blog",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_SECONDS": 5},
        }
    }
    settings.BLOG_CACHE_IS_SHARED = True
    backend = RealRedis()
    # Not a skip: a missing Redis must fail these runs, not quietly make them locmem runs.
    assert backend.client.ping()
    # setting_changed rebuilt the handlers, and the module-level proxy follows them.
    assert type(caches["default"]).__name__ == "FailOpenRedisCache"
    backend.client.flushdb()
    yield backend
    backend.client.flushdb()


# --- The two ways in: Django's handler, and the hits answered in front of it ---------------


class InFrontHandler(ClientHandler):
    """The test client's handler behind blog.pagecache.answering_hits, as site_config.wsgi
    serves: a hit never reaches Django's handler (counted in `built`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.built = 0

    def __call__(self, environ):
        answer = pagecache._hit(environ)
        if answer is None:
            self.built += 1
            return super().__call__(environ)
        status, headers, body = answer
        response = HttpResponse(body, status=status)
        del response["Content-Type"]
        for name, value in headers:
            response[name] = value
        response.wsgi_request = WSGIRequest(environ)
        return response


class InFrontClient(Client):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.handler = InFrontHandler()


@pytest.fixture(autouse=True)
def generation_copy_outlives_a_test(monkeypatch):
    """The cached copy of the generation lasts 5 s, after which one request reads it again;
    a test that fills a dozen pages on a busy machine can take longer than that, and its
    "a hit runs no query" would then count that read."""
    monkeypatch.setattr(freshness, "GENERATION_MIRROR_SECONDS", 600)


@pytest.fixture(params=["handler", "in-front"])
def client(request):
    """Every test through the client runs on both ways a reader's request can be answered."""
    return Client() if request.param == "handler" else InFrontClient()


# --- Helpers --------------------------------------------------------------------------------------


def built_afresh(url, **headers):
    """What the site builds for `url` with the page cache switched off (another settings
    fingerprint, so nothing kept under the current token is reused either)."""
    with override_settings(BLOG={**django_settings.BLOG, "PAGE_CACHE": False}):
        return Client().get(url, **headers)


def queries_of(client, url, method="get", **headers):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, **headers)
    return response, [q["sql"] for q in queries.captured_queries]


def fill(client, urls):
    """Fetches each address until it is kept: the second fetch must run no query."""
    for url in urls:
        first = client.get(url)
        again, sql = queries_of(client, url)
        assert again.status_code == first.status_code, url
        if first.status_code == 200:
            # Kept: no query, and nothing rendered (a page built from what the lists and
            # cards keep may run no query either).
            assert sql == [], (url, sql)
            assert not again.templates, url
            assert again.content == first.content, url


def assert_current(client, url, *, status=200, shows=(), hides=()):
    """`url` as served equals a build with the page cache off, and shows the change."""
    served = client.get(url)
    fresh = built_afresh(url)
    assert served.status_code == status, url
    assert fresh.status_code == status, url
    assert served.content == fresh.content, url
    text = served.content.decode()
    for wanted in shows:
        assert wanted in text, (url, wanted)
    for unwanted in hides:
        assert unwanted not in text, (url, unwanted)


def month_of(post):
    moment = timezone.localtime(post.published_at)
    return f"/archive/{moment.year}/{moment.month}/"


# --- The site the invalidation tests change ------------------------------------------------------


@pytest.fixture
def site(make_post, category):
    """Two published posts in one category, each with a tag; a body word to search for."""
    quasar = make_post(
        title="Quasar notes",
        slug="quasar",
        body="Meridian words about the quasar.\n\nMore text.",
        tags=["Lensing"],
    )
    other = make_post(title="Other notes", slug="other", body="Nothing here.", tags=["Optics"])
    return {"post": quasar, "other": other, "category": category}


def addresses(site):
    post, category = site["post"], site["category"]
    return {
        "home": "/",
        "article": post.get_absolute_url(),
        "category": category.get_absolute_url(),
        "tag": "/tag/lensing/",
        "archive": "/archive/",
        "month": month_of(post),
        "search": "/search/?q=meridian",
        "feed": "/feed/",
        "atom": "/feed/atom/",
        "json": "/feed/json/",
        "category_feed": f"/category/{category.slug}/feed/",
        "tag_feed": "/tag/lensing/feed/",
        "sitemap": "/sitemap.xml",
    }


# --- 1. Every change through the write path makes old entries unreachable -----------------------


def test_an_edited_title_shows_everywhere_the_post_is_listed(client, site):
    urls = addresses(site)
    fill(client, urls.values())
    post = site["post"]
    post.title = "Pulsar notes"
    publishing.save_post(post)
    for name in ("home", "article", "category", "tag", "month", "search", "feed", "atom", "json"):
        assert_current(client, urls[name], shows=["Pulsar notes"], hides=["Quasar notes"])
    for name in ("category_feed", "tag_feed", "sitemap", "archive"):
        assert_current(client, urls[name])


def test_an_edited_body_shows_on_the_article_the_lists_and_in_search(client, site):
    urls = addresses(site)
    fill(client, [*urls.values(), "/search/?q=zenith"])
    post = site["post"]
    post.body = "Zenith words replace the old ones."
    publishing.save_post(post)
    for name in ("article", "home", "feed", "atom"):
        assert_current(client, urls[name], shows=["Zenith words"], hides=["Meridian words"])
    assert_current(client, urls["search"], hides=["Quasar notes"])
    assert_current(client, "/search/?q=zenith", shows=["Quasar notes"])
    for name in ("category", "tag", "month", "json", "sitemap"):
        assert_current(client, urls[name])


def test_publishing_a_draft_shows_it_on_every_list_feed_and_the_sitemap(client, site, make_post):
    draft = make_post(
        title="Draftling notes", slug="draftling", body="Meridian drafts.", tags=["Lensing"],
        status=Post.Status.DRAFT,
    )  # fmt: skip
    urls = addresses(site)
    fill(client, [*urls.values(), draft.get_absolute_url()])
    assert client.get(draft.get_absolute_url()).status_code == 404
    publishing.publish(Post.objects.filter(pk=draft.pk))
    for name in ("home", "category", "tag", "month", "search", "feed", "atom", "json"):
        assert_current(client, urls[name], shows=["Draftling notes"])
    for name in ("category_feed", "tag_feed"):
        assert_current(client, urls[name], shows=["Draftling notes"])
    assert_current(client, urls["sitemap"], shows=["/posts/draftling/"])
    assert_current(client, urls["archive"], shows=["3 篇文章"], hides=["2 篇文章"])
    assert_current(client, draft.get_absolute_url(), shows=["Draftling notes"])


@pytest.mark.parametrize("take_off", [publishing.unpublish, publishing.delete_posts],
                         ids=["unpublished", "deleted"])  # fmt: skip
def test_a_post_taken_off_leaves_every_page(client, site, take_off):
    urls = addresses(site)
    fill(client, urls.values())
    take_off(Post.objects.filter(pk=site["post"].pk))
    for name in ("home", "category", "month", "search", "feed", "atom", "json", "category_feed"):
        assert_current(client, urls[name], hides=["Quasar notes"])
    assert_current(client, urls["sitemap"], hides=["/posts/quasar/", "/tag/lensing/"])
    assert_current(client, urls["archive"], shows=["1 篇文章"], hides=["2 篇文章"])
    # Only this post carried the tag: its page and feed are gone with it.
    for name in ("article", "tag", "tag_feed"):
        assert_current(client, urls[name], status=404)


def test_a_rerender_that_changes_the_html_shows_on_the_article_and_the_lists(client, site):
    post = site["post"]
    # The HTML an older Markdown pipeline made, written around the write path on purpose
    # (no generation moves: nothing was fetched yet), so that rendering again changes it.
    Post.objects.filter(pk=post.pk).update(
        body_html="<p>Stale rendering</p>", excerpt_html="Stale excerpt"
    )
    urls = addresses(site)
    fill(client, urls.values())
    assert "Stale rendering" in client.get(urls["article"]).content.decode()
    total, changed, _problems = publishing.rerender(Post.objects.filter(pk=post.pk))
    assert (total, changed) == (1, 1)
    assert_current(client, urls["article"], shows=["Meridian words"], hides=["Stale rendering"])
    for name in ("home", "category", "tag", "month"):
        assert_current(client, urls[name], shows=["Meridian words"], hides=["Stale excerpt"])
    for name in ("feed", "atom", "json", "search", "sitemap"):
        assert_current(client, urls[name], hides=["Stale"])


def test_a_renamed_category_shows_in_the_navigation_lists_and_its_feed(client, site):
    urls = addresses(site)
    fill(client, urls.values())
    category = site["category"]
    category.name = "Astrophysics"
    publishing.save_category(category)
    for name in ("home", "article", "category", "tag", "archive", "month", "search"):
        assert_current(client, urls[name], shows=["Astrophysics"], hides=["深度学习"])
    assert_current(client, urls["category_feed"], shows=["Astrophysics"], hides=["深度学习"])
    for name in ("feed", "atom", "json", "tag_feed", "sitemap"):
        assert_current(client, urls[name])


def test_a_renamed_tag_shows_on_its_page_the_cards_and_its_feed(client, site):
    urls = addresses(site)
    fill(client, urls.values())
    tag = Tag.objects.get(name="Lensing")
    tag.name = "Refraction"
    publishing.save_tag(tag)
    for name in ("home", "category", "month", "search"):
        assert_current(client, urls[name], shows=["#Refraction"], hides=["#Lensing"])
    for name in ("article", "tag", "tag_feed"):
        assert_current(client, urls[name], shows=["Refraction"], hides=["Lensing"])
    for name in ("feed", "atom", "json", "sitemap", "archive"):
        assert_current(client, urls[name])


def test_merged_tags_leave_no_page_of_the_old_ones(client, site):
    urls = addresses(site)
    fill(client, [*urls.values(), "/tag/optics/", "/tag/light/"])
    publishing.merge_tags(Tag.objects.filter(name__in=["Lensing", "Optics"]), into="Light")
    for name in ("home", "category", "month", "search"):
        assert_current(client, urls[name], shows=["#Light"], hides=["#Lensing", "#Optics"])
    assert_current(client, urls["article"], shows=["Light"], hides=["Lensing"])
    # The merged tags' pages and feeds lead to the tag left (blog.addresses).
    for url in (urls["tag"], urls["tag_feed"], "/tag/optics/"):
        assert_current(client, url, status=301)
        assert client.get(url)["Location"].startswith("/tag/light/"), url
    assert_current(client, "/tag/light/", shows=["Quasar notes", "Other notes"])
    assert_current(client, urls["sitemap"], shows=["/tag/light/"], hides=["/tag/lensing/"])
    for name in ("feed", "atom", "json", "archive"):
        assert_current(client, urls[name])


def test_a_deleted_tag_leaves_its_posts_and_the_sitemap(client, site):
    urls = addresses(site)
    fill(client, urls.values())
    publishing.delete_tags(Tag.objects.filter(name="Lensing"))
    for name in ("home", "category", "month", "search"):
        assert_current(client, urls[name], shows=["Quasar notes"], hides=["#Lensing"])
    assert_current(client, urls["article"], hides=["Lensing"])
    for name in ("tag", "tag_feed"):
        assert_current(client, urls[name], status=404)
    assert_current(client, urls["sitemap"], shows=["/tag/optics/"], hides=["/tag/lensing/"])
    for name in ("feed", "atom", "json", "archive"):
        assert_current(client, urls[name])


def test_an_imported_file_shows_on_the_lists_feeds_and_sitemap(client, site, tmp_path):
    urls = addresses(site)
    fill(client, urls.values())
    when = timezone.localtime() - timedelta(minutes=30)
    (tmp_path / "comet.md").write_text(
        f"---\ntitle: Imported comet\ndate: {when:%Y-%m-%d %H:%M:%S}\ncategories: 深度学习\n"
        "tags: [Lensing]\n---\nMeridian comet text.\n",
        encoding="utf-8",
    )
    call_command("import_markdown", str(tmp_path), stdout=io.StringIO())
    imported = Post.objects.get(title="Imported comet")
    assert imported.is_published
    for name in ("home", "category", "tag", "search", "feed", "atom", "json", "tag_feed"):
        assert_current(client, urls[name], shows=["Imported comet"])
    assert_current(client, urls["sitemap"], shows=[imported.get_absolute_url()])
    assert_current(client, urls["archive"])


def test_a_stale_etag_gets_the_changed_page(client, site):
    first = client.get("/")
    post = site["post"]
    post.title = "Pulsar notes"
    publishing.save_post(post)
    again = client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert "Pulsar notes" in again.content.decode()


# --- 2. A scheduled post comes due without anyone writing ----------------------------------------


def test_a_scheduled_post_appears_when_due_without_a_write(client, site, make_post, time_machine):
    now = timezone.now()
    scheduled = make_post(
        title="Scheduled eclipse", slug="eclipse", tags=["Lensing"],
        published_at=now + timedelta(hours=1),
    )  # fmt: skip
    urls = [
        "/",
        "/tag/lensing/",
        "/feed/",
        "/sitemap.xml",
        "/search/?q=eclipse",
        scheduled.get_absolute_url(),
    ]
    fill(client, urls)
    assert "Scheduled eclipse" not in client.get("/").content.decode()
    assert client.get(scheduled.get_absolute_url()).status_code == 404

    time_machine.move_to(now + timedelta(hours=1, minutes=1))
    for url in urls:
        response, sql = queries_of(client, url)
        assert [q for q in sql if q.lstrip().upper().startswith(WRITES)] == [], url
        assert response.status_code == 200, url
        assert response.content == built_afresh(url).content, url
    assert "Scheduled eclipse" in client.get("/").content.decode()
    assert "/posts/eclipse/" in client.get("/sitemap.xml").content.decode()


# --- 3. The cache really is the configured one ---------------------------------------------------


def test_a_fetched_page_is_kept_in_the_configured_cache(client, site, store):
    assert store.page_keys() == set()
    client.get("/")
    assert len(store.page_keys()) == 1
    client.get("/feed/")
    assert len(store.page_keys()) == 2
    client.get("/")
    assert len(store.page_keys()) == 2


# --- 4. Signed-in authors neither get nor fill readers' pages ------------------------------------


def test_an_author_never_gets_the_readers_cached_page(client, admin_client, site, store):
    reader = client.get("/")
    assert "public" in reader["Cache-Control"] and reader.has_header("ETag")
    kept = store.page_keys()
    author = admin_client.get("/")
    assert author.status_code == 200
    assert "private" in author["Cache-Control"] and "public" not in author["Cache-Control"]
    assert not author.has_header("ETag")
    assert store.page_keys() == kept


def test_an_authors_preview_is_never_kept_nor_shown_to_readers(
    client, admin_client, site, make_post, store
):
    draft = make_post(title="Secret draft", slug="secret", status=Post.Status.DRAFT)
    url = draft.get_absolute_url()
    before = store.page_keys()
    preview = admin_client.get(url)
    assert preview.status_code == 200
    assert "预览：" in preview.content.decode()
    assert "no-store" in preview["Cache-Control"]
    admin_client.get("/")
    assert store.page_keys() == before
    reader = client.get(url)
    assert reader.status_code == 404
    assert "Secret draft" not in reader.content.decode()
    home = client.get("/")
    assert "public" in home["Cache-Control"] and "private" not in home["Cache-Control"]
    assert "Secret draft" not in home.content.decode()
    assert home.content == built_afresh("/").content


def test_a_session_or_a_waiting_message_bypasses_the_cache(client, site, store):
    client.get("/")
    kept = store.page_keys()
    for cookie in (django_settings.SESSION_COOKIE_NAME, "messages"):
        visitor = Client()
        visitor.cookies[cookie] = "anything"
        response, sql = queries_of(visitor, "/")
        assert response.status_code == 200
        assert response.templates, cookie  # built, not served from the reader's entry
        assert not response.has_header("ETag"), cookie
        assert store.page_keys() == kept, cookie


def test_admin_addresses_keep_their_query_and_are_never_kept(client, site, store):
    response = client.get("/admin/login/?next=/admin/blog/post/&utm_source=x")
    assert response.status_code == 200
    assert "/admin/blog/post/" in response.content.decode()
    assert store.page_keys() == set()


# --- 5. A hit carries the headers of a miss ----------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/", "/posts/quasar/", "/archive/", "/feed/", "/feed/json/", "/sitemap.xml"]
)
def test_a_hit_carries_the_headers_of_a_miss(client, site, url):
    miss = client.get(url)
    hit, sql = queries_of(client, url)
    assert sql == []
    for name in SAME_ON_A_HIT:
        assert miss.has_header(name), (url, name)
        assert hit.get(name) == miss.get(name), (url, name)
    for name in SAME_IF_PRESENT:
        assert hit.get(name) == miss.get(name), (url, name)
    for response in (miss, hit):
        assert not response.has_header("Set-Cookie")
        assert not response.cookies
    # And as the stack answers without the page cache (its ETag is of another fingerprint).
    fresh = built_afresh(url)
    for name in SAME_ON_A_HIT:
        if name != "ETag":
            assert fresh.get(name) == hit.get(name), (url, name)


def test_robots_txt_is_kept_across_content_changes(client, site, store):
    first = client.get("/robots.txt")
    kept = store.page_keys()
    assert len(kept) == 1
    publishing.create_post(title="草稿", body="草稿。", category=site["category"])
    again, sql = queries_of(client, "/robots.txt")
    assert sql == []
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert store.page_keys() == kept


# --- 6. Query strings and hosts ------------------------------------------------------------------


@pytest.fixture
def two_pages(many_posts):
    many_posts(25)


def test_noise_in_the_query_shares_the_entry(client, two_pages, django_assert_num_queries):
    second = client.get("/?page=2")
    assert second.status_code == 200
    with django_assert_num_queries(0):
        noisy = client.get("/?utm_source=x&page=2")
    assert noisy.content == second.content
    with django_assert_num_queries(0):
        reordered = client.get("/?fbclid=1&page=2&utm_medium=y")
    assert reordered.content == second.content


def test_the_first_page_shares_the_entry_of_the_plain_address(
    client, two_pages, django_assert_num_queries
):
    plain = client.get("/")
    with django_assert_num_queries(0):
        first = client.get("/?page=1&utm_source=x")
    assert first.content == plain.content


def test_search_words_share_an_entry_as_the_view_reads_them(
    client, site, django_assert_num_queries
):
    clean = client.get("/search/?q=meridian+words")
    assert "Quasar notes" in clean.content.decode()
    with django_assert_num_queries(0):
        spaced = client.get("/search/?utm_source=x&q=++meridian+++words+")
    assert spaced.content == clean.content


def test_the_last_value_of_a_parameter_counts(client, two_pages):
    repeated = client.get("/?page=2&page=3")
    assert repeated.status_code == 200
    assert repeated.context["page_obj"].number == 3
    assert repeated.content == built_afresh("/?page=3").content
    assert repeated.content == client.get("/?page=3").content


def test_a_thousand_made_up_parameters_make_one_entry(client, site, store):
    for n in range(1000):
        response = client.get(f"/?utm_{n}={random.randrange(10**9)}")
        assert response.status_code == 200
    assert len(store.page_keys()) == 1


# No view reads `p` (the sitemap is one document, blog/sitemaps.py): were it part of the key,
# each made-up value would be another copy of the page, kept a day, until Redis filled or a
# worker's local memory evicted every real page (found with the first PARAMETERS tuple).
def test_a_thousand_values_of_a_parameter_no_page_reads_make_one_entry(client, site, store):
    for n in range(1000):
        assert client.get(f"/?p={n}").status_code == 200
    assert len(store.page_keys()) == 1


# Only the lists read `page`: the sitemap and the feeds (megabytes at 10,000 articles) must
# not be kept again for each made-up page number.
def test_a_page_number_on_an_address_without_pages_makes_one_entry(client, site, store):
    for n in range(1, 51):
        assert client.get(f"/sitemap.xml?page={n}").status_code == 200
    assert len(store.page_keys()) == 1


# Found while the page cache was written: an address missing its slash resolves to nothing,
# and its query was dropped before CommonMiddleware's APPEND_SLASH redirect read it.
@pytest.mark.parametrize(
    "url, target",
    [
        ("/search?q=meridian", "/search/?q=meridian"),
        ("/category/deep-learning?page=2", "/category/deep-learning/?page=2"),
    ],
)
def test_the_slash_redirect_keeps_the_query(client, admin_client, site, url, target):
    author = admin_client.get(url)
    assert (author.status_code, author["Location"]) == (301, target)
    reader = client.get(url)
    assert (reader.status_code, reader["Location"]) == (301, target)


def test_hosts_not_allowed_get_400_and_store_nothing(client, site, store):
    for _ in range(20):
        host = f"h{random.randrange(10**9)}.example.net"
        for url in ("/", "/feed/"):
            assert client.get(url, HTTP_HOST=host).status_code == 400
    assert store.page_keys() == set()
    assert store.feed_keys() == set()


def test_a_host_only_a_pattern_admits_is_built_and_never_kept(client, site, settings, store):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ".example.org"]
    for n in range(20):
        host = f"s{n}.example.org"
        response = client.get("/", HTTP_HOST=host)
        assert response.status_code == 200
        assert f"//{host}/" in response.content.decode()
        assert client.get("/feed/", HTTP_HOST=host).status_code == 200
    assert store.page_keys() == set()
    assert store.feed_keys() == set()


def test_a_made_up_port_is_kept_and_answered_under_the_plain_host(client, site, store):
    ported = client.get("/", HTTP_HOST="testserver:8123")
    assert ported.status_code == 200
    assert ":8123" not in ported.content.decode()
    kept = store.page_keys()
    assert len(kept) == 1
    plain, sql = queries_of(client, "/")
    assert sql == []
    assert plain.content == ported.content == built_afresh("/").content
    again, sql = queries_of(client, "/", HTTP_HOST="testserver:9999")
    assert sql == [] and again.content == plain.content
    assert store.page_keys() == kept


# --- 7. Responses that must not be kept ----------------------------------------------------------


def public_response(**headers):
    response = HttpResponse("<p>page</p>")
    conditional.public(response, 0)
    patch_vary_headers(response, ["Cookie", "Accept-Encoding"])
    for name, value in headers.items():
        response[name] = value
    return response


def test_a_public_page_varying_by_cookie_and_encoding_is_keepable():
    assert pagecache._keepable(public_response())


def test_a_response_setting_a_cookie_is_not_keepable():
    response = public_response()
    response.set_cookie("seen", "1")
    assert not pagecache._keepable(response)


@pytest.mark.parametrize(
    "cache_control",
    ["private, max-age=0", "public, no-store", "public, no-cache", "public, private", "max-age=60"],
)
def test_a_response_not_public_for_shared_caches_is_not_keepable(cache_control):
    assert not pagecache._keepable(public_response(**{"Cache-Control": cache_control}))


@pytest.mark.parametrize("vary", ["User-Agent", "Cookie, User-Agent", "*"])
def test_a_response_varying_by_anything_else_is_not_keepable(vary):
    assert not pagecache._keepable(public_response(Vary=vary))


@pytest.mark.parametrize("status", [201, 301, 304, 404, 500])
def test_only_a_200_is_keepable(status):
    response = public_response()
    response.status_code = status
    assert not pagecache._keepable(response)


@override_settings(ROOT_URLCONF=__name__)
def test_a_page_that_sets_a_cookie_is_built_for_every_reader(client, site, store):
    first = client.get("/cookie/")
    second = Client().get("/cookie/")
    for response in (first, second):
        assert response.status_code == 200
        assert "seen" in response.cookies
    assert first.cookies["seen"].value != second.cookies["seen"].value
    assert store.page_keys() == set()


@override_settings(ROOT_URLCONF=__name__)
def test_a_page_varying_by_anything_but_language_is_not_kept(client, site, store):
    assert client.get("/browser/").status_code == 200
    assert store.page_keys() == set()


def test_a_page_is_kept_once_for_each_language_its_readers_ask_for(client, site, store):
    chinese = client.get("/")
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    chooser = Client()
    chooser.cookies["django_language"] = "en"
    chosen = chooser.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "最近更新" in chinese.content.decode()
    assert "Latest updates" in english.content.decode()
    assert chosen.content == english.content  # the switch's cookie beats the browser
    assert chinese["Content-Language"] == "zh-hans" and english["Content-Language"] == "en"
    for response in (chinese, english):
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    assert len(store.page_keys()) == 2
    # Each is answered from its own entry, without a query.
    for headers, heading in (({}, "最近更新"), ({"HTTP_ACCEPT_LANGUAGE": "en"}, "Latest updates")):
        again, sql = queries_of(client, "/", **headers)
        assert sql == [] and heading in again.content.decode()


def test_feeds_speak_the_sites_language_to_every_reader_and_are_kept_once(client, site, store):
    chinese = client.get("/feed/")
    english = client.get("/feed/", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.content == english.content
    assert "Accept-Language" not in chinese.get("Vary", "")
    assert english["Content-Language"] == "zh-hans"


# --- 8. Compression, HEAD and conditional requests -----------------------------------------------


@pytest.mark.parametrize("page_cache", [True, False], ids=["cached", "uncached"])
@pytest.mark.parametrize("url", ["/", "/feed/", "/sitemap.xml"])
def test_bodies_are_compressed_as_the_reader_accepts(client, site, settings, url, page_cache):
    settings.BLOG = {**settings.BLOG, "PAGE_CACHE": page_cache}
    identity = client.get(url)
    assert not identity.has_header("Content-Encoding")
    assert "Accept-Encoding" in identity["Vary"]
    cases = [
        ("br", "br", brotli.decompress),
        ("gzip, deflate", "gzip", gzip.decompress),
        ("gzip;q=1.0, br;q=0", "gzip", gzip.decompress),
        ("br;q=0.5, gzip", "gzip", gzip.decompress),
        ("gzip;q=0, br;q=0", None, bytes),
        ("identity", None, bytes),
    ]
    for _round in ("miss or first", "hit"):
        for accepted, encoding, decode in cases:
            response = client.get(url, HTTP_ACCEPT_ENCODING=accepted)
            assert response.status_code == 200
            assert response.get("Content-Encoding") == encoding, accepted
            assert int(response["Content-Length"]) == len(response.content), accepted
            assert decode(response.content) == identity.content, accepted


@pytest.mark.parametrize(
    "header, wanted",
    [
        ("", ""),
        ("identity", ""),
        ("br", "br"),
        ("gzip, deflate, br, zstd", "br"),
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0.5, br;q=0.5", "br"),
        ("br;q=0, *", "gzip"),
        ("*", "br"),
        ("*;q=0", ""),
        ("gzip;q=0, br;q=0", ""),
        ("GZIP;Q=0, BR ; q=0", ""),
        ("br;q=nonsense, gzip", "gzip"),
    ],
)
def test_the_encoding_is_the_readers_most_wanted(rf, header, wanted):
    assert pagecache.accepted_encoding(rf.get("/", HTTP_ACCEPT_ENCODING=header)) == wanted


@pytest.mark.parametrize("encoding", ["", "gzip", "br"])
@pytest.mark.parametrize("url", ["/", "/posts/quasar/", "/feed/atom/"])
def test_head_answers_the_headers_of_get_without_a_body(client, site, url, encoding):
    # HEAD first: the entry it fills must still hold the whole body for the GET after it.
    head = client.head(url, HTTP_ACCEPT_ENCODING=encoding)
    get = client.get(url, HTTP_ACCEPT_ENCODING=encoding)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert int(head["Content-Length"]) == len(get.content) > 0
    for name in ("Content-Type", "Content-Encoding", "ETag", "Cache-Control", "Vary"):
        assert head.get(name) == get.get(name), name
    plain = client.get(url)
    assert plain.content == built_afresh(url).content


def test_a_page_etag_is_answered_304_without_a_query(client, site):
    page = client.get("/")
    etag = page["ETag"]
    assert etag.startswith('W/"')
    for offered in (etag, etag.removeprefix("W/"), f'"other", {etag}'):
        response, sql = queries_of(client, "/", HTTP_IF_NONE_MATCH=offered)
        assert response.status_code == 304, offered
        assert response.content == b""
        assert sql == []
        assert response["ETag"] == etag
        assert response["Cache-Control"] == page["Cache-Control"]
    assert client.get("/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_page_etag_is_answered_304_after_its_entry_was_evicted(client, site, store):
    etag = client.get("/")["ETag"]
    for key in store.page_keys():
        # The stored name is prefix:version:key; the cache API takes the key alone.
        name = key.decode() if isinstance(key, bytes) else key
        cache.delete(name.split(":", 2)[2])
    assert store.page_keys() == set()
    response, sql = queries_of(client, "/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and sql == []
    assert response["ETag"] == etag


def test_a_feed_keeps_its_own_etag_and_last_modified(client, site, make_post, time_machine):
    feed = client.get("/feed/")
    etag = feed["ETag"]
    # The feed's ETag is of its bytes, not the page cache's key: it outlives other changes
    # (weak: the same document goes out in several codings).
    assert etag == f'W/"{hashlib.sha256(feed.content).hexdigest()[:32]}"'
    assert feed.has_header("Last-Modified")
    response, sql = queries_of(client, "/feed/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and sql == []
    assert response["ETag"] == etag and response.has_header("Last-Modified")

    make_post(title="Draft elsewhere", slug="elsewhere", status=Post.Status.DRAFT)
    assert client.get("/feed/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/feed/", HTTP_IF_NONE_MATCH=etag).status_code == 304  # now a hit

    # If-Modified-Since alone, once the second of the change is over.
    time_machine.move_to(timezone.now() + timedelta(seconds=3))
    dated = client.get("/feed/")
    assert dated.status_code == 200
    since = dated["Last-Modified"]
    response, sql = queries_of(client, "/feed/", HTTP_IF_MODIFIED_SINCE=since)
    assert response.status_code == 304 and sql == []
    assert response["Last-Modified"] == since
    earlier = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get("/feed/", HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


# On a miss nothing says the address exists yet: `*` must not turn a 404 into a 304 (RFC 9110
# §13.1.2: "*" is false only when there is a current representation).
def test_if_none_match_star_does_not_turn_a_missing_page_into_304(client, site):
    assert client.get("/posts/no-such-post/").status_code == 404
    response = client.get("/posts/no-such-post/", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 404


# Found while the page cache was written: the 304 of a compressed feed named a strong
# validator where its 200 had sent the weak one.
@pytest.mark.parametrize("page_cache", [True, False], ids=["cached", "uncached"])
def test_a_compressed_feed_is_revalidated_with_the_etag_its_200_had(
    client, site, settings, page_cache
):
    settings.BLOG = {**settings.BLOG, "PAGE_CACHE": page_cache}
    identity = client.get("/feed/")
    zipped = client.get("/feed/", HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    # One document in several codings: one weak validator for all of them.
    assert zipped["ETag"] == identity["ETag"] and identity["ETag"].startswith("W/")
    hit = client.get("/feed/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"])
    assert hit.status_code == 304
    assert hit["ETag"] == zipped["ETag"]
    # A change elsewhere: the feed is built again, its bytes (and validator) the same.
    publishing.create_post(title="草稿", body="草稿。", category=site["category"])
    miss = client.get("/feed/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"])
    assert miss.status_code == 304
    assert miss["ETag"] == zipped["ETag"]


def test_if_none_match_star_on_a_kept_page_is_304(client, site):
    client.get("/")
    assert client.get("/", HTTP_IF_NONE_MATCH="*").status_code == 304


# --- 9. Other methods ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/posts/quasar/", "/feed/", "/sitemap.xml", "/robots.txt"])
def test_a_post_to_a_public_page_is_405_and_never_kept(client, site, store, url):
    for method in ("post", "put", "delete", "options"):
        response = getattr(client, method)(url)
        assert response.status_code == 405, method
        assert response["Allow"] == "GET, HEAD"
    assert store.page_keys() == set()
    assert client.get(url).status_code == 200
    # A kept page does not answer other methods either.
    assert client.post(url).status_code == 405
    assert client.post(url, HTTP_IF_NONE_MATCH="*").status_code == 405
