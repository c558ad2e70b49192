"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each category and each tag.

Each is served through `cached_feed`: built once per change of the site, with ETag and
Last-Modified from its bytes (blog.conditional).
"""

import copy
import re
from datetime import UTC, timedelta
from html import escape as html_escape
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from .. import conditional
from ..models import Category, Post, Series
from .content import absolutize
from .writers import ContentAtomFeed, ContentRssFeed

FEED_MAX_AGE = 300


def cached_feed(view):
    return conditional.kept(view, max_age=FEED_MAX_AGE)


def posts_in(kind, obj):
    """All posts of the site, a category or a tag (publication is filtered by the caller)."""
    if kind == "category":
        return Post.objects.filter(category=obj)
    if kind == "tag":
        return Post.objects.filter(tags=obj)
    if kind == "series":
        return Post.objects.filter(series=obj)
    return Post.objects.all()


def subject(kind, slug):
    """The category or tag a feed is about (None for the site's); 404 when there is none."""
    if kind == "category":
        return get_object_or_404(Category, slug=slug)
    if kind == "series":
        series = get_object_or_404(Series, slug=slug)
        if not Post.objects.published().filter(series=series).exists():
            raise Http404("Nothing of this series is published yet.")
        return series
    if kind == "tag":
        # As its page: a tag only drafts carry has no feed, whose name would say what is coming.
        tag = get_object_or_404(Tag, slug=slug)
        if not Post.objects.published().filter(tags=tag).exists():
            raise Http404("No published post carries this tag.")
        return tag
    return None


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


class SeriesFeedMixin(CategoryFeedMixin):
    kind = "series"


class SeriesRss(SeriesFeedMixin, SiteRss):
    url_name = "blog:series_feed_rss"


class SeriesAtom(SeriesFeedMixin, SiteAtom):
    url_name = "blog:series_feed_atom"


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
