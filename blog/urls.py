from django.urls import path, register_converter

from . import language, previews, views
from .converters import MonthConverter, UnicodeSlugConverter, YearConverter
from .feeds import views as feeds
from .feeds.views import cached_feed
from .readonly import read_only

register_converter(UnicodeSlugConverter, "uslug")
register_converter(YearConverter, "year")
register_converter(MonthConverter, "month")

app_name = "blog"


def public(route, view, name):
    """Every address here is public and read-only: GET and HEAD, 405 for anything else."""
    return path(route, read_only(view), name=name)


urlpatterns = [
    public("", views.PostListView.as_view(), "index"),
    public("posts/<uslug:slug>/", views.PostDetailView.as_view(), "post"),
    public("category/<uslug:slug>/", views.CategoryView.as_view(), "category"),
    public("tag/<uslug:slug>/", views.TagView.as_view(), "tag"),
    public("archive/", views.ArchiveIndexView.as_view(), "archive"),
    public("search/", views.SearchView.as_view(), "search"),
    public("archive/<year:year>/<month:month>/", views.MonthView.as_view(), "archive_month"),
    public("feed/", cached_feed(feeds.SiteRss()), "feed_rss"),
    public("feed/atom/", cached_feed(feeds.SiteAtom()), "feed_atom"),
    public("feed/json/", cached_feed(feeds.json_feed), "feed_json"),
    public("category/<uslug:slug>/feed/", cached_feed(feeds.CategoryRss()), "category_feed_rss"),
    public(
        "category/<uslug:slug>/feed/atom/",
        cached_feed(feeds.CategoryAtom()),
        "category_feed_atom",
    ),
    public("tag/<uslug:slug>/feed/", cached_feed(feeds.TagRss()), "tag_feed_rss"),
    public("tag/<uslug:slug>/feed/atom/", cached_feed(feeds.TagAtom()), "tag_feed_atom"),
    public("series/<uslug:slug>/", views.SeriesView.as_view(), "series"),
    public("series/<uslug:slug>/feed/", cached_feed(feeds.SeriesRss()), "series_feed_rss"),
    public("series/<uslug:slug>/feed/atom/", cached_feed(feeds.SeriesAtom()), "series_feed_atom"),
    public("preview/<str:token>/", previews.shared_preview, "shared_preview"),
    # POST: sets the reader's language cookie and goes back to `next` (blog.language).
    path("language/", language.switch, name="language"),
]
