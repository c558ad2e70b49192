import re
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.generic import DetailView, ListView, TemplateView
from taggit.models import Tag

from . import freshness, permissions
from .models import Category, Post, SearchEntry
from .search import highlight, search_posts, snippet

PUBLIC_MAX_AGE = 300
ARCHIVE_CACHE_SECONDS = 24 * 60 * 60
PAGE_NUMBER_RE = re.compile(r"[1-9][0-9]{0,8}")


class CacheDecisionMixin:
    """Readers' pages may be kept by browsers and shared caches for a few minutes; anything
    rendered for a signed-in user is private, and an unpublished preview is never stored."""

    def is_preview(self):
        return False

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if self.is_preview():
            add_never_cache_headers(response)
        elif request.user.is_authenticated:
            patch_cache_control(response, private=True, no_cache=True)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        patch_vary_headers(response, ["Cookie"])
        return response


class PostListMixin(CacheDecisionMixin):
    """What every list of posts shares: the publication rule, ten a page, related rows
    loaded in a fixed number of queries."""

    paginate_by = settings.BLOG["POSTS_PER_PAGE"]
    context_object_name = "posts"
    template_name = "blog/post_list.html"

    def get_queryset(self):
        return Post.objects.published().for_lists()

    def paginate_queryset(self, queryset, page_size):
        # Django also accepts "last", "+2" and " 2"; our addresses take plain numbers only.
        page = self.request.GET.get(self.page_kwarg)
        if page is not None and not PAGE_NUMBER_RE.fullmatch(page):
            raise Http404("Page numbers are positive integers.")
        return super().paginate_queryset(queryset, page_size)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        context["page_range"] = page.paginator.get_elided_page_range(
            page.number, on_each_side=2, on_ends=1
        )
        canonical = self.request.build_absolute_uri(self.request.path)
        context["canonical_url"] = canonical + (f"?page={page.number}" if page.number > 1 else "")
        context.setdefault("list_feeds", site_feeds())
        return context


def site_feeds():
    return [
        ("application/rss+xml", "RSS", reverse("blog:feed_rss")),
        ("application/atom+xml", "Atom", reverse("blog:feed_atom")),
        ("application/feed+json", "JSON Feed", reverse("blog:feed_json")),
    ]


def subject_feeds(kind, slug):
    return [
        ("application/rss+xml", "RSS", reverse(f"blog:{kind}_feed_rss", kwargs={"slug": slug})),
        ("application/atom+xml", "Atom", reverse(f"blog:{kind}_feed_atom", kwargs={"slug": slug})),
    ]


class PostListView(PostListMixin, ListView):
    extra_context = {"heading": "Latest updates", "is_home": True}


class CategoryView(PostListMixin, ListView):
    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return super().get_queryset().filter(category=self.category)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=self.category.name,
            kicker="Category",
            description=self.category.description,
            list_feeds=subject_feeds("category", self.category.slug),
            **kwargs,
        )


class TagView(PostListMixin, ListView):
    # A tag only drafts carry has no public page: its name would say what is coming.
    allow_empty = False

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=self.tag.name,
            kicker="Tag",
            list_feeds=subject_feeds("tag", self.tag.slug),
            **kwargs,
        )


class SearchView(PostListMixin, ListView):
    template_name = "blog/search.html"

    def get_queryset(self):
        self.query = " ".join(self.request.GET.get("q", "").split())[:200]
        results, self.terms = search_posts(super().get_queryset(), self.query)
        return results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            heading="Search",
            query=self.query,
            terms=self.terms,
            query_string=f"q={quote(self.query, safe='')}&",
            **kwargs,
        )
        posts = context["posts"]
        texts = dict(
            SearchEntry.objects.filter(post__in=[p.pk for p in posts]).values_list("post", "text")
        )
        context["results"] = [
            {
                "post": post,
                "title": mark_safe(highlight(post.title, self.terms)),
                "snippet": mark_safe(snippet(texts.get(post.pk, post.excerpt), self.terms)),
            }
            for post in posts
        ]
        canonical = self.request.build_absolute_uri(self.request.path)
        context["canonical_url"] = canonical
        return context


class MonthView(PostListMixin, ListView):
    # As Django's MonthArchiveView with allow_empty=False: a month without posts is 404.
    allow_empty = False

    def get_queryset(self):
        year, month = self.kwargs["year"], self.kwargs["month"]  # four digits, 1-12 (urls)
        tz = timezone.get_current_timezone()
        try:
            start = datetime(year, month, 1)
            end = datetime(year + month // 12, month % 12 + 1, 1)
            # The bounds in UTC, as the database compares them: January of year 1 east of
            # Greenwich, or December 9999 west of it, would fall outside the calendar.
            since, until = (timezone.make_aware(t, tz).astimezone(UTC) for t in (start, end))
        except (ValueError, OverflowError) as exc:
            raise Http404("No such month.") from exc
        self.month_start = start
        return super().get_queryset().filter(published_at__gte=since, published_at__lt=until)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=f"{self.month_start:%Y-%m}", kicker="Archive", **kwargs
        )


class ArchiveIndexView(CacheDecisionMixin, TemplateView):
    template_name = "blog/archive.html"

    def get_context_data(self, **kwargs):
        # Counting every post by month reads the whole table (and on SQLite calls a Python
        # function per row), so the result is kept under the site's freshness, as feeds are.
        key = f"archive-months:{freshness.current()}"
        months = cache.get(key)
        if months is None:
            months = list(
                Post.objects.published()
                .annotate(month=TruncMonth("published_at"))
                .values("month")
                .annotate(count=Count("id"))
                .order_by("-month")
            )
            cache.set(key, months, ARCHIVE_CACHE_SECONDS)
        return super().get_context_data(months=months, **kwargs)


class PostDetailView(CacheDecisionMixin, DetailView):
    context_object_name = "post"
    template_name = "blog/post_detail.html"

    def get_queryset(self):
        posts = Post.objects.select_related("category", "author").prefetch_related("tags")
        if self.request.user.has_perm("blog.change_post"):
            # Those who may change a post preview it as a draft or scheduled ("View on site");
            # being staff alone is not enough (get_object asks blog.permissions which post).
            return posts
        return posts.published()

    def get_object(self, queryset=None):
        post = super().get_object(queryset)
        if not post.is_published and not permissions.may_preview(self.request.user, post):
            raise Http404
        return post

    def is_preview(self):
        return not self.object.is_published

    def get_context_data(self, **kwargs):
        post = self.object
        published = Post.objects.published().only("title", "slug", "published_at")
        same_time = Q(published_at=post.published_at)
        previous_post = (
            published.filter(Q(published_at__lt=post.published_at) | same_time & Q(id__lt=post.id))
            .order_by("-published_at", "-id")
            .first()
        )
        next_post = (
            published.filter(Q(published_at__gt=post.published_at) | same_time & Q(id__gt=post.id))
            .order_by("published_at", "id")
            .first()
        )
        return super().get_context_data(
            previous_post=previous_post,
            next_post=next_post,
            related_posts=related_to(post),
            canonical_url=self.request.build_absolute_uri(post.get_absolute_url()),
            **kwargs,
        )


RELATED_LIMIT = 5


def related_to(post):
    """Up to five published posts sharing the most tags with `post`, newest first on ties."""
    tag_ids = [tag.pk for tag in post.tags.all()]  # prefetched with the post
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
