import hashlib
import re
import zlib
from datetime import UTC, datetime
from urllib.parse import quote

from django.conf import settings
from django.core.paginator import Page
from django.db.models import Count, Max, Subquery
from django.http import Http404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy
from django.views.generic import DetailView, ListView, TemplateView

from . import around, cards, conditional, links, lists, permissions
from .models import Post, Series
from .search import highlight, snippet
from .search_results import results_page

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
            conditional.public(response, conditional.PAGE_MAX_AGE)
        patch_vary_headers(response, ["Cookie"])
        return response


class PostListMixin(CacheDecisionMixin):
    """What every list of posts shares: the publication rule, ten a page, and at most four
    queries at any size (blog.lists): the navigation, the list's count (both kept under the
    site's freshness), the page of posts and their tags."""

    paginate_by = settings.BLOG["POSTS_PER_PAGE"]
    context_object_name = "posts"
    template_name = "blog/post_list.html"
    # ListView's own check asks the database whether the list is empty; the kept count says.
    allow_empty = True
    empty_is_404 = False

    @classmethod
    def canonical_query(cls, query):
        """What of the query string the page is built from (blog.pagecache keeps the page
        under it, and the view sees nothing else): the page number, but for the first."""
        page = query.get(cls.page_kwarg)
        return {cls.page_kwarg: page} if page not in (None, "1") else {}

    def list_count(self, queryset):
        """How many posts the list has: kept under the site's freshness, by its address."""
        return lists.count(self.request.path, queryset)

    def get_queryset(self):
        return lists.cards(Post.objects.published())

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kw):
        return lists.IdsPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            counter=lambda: self.list_count(queryset),
            name=self.request.path,
            **kw,
        )

    def page_number(self):
        # Django also accepts "last", "+2" and " 2"; our addresses take plain numbers only.
        page = self.request.GET.get(self.page_kwarg)
        if page is not None and not PAGE_NUMBER_RE.fullmatch(page):
            raise Http404("Page numbers are positive integers.")
        return int(page or 1)

    def paginate_queryset(self, queryset, page_size):
        self.page_number()
        paginator, page, ids, is_paginated = super().paginate_queryset(queryset, page_size)
        if self.empty_is_404 and paginator.count == 0:
            raise Http404("Nothing is published here.")
        # The page's posts as their cards (the list template's `posts`).
        return (
            paginator,
            page,
            cards.of(ids, queryset, getattr(page, "posts_read", ())),
            is_paginated,
        )

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
    extra_context = {"heading": gettext_lazy("Latest updates"), "is_home": True}


class CategoryView(PostListMixin, ListView):
    def get_queryset(self):
        slug = self.kwargs["slug"]
        self.category = next((c for c in lists.site_categories() if c.slug == slug), None)
        if self.category is None:
            raise Http404("No such category.")
        return super().get_queryset().filter(category_id=self.category.pk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=self.category.name,
            heading_is_content=True,
            kicker=gettext("Category"),
            description=self.category.description,
            list_feeds=subject_feeds("category", self.category.slug),
            **kwargs,
        )


class TagView(PostListMixin, ListView):
    # A tag only drafts carry has no public page: its name would say what is coming.
    empty_is_404 = True

    def get_queryset(self):
        found = lists.tag_list(self.kwargs["slug"])
        if found is None:
            raise Http404("No such tag, or no published post carries it.")
        self.tag, self.ids = found
        return super().get_queryset()

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kw):
        return lists.KeptPaginator(
            queryset, per_page, self.ids, orphans=orphans,
            allow_empty_first_page=allow_empty_first_page, **kw,
        )  # fmt: skip

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=self.tag.name,
            heading_is_content=True,
            kicker=gettext("Tag"),
            list_feeds=subject_feeds("tag", self.tag.slug),
            **kwargs,
        )


class SearchView(PostListMixin, ListView):
    template_name = "blog/search.html"

    @staticmethod
    def clean(text):
        return " ".join(text.split())[:200]

    @classmethod
    def canonical_query(cls, query):
        canonical = super().canonical_query(query)
        if "q" in query:
            canonical["q"] = cls.clean(query["q"])
        return canonical

    def get_queryset(self):
        self.query = self.clean(self.request.GET.get("q", ""))
        return Post.objects.published()

    def paginate_queryset(self, queryset, page_size):
        """The page's results and their count from one statement (blog.search_results);
        the first RESULTS_LIMIT results are paged through."""
        number = self.page_number()
        found, self.terms = results_page(queryset, self.query, number, page_size)
        if not found.posts and number > 1:
            raise Http404("No such page of results.")
        self.more = found.more
        paginator = lists.CountedPaginator(queryset, page_size, counter=lambda: found.count)
        page = Page(found.posts, number, paginator)
        return paginator, page, lists.attach_tags(found.posts), page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            heading=gettext("Search"),
            query=self.query,
            query_string=f"q={quote(self.query, safe='')}&",
            **kwargs,
        )
        context["terms"], context["more_results"] = self.terms, self.more
        context["results"] = [
            {
                "post": post,
                "title": mark_safe(highlight(post.title, self.terms)),
                "snippet": mark_safe(snippet(post.entry_text or post.excerpt, self.terms)),
            }
            for post in context["posts"]
        ]
        canonical = self.request.build_absolute_uri(self.request.path)
        context["canonical_url"] = canonical
        return context


class MonthView(PostListMixin, ListView):
    # As Django's MonthArchiveView with allow_empty=False: a month without posts is 404.
    empty_is_404 = True

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
        self.month_start, self.bounds = start, (since, until)
        return super().get_queryset().filter(published_at__gte=since, published_at__lt=until)

    def list_count(self, queryset):
        return self.around()["count"]

    def around(self):
        """The month's count and its neighbours, from one statement, kept under the site's
        freshness as a list's count is."""
        if not hasattr(self, "_around"):
            self._around = lists.kept(
                f"month:{get_script_prefix()}:{self.month_start:%Y-%m}",
                lambda: month_and_neighbours(*self.bounds),
            )
        return self._around

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            heading=date_format(self.month_start, "YEAR_MONTH_FORMAT"),
            kicker=gettext("Archive"),
            month_nav=self.around(),
            **kwargs,
        )


class ArchiveIndexView(CacheDecisionMixin, TemplateView):
    template_name = "blog/archive.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(months=archive_months(), **kwargs)


# The archive shows this many titles a month; its month page has the rest.
TITLES_A_MONTH = 30


def archive_months():
    """Every month with a published post, newest first: its address, its count and the
    titles of its newest posts. Reading every post's title and date grows with the blog, so
    the result is kept under the site's freshness (as feeds are), and under the script
    prefix, as its addresses are."""
    return lists.kept(f"archive-months:{get_script_prefix()}", _months)


def _months():
    # One pass over every published post's title and date, newest first (the index's order):
    # on SQLite a database-side TruncMonth, or a window over it, calls Python once a row and
    # took three times as long at 100,000 posts. A post's month is found by comparing its
    # time with the start of the month at hand, so the time zone is consulted once a month.
    rows = (
        Post.objects.published()
        .order_by("-published_at", "-pk")
        .values_list("title", "slug", "published_at")
    )
    months, starts_at = [], None
    for title, slug, published_at in rows.iterator(chunk_size=2000):
        if starts_at is None or published_at < starts_at:
            month = {**_month_of(published_at), "count": 0, "posts": []}
            starts_at = timezone.make_aware(datetime(month["month"].year, month["month"].month, 1))
            months.append(month)
        month["count"] += 1
        if len(month["posts"]) < TITLES_A_MONTH:
            url = links.slug_url("blog:post", slug)
            month["posts"].append({"title": title, "url": url, "published_at": published_at})
    for month in months:
        month["more"] = month["count"] - len(month["posts"])
    return months


def month_and_neighbours(since, until):
    """How many posts the month [since, until) has, and the months with posts just before and
    after it (None at either end), from one statement: two scalar subqueries that each read
    one index entry, beside the month's count."""
    published = Post.objects.published()
    before = published.filter(published_at__lt=since).order_by("-published_at")
    after = published.filter(published_at__gte=until).order_by("published_at")
    found = published.filter(published_at__gte=since, published_at__lt=until).aggregate(
        count=Count("pk"),
        previous=Max(Subquery(before.values("published_at")[:1])),
        next=Max(Subquery(after.values("published_at")[:1])),
    )

    return {
        "count": found["count"],
        "previous": found["previous"] and _month_of(found["previous"]),
        "next": found["next"] and _month_of(found["next"]),
    }


def _month_of(moment):
    """The month `moment` falls in, in the site's time zone, and the address of its page."""
    start = timezone.localtime(moment).date().replace(day=1)
    return {"month": start, "url": reverse("blog:archive_month", args=[start.year, start.month])}


class RobotsView(CacheDecisionMixin, TemplateView):
    pass


def series_of(post):
    """What an article shows of its series: its name and page, its parts, and which this is."""
    if not post.series_id:
        return None
    parts = lists.kept(f"series:{post.series_id}", lambda: around.series_parts(post.series_id))
    number = next((n for n, part in enumerate(parts, 1) if part["pk"] == post.pk), None)
    return {
        "name": post.series.name,
        "url": post.series.get_absolute_url(),
        "parts": parts,
        "number": number,
        "count": len(parts),
    }


class SeriesView(CacheDecisionMixin, TemplateView):
    """A series' page: its parts in reading order (a series only drafts have has none)."""

    template_name = "blog/series.html"

    def get_context_data(self, **kwargs):
        series = Series.objects.filter(slug=self.kwargs["slug"]).first()
        if series is None:
            raise Http404("No such series.")
        parts = lists.kept(f"series:{series.pk}", lambda: around.series_parts(series.pk))
        if not parts:
            raise Http404("Nothing of this series is published yet.")
        return super().get_context_data(
            series=series, parts=parts, list_feeds=subject_feeds("series", series.slug), **kwargs
        )


class PostDetailView(CacheDecisionMixin, DetailView):
    """An article in at most four queries: the post with its category, author and the
    titles of its neighbours (scalar subqueries of one statement), its tags, the related
    posts, and the navigation (kept under the site's freshness)."""

    context_object_name = "post"
    template_name = "blog/post_detail.html"

    def get_queryset(self):
        posts = Post.objects.select_related("category", "author", "series")
        # The neighbours are kept under the site's freshness: building and compiling their
        # eight subqueries was most of an article's time.
        self.neighbours = lists.remembered(self._neighbours_name())
        if self.neighbours is None:
            posts = posts.annotate(**around.annotations())
        if self.request.user.has_perm("blog.change_post"):
            # Those who may change a post preview it as a draft or scheduled ("View on site");
            # being staff alone is not enough (get_object asks blog.permissions which post).
            return posts
        return posts.published()

    def get_object(self, queryset=None):
        post = super().get_object(queryset)
        if not post.is_published and not permissions.may_preview(self.request.user, post):
            raise Http404
        if self.neighbours is None:
            self.neighbours = {name: getattr(post, name) for name in around.NEIGHBOUR_FIELDS}
            lists.remember(self._neighbours_name(), self.neighbours)
        for name, value in self.neighbours.items():
            setattr(post, name, value)
        post.tag_list = lists.kept(f"tags:{post.pk}", lambda: lists.attach_tags([post])[0].tag_list)
        return post

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            if not self._in_the_trash():
                raise
            self.object = None
            return TemplateResponse(request, "410.html", status=410)

    def _in_the_trash(self):
        """Whether readers once had this address: a post moved to the trash is gone, not
        unknown."""
        trashed = Post.all_objects.filter(slug=self.kwargs["slug"], deleted_at__isnull=False)
        return trashed.filter(first_published_at__isnull=False).exists()

    def _neighbours_name(self):
        return f"neighbours:{hashlib.sha256(self.kwargs['slug'].encode()).hexdigest()[:24]}"

    def is_preview(self):
        return self.object is not None and not self.object.is_published

    def get_context_data(self, **kwargs):
        post = self.object
        context = super().get_context_data(
            previous_post=around.neighbour(post, "previous"),
            next_post=around.neighbour(post, "next"),
            # Kept under the site's freshness: it groups every post sharing a tag, which grows
            # with the blog, and changes only when the content does.
            related_posts=lists.kept(f"related:{post.pk}", lambda: around.related_to(post)),
            canonical_url=self.request.build_absolute_uri(post.get_absolute_url()),
            series=series_of(post),
            **kwargs,
        )
        if post.is_published:
            # The article itself (its header, body, tags, related posts and neighbours) is
            # kept under the site's freshness as HTML, compressed, in the cache alone (an
            # article may be a megabyte); a preview is rendered each time.
            name = f"article:{post.pk}:{get_script_prefix()}:{get_language()}"
            article = lists.kept(name, lambda: self._article(context), here=False)
            context["article_html"] = mark_safe(zlib.decompress(article).decode())
        return context

    def _article(self, context):
        html = render_to_string("blog/post_article.html", context, self.request)
        return zlib.compress(html.encode(), 1)
