"""What readers' lists of posts read, in a fixed number of queries at any size.

A list page is its posts (one query), their tags (one), how many posts the list has, and
the site's categories for the navigation. The last two change only when the content does,
so they are kept under the site's freshness token (blog.freshness): counting 100,000 posts
on every page view is what made a list slower as the blog grew.
"""

import hashlib
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


def kept(name, build):
    """`build()`, kept under the site's freshness as `name`."""
    key = f"lists:{name}:{freshness.current()}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, CACHE_SECONDS)
    return value


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

    def page(self, number):
        """The page's posts found by their ids first (a deferred join): the rows skipped on
        the way to a deep page are read from the index alone, not fetched from the table."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class KeptPaginator(CountedPaginator):
    """A list whose order no index gives (a tag's posts: the order is the posts', the rows
    are the taggings'): its ids in order are kept, and a page is ten of them."""

    def __init__(self, object_list, per_page, ids, **kwargs):
        super().__init__(object_list, per_page, counter=lambda: len(ids), **kwargs)
        self.ids = ids

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.object_list.filter(pk__in=self.ids[bottom:top]), number, self)


def tag_list(slug):
    """(the tag called `slug`, the ids of its published posts in list order), kept under the
    site's freshness, from one query; None (not kept: made-up addresses fill nothing) when
    no published post carries it. At 100,000 posts, sorting a tag's 5,000 posts took 36 ms
    on every page of it."""
    digest = hashlib.sha256(slug.encode()).hexdigest()[:24]
    key = f"lists:tag:{digest}:{freshness.current()}"
    found = cache.get(key)
    if found is None:
        rows = list(
            Post.objects.published()
            .filter(tags__slug=slug)
            .order_by("-published_at", "-id")
            .values_list("pk", "tags__pk", "tags__name")
        )
        if not rows:
            return None
        found = (TagLink(rows[0][1], rows[0][2], slug), [row[0] for row in rows])
        cache.set(key, found, CACHE_SECONDS)
    return found


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
