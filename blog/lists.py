"""What readers' lists of posts read, in a fixed number of queries at any size.

A list page is the ids of its posts, their cards (blog.cards), how many posts the list has,
and the site's categories for the navigation. All of it changes only when the content does,
so it is kept under the site's freshness token (blog.freshness), in each process and in the
cache for the others (kept): counting 100,000 posts on every page view is what made a list
slower as the blog grew, and building and compiling its queries is what made a list page
slow at any size. Cold, a list page runs at most four queries; warm, none.
"""

import hashlib
import threading
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from taggit.models import TaggedItem

from . import freshness, links
from .models import Category, Post

CACHE_SECONDS = 24 * 60 * 60
# What a card shows of a post (the body and its HTML are the article page's alone).
CARD_FIELDS = (
    "title", "slug", "published_at", "updated_at", "reading_minutes", "excerpt", "excerpt_html",
    "category__name", "category__slug",
)  # fmt: skip


def kept(name, build, here=True):
    """`build()`, kept under the site's freshness as `name`: in this process (unless not
    `here`: values too big to keep in every worker), and in the cache for the others. A
    value is shared by the requests that read it (they only read it); None is never kept."""
    value = remembered(name, here)
    if value is None:
        value = build()
        if value is not None:
            remember(name, value, here)
    return value


def remembered(name, here=True):
    """What is kept as `name` under the current token, or None."""
    token = freshness.current()
    value = _here.get(token, name) if here else None
    if value is None:
        value = cache.get(f"lists:{name}:{token}")
        if value is not None and here:
            _here.put(token, name, value)
    return value


def remember(name, value, here=True):
    token = freshness.current()
    cache.set(f"lists:{name}:{token}", value, CACHE_SECONDS)
    if here:
        _here.put(token, name, value)


class Here:
    """What this process has kept, for one token at a time: a new token (any change, or a
    scheduled post's moment) starts afresh, so nothing here outlives what it was built
    from; at most `limit` values (made-up tag addresses are never kept: None). The token
    and its values are one pair, read at once, so no thread finds one token's values
    under another, and writes take a lock."""

    def __init__(self, limit):
        self.limit = limit
        self._lock = threading.Lock()
        self._kept = (None, {})

    def get(self, token, name):
        kept_token, values = self._kept
        return values.get(name) if kept_token == token else None

    def put(self, token, name, value):
        with self._lock:
            kept_token, values = self._kept
            if kept_token != token:
                values = {}
                self._kept = (token, values)
            if len(values) >= self.limit:
                values.pop(next(iter(values)))
            values[name] = value

    def names(self):
        return list(self._kept[1])

    def clear(self):
        with self._lock:
            self._kept = (None, {})


HERE_LIMIT = 4096
_here = Here(HERE_LIMIT)


def site_categories():
    """Every category, in the navigation's order (a category's page finds its own here)."""
    return kept("categories", lambda: list(Category.objects.all()))


def count(name, queryset):
    """How many rows `queryset` has; `name` says which list it is, for the cache."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:24]
    return kept(f"count:{digest}", queryset.count)


def cards(queryset, *also):
    """Posts as list cards read them: their category joined, their text left out; `also`
    names more fields (or related fields) to read with them."""
    joined = {field.split("__")[0] for field in also if "__" in field}
    return queryset.select_related("category", *joined).only(*CARD_FIELDS, *also)


class CountedPaginator(Paginator):
    """A Paginator that asks `counter` for its count (a kept one) instead of counting."""

    def __init__(self, *args, counter, **kwargs):
        super().__init__(*args, **kwargs)
        self.counter = counter

    @cached_property
    def count(self):
        return self.counter()

    def _bounds(self, number):
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return bottom, top


class IdsPaginator(CountedPaginator):
    """Pages of a list as the ids of their posts, in order (blog.cards makes the posts'
    cards): kept under the site's freshness by the list's `name` and the page's number,
    read from the index alone, so the rows skipped on the way to a deep page are never
    fetched from the table."""

    def __init__(self, *args, name, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = name

    def page(self, number):
        """The page of ids; when they had to be read, the posts were read with them (one
        query, not two), and come with the page as `posts_read` for their cards."""
        number = self.validate_number(number)
        bottom, top = self._bounds(number)
        digest = hashlib.sha256(self.name.encode()).hexdigest()[:24]
        read = []

        def build():
            ids = self.object_list.values("pk")[bottom:top]
            read.extend(self.object_list.filter(pk__in=ids))
            return tuple(post.pk for post in read)

        page = self._get_page(kept(f"ids:{digest}:{number}", build), number, self)
        page.posts_read = read
        return page


class KeptPaginator(CountedPaginator):
    """A list whose order no index gives (a tag's posts: the order is the posts', the rows
    are the taggings'): its ids in order are kept, and a page is ten of them."""

    def __init__(self, object_list, per_page, ids, **kwargs):
        super().__init__(object_list, per_page, counter=lambda: len(ids), **kwargs)
        self.ids = ids

    def page(self, number):
        number = self.validate_number(number)
        bottom, top = self._bounds(number)
        return self._get_page(self.ids[bottom:top], number, self)


def tag_list(slug):
    """(the tag called `slug`, the ids of its published posts in list order), kept under the
    site's freshness, from one query; None (not kept: made-up addresses fill nothing) when
    no published post carries it. At 100,000 posts, sorting a tag's 5,000 posts took 36 ms
    on every page of it."""
    digest = hashlib.sha256(slug.encode()).hexdigest()[:24]

    def build():
        rows = list(
            Post.objects.published()
            .filter(tags__slug=slug)
            .order_by("-published_at", "-id")
            .values_list("pk", "tags__pk", "tags__name")
        )
        if not rows:
            return None
        return TagLink(rows[0][1], rows[0][2], slug), tuple(row[0] for row in rows)

    return kept(f"tag:{digest}", build)


@dataclass(frozen=True)
class TagLink:
    pk: int
    name: str
    slug: str

    @property
    def url(self):
        return links.slug_url("blog:tag", self.slug)


def attach_tags(posts):
    """Gives each post `tag_list`, its tags in the order they were given, in one query
    (taggit's manager built a queryset for every card)."""
    posts = list(posts)
    if not posts:
        return posts
    content_type = ContentType.objects.get_for_model(Post)
    rows = (
        TaggedItem.objects.filter(content_type=content_type, object_id__in=[p.pk for p in posts])
        .order_by("pk")
        .values_list("object_id", "tag_id", "tag__name", "tag__slug")
    )
    found = {}
    for post_id, *tag in rows:
        found.setdefault(post_id, []).append(TagLink(*tag))
    for post in posts:
        post.tag_list = found.get(post.pk, [])
    return posts
