"""Hits answered in front of Django's handler (blog.pagecache.answering_hits, which
site_config.wsgi serves through), and each process's copies of kept pages
(blog.kept_pages.Recent).

The invalidation, bypass and header tests of test_page_cache run on this way in as well (its
`client` fixture); these are about what only this way in does: it never reaches Django's
handler on a hit, answers byte for byte as the handler's hit does, and hands everything
else to the handler untouched."""

# The fixtures of test_page_cache are imported, and pytest passes them by name: F811.
# ruff: noqa: F811

import gzip
import io
import sys

import brotli
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from blog import freshness, kept_pages, pagecache, publishing
from tests.test_page_cache import (  # noqa: F401 (fixtures)
    InFrontClient,
    addresses,
    generation_copy_outlives_a_test,
    site,
    store,
)

pytestmark = pytest.mark.django_db


def environ(path, query="", method="GET", **headers):
    """What a WSGI server passes for a request (PATH_INFO as WSGI has it: bytes as latin-1)."""
    values = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    values.update({f"HTTP_{name.upper().replace('-', '_')}": v for name, v in headers.items()})
    return values


class Handler:
    """Stands for Django's handler behind answering_hits: counts what reaches it, and answers
    as the test client's handler does (which keeps the test's database transaction)."""

    def __init__(self):
        self.reached = []
        self.client = Client()

    def __call__(self, environ, start_response):
        self.reached.append(environ["PATH_INFO"])
        assert environ == self.expected, "the environ reached Django changed"
        response = self.client.generic(
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"].encode("latin-1").decode(),
            QUERY_STRING=environ["QUERY_STRING"],
            **{k: v for k, v in environ.items() if k.startswith("HTTP_")},
        )
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return [response.content]


@pytest.fixture
def served():
    handler = Handler()
    application = pagecache.answering_hits(handler)

    def serve(env):
        handler.expected = dict(env)
        answer = {}

        def start_response(status, headers):
            answer["status"], answer["headers"] = status, headers

        body = b"".join(application(env, start_response))
        return int(answer["status"].split()[0]), dict(answer["headers"]), body

    serve.handler = handler
    return serve


@pytest.mark.parametrize("name", ["home", "article", "category", "tag", "archive", "month",
                                  "search", "feed", "atom", "sitemap"])  # fmt: skip
def test_a_hit_never_reaches_django_and_answers_as_its_handler_does(served, site, name):
    path, _, query = addresses(site)[name].partition("?")
    first = served(environ(path, query, accept_encoding="br"))
    assert served.handler.reached == [path]
    with CaptureQueriesContext(connection) as queries:
        hit = served(environ(path, query, accept_encoding="br"))
    assert served.handler.reached == [path], "a hit reached Django's handler"
    assert queries.captured_queries == []
    assert hit == first  # status, every header, the same Brotli bytes
    for encoding, decode in (("gzip", gzip.decompress), ("identity", bytes)):
        status, headers, body = served(environ(path, query, accept_encoding=encoding))
        assert status == 200 and decode(body) == brotli.decompress(first[2])
    assert served.handler.reached == [path]


def test_a_conditional_get_and_a_head_are_answered_in_front(served, site):
    status, headers, body = served(environ("/", accept_encoding="gzip"))
    etag, length = headers["ETag"], headers["Content-Length"]
    status, again, body = served(environ("/", if_none_match=etag))
    assert (status, body) == (304, b"")
    assert again["ETag"] == etag and "Content-Type" not in again
    assert again["Content-Security-Policy"] == headers["Content-Security-Policy"]
    status, head, body = served(environ("/", method="HEAD", accept_encoding="gzip"))
    assert (status, body, head["Content-Length"]) == (200, b"", length)
    assert served.handler.reached == ["/"]


def test_a_change_sends_the_next_request_to_django(served, site):
    served(environ("/"))
    post = site["post"]
    post.title = "Pulsar notes"
    publishing.save_post(post)
    status, _headers, body = served(environ("/", accept_encoding="identity"))
    assert served.handler.reached == ["/", "/"]
    assert "Pulsar notes" in body.decode() and "Quasar notes" not in body.decode()


def test_an_address_outside_latin_1_reaches_django_as_it_came(served, site, make_post):
    make_post(title="故障演练", slug="drill", body="演练。", tags=["故障"])
    path = "/tag/故障/"
    first = served(environ(path))
    assert first[0] == 200 and "故障演练" in first[2].decode()
    assert served(environ(path)) == first  # from the page cache, in front
    assert served.handler.reached == [path.encode().decode("latin-1")]


@pytest.mark.parametrize(
    "headers",
    [
        {"cookie": "sessionid=abc"},
        {"cookie": "messages=abc"},
        {"host": "evil.example"},
    ],
)
def test_what_may_not_be_answered_from_the_cache_reaches_django(served, site, headers):
    served(environ("/"))
    served(environ("/", **headers))
    assert len(served.handler.reached) == 2


def test_a_post_and_the_admin_reach_django(served, site):
    served(environ("/"))
    assert served(environ("/", method="POST"))[0] == 405
    served(environ("/admin/login/"))
    served(environ("/admin/login/"))
    assert served.handler.reached == ["/", "/", "/admin/login/", "/admin/login/"]


def test_without_the_generation_in_the_cache_django_answers(served, site):
    served(environ("/"))
    cache.delete(freshness.GENERATION_KEY)
    second = served(environ("/"))
    assert served.handler.reached == ["/", "/"]  # the token needs the database: Django's
    assert served(environ("/")) == second
    assert served.handler.reached == ["/", "/"]  # and the handler put the copy back


def test_a_cache_of_this_process_alone_sends_every_request_to_django(served, site, settings):
    settings.BLOG_CACHE_IS_SHARED = False
    for _ in range(3):
        served(environ("/"))
    assert served.handler.reached == ["/"] * 3


def test_the_page_cache_switched_off_sends_every_request_to_django(served, site, settings):
    settings.BLOG = {**settings.BLOG, "PAGE_CACHE": False}
    for _ in range(2):
        served(environ("/"))
    assert served.handler.reached == ["/"] * 2


def test_a_page_only_this_process_holds_is_answered_from_it(served, site, store):
    served(environ("/"))
    cache.clear()  # Redis flushed, or the entry evicted there
    if store.name == "redis":
        assert store.page_keys() == set()
    cache.set(freshness.GENERATION_KEY, freshness._state(freshness.timezone.now()))
    served(environ("/"))
    assert served.handler.reached == ["/"]


# --- Each process's copies -------------------------------------------------------------------


class Sized:
    def __init__(self, size):
        self.size = size

    def with_identity(self):
        return self


def test_recent_copies_stay_within_their_bytes_oldest_out_first():
    recent = kept_pages.Recent(1000)
    for number in range(10):
        recent.put(f"k{number}", Sized(100), 60)
    recent.get("k0")  # answered lately: kept over k1
    recent.put("k10", Sized(100), 60)
    assert recent.get("k0") is not None
    assert recent.get("k1") is None
    assert all(recent.get(f"k{n}") is not None for n in range(2, 11))
    assert recent._bytes == 1000


def test_a_recent_copy_lasts_its_lifetime_and_one_page_cannot_fill_the_store(monkeypatch):
    recent = kept_pages.Recent(1000)
    clock = [100.0]
    monkeypatch.setattr(kept_pages.time, "monotonic", lambda: clock[0])
    recent.put("short", Sized(10), 5)
    recent.put("huge", Sized(200), 60)  # over an eighth of the budget
    assert recent.get("huge") is None
    assert recent.get("short") is not None
    clock[0] += 5
    assert recent.get("short") is None
    assert recent._bytes == 0


def test_many_addresses_are_remembered_as_views_in_bounded_memory(served, site):
    for number in range(pagecache._remembered_canonical.cache_info().maxsize + 50):
        served(environ(f"/posts/made-up-{number}/"))
    info = pagecache._remembered_canonical.cache_info()
    assert info.currsize <= info.maxsize
    long_path = "/posts/" + "x" * 300 + "/"
    assert served(environ(long_path))[0] == 404
    assert pagecache._remembered_canonical.cache_info().currsize <= info.maxsize


def test_the_wsgi_application_answers_in_front():
    from site_config import wsgi

    assert wsgi.application.__qualname__ == "answering_hits.<locals>.serve"
    assert wsgi.django_application in [cell.cell_contents for cell in wsgi.application.__closure__]


def test_other_header_settings_after_a_restart_never_get_the_old_headers(served, site, settings):
    first = served(environ("/"))
    assert first[1]["Referrer-Policy"] == "same-origin"
    settings.SECURE_REFERRER_POLICY = "no-referrer"
    served.handler.client = Client()  # the restart: the middleware read the settings anew
    again = served(environ("/"))
    assert again[1]["Referrer-Policy"] == "no-referrer"
    assert served.handler.reached == ["/", "/"]


def test_a_token_remembered_by_a_request_on_this_thread_is_not_trusted_in_front(served, site):
    """The memo lasts one Django request (its signals); a server may close a response on
    another thread, which would leave the memo of a finished request behind."""
    served(environ("/"))
    freshness._request.active, freshness._request.token = True, "left-by-an-earlier-request"
    try:
        served(environ("/"))
    finally:
        freshness._request.active, freshness._request.token = False, None
    assert served.handler.reached == ["/"]  # answered in front, under the current token


def test_a_client_that_accepts_no_coding_gets_the_body_this_worker_keeps(served, site):
    status, headers, body = served(environ("/feed/", accept_encoding="identity"))
    assert status == 200 and "Content-Encoding" not in headers
    again = served(environ("/feed/", accept_encoding="identity"))
    assert again == (status, headers, body)
    key = next(iter(kept_pages.recent._entries))
    entry = kept_pages.recent.get(key)
    assert entry.identity == body
    assert "identity" not in entry.__getstate__()  # the cache gets the compressed forms only


def test_a_request_the_https_redirect_answers_is_not_looked_up(
    client, site, settings, django_assert_num_queries
):
    settings.BLOG_HTTPS_REDIRECT = True
    settings.ALLOWED_HOSTS = ["blog.example", "testserver"]
    first, *rest = settings.MIDDLEWARE  # as production has it: inside the page cache
    assert first == "blog.pagecache.PageCacheMiddleware"
    settings.MIDDLEWARE = [first, "blog.middleware.HttpsRedirectMiddleware", *rest]
    cache.delete(freshness.GENERATION_KEY)  # a token would have to be read from the database
    with django_assert_num_queries(0):
        response = client.get("/posts/quasar/", HTTP_HOST="blog.example")
    assert response.status_code == 301
    assert response["Location"] == "https://blog.example/posts/quasar/"
