"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 for the site, each category and each tag.

Every feed answers a conditional request with 304 when nothing in it changed: the ETag and
Last-Modified come from the posts in its scope (newest update or publication, and how many
are visible), not from the time of the request, so a scheduled post that goes live changes
them without anyone saving anything.
"""

import copy
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape as html_escape
from urllib.parse import urljoin
from xml.sax.saxutils import escape

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import condition
from taggit.models import Tag

from .feedcontent import absolutize, formulas_as_tex, to_xhtml
from .models import Category, Post

# Part of every ETag, so that a change to how feeds are written reaches readers.
FEED_FORMAT_VERSION = "2"
FEED_MAX_AGE = 300
FEED_CACHE_SECONDS = 24 * 60 * 60


def posts_in(kind, obj):
    """All posts of the site, a category or a tag (publication is filtered by the caller)."""
    if kind == "category":
        return Post.objects.filter(category=obj)
    if kind == "tag":
        return Post.objects.filter(tags=obj)
    return Post.objects.all()


@dataclass(frozen=True)
class Scope:
    kind: str  # "site", "category" or "tag"
    obj: object
    last_modified: datetime | None
    visible: int

    def posts(self):
        return posts_in(self.kind, self.obj)

    def etag(self, feed_format):
        stamp = self.last_modified.isoformat() if self.last_modified else "empty"
        key = "|".join(
            [FEED_FORMAT_VERSION, feed_format, self.kind, str(getattr(self.obj, "pk", "")),
             stamp, str(self.visible), str(settings.BLOG["FEED_ITEMS"])]
        )  # fmt: skip
        return hashlib.sha256(key.encode()).hexdigest()[:32]


def scope_for(request, kind, slug=None):
    """The feed's subject and freshness, looked up once per request (two queries at most)."""
    memo = request.__dict__.setdefault("_feed_scopes", {})
    if (kind, slug) not in memo:
        obj = None
        if kind == "category":
            obj = get_object_or_404(Category, slug=slug)
        elif kind == "tag":
            obj = get_object_or_404(Tag, slug=slug)
        posts = posts_in(kind, obj)
        # Any edit in scope (a draft's too) moves updated_at; a scheduled post going live
        # moves the newest visible published_at; unpublishing or deleting changes the count.
        # Two aggregates, each answered from an index ((updated_at) and (status,
        # published_at)); one with FILTER clauses would read every row of the table.
        updated = posts.aggregate(updated=Max("updated_at"))["updated"]
        facts = posts.published().aggregate(published=Max("published_at"), visible=Count("id"))
        stamps = [s for s in (updated, facts["published"]) if s]
        memo[(kind, slug)] = Scope(kind, obj, max(stamps, default=None), facts["visible"])
    return memo[(kind, slug)]


def conditional(kind, feed_format):
    """Wraps a feed view in ETag / Last-Modified handling for its scope."""

    def etag(request, slug=None):
        return scope_for(request, kind, slug).etag(feed_format)

    def last_modified(request, slug=None):
        return scope_for(request, kind, slug).last_modified

    def wrap(view):
        def cached(request, *args, **kwargs):
            # A feed's bytes depend only on its scope's facts (the ETag) and the address it
            # was asked at (links are absolute): built once, then served from the shared
            # cache by every process until a post in it changes.
            tag = scope_for(request, kind, kwargs.get("slug")).etag(feed_format)
            key = f"feed:{request.scheme}:{request.get_host()}:{request.path}:{tag}"
            stored = cache.get(key)
            if stored is not None:
                response = HttpResponse(stored["body"], content_type=stored["type"])
            else:
                response = view(request, *args, **kwargs)
                if response.status_code == 200:
                    stored = {"body": response.content, "type": response["Content-Type"]}
                    cache.set(key, stored, FEED_CACHE_SECONDS)
            patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
            return response

        return condition(etag_func=etag, last_modified_func=last_modified)(cached)

    return wrap


def feed_language():
    """RSS wants an RFC 1766 code with a country (zh-cn), not Django's script subtag."""
    code = settings.LANGUAGE_CODE.lower()
    return {"zh-hans": "zh-cn", "zh-hant": "zh-tw"}.get(code, code)


def entry_id(request, post):
    """A tag URI (RFC 4151) from the post's id and first publication date: it survives a
    change of title or slug, so readers never show an edited post twice."""
    host = settings.BLOG["FEED_ID_AUTHORITY"] or request.get_host().rsplit(":", 1)[0]
    # RFC 4151 wants a DNS name or an e-mail address: lowercase letters, digits, dots, dashes.
    authority = re.sub(r"[^a-z0-9.@-]", "", host.lower()) or "localhost"
    first = post.first_published_at or post.published_at
    return f"tag:{authority},{timezone.localtime(first):%Y-%m-%d}:post-{post.pk}"


def entry_updated(post):
    return max(post.updated_at, post.published_at)


def author_name(post):
    if post.author:
        return post.author.get_full_name() or post.author.get_username()
    return settings.BLOG["TITLE"]


CONTROL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class FeedXMLGenerator(SimplerXMLGenerator):
    """Django's generator, made safe for whatever an author pasted, and validator-friendly.

    Characters XML 1.0 cannot carry are dropped instead of failing the whole feed. "<" in
    text is written as &#x3C;: the W3C validator warns about text that looks like markup
    ("<感受野>" in a title) unless the line shows it was escaped on purpose."""

    def characters(self, content):
        self._finish_pending_start_element()
        text = escape(CONTROL_CHARACTERS_RE.sub("", content or ""))
        self._write(text.replace("&lt;", "&#x3C;"))

    def add_html_element(self, name, html):
        """An element holding escaped HTML, escaped the ordinary way: `<` as &lt; is much
        shorter than a character reference across a whole article."""
        self.startElement(name, {})
        self._finish_pending_start_element()
        self._write(escape(CONTROL_CHARACTERS_RE.sub("", html)))
        self.endElement(name)

    def raw(self, xml):
        """Writes markup that is already well-formed XML."""
        self._finish_pending_start_element()
        self._write(CONTROL_CHARACTERS_RE.sub("", xml))


class FeedWriterMixin:
    def write(self, outfile, encoding):
        # As Django's own write(), with our generator.
        handler = FeedXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        self.write_document(handler)


class ContentRssFeed(FeedWriterMixin, Rss201rev2Feed):
    """RSS 2.0 with the excerpt as <description> and the article as <content:encoded>."""

    def write_document(self, handler):
        handler.startElement("rss", self.rss_attributes())
        handler.startElement("channel", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        self.endChannelElement(handler)
        handler.endElement("rss")

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.add_html_element("content:encoded", formulas_as_tex(item["content"]))


class ContentAtomFeed(FeedWriterMixin, Atom1Feed):
    """Atom with the article in <content type="xhtml">, where MathML is at home; Django's
    own writes only <summary>."""

    def write_document(self, handler):
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        handler.endElement("feed")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.startElement("content", {"type": "xhtml"})
            xhtml = to_xhtml(item["content"])
            handler.raw(f'<div xmlns="http://www.w3.org/1999/xhtml">{xhtml}</div>')
            handler.endElement("content")


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
        del response.headers["Last-Modified"]  # ours comes from the whole scope
        return response

    def get_object(self, request, slug=None):
        return scope_for(request, self.kind, slug).obj

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
