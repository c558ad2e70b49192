"""Readers' pages and feeds from the cache, answered before sessions, auth and messages.

An anonymous GET or HEAD of a public address is looked up under the site's freshness token
(blog.freshness): any committed change, and the moment a scheduled post comes due, gives a
new token, so an old entry can never be reached again; lifetimes only bound memory. What is
kept is the response as it left the stack inside this middleware (its headers: type, CSP,
Cache-Control, Vary, ETag; its body compressed with gzip and Brotli), so a hit carries what
a miss would; the layers outside (security headers, Permissions-Policy) add theirs to both.

Never kept or served from here: a request with a session cookie (someone signed in, or
about to be, sees previews and private pages), one with a message waiting, any other method,
an address for a host only a pattern admits (freshness.cache_origin), and a response that is
not a public 200 or sets a cookie. Query strings are reduced to what the page's view reads
(its `canonical_query`: a list's page number but for the first, a search's cleaned words),
so `?utm_source=…` noise, `?page=1` and reordered parameters share one entry, and the view
sees exactly the reduced query its entry is kept under.

Conditional GET: every page gets a weak ETag made of its key and the token, so a reader's
If-None-Match is answered 304 without a body, without building anything and without a query
(feeds keep their own ETag from their bytes, blog.conditional, which survives changes
elsewhere on the site).
"""

import gzip
import hashlib

import brotli
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified, QueryDict
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

from . import conditional, freshness
from .outage import DATABASE_ERRORS, unavailable

# Addresses whose answer depends on the settings and the code alone: kept without asking
# what the content's generation is, so they answer without the database, even while it is away.
CONTENT_FREE = {"/robots.txt"}
# How long an entry may stay, though a change makes it unreachable at once: a day for pages,
# less for search results, whose addresses anyone can make up.
PAGE_SECONDS = 24 * 60 * 60
SEARCH_SECONDS = 10 * 60
# Headers a hit sends from what it knows, not from what the miss sent.
NOT_KEPT = {"content-length", "content-encoding", "set-cookie", "date", "server"}
# What a kept response may vary by: the cookie is decided above (no session cookie at all),
# the encoding at every hit. A response that varies by anything else is not kept.
VARIES_BY = {"cookie", "accept-encoding"}
# Below this, compression costs more than it saves (robots.txt).
SMALLEST_COMPRESSED = 512
GZIP_LEVEL = 6
BROTLI_QUALITY = 5


def enabled():
    return settings.BLOG["PAGE_CACHE"]


def _reduced_query(request):
    """The query string the page is built from: what its view reads (its
    `canonical_query`), in a fixed order; nothing for a view that reads none."""
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return None  # a 404 or a redirect to the address with a slash: left as it came
    canonical = getattr(getattr(view, "view_class", None), "canonical_query", None)
    if canonical is None:
        return ""
    query = QueryDict(mutable=True)
    for name, value in sorted(canonical(request.GET).items()):
        query[name] = value
    return query.urlencode()


def _admin_prefix():
    return "/" + settings.BLOG["ADMIN_PATH"]


def _candidate(request):
    """The origin the request's page may be kept under, or None when it must be built."""
    if request.method not in ("GET", "HEAD"):
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None
    if request.path_info.startswith((_admin_prefix(), "/" + settings.MEDIA_URL.lstrip("/"))):
        return None
    return freshness.cache_origin(request)


def _key(origin, request, query, token):
    address = f"{origin}{request.path}?{query}"
    return "page:" + hashlib.sha256(f"{address}|{token}".encode()).hexdigest()[:40]


def _page_etag(key):
    return f'W/"{key[5:37]}"'


def accepted_encoding(request):
    """ "br", "gzip" or "" (identity): the client's most wanted of the two (Brotli on a tie),
    by Accept-Encoding with its q-values; q=0 refuses."""
    offered = {}
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, *params = (piece.strip().lower() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name:
            offered[name] = quality
    star = offered.get("*", 0.0)
    br, gz = offered.get("br", star), offered.get("gzip", offered.get("x-gzip", star))
    if max(br, gz) <= 0:
        return ""
    return "br" if br >= gz else "gzip"


class Entry:
    """A response as kept: status, headers, ETag and the body in each encoding."""

    __slots__ = ("status", "headers", "etag", "since", "gzip", "br", "plain")

    def __init__(self, response, etag):
        self.status = response.status_code
        # A document with a Last-Modified (blog.conditional.kept) says when its bytes last
        # changed; the date it shows is worked out at each answer, as kept does.
        self.since = getattr(response, "changed_since", None)
        self.headers = [
            (name, value)
            for name, value in response.items()
            if name.lower() not in NOT_KEPT and not (self.since and name.lower() == "last-modified")
        ]
        body = response.content
        self.plain = self.gzip = self.br = None
        if len(body) < SMALLEST_COMPRESSED:
            self.plain = body
        else:
            self.gzip = compress(body, "gzip")
            self.br = compress(body, "br")
            etag = weak(etag)
        self.etag = etag
        self.headers = [(n, etag if n.lower() == "etag" else v) for n, v in self.headers]

    def __getstate__(self):
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state):
        for name, value in state.items():
            setattr(self, name, value)

    def response(self, request):
        if self.since is None:
            unchanged = conditional.etag_matches(request, self.etag)
        else:
            unchanged = conditional.not_modified(request, self.etag, self.since)
        if unchanged:
            answer = HttpResponseNotModified()
            for name, value in self.headers:
                if name.lower() in ("etag", "cache-control", "vary", "last-modified"):
                    answer[name] = value
            return self._dated(answer)
        encoding = accepted_encoding(request)
        if self.plain is not None:
            body, encoding = self.plain, ""
        elif encoding == "br":
            body = self.br
        elif encoding:
            body, encoding = self.gzip, "gzip"
        else:
            body = gzip.decompress(self.gzip)
        answer = HttpResponse(status=self.status)
        for name, value in self.headers:
            answer[name] = value
        if encoding:
            answer["Content-Encoding"] = encoding
        answer["Content-Length"] = str(len(body))
        if request.method != "HEAD":
            answer.content = body
        return self._dated(answer)

    def _dated(self, answer):
        if self.since is not None:
            answer["Last-Modified"] = http_date(
                conditional.last_modified(self.since, timezone.now())
            )
        return answer


def weak(etag):
    """A strong validator names one set of bytes (RFC 9110 §8.8.3); a document sent in
    several codings has several, so it carries a weak one (If-None-Match compares weakly)."""
    return etag if etag.startswith("W/") else f"W/{etag}"


def compress(body, encoding):
    if encoding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, GZIP_LEVEL, mtime=0)


def _encoded(response, request):
    """A built response compressed for this client alone (the page cache switched off)."""
    encoding = accepted_encoding(request)
    if len(response.content) >= SMALLEST_COMPRESSED:
        response["ETag"] = weak(response["ETag"])
        if encoding:
            response.content = compress(response.content, encoding)
            response["Content-Encoding"] = encoding
    response["Content-Length"] = str(len(response.content))
    if request.method == "HEAD":
        response.content = b""
    return response


def _keepable(response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = {
        part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")
    }
    if "public" not in cache_control or cache_control & {"private", "no-store", "no-cache"}:
        return False
    varies = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return varies <= VARIES_BY


class PageCacheMiddleware:
    """Placed after the security and static-file layers and before everything that reads
    the session or the database (site_config.settings.base)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = _candidate(request)
        if origin is None:
            return self.get_response(request)
        query = _reduced_query(request)
        if query is None:
            return self.get_response(request)
        if query != request.META.get("QUERY_STRING", ""):
            request.META["QUERY_STRING"] = query
            request.GET = QueryDict(query)
        try:
            token = (
                freshness.settings_fingerprint()
                if request.path_info in CONTENT_FREE
                else freshness.current()
            )
        except DATABASE_ERRORS as error:  # the generation's row, when the cache lacks it
            return unavailable(request, error)
        key = _key(origin, request, query, token)
        use_cache = enabled()
        entry = cache.get(key) if use_cache else None
        if entry is not None:
            return entry.response(request)
        page_etag = _page_etag(key)
        if conditional.etag_matches(request, page_etag, star=False):
            # What was built under this key and token had this ETag, whatever its bytes.
            return self._not_modified(page_etag)
        # Built for the origin it is kept under (no made-up port in its links).
        freshness.readdress(request, origin)
        response = self.get_response(request)
        if response.status_code == 304:
            # As a 304 from the cache says it (RFC 9110 §15.4.5): what it varies by, and no
            # length but the page's own.
            patch_vary_headers(response, ["Accept-Encoding"])
            del response["Content-Length"]
            if response.has_header("ETag"):
                response["ETag"] = weak(response["ETag"])
            return response
        if not _keepable(response):
            return response
        if not response.has_header("ETag"):
            response["ETag"] = page_etag
        patch_vary_headers(response, ["Accept-Encoding"])
        if not use_cache:
            return _encoded(response, request)
        entry = Entry(response, response["ETag"])
        cache.set(key, entry, SEARCH_SECONDS if "q=" in query else PAGE_SECONDS)
        return entry.response(request)

    @staticmethod
    def _not_modified(etag):
        # As the page's own answer would say (RFC 9110 §15.4.5): pages all share one policy.
        answer = HttpResponseNotModified()
        answer["ETag"] = etag
        conditional.public(answer, conditional.PAGE_MAX_AGE)
        patch_vary_headers(answer, ["Cookie", "Accept-Encoding"])
        return answer
