"""What every cache keys on: the site's content generation, and the moment the next scheduled
post goes live.

The generation is a counter row in the database (blog.models.ContentGeneration) that the write
path moves on inside the same transaction as the change it belongs to, so every process sees
it change exactly when the change becomes visible, and a cache flush cannot reset it. The
cache holds a copy for a few seconds, refreshed by the writer on commit, so that a reader's
request usually needs no query at all to know what is current.

Time matters too: a scheduled post goes live without anyone saving anything. For a given
generation the set of posts is fixed, so what readers see is a pure function of the clock;
the token includes the newest publication time that has come, which moves exactly when a
scheduled post appears. Site settings that show on pages and feeds (title, tagline, feed
size, language, time zone, the code itself) are part of the token, so a restart with other
values or other code never serves what the old ones built.
"""

import copy
import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import F, Max
from django.dispatch import receiver
from django.http.request import split_domain_port
from django.utils import timezone

from .models import ContentGeneration, Post
from .outage import DATABASE_ERRORS

GENERATION_KEY = "freshness:generation"
# How long a process trusts the cached copy of the generation without asking the database.
# The writer refreshes the copy on commit, so this only bounds how long a copy can be wrong
# after the cache itself failed at the moment of a write.
GENERATION_MIRROR_SECONDS = 5
# The generation last read from the database, for when it cannot be read (see _state).
LAST_KNOWN_KEY = "freshness:last-known"
LAST_KNOWN_SECONDS = 24 * 60 * 60
SCHEDULE_SECONDS = 24 * 60 * 60
# Scheduled publication times remembered per generation; past the last of them (a blog
# with more than this many posts queued) the schedule is read again.
UPCOMING_LIMIT = 20
ROW = 1


def advance():
    """Moves the generation on, inside the caller's transaction (blog.publishing calls it
    once per transaction that changes anything); the cached copy follows on commit."""
    moved = ContentGeneration.objects.filter(pk=ROW).update(value=F("value") + 1)
    if not moved:  # a database emptied by hand or by a test flush: the row comes back
        _row, created = ContentGeneration.objects.get_or_create(pk=ROW, defaults={"value": 1})
        if not created:
            ContentGeneration.objects.filter(pk=ROW).update(value=F("value") + 1)
    # On commit, the copy gets what the database holds then, not this transaction's number:
    # two writers' callbacks may run in either order, and neither may put back an older one.
    # The writer reads the schedule too, so that readers find both in one cache read.
    # Robust: the change is committed whatever the cache does, and the announcement queued
    # after this callback (search index) must still run.
    transaction.on_commit(_mirror, robust=True)


def _mirror():
    _request.token = None
    gen = _read_generation()
    state = (gen, schedule(gen, timezone.now()))
    cache.set(GENERATION_KEY, state, GENERATION_MIRROR_SECONDS)
    cache.set(LAST_KNOWN_KEY, state, LAST_KNOWN_SECONDS)


def lock():
    """Takes the generation row's lock first thing in a writing transaction (PostgreSQL; a
    SQLite write locks the whole database anyway), so writers queue in one order."""
    list(ContentGeneration.objects.select_for_update().filter(pk=ROW).values_list("pk"))


def generation():
    """(epoch, value) of the committed generation, from the cache when it has it."""
    return _state(timezone.now())[0]


class NotInCache(Exception):
    """What current(cached_only=True) raises when the token needs the database."""


def _state(now, cached_only=False):
    """The committed generation and its schedule: one cache read while both are there."""
    if not settings.BLOG_CACHE_IS_SHARED:
        if cached_only:
            raise NotInCache
        gen = _read_generation()
        return gen, schedule(gen, now)
    state = cache.get(GENERATION_KEY)
    if state is None and cached_only:
        raise NotInCache
    if state is None:
        try:
            gen = _read_generation()
        except DATABASE_ERRORS:
            # While the database is away nothing can be committed, so the last generation
            # read is still the current one: pages kept under it are still true (the page
            # cache serves them; anything it must build gets the 503 page).
            state = cache.get(LAST_KNOWN_KEY)
            if state is None:
                raise
            return tuple(state[0]), state[1]
        state = (gen, schedule(gen, now))
        # add, not set: a writer that committed meanwhile has already put the newer value,
        # and that one is the last known too.
        if cache.add(GENERATION_KEY, state, GENERATION_MIRROR_SECONDS):
            cache.set(LAST_KNOWN_KEY, state, LAST_KNOWN_SECONDS)
    gen, known = state
    if known.outdated(now):
        if cached_only:
            raise NotInCache
        known = schedule(gen, now)
    return tuple(gen), known


def _read_generation():
    row = ContentGeneration.objects.values_list("epoch", "value").filter(pk=ROW).first()
    return tuple(row) if row else ("none", 0)


@dataclass(frozen=True)
class Schedule:
    """For one generation: the newest publication time already visible when it was read,
    and the scheduled times after it (ascending, at most UPCOMING_LIMIT)."""

    visible: datetime | None
    upcoming: tuple
    complete: bool

    def newest_visible(self, now):
        due = [moment for moment in self.upcoming if moment <= now]
        return max([m for m in (self.visible, *due) if m is not None], default=None)

    def outdated(self, now):
        return not self.complete and bool(self.upcoming) and now >= self.upcoming[-1]

    def next_publication(self, now):
        return next((moment for moment in self.upcoming if moment > now), None)


def _read_schedule(now):
    published = Post.objects.filter(status=Post.Status.PUBLISHED)
    # Two reads, each answered from the (status, published_at) index.
    visible = published.filter(published_at__lte=now).aggregate(v=Max("published_at"))["v"]
    upcoming = tuple(
        published.filter(published_at__gt=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)[: UPCOMING_LIMIT + 1]
    )
    complete = len(upcoming) <= UPCOMING_LIMIT
    return Schedule(visible, upcoming[:UPCOMING_LIMIT], complete)


def schedule(gen, now):
    key = f"freshness:schedule:{gen[0]}:{gen[1]}"
    known = cache.get(key)
    if known is None or known.outdated(now):
        known = _read_schedule(now)
        cache.set(key, known, SCHEDULE_SECONDS)
    return known


@lru_cache(maxsize=1)
def code_version():
    """A digest of the code and templates that build pages and feeds, so a deployment of
    new code never serves entries its predecessor cached. BLOG_CODE_VERSION (e.g. the
    commit) replaces it where the source tree is not at hand."""
    declared = getattr(settings, "BLOG_CODE_VERSION", "")
    if declared:
        return declared
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    suffixes = {".py", ".html", ".txt", ".xml", ".css", ".mo"}
    for folder in ("blog", "templates", "locale", "static/css", "site_config"):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix in suffixes and "migrations" not in path.parts and path.is_file():
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_fingerprints = {}


# Settings that decide the headers a kept page carries (the page cache keeps the response
# as the whole stack made it): a restart with other values must not serve the old ones.
HEADER_SETTINGS = (
    "MIDDLEWARE", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_CSP", "SECURE_CSP_REPORT_ONLY", "SECURE_SSL_REDIRECT", "SECURE_PROXY_SSL_HEADER",
    "X_FRAME_OPTIONS", "PERMISSIONS_POLICY", "BLOG_HTTPS_REDIRECT",
)  # fmt: skip


def settings_fingerprint():
    """The settings that show on pages and in feeds, or in their headers, as a digest (worked
    out once per set of values: tests and deployments replace the objects, they do not
    change them in place)."""
    headers = tuple(getattr(settings, name, None) for name in HEADER_SETTINGS)
    shown = (settings.BLOG, settings.LANGUAGE_CODE, settings.TIME_ZONE, code_version(), headers)
    known = _fingerprints.get(id(shown[0]))
    if known is None or known[0] != shown:
        payload = {"blog": shown[0], "language": shown[1], "time_zone": shown[2]}
        payload["code"], payload["headers"] = shown[3], shown[4]
        text = json.dumps(payload, sort_keys=True, default=str)
        known = (copy.deepcopy(shown), hashlib.sha256(text.encode()).hexdigest()[:16])
        _fingerprints.clear()
        _fingerprints[id(shown[0])] = known
    return known[1]


# Within one request the token is worked out once (the page cache, the navigation and a
# list's count all ask); a write in the request forgets it on commit.
_request = threading.local()


@receiver(request_started, dispatch_uid="freshness-request-started")
@receiver(request_finished, dispatch_uid="freshness-request-finished")
def _forget(signal=None, **kwargs):
    _request.token = None
    _request.active = signal is request_started


def current(now=None, cached_only=False):
    """The token of what readers see right now: equal tokens, equal pages and feeds.
    `cached_only` raises NotInCache rather than read the database (blog.pagecache's hits
    before Django's handler, which do not open connections)."""
    # Not for cached_only: that is asked outside Django's request signals, which are what
    # keep the memo to one request.
    remembered = now is None and not cached_only and getattr(_request, "active", False)
    if remembered and _request.token is not None:
        return _request.token
    token = _token(now or timezone.now(), cached_only)
    if remembered:
        _request.token = token
    return token


def _token(now, cached_only=False):
    gen, known = _state(now, cached_only)
    visible = known.newest_visible(now)
    stamp = visible.isoformat() if visible else "none"
    key = f"{gen[0]}|{gen[1]}|{stamp}|{settings_fingerprint()}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def next_publication(now=None):
    """When the next scheduled post goes live (None when none is scheduled)."""
    now = now or timezone.now()
    return _state(now)[1].next_publication(now)


def cache_origin(request):
    """The scheme and host that what is built for `request` is kept under, or None when it
    must not be kept at all (issue 10, finding 13: 200 ports of one host made 200 feeds).

    The host is the one ALLOWED_HOSTS admitted (a refused one never gets here: get_host
    answers 400), lowercased, without its port unless that is the port the request came in
    on (runserver's localhost:8000): any other port is one an attacker made up, and links
    built with it would be wrong anyway. A host admitted only by a pattern ("*",
    ".example.com" for its subdomains) is one of unboundedly many: never a key."""
    domain, port = split_domain_port(request.get_host())
    if domain not in _named_hosts():
        return None
    host = f"{domain}:{port}" if port and port == request.get_port() else domain
    return f"{request.scheme}://{host}"


def _named_hosts():
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]  # as HttpRequest.get_host
    # ".example.com" names example.com itself, and patterns for its subdomains.
    return {entry.lower().removeprefix(".") for entry in allowed if entry != "*"}


def addressed_to(request, origin):
    """A copy of `request` whose host is the one of `origin` (from cache_origin), so that
    what is built for it and kept under that origin has no other host in its links."""
    clone = copy.copy(request)
    clone.META = dict(request.META)
    readdress(clone, origin)
    return clone


def readdress(request, origin):
    """addressed_to, on `request` itself."""
    request.META["HTTP_HOST"] = origin.split("://", 1)[1]
    request.META.pop("HTTP_X_FORWARDED_HOST", None)
    request.__dict__.pop("_current_scheme_host", None)  # build_absolute_uri's cached origin
