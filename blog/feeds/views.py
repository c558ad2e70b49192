"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each category and each tag.

A built feed is kept in the shared cache under the site's freshness token (blog.freshness),
so it is built once per change of the site and then served without a query. Its ETag is a
digest of its bytes: after a change elsewhere on the site the feed is built again, and if its
bytes came out the same, a feed reader's conditional request still gets 304. Last-Modified
comes from the moment the bytes last changed, remembered beside them, so it never moves
backwards (a deleted or renamed entry changes it as surely as a new one).
"""

import copy
import hashlib
import math
import re
from datetime import UTC, timedelta
from html import escape as html_escape
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import http_date, parse_etags, parse_http_date_safe, quote_etag
from taggit.models import Tag

from .. import freshness
from ..models import Category, Post
from .content import absolutize
from .writers import ContentAtomFeed, ContentRssFeed

FEED_MAX_AGE = 300
FEED_CACHE_SECONDS = 24 * 60 * 60
# Remembered longer than any built feed: it is what keeps Last-Modified from going back.
VERSION_SECONDS = 30 * 24 * 60 * 60


def posts_in(kind, obj):
    """All posts of the site, a category or a tag (publication is filtered by the caller)."""
    if kind == "category":
        return Post.objects.filter(category=obj)
    if kind == "tag":
        return Post.objects.filter(tags=obj)
    return Post.objects.all()


def subject(kind, slug):
    """The category or tag a feed is about (None for the site's); 404 when there is none."""
    if kind == "category":
        return get_object_or_404(Category, slug=slug)
    if kind == "tag":
        # As its page: a tag only drafts carry has no feed, whose name would say what is coming.
        tag = get_object_or_404(Tag, slug=slug)
        if not Post.objects.published().filter(tags=tag).exists():
            raise Http404("No published post carries this tag.")
        return tag
    return None


def _changed_at(address, etag):
    """When the feed at `address` (a digest of it) first had these bytes: remembered beside
    its last ETag (and, without a shared cache, by each worker for itself: each remembers a
    moment no earlier than the change, which is all the rule below needs)."""
    key = f"feed-version:{address}"
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


def not_modified(request, etag, since):
    """Whether a conditional GET may be answered 304. If-None-Match decides when present
    (RFC 9110 §13.2.2). If-Modified-Since alone only when the reader's date is at or past
    the end of the second of the change: a copy made within that second, before a second
    change in it, carries an earlier date (see last_modified), so it is never kept stale."""
    if request.method not in ("GET", "HEAD"):
        return False
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        wanted = etag.removeprefix("W/")
        return any(
            tag == "*" or tag.removeprefix("W/") == wanted for tag in parse_etags(if_none_match)
        )
    if_modified_since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
    return if_modified_since is not None and if_modified_since >= _whole_second_after(since)


def cached_feed(view):
    """Serves a feed view from the shared cache under the site's freshness, with ETag and
    Last-Modified, answering conditional requests with 304. It is kept per origin
    (freshness.cache_origin: never per port, never for a host only a pattern admits) and
    built for that origin alone, so no made-up host or port reaches another reader."""

    def serve(request, *args, **kwargs):
        origin = freshness.cache_origin(request)
        if origin is not None:
            request = freshness.addressed_to(request, origin)
            # A digest: an address may be as long as a request line, a cache key may not.
            address = hashlib.sha256(f"{origin}{request.path}".encode()).hexdigest()[:32]
            key = f"feed:{address}:{freshness.current()}"
            stored = cache.get(key)
        else:  # built for this host, never kept
            address = key = stored = None
        if stored is None:
            built = view(request, *args, **kwargs)
            if built.status_code != 200:
                return built
            etag = quote_etag(hashlib.sha256(built.content).hexdigest()[:32])
            stored = {
                "body": built.content,
                "type": built["Content-Type"],
                "etag": etag,
                "since": _changed_at(address, etag) if address else timezone.now(),
            }
            if key:
                cache.set(key, stored, FEED_CACHE_SECONDS)
        if not_modified(request, stored["etag"], stored["since"]):
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(stored["body"], content_type=stored["type"])
        response["ETag"] = stored["etag"]
        response["Last-Modified"] = http_date(last_modified(stored["since"], timezone.now()))
        patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
        return response

    return serve


def feed_language():
    """RSS wants an RFC 1766 code with a country (zh-cn), not Django's script subtag."""
    code = settings.LANGUAGE_CODE.lower()
    return {"zh-hans": "zh-cn", "zh-hant": "zh-tw"}.get(code, code)


def entry_id(request, post):
    """A tag URI (RFC 4151) from the post's id and first publication date: it survives a
    change of title or slug, so readers never show an edited post twice. The date is UTC's,
    so a change of the site's time zone cannot move it."""
    host = settings.BLOG["FEED_ID_AUTHORITY"] or request.get_host().rsplit(":", 1)[0]
    # RFC 4151 wants a DNS name or an e-mail address: lowercase letters, digits, dots, dashes.
    authority = re.sub(r"[^a-z0-9.@-]", "", host.lower()) or "localhost"
    first = post.first_published_at or post.published_at
    return f"tag:{authority},{first.astimezone(UTC):%Y-%m-%d}:post-{post.pk}"


def entry_updated(post):
    return max(post.updated_at, post.published_at)


def author_name(post):
    if post.author:
        return post.author.get_full_name() or post.author.get_username()
    return settings.BLOG["TITLE"]


class SiteRss(Feed):
    feed_type = ContentRssFeed
    kind = "site"
    url_name = "blog:feed_rss"

    def __call__(self, request, *args, **kwargs):
        # One Feed instance serves every request: keep the request on a copy, not on it.
        feed = copy.copy(self)
        feed.request = request
        feed.language = feed_language()
        response = Feed.__call__(feed, request, *args, **kwargs)
        del response.headers["Last-Modified"]  # cached_feed's comes from the feed's history
        return response

    def get_object(self, request, slug=None):
        return subject(self.kind, slug)

    def title(self, obj):
        return settings.BLOG["TITLE"]

    def description(self, obj):
        return settings.BLOG["TAGLINE"]

    def link(self, obj):
        return reverse("blog:index")

    def feed_url(self, obj):
        return reverse(self.url_name)

    def author_name(self, obj):
        return settings.BLOG["TITLE"]

    def feed_copyright(self, obj):
        return f"© {timezone.localdate().year} {settings.BLOG['TITLE']}"

    def items(self, obj):
        return (
            posts_in(self.kind, obj)
            .published()
            .select_related("category", "author")
            .prefetch_related("tags")
            .order_by("-published_at", "-id")[: settings.BLOG["FEED_ITEMS"]]
        )

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # The summary is HTML in both formats; the excerpt is plain text ("a < b" in it is
        # prose), and it is never empty.
        return html_escape(item.excerpt or item.title, quote=False)

    def item_extra_kwargs(self, item):
        page = self.request.build_absolute_uri(item.get_absolute_url())
        return {"content": absolutize(item.body_html, page)}

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        # Posts published together (the admin's action) share a time to the microsecond;
        # Atom readers and the validator want distinct ones, so later duplicates step back.
        updated = entry_updated(item)
        seen = self.__dict__.setdefault("_updated_seen", set())
        while updated in seen:
            updated -= timedelta(microseconds=1)
        seen.add(updated)
        return updated

    def item_author_name(self, item):
        return author_name(item)

    def item_categories(self, item):
        return [item.category.name, *(tag.name for tag in item.tags.all())]

    def item_guid(self, item):
        return entry_id(self.request, item)

    item_guid_is_permalink = False


class SiteAtom(SiteRss):
    feed_type = ContentAtomFeed
    url_name = "blog:feed_atom"

    def subtitle(self, obj):
        return self.description(obj)


class CategoryFeedMixin:
    kind = "category"

    def title(self, obj):
        return f"{settings.BLOG['TITLE']} · {obj.name}"

    def description(self, obj):
        return obj.description or f"{settings.BLOG['TAGLINE']} ({obj.name})"

    def link(self, obj):
        return obj.get_absolute_url()

    def feed_url(self, obj):
        return reverse(self.url_name, kwargs={"slug": obj.slug})


class TagFeedMixin(CategoryFeedMixin):
    kind = "tag"

    def title(self, obj):
        return f"{settings.BLOG['TITLE']} · #{obj.name}"

    def description(self, obj):
        return f"{settings.BLOG['TAGLINE']} (#{obj.name})"

    def link(self, obj):
        return reverse("blog:tag", kwargs={"slug": obj.slug})


class CategoryRss(CategoryFeedMixin, SiteRss):
    url_name = "blog:category_feed_rss"


class CategoryAtom(CategoryFeedMixin, SiteAtom):
    url_name = "blog:category_feed_atom"


class TagRss(TagFeedMixin, SiteRss):
    url_name = "blog:tag_feed_rss"


class TagAtom(TagFeedMixin, SiteAtom):
    url_name = "blog:tag_feed_atom"


def json_feed(request):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) for the whole site."""
    posts = SiteRss().items(None)
    home = request.build_absolute_uri(reverse("blog:index"))
    items = []
    for post in posts:
        url = request.build_absolute_uri(post.get_absolute_url())
        item = {
            "id": entry_id(request, post),
            "url": url,
            "title": post.title,
            "content_html": absolutize(post.body_html, url),
            "summary": post.excerpt,
            "date_published": post.published_at.isoformat(),
            "date_modified": entry_updated(post).isoformat(),
            "authors": [{"name": author_name(post)}],
            "tags": [post.category.name, *(tag.name for tag in post.tags.all())],
            "language": feed_language(),
        }
        if image := post.first_image_url:
            item["image"] = urljoin(url, image)
        items.append(item)
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": settings.BLOG["TITLE"],
        "home_page_url": home,
        "feed_url": request.build_absolute_uri(reverse("blog:feed_json")),
        "description": settings.BLOG["TAGLINE"],
        "language": feed_language(),
        "authors": [{"name": settings.BLOG["TITLE"], "url": home}],
        "items": items,
    }
    return JsonResponse(
        feed,
        content_type="application/feed+json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False, "indent": 1},
    )
