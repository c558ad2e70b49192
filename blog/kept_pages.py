"""Pages as the page cache keeps them (blog.pagecache), and where it keeps them.

An Entry is a response as it left the whole middleware stack: status, every header but those
worked out at each answer, its validators, and its body compressed with gzip and Brotli, so
one build answers every client and a hit carries exactly what the miss did. Entries live in
the site's cache, shared by every process, and the most recently answered of them in the
process itself as well (Recent), so a hit usually reads nothing from the cache but the
freshness token: the key of an entry holds the token it was built under, so a copy here can
never be reached once the site has changed, whatever this process did or did not hear.
"""

import gzip
import threading
import time
from collections import OrderedDict

import brotli
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.http import http_date

from . import conditional

# Headers a hit sends from what it knows, not from what the miss sent.
NOT_KEPT = {"content-length", "content-encoding", "set-cookie", "date", "server"}
# What a 304 leaves out of the page's headers: what describes a body (RFC 9110 §15.4.5).
NOT_MODIFIED_DROPS = {"content-type", "content-language", "content-disposition"}
# Below this, compression costs more than it saves (robots.txt).
SMALLEST_COMPRESSED = 512
GZIP_LEVEL = 6
BROTLI_QUALITY = 5
# What a process keeps of the entries it answered, in all three forms: the hot pages of a
# site (its home, its newest articles, their lists, its feeds), some 250 entries of 30 KB,
# within a worker's 120 MB.
RECENT_BYTES = 8 * 1024 * 1024


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


def weak(etag):
    """A strong validator names one set of bytes (RFC 9110 §8.8.3); a document sent in
    several codings has several, so it carries a weak one (If-None-Match compares weakly)."""
    return etag if etag.startswith("W/") else f"W/{etag}"


def compress(body, encoding):
    if encoding == "br":
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, GZIP_LEVEL, mtime=0)


class Entry:
    """A response as kept: status, headers, ETag and the body in each encoding."""

    __slots__ = ("status", "headers", "etag", "since", "gzip", "br", "plain", "length", "identity")
    # What goes to the cache; `identity`, the body uncompressed, is made by a worker that
    # keeps the entry for itself (Recent), for the clients that accept no coding.
    KEPT = ("status", "headers", "etag", "since", "gzip", "br", "plain", "length")

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
        self.length = len(body)
        self.plain = self.gzip = self.br = self.identity = None
        if len(body) < SMALLEST_COMPRESSED:
            self.plain = body
        else:
            self.gzip = compress(body, "gzip")
            self.br = compress(body, "br")
            etag = weak(etag)
        self.etag = etag
        self.headers = [(n, etag if n.lower() == "etag" else v) for n, v in self.headers]

    def __getstate__(self):
        return {name: getattr(self, name) for name in self.KEPT}

    def __setstate__(self, state):
        self.identity = None
        for name, value in state.items():
            setattr(self, name, value)

    @property
    def size(self):
        """Its bytes once a worker keeps it, the uncompressed body included."""
        bodies = (self.plain, self.gzip, self.br)
        return sum(len(body) for body in bodies if body) + (0 if self.plain else self.length)

    def with_identity(self):
        """This entry with its uncompressed body at hand (what Recent keeps)."""
        if self.plain is None and self.identity is None:
            self.identity = gzip.decompress(self.gzip)
        return self

    def answer(self, request):
        """(status, headers, body) for `request`: 304 when its validator matches, else the
        body in the coding the client prefers, none for HEAD (its length is the body's)."""
        if self.since is None:
            unchanged = conditional.etag_matches(request, self.etag)
        else:
            unchanged = conditional.not_modified(request, self.etag, self.since)
        if unchanged:
            headers = [(n, v) for n, v in self.headers if n.lower() not in NOT_MODIFIED_DROPS]
            return 304, self._dated(headers), b""
        encoding = accepted_encoding(request)
        if self.plain is not None:
            body, encoding = self.plain, ""
        elif encoding == "br":
            body = self.br
        elif encoding:
            body, encoding = self.gzip, "gzip"
        else:
            body = self.identity if self.identity is not None else gzip.decompress(self.gzip)
        headers = list(self.headers)
        if encoding:
            headers.append(("Content-Encoding", encoding))
        headers.append(("Content-Length", str(len(body))))
        return self.status, self._dated(headers), b"" if request.method == "HEAD" else body

    def response(self, request):
        """answer() as a Django response, for the middleware."""
        status, headers, body = self.answer(request)
        response = HttpResponseNotModified() if status == 304 else HttpResponse(status=status)
        for name, value in headers:
            response[name] = value
        if body:
            response.content = body
        return response

    def _dated(self, headers):
        if self.since is not None:
            moment = conditional.last_modified(self.since, timezone.now())
            headers = [*headers, ("Last-Modified", http_date(moment))]
        return headers


class Recent:
    """The entries this process answered last, up to a number of bytes, each until the
    lifetime it has in the cache runs out; shared by the process's threads."""

    def __init__(self, budget):
        self.budget = budget
        self._entries = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            entry, expires = found
            if expires <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key, entry, seconds):
        size = entry.size
        if size > self.budget // 8:  # one big page must not push out the site's hot ones
            return
        entry.with_identity()
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (entry, time.monotonic() + seconds)
            self._bytes += size
            while self._bytes > self.budget:
                self._drop(next(iter(self._entries)))

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _drop(self, key):
        entry, _expires = self._entries.pop(key)
        self._bytes -= entry.size


recent = Recent(RECENT_BYTES)


def find(key, seconds):
    """The entry kept under `key`: from this process when it answered it lately, else from
    the cache, and then kept here too for `seconds`, its lifetime in the cache (which does
    not say how much of it is left: a copy may outlive the cache's, harmlessly, as the key
    holds the token)."""
    entry = recent.get(key)
    if entry is None:
        entry = cache.get(key)
        if entry is not None:
            recent.put(key, entry, seconds)
    return entry


def keep(key, entry, seconds):
    cache.set(key, entry, seconds)
    recent.put(key, entry, seconds)
