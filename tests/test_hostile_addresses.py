"""Every public address, fed hostile path segments, query strings and methods: each answer is
one a reader or a crawler can act on (200, a redirect, 304, 400, 404, 405, 410, 414), never a
server error (issue 10, findings 10 and 11).

The client checks CSRF as a browser's request would meet it, and returns a 500 instead of
raising, so what is asserted is what a client would have received."""

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.test import Client

from blog import publishing
from blog.models import Category

ACCEPTABLE = {200, 301, 302, 304, 400, 404, 405, 410, 414}
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE")
SAFE = {"GET", "HEAD"}

# Addresses with one {} for a hostile segment; the valid value fills it for the method sweep.
PUBLIC = {
    "/": None,
    "/posts/{}/": "reader-post",
    "/category/{}/": "readers",
    "/category/{}/feed/": "readers",
    "/category/{}/feed/atom/": "readers",
    "/tag/{}/": "pytorch",
    "/tag/{}/feed/": "pytorch",
    "/tag/{}/feed/atom/": "pytorch",
    "/feed/": None,
    "/feed/atom/": None,
    "/feed/json/": None,
    "/archive/": None,
    "/archive/{}/": "2026/1",
    "/search/": None,
    "/sitemap.xml": None,
    "/robots.txt": None,
    "/favicon.ico": None,
    "/media/{}": "posts/reader-post/figure.png",
}

SEGMENTS = [
    "9" * 30,
    "2147483648",
    "-1",
    "0",
    "空洞卷积",
    "🔥",
    "%F0%9F%94%A5",
    "%00",
    "a%00b",
    "%FF%FE",
    "%C0%AE%C0%AE",
    "x" * 256,
    "x" * 5000,
    "..",
    "%2e%2e",
    "a%2Fb",
    "%2F%2F",
    "..%2F..%2Fetc%2Fpasswd",
    "%5C..%5C",
    "a%20b",
    "%25",
    "<script>",
]
ARCHIVE_MONTHS = [
    "2147483648/1",
    "99999999999999999999/1",
    "2026/99999999999999999999",
    "1/1",
    "0001/01",
    "9999/12",
    "0/0",
    "2026/0",
    "2026/13",
    "2026/-1",
    "1969/12",
    "2026/01",
    "%00/1",
]
QUERIES = [
    "page=-1",
    "page=0",
    f"page={10**30}",
    "page=abc",
    "page=1&page=2",
    "page=%00",
    "page=2.5",
    "page=%EF%BC%92",  # a full-width digit
    "q=" + "x" * 10240,
    "q=" + quote("空洞卷积 " * 2000),
    "q=a&q=b&q=c",
    "q=%00",
    "q=%FF",
    "q=" + quote('"*^:(){}[]-+ OR AND NEAR'),
    "%00=%00",
    "&&&==",
    "x=" + "y" * 20000,
]


@pytest.fixture
def site(make_post, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    figure = settings.MEDIA_ROOT / "posts" / "reader-post" / "figure.png"
    figure.parent.mkdir(parents=True)
    figure.write_bytes(b"\x89PNG\r\n\x1a\n")
    readers = publishing.save_category(Category(name="读者", slug="readers"))
    make_post(
        title="读者的文章",
        slug="reader-post",
        category=readers,
        tags=["PyTorch"],
        published_at=datetime(2026, 1, 15, 12, tzinfo=UTC),
    )


@pytest.fixture
def reader():
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


def ask(client, method, url):
    return client.generic(method, url)


def sweep(client, urls, methods=("GET",)):
    """The (method, url, status) of every answer outside ACCEPTABLE."""
    bad = []
    for url in urls:
        for method in methods:
            status = ask(client, method, url).status_code
            if status not in ACCEPTABLE:
                bad.append((method, url[:80], status))
    return bad


def filled(address, value):
    return address.format(value) if value is not None else address


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_answer_only_get_and_head(site, reader, address):
    url = filled(address, PUBLIC[address])
    answers = {method: ask(reader, method, url) for method in METHODS}
    for method in SAFE:
        assert answers[method].status_code in {200, 301}, (method, url)
    for method in set(METHODS) - SAFE:
        response = answers[method]
        assert response.status_code == 405, (method, url, response.status_code)
        assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("address", [a for a, value in PUBLIC.items() if value is not None])
def test_hostile_path_segments_never_break_a_public_address(site, reader, address):
    segments = ARCHIVE_MONTHS if address == "/archive/{}/" else SEGMENTS
    urls = [address.format(segment) for segment in segments]
    assert sweep(reader, urls, methods=("GET", "HEAD", "POST")) == []


@pytest.mark.parametrize("address", PUBLIC)
def test_hostile_query_strings_never_break_a_public_address(site, reader, address):
    base = filled(address, PUBLIC[address])
    assert sweep(reader, [f"{base}?{query}" for query in QUERIES]) == []


def test_media_paths_of_any_length_are_404(site, reader):
    for length in (255, 256, 1000, 4096, 5000):
        assert reader.get("/media/" + "x" * length).status_code == 404
        assert reader.get("/media/posts/" + "x" * length + ".png").status_code == 404
    assert reader.get("/media/" + "/".join(["x" * 200] * 30)).status_code == 404
