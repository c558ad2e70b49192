"""What an article shows around it: the posts just before and after it, and the posts that
share its tags (blog.views.PostDetailView keeps both under the site's freshness)."""

from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce

from . import links
from .models import Post

NEIGHBOUR_FIELDS = tuple(f"{s}_{f}" for s in ("previous", "next") for f in ("title", "slug"))


def annotations():
    """The title and slug of the published posts just before and after a post (by
    publication time, then id), as annotations of the post's own query. Each side is a post
    at the same time with a nearer id, else the nearest earlier (later) one: two index
    seeks. Asked as one condition ("earlier, or the same time and a smaller id"), SQLite
    gathered every earlier post and sorted them: 1.9 s an article at 100,000 posts."""
    at, pk = OuterRef("published_at"), OuterRef("id")

    def published(**bounds):
        # The post's own bound first: SQLite takes the first of two upper bounds on the
        # column as the start of its index scan (publication's `<= now` would start it at
        # the newest post, and walk down to this one).
        return Post.objects.filter(**bounds).published()

    sides = {
        "previous": (
            published(published_at=at, id__lt=pk).order_by("-id"),
            published(published_at__lt=at).order_by("-published_at", "-id"),
        ),
        "next": (
            published(published_at=at, id__gt=pk).order_by("id"),
            published(published_at__gt=at).order_by("published_at", "id"),
        ),
    }
    return {
        f"{side}_{field}": Coalesce(
            Subquery(same_time.values(field)[:1]), Subquery(nearest.values(field)[:1])
        )
        for side, (same_time, nearest) in sides.items()
        for field in ("title", "slug")
    }


def neighbour(post, side):
    slug = getattr(post, f"{side}_slug")
    if slug is None:
        return None
    return Post(title=getattr(post, f"{side}_title"), slug=slug)


RELATED_LIMIT = 5


def related_to(post):
    """Up to five published posts sharing the most tags with `post`, newest first on ties."""
    tag_ids = [tag.pk for tag in post.tag_list]  # read with the post (lists.attach_tags)
    if not tag_ids:
        return []
    return list(
        Post.objects.published()
        .filter(tags__in=tag_ids)
        .exclude(pk=post.pk)
        .annotate(shared=Count("tags"))
        .order_by("-shared", "-published_at", "-id")
        .only("title", "slug", "published_at")[:RELATED_LIMIT]
    )


# A series longer than this shows its first parts; its page lists them all the same way.
MAX_SERIES_PARTS = 500


def series_parts(series_id):
    """The published posts of a series in reading order (its part numbers, then by date), as
    [{pk, title, url, published_at}]: kept under the site's freshness by the caller."""
    rows = (
        Post.objects.published()
        .filter(series_id=series_id)
        .order_by(F("series_position").asc(nulls_last=True), "published_at", "id")
        .values("pk", "title", "slug", "published_at")[:MAX_SERIES_PARTS]
    )
    return [{**row, "url": links.slug_url("blog:post", row["slug"])} for row in rows]
