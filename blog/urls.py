from django.urls import path, register_converter

from . import feeds, views
from .converters import UnicodeSlugConverter
from .feeds import conditional

register_converter(UnicodeSlugConverter, "uslug")

app_name = "blog"

urlpatterns = [
    path("", views.PostListView.as_view(), name="index"),
    path("posts/<uslug:slug>/", views.PostDetailView.as_view(), name="post"),
    path("category/<uslug:slug>/", views.CategoryView.as_view(), name="category"),
    path("tag/<uslug:slug>/", views.TagView.as_view(), name="tag"),
    path("archive/", views.ArchiveIndexView.as_view(), name="archive"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("archive/<int:year>/<int:month>/", views.MonthView.as_view(), name="archive_month"),
    path("feed/", conditional("site", "rss")(feeds.SiteRss()), name="feed_rss"),
    path("feed/atom/", conditional("site", "atom")(feeds.SiteAtom()), name="feed_atom"),
    path("feed/json/", conditional("site", "json")(feeds.json_feed), name="feed_json"),
    path(
        "category/<uslug:slug>/feed/",
        conditional("category", "rss")(feeds.CategoryRss()),
        name="category_feed_rss",
    ),
    path(
        "category/<uslug:slug>/feed/atom/",
        conditional("category", "atom")(feeds.CategoryAtom()),
        name="category_feed_atom",
    ),
    path("tag/<uslug:slug>/feed/", conditional("tag", "rss")(feeds.TagRss()), name="tag_feed_rss"),
    path(
        "tag/<uslug:slug>/feed/atom/",
        conditional("tag", "atom")(feeds.TagAtom()),
        name="tag_feed_atom",
    ),
]
