"""Documents built from the whole site's content (feeds, the sitemap), built once per change.

A built document is kept in the shared cache under the site's freshness token
(blog.freshness), so it is built once per change of the site and then served without a query.
Its ETag is a digest of its bytes: after a change elsewhere on the site it is built again, and
if its bytes came out the same, a conditional request still gets 304. Last-Modified comes
from the moment the bytes last changed, remembered beside them, so it never moves backwards
(a deleted or renamed entry changes it as surely as a new one).
"""

import hashlib
import math
import zlib

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_etags, parse_http_date_safe, quote_etag

from . import freshness, language

# The feeds' name in the cache since they were first kept there (the sitemap shares it; the
# address in each key tells them apart).
KEY_PREFIX = "feed"
CACHE_SECONDS = 24 * 60 * 60
# Bodies are kept compressed, at zlib's fastest level: the sitemap of 10,000 articles goes
# from 1.4 MB to 32 KB in 2 ms. Read from Redis whole, 1.4 MB took 0.7-1.0 s in a worker
# whose other threads were busy, each chunk of the reply waiting for the GIL; compressed,
# 10-80 ms (the load test had the sitemap at 3.5 s a request).
# Remembered longer than any built document: it is what keeps Last-Modified from going back.
VERSION_SECONDS = 30 * 24 * 60 * 60
# A shared cache in front (a CDN) may keep a public response this long, and serve it this
# much longer while it asks again in the background; a browser revalidates after max_age.
SHARED_SECONDS = 60
# Browsers ask again for every page view: while nothing changed the answer is a 304 without
# a query (blog.pagecache), and a change is seen at once.
PAGE_MAX_AGE = 0
STALE_SECONDS = 300


def public(response, max_age):
    """The one Cache-Control of what readers get: pages, feeds, the sitemap. Serving stale
    while revalidating is said to CDNs alone (CDN-Cache-Control, RFC 9213): browsers
    honour it too, and would show a page from before a change."""
    shared = max(max_age, SHARED_SECONDS)
    patch_cache_control(response, public=True, max_age=max_age, s_maxage=shared)
    response["CDN-Cache-Control"] = (
        f"public, max-age={shared}, stale-while-revalidate={STALE_SECONDS}"
    )


def _changed_at(address, etag):
    """When the document at `address` (a digest of it) first had these bytes: remembered beside
    its last ETag (and, without a shared cache, by each worker for itself: each remembers a
    moment no earlier than the change, which is all the rule below needs)."""
    key = f"{KEY_PREFIX}-version:{address}"
    known = cache.get(key)
    if known and known["etag"] == etag:
        return known["since"]
    since = timezone.now()
    cache.set(key, {"etag": etag, "since": since}, VERSION_SECONDS)
    return since


def _whole_second_after(moment):
    return math.floor(moment.timestamp()) + 1


def last_modified(since, now):
    """HTTP dates have whole seconds and may not lie in the future: the end of the second
    in which the bytes changed, once that second is over, else the current second."""
    return min(_whole_second_after(since), math.floor(now.timestamp()))


def etag_matches(request, etag, star=True):
    """Whether If-None-Match names `etag` (weak comparison, RFC 9110 §8.8.3.2); `*` counts
    only where the document is known to exist (`star`)."""
    wanted = etag.removeprefix("W/")
    return any(
        (star and tag == "*") or tag.removeprefix("W/") == wanted
        for tag in parse_etags(request.headers.get("If-None-Match") or "")
    )


def not_modified(request, etag, since):
    """Whether a conditional GET may be answered 304. If-None-Match decides when present
    (RFC 9110 §13.2.2). If-Modified-Since alone only when the reader's date is at or past
    the end of the second of the change: a copy made within that second, before a second
    change in it, carries an earlier date (see last_modified), so it is never kept stale."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.headers.get("If-None-Match") is not None:
        return etag_matches(request, etag)
    if since is None:
        return False
    if_modified_since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    return if_modified_since is not None and if_modified_since >= _whole_second_after(since)


def kept(view, max_age):
    """Serves a view's document from the shared cache under the site's freshness, with ETag
    and Last-Modified, answering conditional requests with 304. It is kept per origin
    (freshness.cache_origin: never per port, never for a host only a pattern admits) and
    built for that origin alone, so no made-up host or port reaches another reader."""

    def serve(request, *args, **kwargs):
        origin = freshness.cache_origin(request)
        if origin is not None:
            request = freshness.addressed_to(request, origin)
            # A digest: an address may be as long as a request line, a cache key may not.
            address = hashlib.sha256(f"{origin}{request.path}".encode()).hexdigest()[:32]
            key = f"{KEY_PREFIX}:{address}:{freshness.current()}"
            stored = cache.get(key)
        else:  # built for this host, never kept
            address = key = stored = None
        if stored is None:
            built = view(request, *args, **kwargs)
            if built.status_code != 200:
                return built
            etag = quote_etag(hashlib.sha256(built.content).hexdigest()[:32])
            stored = {
                "body": zlib.compress(built.content, 1),
                "type": built["Content-Type"],
                "etag": etag,
                "since": _changed_at(address, etag) if address else timezone.now(),
            }
            if key:
                cache.set(key, stored, CACHE_SECONDS)
        if not_modified(request, stored["etag"], stored["since"]):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(zlib.decompress(stored["body"]), content_type=stored["type"])
        response["ETag"] = stored["etag"]
        response["Last-Modified"] = http_date(last_modified(stored["since"], timezone.now()))
        public(response, max_age)
        response.changed_since = stored["since"]  # for blog.pagecache, which keeps it
        return response

    # Kept once for every reader, so built in the site's language whoever asks.
    return language.site_language_only(serve)
