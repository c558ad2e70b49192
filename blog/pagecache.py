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

import hashlib
import logging
from functools import lru_cache
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponseNotModified, QueryDict
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from . import conditional, freshness, kept_pages, language, middleware
from .kept_pages import Entry, accepted_encoding, compress, weak
from .outage import DATABASE_ERRORS, unavailable

logger = logging.getLogger("blog.pagecache")

# Addresses whose answer depends on the settings and the code alone: kept without asking
# what the content's generation is, so they answer without the database, even while it is away.
CONTENT_FREE = {"/robots.txt"}
# How long an entry may stay, though a change makes it unreachable at once: a day for pages,
# less for search results, whose addresses anyone can make up.
PAGE_SECONDS = 24 * 60 * 60
SEARCH_SECONDS = 10 * 60
# What a kept response may vary by: the cookie is decided above (no session cookie at all;
# the language cookie and Accept-Language are in the key, as the language they choose), the
# encoding at every hit. A response that varies by anything else is not kept.
VARIES_BY = {"cookie", "accept-encoding", "accept-language"}


def enabled():
    return settings.BLOG["PAGE_CACHE"]


_UNRESOLVED = object()
# Addresses longer than this are rare and anyone can make them up: resolved each time.
LONGEST_REMEMBERED_PATH = 256


def _reduced_query(request):
    """The query string the page is built from: what its view reads (its
    `canonical_query`), in a fixed order; nothing for a view that reads none."""
    path = request.path_info
    canonical = _remembered_canonical(path) if len(path) <= LONGEST_REMEMBERED_PATH else None
    if canonical is None:
        canonical = _canonical(path)
    if canonical is _UNRESOLVED:
        return None  # a 404 or a redirect to the address with a slash: left as it came
    if not canonical:
        return ""
    query = QueryDict(mutable=True)
    for name, value in sorted(canonical(request.GET).items()):
        query[name] = value
    return query.urlencode()


def _canonical(path):
    """The `canonical_query` of the view at `path`: False for a view that reads no query,
    _UNRESOLVED where no view is."""
    try:
        view = resolve(path).func
    except Resolver404:
        return _UNRESOLVED
    return getattr(getattr(view, "view_class", None), "canonical_query", None) or False


# A hit is answered without resolving its address again (the site's addresses are a few
# hundred hot ones); forgotten when the URLconf is replaced (tests).
_remembered_canonical = lru_cache(maxsize=1024)(_canonical)


@receiver(setting_changed, dispatch_uid="pagecache-urlconf")
def _forget_views(setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _remembered_canonical.cache_clear()


def _admin_prefix():
    return "/" + settings.BLOG["ADMIN_PATH"]


def _candidate(request):
    """The origin the request's page may be kept under, or None when it must be built."""
    if request.method not in ("GET", "HEAD"):
        return None
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
        return None
    elsewhere = (_admin_prefix(), "/" + settings.MEDIA_URL.lstrip("/"))
    if settings.STATIC_URL:  # WhiteNoise's, inside
        elsewhere += ("/" + settings.STATIC_URL.lstrip("/"),)
    if request.path_info.startswith(elsewhere) or middleware.must_redirect(request):
        return None
    return freshness.cache_origin(request)


def _key(origin, request, query, token):
    address = f"{origin}{request.path}?{query}"
    spoken = language.for_request(request)
    return "page:" + hashlib.sha256(f"{address}|{spoken}|{token}".encode()).hexdigest()[:40]


def _page_etag(key):
    return f'W/"{key[5:37]}"'


def _encoded(response, request):
    """A built response compressed for this client alone (the page cache switched off)."""
    encoding = accepted_encoding(request)
    if len(response.content) >= kept_pages.SMALLEST_COMPRESSED:
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


def _address(request, cached_only=False):
    """(origin, reduced query, key) of the entry the request's page is kept under, or None
    when it must be built. The token may raise a database error or, `cached_only`,
    freshness.NotInCache."""
    origin = _candidate(request)
    if origin is None:
        return None
    query = _reduced_query(request)
    if query is None:
        return None
    if request.path_info in CONTENT_FREE:
        token = freshness.settings_fingerprint()
    else:
        token = freshness.current(cached_only=cached_only)
    return origin, query, _key(origin, request, query, token)


def _lifetime(query):
    return SEARCH_SECONDS if "q=" in query else PAGE_SECONDS


class PageCacheMiddleware:
    """First in MIDDLEWARE (site_config.settings.base): what it keeps is the response as the
    whole stack made it, security headers and all, and a hit passes nothing else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            found = _address(request)
        except DATABASE_ERRORS as error:  # the generation's row, when the cache lacks it
            return self._answer(request, unavailable(request, error))
        if found is None:
            return self.get_response(request)
        origin, query, key = found
        if query != request.META.get("QUERY_STRING", ""):
            request.META["QUERY_STRING"] = query
            request.GET = QueryDict(query)
        use_cache = enabled()
        entry = kept_pages.find(key, _lifetime(query)) if use_cache else None
        if entry is not None:
            return entry.response(request)
        page_etag = _page_etag(key)
        if conditional.etag_matches(request, page_etag, star=False):
            # What was built under this key and token had this ETag, whatever its bytes.
            return self._answer(request, self._not_modified(request, page_etag))
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
        kept_pages.keep(key, entry, _lifetime(query))
        return entry.response(request)

    def _answer(self, request, response):
        # Through the layers below, for their headers, as far as PageCacheAnswers.
        request.page_cache_answer = response
        return self.get_response(request)

    @staticmethod
    def _not_modified(request, etag):
        # As the page's own answer would say (RFC 9110 §15.4.5): pages all share one policy.
        answer = HttpResponseNotModified()
        answer["ETag"] = etag
        conditional.public(answer, conditional.PAGE_MAX_AGE)
        varies = ["Cookie", "Accept-Encoding"]
        if not language.site_language_at(request.path_info):
            varies.insert(0, "Accept-Language")
        patch_vary_headers(answer, varies)
        return answer


class PageCacheAnswers:
    """Where what PageCacheMiddleware answers itself (a 304 for a page it no longer holds,
    the 503 of a generation it cannot read) leaves the stack: inside the security layers,
    which add their headers to it as to every page, and outside everything that reads the
    session or the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        answer = getattr(request, "page_cache_answer", None)
        return self.get_response(request) if answer is None else answer


_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def answering_hits(application):
    """The WSGI `application` (Django's handler) with the page cache's hits answered in front
    of it: the same lookup as the middleware's, without the handler's request signals and
    middleware, and never with the database (a token the cache does not hold, and every
    miss, go on to Django). site_config.wsgi serves through it."""

    def serve(environ, start_response):
        answer = _hit(environ)
        if answer is None:
            return application(environ, start_response)
        status, headers, body = answer
        start_response(_STATUS_LINES[status], headers)
        return [body]

    return serve


def _hit(environ):
    if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not enabled():
        return None
    try:
        request = WSGIRequest(dict(environ))  # which it changes: Django's handler reads it next
        found = _address(request, cached_only=True)
        if found is None:
            return None
        _origin, query, key = found
        entry = kept_pages.find(key, _lifetime(query))
    except (freshness.NotInCache, DisallowedHost):
        return None  # Django answers (and says what was wrong with the host)
    except Exception:
        logger.exception("The page cache could not look up %s", environ.get("PATH_INFO"))
        return None
    return None if entry is None else entry.answer(request)
